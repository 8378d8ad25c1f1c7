"""Usage use cases: each joins the store, the policy and (optionally) live state once.

The CLI calls one function here per command and renders what comes back; other parts
of seatctl (``status``, the monthly review) call the same functions. Nothing here
prints or reads the clock: ``today`` is always an argument.

Guard: reports are refused on an empty store, and inactive seats on a store whose
data ends before the inactive window starts — both would otherwise claim that
everyone is idle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.errors import ConfigError
from reconciler.model import OrgState, Policy
from reconciler.policy.seating import allocated_seats_at
from reconciler.usage.active import ActiveDefinition, compile_active
from reconciler.usage.alerts import (
    DEFAULT_SESSION_HOURS,
    AlertReport,
    evaluate_alerts,
    min_sessions_to_alert,
)
from reconciler.usage.chargeback import ChargebackReport, build_chargeback
from reconciler.usage.dashboard import build_dashboard
from reconciler.usage.guide import Breakdown, GuideReport, build_guide_report
from reconciler.usage.inactive import InactiveReport, find_inactive
from reconciler.usage.money import Bill, monthly_bill
from reconciler.usage.period import Period, month_of
from reconciler.usage.reports import By, UsageReport, build_report
from reconciler.usage.roster import SeatHolder, build_roster
from reconciler.usage.store import UsageStore


def active_definition(policy: Policy) -> ActiveDefinition:
    """The policy's "active" rule, compiled (errors name the org.yaml keys)."""
    return compile_active(policy.usage.active_products, policy.usage.active_metrics)


def _require_data(store: UsageStore) -> tuple[dt.date, dt.date]:
    coverage = store.coverage()
    if coverage is None:
        raise ConfigError(
            f"usage store {store.path} holds no analytics",
            hint="run `seatctl usage sync` first (or pass --db with the synced store)",
        )
    return coverage


def coverage_note(store: UsageStore, period: Period) -> str | None:
    """A note when the stored days do not span the period (reports say so)."""
    lo, hi = _require_data(store)
    if lo <= period.start and hi >= period.end:
        return None
    return f"the store holds {lo}..{hi}; days of {period} outside that count as no activity"


def run_report(
    policy: Policy, store: UsageStore, *, by: By, period: Period, live: OrgState | None = None
) -> UsageReport:
    active = active_definition(policy)
    _require_data(store)
    return build_report(
        policy,
        build_roster(policy, live),
        store.member_totals(period.start, period.end, active),
        by=by,
        period=period,
        active_definition=active.describe(),
        allocations=allocations_on(policy, period.end),
    )


def run_guide(
    policy: Policy,
    store: UsageStore,
    *,
    period: Period,
    team: str | None,
    breakdown: Breakdown,
    session_hours: float = DEFAULT_SESSION_HOURS,
    live: OrgState | None = None,
    measured: Mapping[str, float] | None = None,
) -> GuideReport:
    """The vendor guide's ``seatctl usage`` report (``usage.guide``)."""
    if team is not None and team not in policy.teams:
        raise ConfigError(
            f"--team {team!r} is not a team of the policy",
            hint=f"pick one of: {', '.join(sorted(policy.teams))}",
        )
    if session_hours <= 0:
        raise ConfigError("--session-hours must be positive", hint="e.g. --session-hours 1")
    active = active_definition(policy)
    _require_data(store)
    return build_guide_report(
        build_roster(policy, live),
        period=period,
        totals=store.member_totals(period.start, period.end, active, tools=True),
        teams=policy.teams,
        team=team,
        breakdown=breakdown,
        session_hours=session_hours,
        active_definition=active.describe(),
        measured=measured,
    )


def allocations_on(policy: Policy, day: dt.date) -> dict[str, int]:
    """Each team's allocated seats on ``day``: the plan's sprint-aware allocation."""
    return {name: allocated_seats_at(team, policy.budget, day)
            for name, team in policy.teams.items()}


def run_bill(
    policy: Policy,
    *,
    month: Period,
    live: OrgState | None = None,
    store: UsageStore | None = None,
) -> Bill:
    """The month's bill (``money.monthly_bill``) with metered cost from the store."""
    metered = None
    if store is not None:
        metered = store.metered_cents(month.start, month.end)
    return monthly_bill(policy, month, live=live, metered_cents=metered)


def held_roster(
    policy: Policy, *, today: dt.date, live: OrgState | None = None
) -> tuple[SeatHolder, ...]:
    """Roster rows of the people this month's bill charges a seat to, at its price.

    Inactive seats and their savings come from here, so they name only people who
    are billed, at what they are billed (a pending invite is billed but cannot be
    active yet, so it is left to the invite's own expiry).
    """
    bill = monthly_bill(policy, month_of(today), live=live)
    charged = {s.email: s for s in bill.seats if s.holds_as != "pending invite"}
    return tuple(
        SeatHolder(h.email, h.team, h.cost_center, h.role, h.tier,
                   charged[h.email].unit_price_cents, h.max_daily_hours, h.added_on,
                   h.expires_on, h.listed, h.is_member)
        for h in build_roster(policy, live) if h.email in charged
    )


def run_inactive(
    policy: Policy,
    store: UsageStore,
    *,
    days: int | None,
    today: dt.date,
    live: OrgState | None = None,
) -> InactiveReport:
    window = policy.usage.inactive_after_days if days is None else days
    if window < 1:
        raise ConfigError(f"--days {window} must be at least 1", hint="e.g. --days 14")
    active = active_definition(policy)
    lo, hi = _require_data(store)
    cutoff = today - dt.timedelta(days=window)
    if hi < cutoff:
        raise ConfigError(
            f"usage data ends {hi}, before the {window}-day window starting {cutoff}",
            hint="run `seatctl usage sync` so idle seats are not guessed from old data",
        )
    return find_inactive(
        held_roster(policy, today=today, live=live),
        store.last_active(active),
        days=window,
        today=today,
        contract_start=policy.contract_start,
        coverage_start=lo,
        active_definition=active.describe(),
    )


@dataclass(frozen=True, slots=True)
class AlertRun:
    report: AlertReport
    teams: UsageReport


def run_alerts(
    policy: Policy,
    store: UsageStore,
    *,
    period: Period,
    session_hours: float = DEFAULT_SESSION_HOURS,
    live: OrgState | None = None,
    measured: Mapping[tuple[str, dt.date], float] | None = None,
) -> AlertRun:
    if session_hours <= 0:
        raise ConfigError("--session-hours must be positive", hint="e.g. --session-hours 1")
    teams = run_report(policy, store, by="team", period=period, live=live)
    roster = build_roster(policy, live)
    floor = min_sessions_to_alert(roster, session_hours)
    sessions = store.daily_sessions(period.start, period.end, floor)
    report = evaluate_alerts(policy, teams.rows, roster, sessions,
                             session_hours=session_hours, measured=measured)
    return AlertRun(report, teams)


def run_chargeback(
    policy: Policy,
    *,
    month: Period,
    live: OrgState | None = None,
    store: UsageStore | None = None,
) -> ChargebackReport:
    return build_chargeback(run_bill(policy, month=month, live=live, store=store))


def run_dashboard(
    policy: Policy,
    store: UsageStore,
    *,
    period: Period,
    month: Period,
    today: dt.date,
    live: OrgState | None = None,
) -> str:
    active = active_definition(policy)
    teams = run_report(policy, store, by="team", period=period, live=live)
    guide = run_guide(policy, store, period=period, team=None, breakdown="team", live=live)
    return build_dashboard(
        org_name=policy.org_name,
        generated=today,
        period=period,
        active_definition=active.describe(),
        daily_active=store.daily_active(period.start, period.end, active),
        team_rows=[r for r in teams.rows if r.key in policy.teams],
        inactive=run_inactive(policy, store, days=None, today=today, live=live),
        chargeback=run_chargeback(policy, month=month, live=live, store=store),
        low_threshold_pct=policy.usage.low_utilization.threshold_pct,
        tool_mix=guide.tool_mix,
    )
