"""Usage alerts: low utilisation, high usage, and (estimated) daily hours over a role's max.

Pure: report rows, roster and per-day sessions in, ``Alert`` values out.

- **low_utilisation**: a team's active members / allocated seats × 100 is below
  ``usage.low_utilization`` (the guide's ``lowUtilization.threshold``).
- **high_usage**: the same utilisation is above ``usage.high_usage`` (the team is
  near its allocation: time to add seats or rebalance).
- **spend caps** cannot be checked from ``/v1/organizations/analytics/users``: it carries
  no cost. The alert report says so whenever the policy declares a cap.
- **max_daily_hours**: the analytics carry no hours. The proxy is sessions on a day ×
  an assumed session length (``session_hours``, default 1 h); such alerts are always
  labelled *estimated*. A role without a max (the guide's "Unlimited") is never flagged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from reconciler.model import Policy
from reconciler.usage.reports import ReportRow
from reconciler.usage.roster import SeatHolder

AlertKind = Literal["low_utilisation", "high_usage", "max_daily_hours"]
DEFAULT_SESSION_HOURS = 1.0


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    target: str
    value: float
    threshold: float
    message: str
    estimated: bool = False


@dataclass(frozen=True, slots=True)
class AlertReport:
    alerts: tuple[Alert, ...]
    notes: tuple[str, ...]

    @property
    def fired(self) -> bool:
        return bool(self.alerts)


def team_alerts(policy: Policy, team_rows: Iterable[ReportRow]) -> list[Alert]:
    """Utilisation alerts for each policy team (rows from a ``by="team"`` report)."""
    low = policy.usage.low_utilization.threshold_pct
    high = policy.usage.high_usage.threshold_pct
    out: list[Alert] = []
    for row in team_rows:
        pct = row.utilisation_pct
        if row.key not in policy.teams or pct is None:
            continue
        used = f"{row.active_members} of {row.allocated_seats} allocated seats active"
        if pct < low:
            out.append(
                Alert(
                    "low_utilisation",
                    row.key,
                    pct,
                    low,
                    f"team {row.key}: utilisation {pct:.1f}% is below {low:g}% ({used})",
                )
            )
        elif pct > high:
            out.append(
                Alert(
                    "high_usage",
                    row.key,
                    pct,
                    high,
                    f"team {row.key}: utilisation {pct:.1f}% is above {high:g}% ({used})",
                )
            )
    return out


def hours_alerts(
    roster: Iterable[SeatHolder],
    daily_sessions: Iterable[tuple[str, dt.date, int]],
    *,
    session_hours: float = DEFAULT_SESSION_HOURS,
    measured: Mapping[tuple[str, dt.date], float] | None = None,
) -> list[Alert]:
    """Members whose hours on a day exceed their role's max.

    A member-day with telemetry (``measured``: Claude Code's active time, in hours) is
    judged on it; any other day on sessions × ``session_hours``, labelled estimated.
    """
    caps = {h.email: h.max_daily_hours for h in roster if h.max_daily_hours is not None}
    measured = measured or {}
    days: dict[tuple[str, dt.date], tuple[float, bool]] = {}
    for (email, day), hours in measured.items():
        days[email, day] = (hours, False)
    for email, day, sessions in daily_sessions:
        days.setdefault((email, day), (sessions * session_hours, True))
    over: dict[str, list[tuple[float, bool]]] = {}
    for (email, _day), (hours, estimated) in days.items():
        cap = caps.get(email)
        if cap is not None and hours > cap:
            over.setdefault(email, []).append((hours, estimated))
    out = []
    for email in sorted(over):
        worst, estimated = max(over[email])
        cap = caps[email]
        how = (f"estimated: sessions × {session_hours:g} h; no telemetry for that day"
               if estimated else "measured: Claude Code active time")
        out.append(
            Alert(
                "max_daily_hours",
                email,
                round(worst, 2),
                cap,
                f"{email}: {worst:.1f} h on {len(over[email])} day(s), role max {cap:g} h "
                f"({how})",
                estimated=estimated,
            )
        )
    return out


def evaluate_alerts(
    policy: Policy,
    team_rows: Iterable[ReportRow],
    roster: Iterable[SeatHolder],
    daily_sessions: Iterable[tuple[str, dt.date, int]],
    *,
    session_hours: float = DEFAULT_SESSION_HOURS,
    measured: Mapping[tuple[str, dt.date], float] | None = None,
) -> AlertReport:
    """Every alert for the period, plus notes on what could not be checked."""
    holders = list(roster)
    alerts = team_alerts(policy, team_rows) + hours_alerts(
        holders, daily_sessions, session_hours=session_hours, measured=measured
    )
    if measured:
        notes = [
            "max daily hours are measured from Claude Code's telemetry (active time) "
            f"where a member has it, else estimated as sessions × {session_hours:g} h",
        ]
    else:
        notes = [
            f"max daily hours are estimated as sessions per day × {session_hours:g} h: "
            "the analytics carry no hours (set usage.tracking.query to measure them)",
        ]
    capped = [t.name for t in policy.teams.values() if t.monthly_spend_cap_cents is not None]
    capped += [r.key for r in policy.roles.values() if r.monthly_spend_cap_cents is not None]
    if capped:
        notes.append(
            "spend caps not checked (" + ", ".join(sorted(capped)) + "): "
            "/v1/organizations/analytics/users carries no cost; caps are enforced by "
            "the spend limits seatctl applies"
        )
    return AlertReport(tuple(alerts), tuple(notes))


def min_sessions_to_alert(roster: Iterable[SeatHolder], session_hours: float) -> int:
    """Smallest per-day session count that can exceed any role's max (store prefilter)."""
    caps = [h.max_daily_hours for h in roster if h.max_daily_hours is not None]
    if not caps or session_hours <= 0:
        return 1 << 62
    return int(min(caps) // session_hours) + 1


#: Which ``usage.alerting`` entry of org.yaml lists the targets for each alert kind:
#: a role's estimated hours over its max is high usage by one member.
NOTIFY_LIST: dict[AlertKind, Literal["lowUtilization", "highUsage"]] = {
    "low_utilisation": "lowUtilization",
    "high_usage": "highUsage",
    "max_daily_hours": "highUsage",
}


@dataclass(frozen=True, slots=True)
class AlertRoute:
    """Alerts for one set of ``notify`` entries (webhook names, recipient lists,
    addresses); ``notify`` is empty for alerts whose list in org.yaml names no one."""

    notify: tuple[str, ...]
    report: AlertReport


def route_alerts(policy: Policy, report: AlertReport) -> tuple[AlertRoute, ...]:
    """Split fired alerts by who should get them, so that each ``notify`` entry gets one
    message holding exactly the alerts routed to it (entries that get the same alerts
    share a message). Order: as the entries first appear in org.yaml. Pure."""
    lists = {"lowUtilization": policy.usage.low_utilization.notify,
             "highUsage": policy.usage.high_usage.notify}
    per_entry: dict[str, list[Alert]] = {}
    unrouted: list[Alert] = []
    for alert in report.alerts:
        entries = dict.fromkeys(lists[NOTIFY_LIST[alert.kind]])
        for entry in entries:
            per_entry.setdefault(entry, []).append(alert)
        if not entries:
            unrouted.append(alert)
    groups: dict[tuple[Alert, ...], list[str]] = {}
    for entry, alerts in per_entry.items():
        groups.setdefault(tuple(alerts), []).append(entry)
    routes = [AlertRoute(tuple(entries), AlertReport(alerts, report.notes))
              for alerts, entries in groups.items()]
    if unrouted:
        routes.append(AlertRoute((), AlertReport(tuple(unrouted), report.notes)))
    return tuple(routes)
