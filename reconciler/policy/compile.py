"""Schema-valid documents → model objects → the desired ``OrgState``.

``build_roles`` and ``TeamBuilder`` translate one file kind each and report what only
they can see (team declared twice, allocations that disagree); members are indexed in
``members``; ``compile_desired`` derives the desired organization from roles, teams
and assignments and is shared with ``seatctl import`` (a Policy built from a live org
compiles back to that org).
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from reconciler.model import (
    Assignment,
    Group,
    OrgState,
    OrgType,
    Role,
    SourceRef,
    SpendIncreaseRule,
    SpendLimit,
    SpendLimitKey,
    Sprint,
    Team,
    Workspace,
)
from reconciler.policy import messages as M
from reconciler.policy.document import Document, at
from reconciler.policy.findings import Finding
from reconciler.policy.members import DesiredMembers
from reconciler.policy.orgfile import OrgSettings, cents, parse_date, scaling_rules

#: Most privileged first: a member given two workspace roles by two teams gets the first.
WORKSPACE_ORDER = ("workspace_admin", "workspace_developer", "workspace_restricted_developer",
                   "workspace_user")


def source(doc: Document, *parts: str | int) -> SourceRef:
    line, col = doc.position(*parts)
    return SourceRef(doc.path, line, col)


def build_roles(doc: Document, org: OrgSettings) -> dict[str, Role]:
    assert doc.data is not None
    roles = {}
    for key, r in doc.data["roles"].items():
        hours = r.get("max_daily_hours")
        roles[key] = Role(
            key=key,
            display_name=r["display_name"],
            org_role=r["org_role"],
            seat_tier=r.get("seat_tier", org.budget.default_tier),
            max_daily_hours=None if hours in (None, "unlimited") else float(hours),
            features=tuple(r.get("features", ())),
            monthly_spend_cap_cents=cents(r.get("monthly_spend_cap")),
            priority=r.get("priority", 100),
            group=r.get("group"),
            settings=r.get("claude_code_settings"),
            source=source(doc, "roles", key),
            baseline=r.get("baseline", False),
            announcements=tuple(r.get("announcements", ())),
            spend_increases=_increase_rule(doc, key, r.get("spend_increases")),
        )
    return roles


def _increase_rule(doc: Document, key: str, raw: Any) -> SpendIncreaseRule | None:
    """roles.yaml ``spend_increases`` → the rule (dollars → cents), ``None`` when absent."""
    if raw is None:
        return None
    return SpendIncreaseRule(cents(raw.get("auto_approve_up_to")), _nested(doc, key))


def _nested(doc: Document, key: str) -> SourceRef:
    """Where a role's ``spend_increases`` is written. ``Document`` keeps positions two
    levels deep only, so the file is re-read here (rare: only roles with a rule), and
    the role's own line stands in when it cannot be."""
    from reconciler.policy.locate import locate

    try:
        raw = pathlib.Path(doc.fs_path).read_bytes()
    except OSError:
        return source(doc, "roles", key)
    found = locate(raw, f"/roles/{key}/spend_increases", key=True)
    return SourceRef(doc.path, found.line, found.col) if found else source(doc, "roles", key)


@dataclass(frozen=True, slots=True)
class Allocation:
    """A team's allocation as org.yaml's ``teams`` list states it."""

    seats: int | None
    cost_center: str | None
    group: str | None
    index: int


def org_allocations(org_data: dict[str, Any]) -> dict[str, Allocation]:
    return {
        t["name"]: Allocation(t.get("allocated_seats"), t.get("cost_center"), t.get("group"), i)
        for i, t in enumerate(org_data.get("teams", ()))
    }


class TeamBuilder:
    """Team files merged with org.yaml's allocation list (which may restate, never
    contradict, a file), one file at a time in file order (as team files arrive). A
    team listed only in org.yaml has no members. ``members`` (team → emails) must
    already hold each file's members when it is added; it may still grow (another file
    declaring the same team), which ``finish`` applies.
    """

    def __init__(self, org_doc: Document, org: OrgSettings,
                 members: Mapping[str, Mapping[str, None]]) -> None:
        assert org_doc.data is not None
        self.org_doc, self.org, self.members = org_doc, org, members
        self.allocs = org_allocations(org_doc.data)
        self.teams: dict[str, Team] = {}
        self.first_doc: dict[str, Document] = {}
        self.findings: list[Finding] = []

    def add(self, doc: Document) -> None:
        assert doc.data is not None
        d = doc.data
        name = d["name"]
        first_doc, findings, org = self.first_doc, self.findings, self.org
        if name in first_doc:
            findings.append(at(doc, "/name", M.TEAM_DUPLICATE, team=name,
                               other=f"{first_doc[name].path}:{first_doc[name].position('name')[0]}"))
            return
        first_doc[name] = doc
        alloc = self.allocs.get(name)
        values: dict[str, Any] = {}
        for fld, here, there in (("allocated_seats", d.get("allocated_seats"),
                                  alloc and alloc.seats),
                                 ("cost_center", d.get("cost_center"), alloc and alloc.cost_center),
                                 ("group", d.get("group"), alloc and alloc.group)):
            if here is not None and there is not None and here != there:
                findings.append(at(doc, f"/{fld}", M.TEAM_CONFLICT, team=name, field=fld,
                                   here=here, there=there))
            values[fld] = here if here is not None else there
        if values["cost_center"] is None:
            findings.append(at(doc, "/name", M.TEAM_NO_COST_CENTER, team=name))
        dyn = d.get("dynamic_seating", {})
        self.teams[name] = Team(
            name=name,
            cost_center=values["cost_center"] or "",
            allocated_seats=(values["allocated_seats"] if values["allocated_seats"] is not None
                             else org.budget.default_seats_per_team),
            group=values["group"] or f"team-{name}",
            members=tuple(self.members.get(name, ())),
            monthly_spend_cap_cents=cents(d.get("monthly_spend_cap")),
            scaling_rules=scaling_rules(dyn.get("scaling_rules")),
            sprints=tuple(
                Sprint(s, e) for s, e in ((parse_date(x["start"]), parse_date(x["end"]))
                                          for x in dyn.get("sprints", ()))
                if s is not None and e is not None
            ),
            source=source(doc, "name"),
            workspaces=MappingProxyType({w["name"]: w["role"] for w in d.get("workspaces", ())}),
        )

    def finish(self, unreadable: frozenset[str] = frozenset()
               ) -> tuple[dict[str, Team], list[Finding]]:
        """Every team, and the findings; ``unreadable`` names teams whose file has
        errors already reported (no "missing file" warning for them)."""
        teams, findings, org, org_doc = self.teams, self.findings, self.org, self.org_doc
        for name, team in teams.items():
            final = self.members.get(name, ())
            if len(final) != len(team.members):  # members only ever grow, in order
                teams[name] = replace(team, members=tuple(final))
        for name, alloc in self.allocs.items():
            if name in teams:
                continue
            if name not in unreadable:
                findings.append(at(org_doc, f"/teams/{alloc.index}", M.TEAM_NO_FILE, "warning",
                                   team=name))
            seats = alloc.seats if alloc.seats is not None else org.budget.default_seats_per_team
            teams[name] = Team(name, alloc.cost_center or "", seats, alloc.group or f"team-{name}",
                               source=source(org_doc, "teams", alloc.index))
        return teams, findings


def compile_desired(org_type: OrgType, org_name: str, roles: Mapping[str, Role],
                    teams: Mapping[str, Team], assignments: Mapping[str, Assignment],
                    names: Mapping[str, str] | None = None, *,
                    prebuilt: DesiredMembers | None = None) -> OrgState:
    """The organization the policy asks for.

    Members: every assignment, with its role's org role and expiry. Enterprise: one
    RBAC group per team (``team.group``) and one per role that names a ``group``, a
    monthly per-user spend limit for members whose role has a cap, and a group limit
    for teams with a cap. Console: workspaces from teams' ``workspaces``, each team
    member with the team's workspace role (the most privileged when teams disagree).

    ``prebuilt``: the same members built while indexing (``MemberIndex``) from these
    ``assignments`` and ``names`` with these ``roles``.
    """
    if prebuilt is None or not prebuilt.complete:
        get_name = (names or {}).get
        prebuilt = DesiredMembers(roles)
        for email, a in assignments.items():
            roles[a.role]  # noqa: B018 - an unknown role is a KeyError, as it always was
            prebuilt.add(email, a, get_name(email, ""))
    members = prebuilt.members
    groups: dict[str, Group] = {}
    limits: dict[SpendLimitKey, SpendLimit] = {}
    workspaces: dict[str, Workspace] = {}
    if org_type is OrgType.ENTERPRISE:
        by_role = prebuilt.by_role
        limits.update(prebuilt.user_limits)
        for team in teams.values():
            groups[team.group] = Group(team.group, frozenset(team.members))
            if team.monthly_spend_cap_cents is not None:
                key = SpendLimitKey("rbac_group", team.group, "monthly")
                limits[key] = SpendLimit(key, team.monthly_spend_cap_cents)
        for role in roles.values():
            if role.group:
                groups[role.group] = Group(role.group, frozenset(by_role.get(role.key, ())))
    else:
        ws_members: dict[str, dict[str, str]] = {}
        for team in teams.values():
            for ws, ws_role in team.workspaces.items():
                slot = ws_members.setdefault(ws, {})
                for email in team.members:
                    prior = slot.get(email)
                    rank = WORKSPACE_ORDER.index
                    if prior is None or rank(ws_role) < rank(prior):
                        slot[email] = ws_role
        workspaces = {ws: Workspace(ws, MappingProxyType(m)) for ws, m in ws_members.items()}
    return OrgState(
        org_type=org_type,
        members=MappingProxyType(members),
        groups=MappingProxyType(groups),
        spend_limits=MappingProxyType(limits),
        workspaces=MappingProxyType(workspaces),
        org_name=org_name,
    )


def sprint_dates(doc: Document) -> Iterable[tuple[str, str, str]]:
    """(pointer, start text, end text) of each sprint in a team file."""
    assert doc.data is not None
    for i, s in enumerate(doc.data.get("dynamic_seating", {}).get("sprints", ())):
        yield f"/dynamic_seating/sprints/{i}", s["start"], s["end"]


def today_or(today: dt.date | None) -> dt.date:
    return today if today is not None else dt.date.today()
