"""The vendor guide's usage report: Team, Period, Total Active Hours, Average Daily
Users, Top Commands, Suggestions Accepted — per team, or per developer of one team.

Pure arithmetic over what the store returns. The definitions, printed with the report:

- **Total Active Hours** is an estimate: the analytics carry no hours, so each
  Claude Code session counts ``session_hours`` (default 1 h, the same proxy as the
  ``max_daily_hours`` alerts). ``--session-hours`` changes it.
- **Average Daily Users**: members active on a day (by the policy's "active" rule),
  summed over the period's days and divided by its number of days.
- **Top Commands**: the Claude Code tool-action mix (``edit_tool``, ``write_tool``,
  ...), the three most used tools with their share of all tool actions.
- **Suggestions Accepted**: accepted ÷ (accepted + rejected) tool actions; ``–`` when
  there were none (0 % would be a claim).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from reconciler.usage.period import Period
from reconciler.usage.roster import UNLISTED, SeatHolder
from reconciler.usage.store import MemberTotals

Breakdown = Literal["team", "developer"]
TOP_TOOLS = 3


@dataclass(frozen=True, slots=True)
class GuideRow:
    """One line of the guide's report: a team, or a developer of one team."""

    team: str
    member: str
    period: Period
    sessions: int
    active_hours: float
    average_daily_users: float
    tools: tuple[tuple[str, int], ...]
    accepted: int
    rejected: int

    @property
    def suggestions_accepted_pct(self) -> float | None:
        decided = self.accepted + self.rejected
        return round(100.0 * self.accepted / decided, 1) if decided else None

    @property
    def top_commands(self) -> str:
        """``edit_tool 62%, write_tool 38%``: the most used tools and their share."""
        total = sum(n for _, n in self.tools)
        if not total:
            return ""
        top = sorted(self.tools, key=lambda t: (-t[1], t[0]))[:TOP_TOOLS]
        return ", ".join(f"{name} {round(100 * n / total)}%" for name, n in top)


@dataclass(frozen=True, slots=True)
class GuideReport:
    period: Period
    breakdown: Breakdown
    team: str | None
    rows: tuple[GuideRow, ...]
    tool_mix: tuple[tuple[str, int, int], ...]
    hours_rule: str
    active_definition: str


def _row(team: str, member: str, period: Period, emails: Iterable[str],
         totals: Mapping[str, MemberTotals], session_hours: float,
         measured: Mapping[str, float]) -> GuideRow:
    emails = list(emails)
    none = MemberTotals("")
    mix: dict[str, int] = {}
    acc = rej = 0
    active_days = 0
    for e in emails:
        for tool, a, r in totals.get(e, none).tools:
            mix[tool] = mix.get(tool, 0) + a + r
            acc += a
            rej += r
        active_days += totals.get(e, none).active_days
    n = sum(totals.get(e, none).sessions for e in emails)
    hours = sum(measured[e] if e in measured else totals.get(e, none).sessions * session_hours
                for e in emails)
    return GuideRow(
        team=team,
        member=member,
        period=period,
        sessions=n,
        active_hours=round(hours, 1),
        average_daily_users=round(active_days / period.days, 2),
        tools=tuple(sorted(mix.items())),
        accepted=acc,
        rejected=rej,
    )


def build_guide_report(
    roster: Iterable[SeatHolder],
    *,
    period: Period,
    totals: Mapping[str, MemberTotals],
    teams: Iterable[str],
    team: str | None = None,
    breakdown: Breakdown = "team",
    session_hours: float = 1.0,
    active_definition: str = "",
    measured: Mapping[str, float] | None = None,
) -> GuideReport:
    """Rows per team (every policy team, then unlisted activity), or per developer.

    ``totals``: per-member sums over the period, tool mix included
    (``UsageStore.member_totals``). ``measured``: active hours per member from Claude
    Code's telemetry (``usage.telemetry``); a member in it is counted by measured time,
    any other by sessions × ``session_hours``.
    """
    measured = measured or {}
    members: dict[str, list[str]] = {name: [] for name in teams}
    for h in roster:
        members.setdefault(h.team, []).append(h.email)
    known = {e for es in members.values() for e in es}
    stray = sorted(set(totals) - known)
    if stray:
        members.setdefault(UNLISTED, []).extend(stray)
    chosen = [team] if team is not None else sorted(members, key=lambda k: (k == UNLISTED, k))
    rows: list[GuideRow] = []
    for name in chosen:
        emails = sorted(members.get(name, []))
        if breakdown == "developer":
            rows += [_row(name, e, period, [e], totals, session_hours, measured)
                     for e in emails]
        else:
            rows.append(_row(name, "", period, emails, totals, session_hours, measured))
    mix: dict[str, list[int]] = {}
    scope = {e for name in chosen for e in members.get(name, [])}
    for e in scope:
        for tool, a, r in totals[e].tools if e in totals else ():
            slot = mix.setdefault(tool, [0, 0])
            slot[0] += a
            slot[1] += r
    return GuideReport(
        period=period,
        breakdown=breakdown,
        team=team,
        rows=tuple(rows),
        tool_mix=tuple((t, a, r) for t, (a, r) in sorted(
            mix.items(), key=lambda kv: (-sum(kv[1]), kv[0]))),
        hours_rule=_hours_rule(session_hours, len(measured)),
        active_definition=active_definition,
    )


def _hours_rule(session_hours: float, measured_members: int) -> str:
    estimate = (f"{session_hours:g} h per Claude Code session (the analytics report "
                "sessions, not hours)")
    if not measured_members:
        return f"estimated: {estimate}"
    return (f"measured from Claude Code's telemetry (active time) for {measured_members} "
            f"members; estimated for the rest: {estimate}")
