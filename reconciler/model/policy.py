"""Policy-only facts: what the live organization does not hold.

Teams and cost centers, roles, the seat budget, safety limits, usage and notification
settings, and where in which file each thing was declared, beside the compiled
``desired`` ``OrgState`` on ``Policy``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from reconciler.model.state import OrgState, OrgType, SourceRef

# ---------------------------------------------------------------------------
# Policy-only facts
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeatTier:
    """A seat type with its price; the guide's Standard / Restricted / Learning."""

    name: str
    monthly_price_cents: int
    #: The guide's Seat Type label (``Standard``, ``Restricted``, ``Learning``).
    seat_type: str = ""


@dataclass(frozen=True, slots=True)
class ScalingRule:
    """Dynamic seating: extra seats ``offset_days`` around a sprint trigger."""

    trigger: Literal["sprint_start", "sprint_end"]
    offset_days: int
    additional_seats: int = 0
    release_seats: int = 0


@dataclass(frozen=True, slots=True)
class Sprint:
    start: dt.date
    end: dt.date


@dataclass(frozen=True, slots=True)
class DynamicSeating:
    """The guide's ``dynamic_seating`` block: org-wide bounds and default scaling rules."""

    enabled: bool = False
    base_seats: int = 0
    max_seats: int = 0
    scaling_rules: tuple[ScalingRule, ...] = ()
    notification: bool = False


@dataclass(frozen=True, slots=True)
class SeatBudget:
    purchased_seats: int
    tiers: Mapping[str, SeatTier]
    default_tier: str
    growth_buffer_min_pct: float = 10.0
    growth_buffer_max_pct: float = 15.0
    allocation_model: str = "team_based"
    default_seats_per_team: int = 5
    overflow_allowed: bool = False
    overflow_threshold_pct: float = 80.0
    approval_required: bool = True
    #: Dynamic seating (sprint scaling); ``None`` when org.yaml has no such block.
    dynamic: DynamicSeating | None = None


@dataclass(frozen=True, slots=True)
class Safety:
    max_removals: int = 10
    max_removals_pct: float = 25.0
    max_role_changes: int = 20
    max_role_changes_pct: float = 25.0
    protected: frozenset[str] = frozenset()
    unmanaged: Literal["report", "remove"] = "report"


@dataclass(frozen=True, slots=True)
class Alert:
    threshold_pct: float
    notify: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UsageSettings:
    inactive_after_days: int = 14
    retention_days: int = 90
    active_products: tuple[str, ...] = ("claude_code",)
    active_metrics: tuple[str, ...] = ("sessions",)
    low_utilization: Alert = Alert(20.0)
    high_usage: Alert = Alert(90.0)
    #: The guide's ``metrics`` list (what reports show); see the org schema for sources.
    metrics: tuple[str, ...] = ()
    #: Claude Code's OpenTelemetry export; ``None`` keeps the default env (telemetry on).
    tracking: Tracking | None = None
    #: The organization's usage policy every seat user sees at startup (text and/or link).
    policy_text: str | None = None
    policy_url: str | None = None


@dataclass(frozen=True, slots=True)
class TelemetryQuery:
    """Where ``usage sync`` reads the metrics Claude Code exported (a Prometheus API)."""

    url: str
    #: Environment variable holding a bearer token for the query API, if it needs one.
    token_env: str | None = None


@dataclass(frozen=True, slots=True)
class Tracking:
    """The guide's ``tracking`` block: Claude Code's OpenTelemetry export, per role.

    It compiles into the ``env`` (and ``otelHeadersHelper``) of every role's managed
    settings. Header values are never secrets: a secret belongs in the helper script,
    which runs on the laptop, not in a settings document every member can read.
    """

    enabled: bool = True
    endpoint: str | None = None
    protocol: str = "http/protobuf"
    #: Also export events (``tool_result``, ``api_request``, …) through the logs exporter.
    events: bool = True
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    headers_helper: str | None = None
    export_interval_ms: int | None = None
    resource_attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    query: TelemetryQuery | None = None
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True)
class SpendIncreaseRule:
    """How a role's members' spend-limit increase requests are decided (roles.yaml
    ``spend_increases``): a request is granted up to ``auto_approve_up_to_cents`` a month
    without a person; above it (or with no ceiling) seatctl only proposes a policy edit.

    Why a ceiling and not a step: an admin states the most a member of this role may
    spend when they ask, and a live limit within it is policy, not drift (the plan keeps
    it)."""

    #: The highest monthly user limit a request may be granted to; ``None``: never auto.
    auto_approve_up_to_cents: int | None = None
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True)
class Role:
    """A policy role (the guide's role table), keyed by ``key`` (e.g. ``contractor``)."""

    key: str
    display_name: str
    org_role: str
    seat_tier: str
    max_daily_hours: float | None = None
    features: tuple[str, ...] = ()
    monthly_spend_cap_cents: int | None = None
    priority: int = 100
    group: str | None = None
    settings: Mapping[str, object] | None = None
    source: SourceRef | None = None
    #: The role whose managed settings become ``rbac_group_default`` (members in no role group).
    baseline: bool = False
    #: Lines shown to this role's members when Claude Code starts (``companyAnnouncements``).
    announcements: tuple[str, ...] = ()
    #: How this role's spend-limit increase requests are decided; ``None``: always by a person.
    spend_increases: SpendIncreaseRule | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """One member's place in the policy: team, policy role, and where it was written."""

    email: str
    team: str
    role: str
    expires_on: dt.date | None = None
    source: SourceRef | None = None


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    cost_center: str
    allocated_seats: int
    group: str
    members: tuple[str, ...] = ()
    monthly_spend_cap_cents: int | None = None
    scaling_rules: tuple[ScalingRule, ...] = ()
    sprints: tuple[Sprint, ...] = ()
    source: SourceRef | None = None
    #: Console orgs: workspace name → workspace role given to every team member.
    workspaces: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Webhook:
    """A Slack-compatible incoming webhook; the URL is a secret, so prefer ``url_env``."""

    name: str
    url_env: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class EmailSettings:
    """SMTP delivery; credentials only ever come from the named environment variables."""

    smtp_host: str
    sender: str
    smtp_port: int = 587
    starttls: bool = True
    username_env: str | None = None
    password_env: str | None = None
    #: Named recipient lists (``finance`` → addresses) that alerts refer to.
    recipients: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Notifications:
    """Where alerts and reports go. An alert's ``notify`` entry names a webhook, a
    recipient list, or is a plain email address."""

    webhooks: Mapping[str, Webhook] = field(default_factory=lambda: MappingProxyType({}))
    email: EmailSettings | None = None


@dataclass(frozen=True, slots=True)
class ApplySettings:
    """Client-side pacing for apply, set just under the Admin API's documented limits."""

    requests_per_minute: int = 90
    invites_per_hour: int = 1100
    concurrency: int = 4
    max_plan_age_hours: int = 24


@dataclass(frozen=True, slots=True)
class AuditSettings:
    retention_days: int = 365


@dataclass(frozen=True, slots=True)
class Policy:
    """A compiled policy repository: the desired ``OrgState`` plus policy-only facts.

    ``desired`` is derived from the rest (teams → groups, assignments → members,
    roles → org role and spend limits) at compile time; consumers should not need to
    re-derive it. ``commit`` is the git commit of the policy, when known.
    """

    org_name: str
    org_type: OrgType
    provider: str
    admin_key_env: str
    budget: SeatBudget
    safety: Safety
    usage: UsageSettings
    roles: Mapping[str, Role]
    teams: Mapping[str, Team]
    assignments: Mapping[str, Assignment]
    desired: OrgState
    allowed_domains: frozenset[str] = frozenset()
    contract_end: dt.date | None = None
    #: Seats are billed monthly from this day of the month (usage: when a removal saves).
    contract_start: dt.date | None = None
    root: str = "policies"
    commit: str | None = None
    sources: Mapping[str, SourceRef] = field(default_factory=lambda: MappingProxyType({}))
    #: claude.ai organization UUID for ``forceLoginOrgUUID`` in managed settings, if known.
    org_uuid: str | None = None
    notifications: Notifications = Notifications()
    apply: ApplySettings = ApplySettings()
    audit: AuditSettings = AuditSettings()
    #: Admin API base URL override from org.yaml (``None``: the SDK's default).
    base_url: str | None = None
