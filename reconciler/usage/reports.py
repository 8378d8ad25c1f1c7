"""Usage reports by member, team, role or cost center: pure arithmetic, no I/O.

Input is the per-member totals of a period (``UsageStore.member_totals``) and the
seat roster (``roster.build_roster``); output is a ``UsageReport`` that the renderers
turn into table, CSV, JSON or Markdown. Rules:

- A member is *active* in the period if they were active on at least one day, by the
  ``ActiveDefinition`` whose description every report carries.
- Suggestion acceptance rate = accepted / (accepted + rejected) tool actions, as a
  percentage; None when there were no tool actions (not 0 %, which would be a claim).
- Utilisation = active members / allocated seats × 100. Allocated seats are the
  team's allocation on the period's last day as the plan computes it (dynamic seating
  adds sprint seats; ``allocations``), else its static ``allocated_seats``; a cost
  center's is the sum of its teams'; a role has no allocation, so its seats held
  stand in; a member holds one seat.
- Activity of an email that holds no seat in the roster is reported under
  ``(unlisted)``, never dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from reconciler.model import Policy
from reconciler.usage.period import Period
from reconciler.usage.roster import UNLISTED, SeatHolder
from reconciler.usage.store import MemberTotals

By = Literal["member", "team", "role", "cost-center"]
BY_CHOICES: tuple[By, ...] = ("member", "team", "role", "cost-center")


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One line of a report: a member, team, role or cost center (or the total)."""

    key: str
    seats: int
    allocated_seats: int
    active_members: int
    active_days: int
    sessions: int
    lines_added: int
    lines_removed: int
    commits: int
    pull_requests: int
    tool_accepted: int
    tool_rejected: int
    team: str = ""
    role: str = ""
    last_active: str = ""

    @property
    def acceptance_rate_pct(self) -> float | None:
        decided = self.tool_accepted + self.tool_rejected
        return round(100.0 * self.tool_accepted / decided, 2) if decided else None

    @property
    def utilisation_pct(self) -> float | None:
        if not self.allocated_seats:
            return None
        return round(100.0 * self.active_members / self.allocated_seats, 2)


@dataclass(frozen=True, slots=True)
class UsageReport:
    by: By
    period: Period
    active_definition: str
    rows: tuple[ReportRow, ...]
    total: ReportRow
    breakdown: Mapping[str, tuple[ReportRow, ...]] = field(default_factory=dict)


def _sum_rows(key: str, parts: Iterable[ReportRow], allocated: int | None = None) -> ReportRow:
    rows = list(parts)
    last = max((r.last_active for r in rows), default="")
    seats = sum(r.seats for r in rows)
    return ReportRow(
        key=key,
        seats=seats,
        allocated_seats=seats if allocated is None else allocated,
        active_members=sum(r.active_members for r in rows),
        active_days=sum(r.active_days for r in rows),
        sessions=sum(r.sessions for r in rows),
        lines_added=sum(r.lines_added for r in rows),
        lines_removed=sum(r.lines_removed for r in rows),
        commits=sum(r.commits for r in rows),
        pull_requests=sum(r.pull_requests for r in rows),
        tool_accepted=sum(r.tool_accepted for r in rows),
        tool_rejected=sum(r.tool_rejected for r in rows),
        last_active=last,
    )


def member_rows(
    roster: Iterable[SeatHolder], totals: Mapping[str, MemberTotals]
) -> list[ReportRow]:
    """One row per seat holder, plus unlisted emails that show activity."""
    holders = list(roster)
    known = {h.email for h in holders}
    extra = [
        SeatHolder(e, UNLISTED, UNLISTED, "", "", 0, listed=False)
        for e in sorted(set(totals) - known)
    ]
    out = []
    for h in holders + extra:
        t = totals.get(h.email) or MemberTotals(h.email)
        out.append(
            ReportRow(
                key=h.email,
                seats=1,
                allocated_seats=1,
                active_members=1 if t.active_days > 0 else 0,
                active_days=t.active_days,
                sessions=t.sessions,
                lines_added=t.lines_added,
                lines_removed=t.lines_removed,
                commits=t.commits,
                pull_requests=t.pull_requests,
                tool_accepted=t.tool_accepted,
                tool_rejected=t.tool_rejected,
                team=h.team,
                role=h.role,
                last_active=t.last_active.isoformat() if t.last_active else "",
            )
        )
    return out


def build_report(
    policy: Policy,
    roster: Iterable[SeatHolder],
    totals: Mapping[str, MemberTotals],
    *,
    by: By,
    period: Period,
    active_definition: str,
    allocations: Mapping[str, int] | None = None,
) -> UsageReport:
    """Group member rows by ``by``; for teams, keep each team's per-developer rows."""
    members = member_rows(roster, totals)
    allocated = {name: (allocations or {}).get(name, team.allocated_seats)
                 for name, team in policy.teams.items()}
    if by == "member":
        rows = sorted(members, key=lambda r: (r.team, r.key))
        return UsageReport(by, period, active_definition, tuple(rows), _sum_rows("total", rows), {})
    groups: dict[str, list[ReportRow]] = {}
    for r in members:
        key = {"team": r.team, "role": r.role or UNLISTED}.get(by)
        if by == "cost-center":
            team = policy.teams.get(r.team)
            key = team.cost_center if team else UNLISTED
        groups.setdefault(key or UNLISTED, []).append(r)
    if by == "team":
        for name in policy.teams:
            groups.setdefault(name, [])
    if by == "cost-center":
        for team in policy.teams.values():
            groups.setdefault(team.cost_center, [])
    out = []
    for key in sorted(groups, key=lambda k: (k == UNLISTED, k)):
        out.append(_sum_rows(key, groups[key], _allocated(policy, by, key, allocated)))
    total = _sum_rows("total", out, sum(r.allocated_seats for r in out))
    breakdown = (
        {k: tuple(sorted(v, key=lambda r: r.key)) for k, v in groups.items()}
        if by == "team"
        else {}
    )
    return UsageReport(by, period, active_definition, tuple(out), total, breakdown)


def _allocated(policy: Policy, by: By, key: str, allocated: Mapping[str, int]) -> int | None:
    """Allocated seats of a group, or None to fall back to the seats it holds."""
    if by == "team" and key in policy.teams:
        return allocated[key]
    if by == "cost-center" and key != UNLISTED:
        return sum(allocated[n] for n, t in policy.teams.items() if t.cost_center == key)
    return None
