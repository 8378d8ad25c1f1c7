"""The one state model: what the policy asks for and what the live org holds.

Desired state (compiled from ``policies/``) and live state (read by a provider) are
the same frozen types, so ``plan.diff`` is plain comparison and ``import`` writes the
same values back out as YAML. Members, invites and group members are keyed by the
*normalized* email (``normalize_email``); groups by name; spend limits by
``SpendLimitKey``. Money is integer US cents, never float.

Policy-only facts (teams and cost centers, roles, seat budget, safety, usage settings,
and where in which file each thing was declared) live on ``Policy`` beside its
``desired`` ``OrgState``; the live side has no such facts.

This module imports nothing of ours: every other layer may depend on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Literal


class OrgType(str, Enum):
    ENTERPRISE = "enterprise"
    CONSOLE = "console"


#: Roles each org type reads back from the API (``OrganizationRole`` in the SDK).
READABLE_ROLES: Mapping[OrgType, frozenset[str]] = MappingProxyType(
    {
        OrgType.ENTERPRISE: frozenset(
            {"user", "managed", "owner", "membership_admin", "primary_owner"}
        ),
        OrgType.CONSOLE: frozenset({"user", "developer", "billing", "admin", "claude_code_user"}),
    }
)

#: Roles the API can assign (invite, role update) per org type.
ASSIGNABLE_ROLES: Mapping[OrgType, frozenset[str]] = MappingProxyType(
    {
        OrgType.ENTERPRISE: frozenset({"user", "managed"}),
        OrgType.CONSOLE: frozenset({"user", "developer", "billing", "claude_code_user"}),
    }
)

#: Roles the API can neither change nor remove: seatctl treats their holders as protected.
PROTECTED_ROLES: frozenset[str] = frozenset({"admin", "owner", "membership_admin", "primary_owner"})

WORKSPACE_ROLES: frozenset[str] = frozenset(
    {"workspace_user", "workspace_developer", "workspace_restricted_developer", "workspace_admin"}
)

InviteStatus = Literal["pending", "accepted", "expired", "deleted"]
GroupSource = Literal["direct", "scim"]
SpendPeriod = Literal["daily", "weekly", "monthly"]
SpendScope = Literal["user", "rbac_group", "seat_tier", "organization", "workspace"]


def normalize_email(raw: str) -> str:
    """The identity key: surrounding whitespace stripped, lower-cased.

    Validation (non-ASCII, zero-width characters, look-alike domains) happens in
    ``policy/`` before this is called; this only canonicalises what is already valid,
    so the same address read from YAML and from the API meets on one key.
    """
    return raw.strip().lower()


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a policy fact was declared, for error messages and plan reasons."""

    file: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True, slots=True)
class Member:
    """An organization member (a seat holder).

    ``role`` is the org role in the live system (``user``, ``managed``,
    ``developer``...). ``id`` and ``added_at`` are known only on the live side;
    ``expires_on`` only on the desired side (policy expiry date).
    """

    email: str
    role: str
    name: str = ""
    id: str | None = None
    added_at: dt.datetime | None = None
    expires_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Invite:
    """An invite; a pending one holds a seat and carries the groups to join on accept."""

    email: str
    role: str
    status: InviteStatus = "pending"
    group_ids: frozenset[str] = frozenset()
    id: str | None = None
    invited_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Group:
    """An RBAC group (Enterprise). ``members`` are normalized emails.

    ``source == "scim"`` groups belong to the identity provider: seatctl never writes
    them, only reports their drift.
    """

    name: str
    members: frozenset[str] = frozenset()
    id: str | None = None
    source: GroupSource = "direct"


@dataclass(frozen=True, slots=True)
class SpendLimitKey:
    """What a spend limit applies to: scope type + scope key + period.

    ``key`` is a normalized email for ``user``, a group name for ``rbac_group``, a
    tier name for ``seat_tier``, a workspace name for ``workspace``, ``""`` for
    ``organization``.
    """

    scope: SpendScope
    key: str
    period: SpendPeriod = "monthly"


@dataclass(frozen=True, slots=True)
class SpendLimit:
    scope: SpendLimitKey
    amount_cents: int
    currency: str = "USD"
    id: str | None = None


@dataclass(frozen=True, slots=True)
class Workspace:
    """A Console workspace; ``members`` maps normalized email → workspace role."""

    name: str
    members: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    id: str | None = None


def frozen_map(items: Mapping[str, object] | None = None) -> Mapping[str, object]:
    return MappingProxyType(dict(items or {}))


SettingsMode = Literal["organization", "rbac_groups"]
GroupSettingsStatus = Literal["active", "deleted", "unknown"]


@dataclass(frozen=True, slots=True)
class GroupSettings:
    """One RBAC group's Claude Code managed-settings document (Enterprise, beta API).

    Desired side: ``group`` is the RBAC group *name* the policy role maps to and
    ``role`` the policy role key. Live side: ``group_id`` is always set, ``group`` is
    the group's name when the group still exists (else its id), and ``settings`` is
    ``None`` when the service reports the stored document as damaged.
    """

    group: str
    settings: Mapping[str, object] | None
    group_id: str | None = None
    status: GroupSettingsStatus = "active"
    role: str | None = None


@dataclass(frozen=True, slots=True)
class ManagedSettingsState:
    """Claude Code managed settings of an organization (``/claude_code/managed_settings``).

    ``order`` is ``rbac_group_order``, highest precedence first (first match wins,
    documents never merge). Desired side: keys of ``groups`` and entries of ``order``
    are group names. Live side: they are group ids, ``order_version`` is the opaque
    version to send back with a reorder, and ``default_set`` is True when a default
    document exists (``default is None`` while ``default_set`` means it is damaged).
    """

    mode: SettingsMode
    order: tuple[str, ...] = ()
    groups: Mapping[str, GroupSettings] = field(default_factory=lambda: MappingProxyType({}))
    default: Mapping[str, object] | None = None
    default_set: bool = False
    order_version: str | None = None


@dataclass(frozen=True, slots=True)
class OrgState:
    """The whole organization as seatctl sees it, desired or live.

    Invariants: every key equals the normalized email / name of its value; an email
    is never both in ``members`` and in ``invites`` with status ``pending`` on the
    desired side. ``invites`` holds at most one invite per email (the newest).
    ``complete`` is False when a provider could not read everything; a plan is
    never built from an incomplete live state.
    """

    org_type: OrgType
    members: Mapping[str, Member]
    invites: Mapping[str, Invite] = field(default_factory=lambda: MappingProxyType({}))
    groups: Mapping[str, Group] = field(default_factory=lambda: MappingProxyType({}))
    spend_limits: Mapping[SpendLimitKey, SpendLimit] = field(
        default_factory=lambda: MappingProxyType({})
    )
    workspaces: Mapping[str, Workspace] = field(default_factory=lambda: MappingProxyType({}))
    org_name: str = ""
    complete: bool = True
    #: Claude Code managed settings; ``None`` when not managed / not readable (Console).
    managed_settings: ManagedSettingsState | None = None


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


@dataclass(frozen=True, slots=True)
class UserActivity:
    """One member's activity on one UTC day (``/v1/organizations/analytics/users``).

    ``chat_*`` and other products are summarised as ``other_products_active`` so the
    "what counts as active" setting can include or exclude them.
    """

    day: dt.date
    email: str
    user_id: str = ""
    sessions: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    commits: int = 0
    pull_requests: int = 0
    tool_accepted: int = 0
    tool_rejected: int = 0
    chat_messages: int = 0
    last_activity: dt.date | None = None
