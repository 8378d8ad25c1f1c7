"""Schema-valid documents → model objects → the desired ``OrgState``.

``build_*`` translate one file kind each and report what only they can see (team
declared twice, allocations that disagree); ``compile_desired`` derives the desired
organization from roles, teams and assignments and is shared with ``seatctl import``
(a Policy built from a live org compiles back to that org).

Members are tuples while indexing (100k of them): ``Entry`` fields by position.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from reconciler.model import (
    Assignment,
    Group,
    Member,
    OrgState,
    OrgType,
    Role,
    SourceRef,
    SpendLimit,
    SpendLimitKey,
    Sprint,
    Team,
    Workspace,
)
from reconciler.policy import messages as M
from reconciler.policy.document import Document
from reconciler.policy.emails import check_email, is_plain_allowed
from reconciler.policy.findings import Finding
from reconciler.policy.orgfile import OrgSettings, cents, parse_date, scaling_rules

#: One member as the team-file worker extracts it:
#: (normalized email or None if refused, raw email, role key, expires text, name, line, col)
Row = tuple[str | None, str, str, str | None, str, int, int]
#: (normalized email or None, raw email, role key, team, doc, index, expires, name, line, col)
Entry = tuple[str | None, str, str, str, Document, int, str | None, str, int, int]


def _slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Any, ...] | None:
    """The slot descriptors' setters of a frozen, slotted dataclass whose fields are
    exactly ``names`` (in order) and which has no ``__post_init__``; else ``None``."""
    fields = getattr(cls, "__dataclass_fields__", None)
    params = getattr(cls, "__dataclass_params__", None)
    if (fields is None or params is None or not params.frozen or tuple(fields) != names
            or getattr(cls, "__slots__", None) != names or hasattr(cls, "__post_init__")):
        return None
    return tuple(cls.__dict__[name].__set__ for name in names)


def _makers() -> tuple[Any, Any, Any]:
    """Constructors for the three model objects made once per member (300k of them at
    100k members): ``source(file, line, col)``, ``assignment(email, team, role,
    expires_on, source)``, ``member(email, role, name, expires_on)``.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``;
    setting the slots directly builds the same object in about 60 % of the time. Used
    only while the classes are exactly as expected (same fields in the same order, no
    ``__post_init__``); otherwise the plain constructors (a test checks both agree).
    """
    new = object.__new__
    src = _slot_setters(SourceRef, ("file", "line", "col"))
    asg = _slot_setters(Assignment, ("email", "team", "role", "expires_on", "source"))
    mem = _slot_setters(Member, ("email", "role", "name", "id", "added_at", "expires_on"))
    if src is None or asg is None or mem is None:
        return (SourceRef,
                Assignment,
                lambda email, role, name, expires_on: Member(email, role, name, None, None,
                                                             expires_on))
    s_file, s_line, s_col = src
    a_email, a_team, a_role, a_exp, a_src = asg
    m_email, m_role, m_name, m_id, m_added, m_exp = mem

    def source(file: str, line: int, col: int) -> SourceRef:
        o = new(SourceRef)
        s_file(o, file)
        s_line(o, line)
        s_col(o, col)
        return o

    def assignment(email: str, team: str, role: str, expires_on: dt.date | None,
                   source: SourceRef | None) -> Assignment:
        o = new(Assignment)
        a_email(o, email)
        a_team(o, team)
        a_role(o, role)
        a_exp(o, expires_on)
        a_src(o, source)
        return o

    def member(email: str, role: str, name: str, expires_on: dt.date | None) -> Member:
        o = new(Member)
        m_email(o, email)
        m_role(o, role)
        m_name(o, name)
        m_id(o, None)
        m_added(o, None)
        m_exp(o, expires_on)
        return o

    return source, assignment, member


_new_source, _new_assignment, _new_member = _makers()


#: Most privileged first: a member given two workspace roles by two teams gets the first.
WORKSPACE_ORDER = ("workspace_admin", "workspace_developer", "workspace_restricted_developer",
                   "workspace_user")


def at(doc: Document, pointer: str, msg: M.Msg, severity: str = "error", **fields: Any) -> Finding:
    """A finding located later (line 0) by re-reading ``doc`` at ``pointer``."""
    return Finding(doc.path, 0, 0, severity, msg.code,  # type: ignore[arg-type]
                   msg.message.format(**fields), msg.hint.format(**fields), pointer)


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
        )
    return roles


def member_rows(doc: Document, allowed: frozenset[str] | None
                ) -> tuple[list[Row], list[Finding]]:
    """One team file's members as compact rows (cheap to send between processes),
    emails checked and normalised once, with their email findings."""
    assert doc.data is not None
    rows: list[Row] = []
    findings: list[Finding] = []
    roles: dict[str, str] = {}  # one string object per role: pickles once per file
    places = doc.children.get("members", ())
    add = rows.append
    for i, m in enumerate(doc.data.get("members", ())):
        raw = m["email"]
        if allowed is not None and is_plain_allowed(raw, allowed):
            norm: str | None = raw  # what check_email returns for it, without issues
        else:
            norm, issues = check_email(raw, allowed)
            for msg, severity, fields in issues:
                findings.append(at(doc, f"/members/{i}/email", msg, severity, **fields))
        role = m["role"]
        line, col = places[i]
        add((norm, raw, roles.setdefault(role, role), m.get("expires"), m.get("name", ""),
             line, col))
    return rows, findings


def index_members(files: Iterable[tuple[Document, Sequence[Row]]]) -> list[Entry]:
    """Every member entry of every (valid) team file, in file order."""
    index = MemberIndex()
    for doc, rows in files:
        index.add(doc, rows)
    return index.entries


class MemberIndex:
    """Member entries of valid team files, fed one file at a time in file order (so a
    caller can index while a pool still parses later files), with what
    ``build_teams`` (members per team) and ``build_assignments`` need, built on the way.
    """

    def __init__(self, roles: Mapping[str, Role] | None = None) -> None:
        self.entries: list[Entry] = []
        #: the desired members, built as assignments are made (when ``roles`` is known)
        self.desired = DesiredMembers(roles) if roles is not None else None
        #: team name → its members' normalized emails (ordered, no repeats)
        self.team_members: dict[str, dict[str, None]] = {}
        self.assignments: dict[str, Assignment] = {}
        #: email → name
        self.names: dict[str, str] = {}
        self._dates: dict[str, dt.date | None] = {}  # a policy repeats few expiry dates

    def add(self, doc: Document, rows: Sequence[Row]) -> list[Entry]:
        """Index one file's rows; returns its entries."""
        assert doc.data is not None
        team = doc.data["name"]
        new = [(norm, raw, role, team, doc, i, expires, name, line, col)
               for i, (norm, raw, role, expires, name, line, col) in enumerate(rows)]
        self.entries += new
        self._assign(new)
        return new

    def _assign(self, entries: Iterable[Entry]) -> None:
        """email → Assignment (first team listing them; the latest expiry, none beats
        any), email → name, team → members."""
        assignments, names, dates = self.assignments, self.names, self._dates
        team_members, desired = self.team_members, self.desired
        new_source, new_assignment, new_member = _new_source, _new_assignment, _new_member
        if desired is not None:
            desired_org_role, desired_caps = desired.org_role, desired.caps
            desired_members, desired_by_role = desired.members, desired.by_role
            desired_limits = desired.user_limits
        members: dict[str, None] | None = None
        members_of = ""
        for norm, _raw, role, team, doc, _i, expires, name, line, col in entries:
            if norm is None:
                continue
            if members is None or team != members_of:
                members, members_of = team_members.setdefault(team, {}), team
            members[norm] = None
            if expires is None:
                exp = None
            elif expires in dates:
                exp = dates[expires]
            else:
                exp = dates.setdefault(expires, parse_date(expires))
            prior = assignments.get(norm)
            if prior is not None:
                if prior.expires_on is not None and (exp is None or exp > prior.expires_on):
                    assignments[norm] = Assignment(norm, prior.team, prior.role, exp,
                                                   prior.source)
                    if desired is not None:
                        desired.expiry(norm, exp)
                continue
            assignments[norm] = new_assignment(norm, team, role, exp,
                                               new_source(doc.path, line, col))
            if name:
                names[norm] = name
            if desired is None:
                continue
            # desired.add(norm, a, name), inlined (once per member)
            org_role = desired_org_role.get(role)
            if org_role is None:
                desired.complete = False
                continue
            desired_members[norm] = new_member(norm, org_role, name or "", exp)
            desired_by_role[role].append(norm)
            cap = desired_caps[role]
            if cap is not None:
                key = SpendLimitKey("user", norm, "monthly")
                desired_limits[key] = SpendLimit(key, cap)


class DesiredMembers:
    """The desired state's members, and for Enterprise the emails per role and the
    per-user spend limits, built one assignment at a time (``MemberIndex`` does it as
    team files arrive). ``compile_desired`` derives the same from the final assignments
    when it is not given one."""

    def __init__(self, roles: Mapping[str, Role]) -> None:
        self.org_role = {key: role.org_role for key, role in roles.items()}
        self.caps = {key: role.monthly_spend_cap_cents for key, role in roles.items()}
        self.members: dict[str, Member] = {}
        self.by_role: dict[str, list[str]] = {key: [] for key in roles}
        self.user_limits: dict[SpendLimitKey, SpendLimit] = {}
        #: False once an assignment named a role ``roles`` does not have
        self.complete = True

    def add(self, email: str, a: Assignment, name: str) -> None:
        """A new assignment (``name`` as written, ``""`` when none)."""
        org_role = self.org_role.get(a.role)
        if org_role is None:
            self.complete = False
            return
        self.members[email] = Member(email, org_role, name or "", None, None, a.expires_on)
        self.by_role[a.role].append(email)
        cap = self.caps[a.role]
        if cap is not None:
            key = SpendLimitKey("user", email, "monthly")
            self.user_limits[key] = SpendLimit(key, cap)

    def expiry(self, email: str, expires_on: dt.date | None) -> None:
        """An existing assignment's expiry changed."""
        m = self.members.get(email)
        if m is not None:
            self.members[email] = Member(m.email, m.role, m.name, None, None, expires_on)


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


def build_teams(org_doc: Document, docs: list[Document], org: OrgSettings,
                entries: list[Entry] | MemberIndex, unreadable: frozenset[str] = frozenset()
                ) -> tuple[dict[str, Team], list[Finding]]:
    """Team files merged with org.yaml's allocation list (which may restate, never
    contradict, a file). A team listed only in org.yaml has no members; ``unreadable``
    names teams whose file has errors already reported (no "missing file" for them)."""
    if isinstance(entries, MemberIndex):
        members = entries.team_members
    else:
        members = {}
        for entry in entries:
            norm, team = entry[0], entry[3]
            if norm is not None:
                members.setdefault(team, {})[norm] = None
    builder = TeamBuilder(org_doc, org, members)
    for doc in docs:
        builder.add(doc)
    return builder.finish(unreadable)


class TeamBuilder:
    """``build_teams`` one file at a time, in file order (as team files arrive).
    ``members`` (team → emails) must already hold each file's members when it is added;
    it may still grow (another file declaring the same team), which ``finish`` applies.
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


def build_assignments(entries: list[Entry]) -> tuple[dict[str, Assignment], dict[str, str]]:
    """email → Assignment (first team listing them; the latest expiry, none beats any),
    and email → name."""
    index = MemberIndex()
    index._assign(entries)
    return index.assignments, index.names


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
