"""Guards: small functions that look at a planned change set and return findings.

Each guard answers one question ("does this remove too many people?") and returns a
list of ``Finding``s; ``run_guards`` runs them all. An ``error`` finding blocks the
plan (exit 1, apply refuses it); ``warning`` and ``info`` are shown to reviewers.
Overrides never come from policy files: they are inputs of the run (CLI flags or CI
labels) and are recorded in the plan with their approver.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter
from types import MappingProxyType

from reconciler.model import ASSIGNABLE_ROLES, PROTECTED_ROLES, Member, OrgState, Policy
from reconciler.model.findings import SEVERITIES, Severity
from reconciler.model.findings import Finding as Finding
from reconciler.plan.changes import Change
from reconciler.plan.desired import DesiredAt
from reconciler.plan.kinds import GuardFamily, in_family, reduces_access
from reconciler.plan.simulate import seats_held


@dataclass(frozen=True, slots=True)
class Overrides:
    """Run inputs that let an otherwise blocking plan through, recorded in the plan.

    Large removals / many role changes need the flag *and* an approver; overflow
    approval is ``approve_overflow`` on ``build_plan`` (the flag or a CI label).
    """

    allow_large_removal: bool = False
    allow_many_role_changes: bool = False
    approver: str = ""


NO_OVERRIDES = Overrides()


@dataclass(frozen=True, slots=True)
class GuardInput:
    policy: Policy
    live: OrgState
    want: DesiredAt
    changes: Sequence[Change]
    after: OrgState
    allocations: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    approve_overflow: bool = False
    overrides: Overrides = NO_OVERRIDES


Guard = Callable[[GuardInput], list[Finding]]


def _money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def _of(changes: Sequence[Change], family: GuardFamily) -> list[Change]:
    """The changes whose kind the guards of ``family`` look at (``plan.kinds``)."""
    return [c for c in changes if in_family(c, family)]


def _holding(members: Mapping[str, Member], roles: frozenset[str]) -> list[str]:
    """Emails of ``members`` whose role is in ``roles``, in ``members`` order (one C-level
    pass: the guards look at a handful of owners and admins among 100,000 members)."""
    return list(compress(members.keys(), map(roles.__contains__, map(_ROLE, members.values()))))


_ROLE = attrgetter("role")


#: Code of the info findings that say how a plan read the live org (a full read, or a
#: slice over a snapshot of a given age: ``plan --base``). Apply cannot derive them, so
#: its comparison leaves them out; they stay under the checksum like every field.
LIVE_READ = "live_read"


def guard_live_read(g: GuardInput) -> list[Finding]:
    """Empty is suspicious: an incomplete or empty read never becomes "remove everyone"."""
    out: list[Finding] = []
    if not g.live.complete:
        out.append(Finding("error", "live_read_incomplete",
                           "the live organization could not be read completely; refusing to plan",
                           "re-run; if it persists, check the provider's error above"))
    elif not g.live.members:
        out.append(Finding("error", "live_org_empty",
                           "the live organization has no members; refusing to plan",
                           "check the admin key and the organization it belongs to"))
    if not g.policy.desired.members:
        out.append(Finding("error", "desired_empty",
                           "the policy lists no members; refusing to plan removals of everyone",
                           "add members to teams/*.yaml"))
    return out


def _cap(g: GuardInput, n: int, limit: int, pct_limit: float, allowed: bool,
         what: str, flag: str, code: str) -> list[Finding]:
    total = len(g.live.members)
    if n == 0:
        return []
    pct = 100.0 * n / total if total else 100.0
    if n <= limit and pct <= pct_limit:
        return []
    message = (f"{n} {what} ({pct:.0f}% of {total} members) exceed the limit of "
               f"{limit} and {pct_limit:g}%")
    if allowed and g.overrides.approver:
        return [Finding("warning", code, f"{message}; allowed by {flag}, approved by "
                        f"{g.overrides.approver}")]
    hint = (f"split the change, raise safety limits in org.yaml, or re-run with {flag} "
            "and --approver NAME")
    if allowed:
        hint = f"{flag} needs an approver: add --approver NAME"
    return [Finding("error", code, message, hint)]


def guard_removal_cap(g: GuardInput) -> list[Finding]:
    """Every change that reduces access counts (``plan.kinds.reduces_access``): members,
    group and workspace memberships, withdrawn invites, groups, lowered spend limits and
    settings that take a permission away, so no kind of removal slips past the cap."""
    s = g.policy.safety
    n = sum(map(reduces_access, g.changes))
    return _cap(g, n, s.max_removals, s.max_removals_pct,
                g.overrides.allow_large_removal, "removals", "--allow-large-removal",
                "removal_cap")


def guard_role_change_cap(g: GuardInput) -> list[Finding]:
    s = g.policy.safety
    return _cap(g, len(_of(g.changes, "role_change")), s.max_role_changes, s.max_role_changes_pct,
                g.overrides.allow_many_role_changes, "role changes",
                "--allow-many-role-changes", "role_change_cap")


def guard_protected(g: GuardInput) -> list[Finding]:
    """Protected members (listed in safety, or holding an owner/admin role) are never
    removed or demoted; no flag overrides this."""
    protected = g.policy.safety.protected
    out: list[Finding] = []
    for c in _of(g.changes, "protected"):
        live = g.live.members.get(c.target)
        if c.target in protected or (live is not None and live.role in PROTECTED_ROLES):
            verb = "removed" if reduces_access(c) else "given another role"
            out.append(Finding("error", "protected_member",
                               f"protected member {c.target} would be {verb} ({c.reason})",
                               "keep them in the policy with their role; protection is "
                               "changed in org.yaml safety.protected, reviewed separately",
                               c.target))
    desired = g.want.state.members
    for email in _holding(g.live.members, PROTECTED_ROLES):
        member = desired.get(email)
        live = g.live.members[email]
        if member is not None and live.role != member.role:
            out.append(Finding("info", "protected_role_kept",
                               f"{email} holds {live.role}, which the API cannot change; "
                               f"the policy's {member.role} is not applied", target=email))
    return out


def guard_scim_groups(g: GuardInput) -> list[Finding]:
    """SCIM groups belong to the identity provider: never written, differences reported.

    Only kinds that write the group itself (family ``group_write``) count: attaching
    managed settings to a SCIM group is allowed (ADMIN_API.md §17.6)."""
    out: list[Finding] = []
    for c in _of(g.changes, "group_write"):
        name = c.data.get("group") or c.data.get("name")
        group = g.live.groups.get(str(name)) if name else None
        if group is not None and group.source == "scim":
            out.append(Finding("error", "scim_write", f"plan would write SCIM group {name}",
                               "SCIM groups are changed in the identity provider", str(name)))
    for name, want in g.want.state.groups.items():
        live = g.live.groups.get(name)
        if live is None or live.source != "scim" or live.members == want.members:
            continue
        extra, missing = len(live.members - want.members), len(want.members - live.members)
        out.append(Finding("warning", "scim_group_drift",
                           f"SCIM group {name} differs from the policy: {missing} missing, "
                           f"{extra} extra", "change its membership in the identity provider",
                           name))
    return out


def guard_unlisted(g: GuardInput) -> list[Finding]:
    """People, pending invites and groups the policy does not list are reported, not
    removed (by default)."""
    if g.policy.safety.unmanaged == "remove":
        return []
    out: list[Finding] = []
    desired = g.want.state
    unlisted = g.live.members.keys() - desired.members.keys() - g.want.expired.keys()
    for email in sorted(unlisted):
        member = g.live.members[email]
        severity: Severity = "info" if member.role in PROTECTED_ROLES else "warning"
        out.append(Finding(severity, "unlisted_member",
                           f"{email} ({member.role}) is a member but not in the policy",
                           "add them to a team file, or set safety.unmanaged: remove", email))
    for email, invite in sorted(g.live.invites.items()):
        if (invite.status == "pending" and email not in desired.members
                and email not in g.want.expired):
            out.append(Finding("warning", "unlisted_invite",
                               f"{email} has a pending invite ({invite.role}) but is not in "
                               "the policy", "add them to a team file, withdraw the invite, "
                               "or set safety.unmanaged: remove", email))
    for name, group in sorted(g.live.groups.items()):
        if name not in desired.groups and group.source != "scim":
            out.append(Finding("warning", "unlisted_group",
                               f"group {name} is not in the policy",
                               "declare it in a team or role, or set safety.unmanaged: remove",
                               name))
    return out


def guard_roles_assignable(g: GuardInput) -> list[Finding]:
    allowed = ASSIGNABLE_ROLES[g.policy.org_type]
    return [
        Finding("error", "role_not_assignable",
                f"{c.target}: role {c.data.get('role')} cannot be set through the Admin API",
                f"use one of: {', '.join(sorted(allowed))}", c.target)
        for c in _of(g.changes, "role")
        if c.data.get("role") not in allowed
    ]


def guard_domains(g: GuardInput) -> list[Finding]:
    """A second check next to the invite: no invite leaves the allowed domains."""
    domains = g.policy.allowed_domains
    if not domains:
        return []
    return [
        Finding("error", "domain_not_allowed",
                f"invite to {c.target} is outside the allowed domains",
                f"allowed: {', '.join(sorted(domains))}", c.target)
        for c in _of(g.changes, "domain")
        if c.target.rsplit("@", 1)[-1] not in domains
    ]


def guard_workspaces(g: GuardInput) -> list[Finding]:
    return [
        Finding("error", "workspace_missing", f"workspace {name} does not exist",
                "create it in the Console (the API cannot), or fix the name", name)
        for name in sorted(g.want.state.workspaces)
        if name not in g.live.workspaces
    ]


def guard_seats(g: GuardInput) -> list[Finding]:
    """Seat budget: never above purchased; the free-seat buffer inside its band."""
    budget = g.policy.budget
    purchased = budget.purchased_seats
    used = seats_held(g.after)
    if used > purchased:
        return [Finding("error", "seats_exceeded",
                        f"the plan needs {used} seats; {purchased} are purchased",
                        f"buy {used - purchased} seats or remove people from the policy")]
    tier = budget.tiers.get(budget.default_tier)
    price = tier.monthly_price_cents if tier is not None else 0
    free = purchased - used
    pct = 100.0 * free / purchased if purchased else 0.0
    low = math.ceil(purchased * budget.growth_buffer_min_pct / 100)
    high = math.floor(purchased * budget.growth_buffer_max_pct / 100)
    band = f"{budget.growth_buffer_min_pct:g}–{budget.growth_buffer_max_pct:g}%"
    if free < low:
        need = low - free
        return [Finding("warning", "buffer_low",
                        f"{free} free seats ({pct:.0f}%) is below the {band} buffer",
                        f"{need} more seats ({budget.default_tier}) would cost "
                        f"{_money(need * price)}/month")]
    if free > high:
        idle = free - high
        return [Finding("info", "buffer_high",
                        f"{free} free seats ({pct:.0f}%) is above the {band} buffer",
                        f"{idle} idle seats above the band cost {_money(idle * price)}/month")]
    return []


def guard_allocations(g: GuardInput) -> list[Finding]:
    """A team above its allocation needs overflow allowed *and* approved."""
    budget = g.policy.budget
    desired = g.want.state.members
    lapsed: dict[str, int] = {}  # expired members per team, so most teams need no scan
    for email in g.want.expired:
        a = g.policy.assignments.get(email)
        if a is not None:
            lapsed[a.team] = lapsed.get(a.team, 0) + 1
    out: list[Finding] = []
    for name, team in sorted(g.policy.teams.items()):
        allocated = g.allocations.get(name, team.allocated_seats)
        if len(team.members) <= allocated:
            continue  # cannot be over, whatever has lapsed
        count = (sum(1 for e in team.members if e in desired) if lapsed.get(name)
                 else len(team.members))
        if count > allocated:
            message = f"team {name} has {count} members for {allocated} allocated seats"
            if not budget.overflow_allowed:
                out.append(Finding("error", "allocation_exceeded", message,
                                   "raise allocated_seats or allow overflow in org.yaml", name))
            elif budget.approval_required and not g.approve_overflow:
                out.append(Finding("error", "overflow_unapproved", f"{message}; overflow "
                                   "needs approval", "re-run with --approve-overflow (or the "
                                   "CI approval label)", name))
            else:
                out.append(Finding("info", "overflow_approved", f"{message}; overflow approved",
                                   target=name))
    return out


GUARDS: tuple[Guard, ...] = (
    guard_live_read,
    guard_removal_cap,
    guard_role_change_cap,
    guard_protected,
    guard_scim_groups,
    guard_unlisted,
    guard_roles_assignable,
    guard_domains,
    guard_workspaces,
    guard_seats,
    guard_allocations,
)


def run_guards(g: GuardInput, guards: Sequence[Guard] = GUARDS) -> tuple[Finding, ...]:
    """Every guard's findings, errors first, then by code and target (stable for goldens)."""
    found = [f for guard in guards for f in guard(g)]
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    return tuple(sorted(found, key=lambda f: (rank[f.severity], f.code, f.target, f.message)))
