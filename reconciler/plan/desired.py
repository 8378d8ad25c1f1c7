"""The desired state as of one date, and where in the policy each part was asked for.

The compiled ``Policy.desired`` lists everyone the policy names, including people whose
expiry date has passed. Planning happens "as of" a date, so this module drops expired
members (and their group places, workspace places and per-user limits) and remembers
why, for the reasons in the plan. Pure: the date is an argument.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from operator import attrgetter
from types import MappingProxyType

from reconciler.model import Member, OrgState, Policy, SourceRef, Workspace


@dataclass(frozen=True, slots=True)
class DesiredAt:
    """``state`` is what the policy wants on ``at``; ``expired`` maps email → the date it
    lapsed for people the policy still names but no longer wants."""

    state: OrgState
    expired: Mapping[str, dt.date]
    at: dt.date


def desired_at(policy: Policy, at: dt.date) -> DesiredAt:
    """Drop members whose expiry date is before ``at`` from every part of the desired state."""
    desired = policy.desired
    expired: dict[str, dt.date] = {}
    # most policies have few or no expiry dates: one C-level pass over each side finds
    # whether any date has passed before walking members one by one
    if _any_before(desired.members.values(), at):
        for email, member in desired.members.items():
            if member.expires_on is not None and member.expires_on < at:
                expired[email] = member.expires_on
    if _any_before(policy.assignments.values(), at):
        for email, assignment in policy.assignments.items():
            if assignment.expires_on is not None and assignment.expires_on < at:
                expired.setdefault(email, assignment.expires_on)
    if not expired:
        return DesiredAt(desired, MappingProxyType({}), at)
    gone = expired.keys()
    members: dict[str, Member] = {e: m for e, m in desired.members.items() if e not in gone}
    groups = {
        name: (replace(g, members=g.members - gone) if g.members & gone else g)
        for name, g in desired.groups.items()
    }
    limits = {
        key: lim
        for key, lim in desired.spend_limits.items()
        if not (key.scope == "user" and key.key in gone)
    }
    workspaces: dict[str, Workspace] = {}
    for name, ws in desired.workspaces.items():
        kept = {e: r for e, r in ws.members.items() if e not in gone}
        workspaces[name] = replace(ws, members=MappingProxyType(kept))
    state = replace(
        desired,
        members=MappingProxyType(members),
        groups=MappingProxyType(groups),
        spend_limits=MappingProxyType(limits),
        workspaces=MappingProxyType(workspaces),
    )
    return DesiredAt(state, MappingProxyType(expired), at)


_EXPIRES_ON = attrgetter("expires_on")


def _any_before(items: Iterable[object], at: dt.date) -> bool:
    """True if any item's ``expires_on`` is a date before ``at``."""
    dates = set(map(_EXPIRES_ON, items))
    dates.discard(None)
    return bool(dates) and min(dates) < at


def where(source: SourceRef | None) -> str:
    """``file:line`` of a policy fact, for reasons (column left out: lines are what people scan)."""
    return f"{source.file}:{source.line}" if source is not None else "policy"


def member_source(policy: Policy, email: str) -> SourceRef | None:
    assignment = policy.assignments.get(email)
    if assignment is not None and assignment.source is not None:
        return assignment.source
    return policy.sources.get(email)


def member_label(policy: Policy, email: str) -> str:
    """``team, role`` of a policy member, e.g. ``backend, contractor``."""
    assignment = policy.assignments.get(email)
    return f"{assignment.team}, {assignment.role}" if assignment is not None else "policy"


def group_origins(policy: Policy) -> dict[str, tuple[SourceRef | None, str]]:
    """Where each desired group comes from: its team file, or the role that maps to it."""
    origins: dict[str, tuple[SourceRef | None, str]] = {}
    for role in policy.roles.values():
        if role.group:
            origins[role.group] = (role.source, f"role {role.key}")
    for team in policy.teams.values():
        origins[team.group] = (team.source, f"team {team.name}")
    return origins
