"""Team-file members → compact rows → the member index: assignments, team members and
the desired members, built one file at a time as team files arrive.

Members are tuples while indexing (100k of them): ``Row`` (what ``member_rows`` extracts) and
``Entry`` (a row with its team and file) fields by position. ``MemberIndex`` turns
entries into model objects; ``rules.MemberChecker`` checks the same entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from reconciler.model import (
    Assignment,
    Member,
    Role,
    SourceRef,
    SpendLimit,
    SpendLimitKey,
)
from reconciler.policy.document import Document, at
from reconciler.policy.emails import check_email, is_plain_allowed
from reconciler.policy.findings import Finding
from reconciler.policy.orgfile import parse_date

#: One member as ``member_rows`` extracts it:
#: (normalized email or None if refused, raw email, role key, expires text, name, line, col)
Row = tuple[str | None, str, str, str | None, str, int, int]
#: (normalized email or None, raw email, role key, team, doc, index, expires, name, line, col)
Entry = tuple[str | None, str, str, str, Document, int, str | None, str, int, int]


def member_rows(doc: Document, allowed: frozenset[str] | None
                ) -> tuple[list[Row], list[Finding]]:
    """One team file's members as compact rows, emails checked and normalised once,
    with their email findings."""
    assert doc.data is not None
    rows: list[Row] = []
    findings: list[Finding] = []
    roles: dict[str, str] = {}  # one string object per role, shared by the file's rows
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


class MemberIndex:
    """Member entries of valid team files, fed one file at a time in file order, with
    each team's members
    (for ``TeamBuilder``), each email's assignment and name, and the desired members,
    built on the way.
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
            assignment = Assignment(norm, team, role, exp, SourceRef(doc.path, line, col))
            assignments[norm] = assignment
            if name:
                names[norm] = name
            if desired is not None:
                desired.add(norm, assignment, name)


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
