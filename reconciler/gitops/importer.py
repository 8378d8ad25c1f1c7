"""``seatctl import``: a complete policy repository written from a live organization.

Goal: adopt seatctl in minutes, and planning the imported policy against the same
org shows no changes. The policy model gives each member one team (whose RBAC group
they are in) and one role (which may name a role group), so ``import_policy`` must
tell team groups from role groups:

1. Direct (non-SCIM) groups become nodes; two groups are linked when someone is in
   both. Each linked component is 2-coloured: one colour holds team groups, the
   other role groups (a member is in at most one of each).
2. In each component, the colour whose groups all hold a single org role becomes
   the role colour (a role maps to one org role); the other colour are teams.
   Isolated groups are teams.
3. Members take their team group's team and their role group's role; members with
   no role group get a role per org role. Uniform per-user spend limits become role
   caps; a team group's limit becomes the team's cap.

SCIM groups are the identity provider's: never imported as teams. Owners/admins
(protected roles the API cannot change) keep an assignable role in the file and are
listed under ``safety.protected``. What cannot be expressed is listed in
``warnings`` (and the members stay unlisted, which the plan reports, never removes).

The result is a ``Policy`` (``desired`` compiled by ``policy.compile_desired``, as
loading does), written by ``policy.write_policy``: one writer for every policy file.
Seat tier prices (0) and purchased seats (held + 12.5 %) are placeholders.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from reconciler.escape import file_stem
from reconciler.model import (
    PROTECTED_ROLES,
    Assignment,
    OrgState,
    Policy,
    Role,
    Safety,
    SeatBudget,
    SeatTier,
    Team,
    UsageSettings,
)
from reconciler.policy import compile_desired

#: Placeholders the live org cannot tell: seat tier prices (the contract's) and
#: purchased seats (seats held plus a buffer inside the default 10–15 % growth band).
PLACEHOLDER_TIER = SeatTier("standard", 0, seat_type="Standard")
PURCHASED_BUFFER = 0.125


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The imported ``Policy`` (write it with ``policy.write_policy``) and what it
    could not express."""

    policy: Policy
    warnings: tuple[str, ...]
    #: The live managed-settings documents by file stem (``default``, ``group-<name>``).
    settings: Mapping[str, Mapping[str, object]] = field(
        default_factory=lambda: MappingProxyType({}))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "role"


#: A team name the policy schema accepts (team.schema.json ``name``).
_TEAM_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
#: A group name the policy schema accepts (team.schema.json ``group``).
_GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$")


def _team_name(group: str, taken: set[str]) -> str:
    """A team name for a live group: the group's own name without ``team-`` when the
    schema accepts it, otherwise a slug of it (a live name is data: it also names a
    file). Clashes get ``-2``, ``-3``… in the sorted order of the groups, so the same
    org always imports to the same names."""
    for candidate in (group.removeprefix("team-") or group, group):
        if _TEAM_NAME.match(candidate) and candidate not in taken:
            return candidate
    base = file_stem(group.removeprefix("team-"), fallback="team").lower()
    base = re.sub(r"[^a-z0-9_-]+", "-", base).strip("-_") or "team"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def _colour(groups: list[str], links: dict[str, set[str]]) -> dict[str, int] | None:
    """2-colouring of the group graph (None when some component is not bipartite)."""
    colour: dict[str, int] = {}
    for start in groups:
        if start in colour:
            continue
        colour[start] = 0
        queue = [start]
        while queue:
            g = queue.pop()
            for other in sorted(links[g]):
                if other not in colour:
                    colour[other] = 1 - colour[g]
                    queue.append(other)
                elif colour[other] == colour[g]:
                    return None
    return colour


def _components(groups: list[str], links: dict[str, set[str]]) -> list[list[str]]:
    seen: set[str] = set()
    out = []
    for g in groups:
        if g in seen:
            continue
        comp, queue = [], [g]
        seen.add(g)
        while queue:
            x = queue.pop()
            comp.append(x)
            for y in sorted(links[x] - seen):
                seen.add(y)
                queue.append(y)
        out.append(sorted(comp))
    return out


def import_policy(live: OrgState) -> ImportResult:
    """Turn a live organization into policy facts that compile back to it. Pure."""
    warnings: list[str] = []
    people: dict[str, str] = {e: m.role for e, m in live.members.items()}
    names = {e: m.name for e, m in live.members.items()}
    id_to_group = {g.id: n for n, g in live.groups.items() if g.id}
    direct = {n: g for n, g in live.groups.items() if g.source != "scim"}
    member_of: dict[str, set[str]] = {e: set() for e in people}
    for name, grp in direct.items():
        for email in grp.members:
            member_of.setdefault(email, set()).add(name)
    for email, inv in live.invites.items():
        if inv.status == "pending" and email not in people:
            people[email] = inv.role
            member_of[email] = {id_to_group[i] for i in inv.group_ids
                                if i in id_to_group and id_to_group[i] in direct}
    group_names = sorted(direct)
    links: dict[str, set[str]] = {g: set() for g in group_names}
    for email, gs in member_of.items():
        if len(gs) > 2:
            warnings.append(f"{email} is in {len(gs)} groups ({', '.join(sorted(gs))}); "
                            "the policy gives one team and one role group")
        ordered = sorted(gs)
        for a in ordered:
            for b in ordered:
                if a != b:
                    links[a].add(b)
    colour = _colour(group_names, links)
    role_groups: set[str] = set()
    if colour is None:
        warnings.append("groups overlap in a way one team + one role group cannot express; "
                        "every group is imported as a team")
    else:
        for comp in _components(group_names, links):
            if len(comp) == 1:
                continue
            sides = [[g for g in comp if colour[g] == c] for c in (0, 1)]
            # the role side is the one whose groups are most uniform in org role
            best = min(sides, key=lambda side: (sum(_deviants(direct[g].members, people)
                                                    for g in side), -len(side), side))
            role_groups.update(best)
    caps = {key.key: lim.amount_cents for key, lim in live.spend_limits.items()
            if key.scope == "user" and key.period == "monthly"}
    roles: dict[str, Role] = {}
    role_of: dict[str, str] = {}
    for g in sorted(role_groups):
        # members and pending invitees alike (an invite names its groups)
        in_group = frozenset(e for e, gs in member_of.items() if g in gs)
        org_role = _org_role_of(in_group, people) or "user"
        joined = [e for e in in_group if e in live.members]  # an invitee has no limit yet
        member_caps = {caps.get(e) for e in joined}
        cap = member_caps.pop() if len(member_caps) == 1 else None
        if joined and cap is None and any(caps.get(e) for e in joined):
            warnings.append(f"members of {g} have different spend limits; none imported")
        roles[_slug(g)] = _role(_slug(g), org_role, g, cap)
        for e in sorted(in_group):
            role_of[e] = _slug(g)
            if e in people and people[e] not in PROTECTED_ROLES and people[e] != org_role:
                # a role maps to one org role and a group to one role: not expressible
                warnings.append(f"{e} holds {people[e]} but the role group {g} holds "
                                f"{org_role}: imported as {org_role} (the plan shows the change)")
    taken: set[str] = set()
    team_name: dict[str, str] = {}
    for g in sorted(set(direct) - role_groups):
        team_name[g] = _team_name(g, taken)
        taken.add(team_name[g])
        if not _GROUP_NAME.match(g):
            warnings.append(f"group {g!r} has a name a policy cannot hold (letters, digits, "
                            f"space, '._-', at most 128): imported as team "
                            f"{team_name[g]!r}; rename the group in the console, then "
                            "set `group` in its team file")
    assignable_default = "user"
    assignments: dict[str, Assignment] = {}
    team_members: dict[str, list[str]] = {}
    protected: list[str] = []
    for email in sorted(people):
        gs = member_of.get(email, set())
        team_groups = sorted(gs - role_groups)
        if not team_groups:
            warnings.append(f"{email} is in no team group: left out of the policy "
                            "(reported as unlisted, never removed)")
            continue
        live_role = people[email]
        if live_role in PROTECTED_ROLES:
            protected.append(email)
        key = role_of.get(email)
        if key is None:
            org_role = assignable_default if live_role in PROTECTED_ROLES else live_role
            cap = caps.get(email)
            key = _slug(org_role) + (f"_capped_{cap // 100}" if cap is not None else "")
            roles.setdefault(key, _role(key, org_role, None, cap))
        team_members.setdefault(team_groups[0], []).append(email)
        assignments[email] = Assignment(email, team_name[team_groups[0]], key)
    group_caps = {k.key: lim.amount_cents for k, lim in live.spend_limits.items()
                  if k.scope == "rbac_group" and k.period == "monthly"}
    teams: dict[str, Team] = {}
    for g, name in team_name.items():
        members = tuple(team_members.get(g, ()))
        teams[name] = Team(name, cost_center=g, allocated_seats=len(members), group=g,
                           members=members, monthly_spend_cap_cents=group_caps.get(g))
    policy = _policy(live, people, names, {k: roles[k] for k in sorted(roles)}, teams,
                     assignments, protected)
    return ImportResult(policy, tuple(warnings), live_settings_documents(live))


def _role(key: str, org_role: str, group: str | None, cap: int | None) -> Role:
    return Role(key, key.replace("_", " ").title(), org_role, PLACEHOLDER_TIER.name,
                monthly_spend_cap_cents=cap, group=group)


def live_settings_documents(live: OrgState) -> dict[str, Mapping[str, object]]:
    """The org's Claude Code managed settings as documents to report: ``default`` and
    one per RBAC group name, in ``rbac_group_order`` (first match wins) then by name.

    Why reported, not put into roles.yaml: seatctl compiles a role's document itself
    (telemetry, announcement, features) and a role's raw settings are merged over that,
    so a live document copied in would not compile back to itself, and the first plan
    would rewrite every document. A policy whose roles carry no settings leaves the
    live ones alone; the user moves what they want into ``claude_code_settings``.
    """
    state = live.managed_settings
    if state is None:
        return {}
    rank = {gid: i for i, gid in enumerate(state.order)}
    docs: dict[str, Mapping[str, object]] = {}
    if state.default is not None:
        docs["default"] = state.default
    for _gid, gs in sorted(state.groups.items(),
                          key=lambda item: (rank.get(item[0], len(rank)), item[1].group)):
        if gs.settings is not None and gs.status == "active":
            docs[f"group-{gs.group}"] = gs.settings
    return docs


def _policy(live: OrgState, people: Mapping[str, str], names: Mapping[str, str],
            roles: dict[str, Role], teams: dict[str, Team], assignments: dict[str, Assignment],
            protected: list[str]) -> Policy:
    """The imported facts as a ``Policy``, ``desired`` compiled exactly as loading does."""
    org_name = live.org_name or "Imported organization"
    held = len(people)
    budget = SeatBudget(held + math.ceil(held * PURCHASED_BUFFER),
                        MappingProxyType({PLACEHOLDER_TIER.name: PLACEHOLDER_TIER}),
                        PLACEHOLDER_TIER.name)
    desired = compile_desired(live.org_type, org_name, roles, teams, assignments,
                              {e: n for e, n in names.items() if n and e in assignments})
    return Policy(
        org_name=org_name, org_type=live.org_type, provider="anthropic",
        admin_key_env="SEATCTL_ADMIN_KEY", budget=budget,
        safety=Safety(protected=frozenset(protected), unmanaged="report"),
        usage=UsageSettings(), roles=MappingProxyType(roles), teams=MappingProxyType(teams),
        assignments=MappingProxyType(assignments), desired=desired,
        allowed_domains=frozenset(e.rsplit("@", 1)[1] for e in people if "@" in e))


def _org_role_of(members: frozenset[str], people: Mapping[str, str]) -> str | None:
    """The most common assignable org role in the group (protected roles ignored)."""
    held = Counter(people[e] for e in members if e in people and people[e] not in
                   PROTECTED_ROLES)
    return min(held, key=lambda r: (-held[r], r)) if held else None


def _deviants(members: frozenset[str], people: Mapping[str, str]) -> int:
    """Members whose org role differs from the group's most common one."""
    main = _org_role_of(members, people)
    return sum(1 for e in members if e in people and people[e] not in PROTECTED_ROLES
               and people[e] != main)


__all__ = ["ImportResult", "import_policy"]
