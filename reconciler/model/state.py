"""The state model: one organization, desired or live, in the same frozen types.

Desired state (compiled from ``policies/``) and live state (read by a provider) are
the same frozen types, so ``plan.diff`` is plain comparison and ``import`` writes the
same values back out as YAML. Members, invites and group members are keyed by the
*normalized* email (``normalize_email``); groups by name; spend limits by
``SpendLimitKey``. Money is integer US cents, never float.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Literal


class OrgType(str, Enum):  # noqa: UP042 (str() and format() of members stay as they were)
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


@dataclass(frozen=True, slots=True)
class TelemetryDay:
    """One member's measured value of one telemetry measure on one UTC day.

    Measures (``providers.prometheus.MEASURES``) come from Claude Code's own
    OpenTelemetry counters, so unlike ``UserActivity`` they include active time.
    """

    email: str
    day: dt.date
    measure: str
    value: float


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
    #: (tool, accepted, rejected) per Claude Code tool: the guide's "Top Commands" mix.
    tool_actions: tuple[tuple[str, int, int], ...] = ()
