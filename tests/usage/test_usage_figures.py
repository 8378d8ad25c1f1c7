"""Reports, inactive seats, alerts and chargeback on a small hand-built org."""

from __future__ import annotations

import datetime as dt

import pytest
from usage_fixtures import TODAY, act, days_before, make_policy

from reconciler.errors import ConfigError
from reconciler.model import Member, OrgState, OrgType
from reconciler.usage.active import compile_active
from reconciler.usage.alerts import evaluate_alerts, min_sessions_to_alert
from reconciler.usage.billing import next_billing_date
from reconciler.usage.chargeback import build_chargeback, format_cents
from reconciler.usage.inactive import find_inactive
from reconciler.usage.money import monthly_bill
from reconciler.usage.period import month_period, parse_period
from reconciler.usage.reports import build_report
from reconciler.usage.roster import build_roster
from reconciler.usage.store import UsageStore

ACTIVE = compile_active(["claude_code"], ["sessions"])
ROWS = [
    act(days_before(1), "a@x.example", sessions=2, tool_accepted=3, tool_rejected=1, commits=2),
    act(days_before(2), "a@x.example", sessions=1, lines_added=5, lines_removed=1),
    act(days_before(5), "d@x.example", sessions=7),
    act(days_before(40), "b@x.example", sessions=1),
    act(days_before(3), "zed@x.example", sessions=1),
]


@pytest.fixture
def store(tmp_path):
    with UsageStore(tmp_path / "u.db") as s:
        s.replace_days(days_before(60), days_before(1), ROWS)
        yield s


def test_report_by_team_counts_utilisation_and_keeps_developer_breakdown(store) -> None:
    policy = make_policy()
    period = parse_period("30d", TODAY)
    report = build_report(
        policy,
        build_roster(policy),
        store.member_totals(period.start, period.end, ACTIVE),
        by="team",
        period=period,
        active_definition=ACTIVE.describe(),
    )
    rows = {r.key: r for r in report.rows}
    assert list(rows) == ["core", "web", "(unlisted)"]
    core = rows["core"]
    assert (core.seats, core.allocated_seats, core.active_members, core.active_days) == (3, 4, 1, 2)
    assert core.utilisation_pct == 25.0
    assert core.acceptance_rate_pct == 75.0
    assert (core.sessions, core.lines_added, core.lines_removed, core.commits) == (3, 5, 1, 2)
    assert rows["web"].utilisation_pct == 50.0 and rows["web"].acceptance_rate_pct is None
    assert rows["(unlisted)"].active_members == 1
    assert [r.key for r in report.breakdown["core"]] == [
        "a@x.example",
        "b@x.example",
        "c@x.example",
    ]
    assert report.total.active_members == 3


def test_report_by_cost_center_and_role(store) -> None:
    policy = make_policy()
    period = parse_period("2026-09-01..2026-11-24", TODAY)
    totals = store.member_totals(period.start, period.end, ACTIVE)
    by_cc = build_report(
        policy, build_roster(policy), totals, by="cost-center", period=period, active_definition=""
    )
    assert {r.key: r.active_members for r in by_cc.rows} == {
        "CORE-1": 2,
        "WEB-1": 1,
        "(unlisted)": 1,
    }
    by_role = build_report(
        policy, build_roster(policy), totals, by="role", period=period, active_definition=""
    )
    assert {r.key: (r.seats, r.active_members) for r in by_role.rows} == {
        "dev": (2, 2),
        "intern": (2, 1),
        "(unlisted)": (1, 1),
    }


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("30d", dt.date(2026, 10, 26), dt.date(2026, 11, 24)),
        ("7d", dt.date(2026, 11, 18), dt.date(2026, 11, 24)),
        ("2026-10-01..2026-10-31", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
    ],
    ids=["30d ends yesterday", "7d", "explicit range is inclusive"],
)
def test_periods(text, start, end) -> None:
    p = parse_period(text, TODAY)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize(
    "bad", ["0d", "30", "2026-10-31..2026-10-01", "last week", "2026-13-01..2026-13-02"]
)
def test_bad_period_is_a_clear_error(bad) -> None:
    with pytest.raises(ConfigError, match="bad period"):
        parse_period(bad, TODAY)


@pytest.mark.parametrize(
    ("today", "start", "expected"),
    [
        (dt.date(2026, 11, 25), dt.date(2026, 7, 1), dt.date(2026, 12, 1)),
        (dt.date(2026, 11, 10), dt.date(2026, 7, 15), dt.date(2026, 11, 15)),
        (dt.date(2026, 11, 15), dt.date(2026, 7, 15), dt.date(2026, 12, 15)),
        (dt.date(2027, 1, 31), dt.date(2026, 7, 31), dt.date(2027, 2, 28)),
        (dt.date(2026, 12, 20), None, dt.date(2027, 1, 1)),
    ],
    ids=[
        "next month on the anchor day",
        "later this month",
        "billing day itself is already billed",
        "anchor 31 clamps to February's end",
        "no contract start: the 1st",
    ],
)
def test_next_billing_date(today, start, expected) -> None:
    assert next_billing_date(today, start) == expected


def test_inactive_seats_days_cost_and_saving_date(store) -> None:
    policy = make_policy()
    live = OrgState(
        OrgType.ENTERPRISE,
        {
            "a@x.example": Member("a@x.example", "user"),
            "b@x.example": Member("b@x.example", "user"),
            "d@x.example": Member(
                "d@x.example", "user", added_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
            ),
            "old@x.example": Member(
                "old@x.example", "user", added_at=dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
            ),
        },
    )
    report = find_inactive(
        build_roster(policy, live),
        store.last_active(ACTIVE),
        days=14,
        today=TODAY,
        contract_start=policy.contract_start,
        coverage_start=days_before(60),
        active_definition=ACTIVE.describe(),
    )
    got = {s.email: (s.days_inactive, s.basis, s.monthly_price_cents) for s in report.seats}
    # c is a pending invite (not a member); d joined 5 days ago; a is active.
    assert got == {
        "old@x.example": ((TODAY - dt.date(2026, 1, 5)).days, "added, never active", 3000),
        "b@x.example": (40, "last activity", 3000),
    }
    assert report.monthly_savings_cents == 6000
    assert report.next_billing_date == dt.date(2026, 12, 15)


def test_alerts_low_high_and_estimated_hours(store) -> None:
    policy = make_policy()
    period = parse_period("30d", TODAY)
    roster = build_roster(policy)
    report = build_report(
        policy,
        roster,
        store.member_totals(period.start, period.end, ACTIVE),
        by="team",
        period=period,
        active_definition="",
    )
    floor = min_sessions_to_alert(roster, 1.0)
    assert floor == 7
    alerts = evaluate_alerts(
        policy, report.rows, roster, store.daily_sessions(period.start, period.end, floor)
    )
    kinds = {(a.kind, a.target) for a in alerts.alerts}
    assert kinds == {("low_utilisation", "core"), ("max_daily_hours", "d@x.example")}
    hours = next(a for a in alerts.alerts if a.kind == "max_daily_hours")
    assert hours.estimated and hours.value == 7.0 and hours.threshold == 6.0
    assert any("no hours" in n for n in alerts.notes)


def test_chargeback_excludes_expired_and_totals_add_up() -> None:
    policy = make_policy()
    report = build_chargeback(monthly_bill(policy, month_period("2026-11")))
    lines = {(ln.cost_center, ln.tier): (ln.seats, ln.seat_cost_cents) for ln in report.lines}
    # c (intern, expires 2026-10-31) is not billed in the cycle from 2026-11-15;
    # 7 of the 10 purchased seats are held by nobody.
    assert lines == {("CORE-1", "standard"): (2, 6000), ("WEB-1", "learning"): (1, 2000),
                     ("(unassigned)", ""): (7, 21000)}
    assert report.total_cents == 29000
    assert any("no metered cost synced" in n for n in report.notes)


@pytest.mark.parametrize(
    ("cents", "text"), [(0, "0.00"), (5, "0.05"), (123456, "1234.56"), (-250, "-2.50")]
)
def test_format_cents_is_exact(cents, text) -> None:
    assert format_cents(cents) == text


def test_unknown_active_metric_names_the_allowed_ones() -> None:
    with pytest.raises(ConfigError, match="unknown metric 'keystrokes'"):
        compile_active(["claude_code"], ["keystrokes"])
    guide = compile_active(["claude_code"], ["session_duration", "api_calls_made"])
    assert guide.columns == ("sessions",) and guide.ignored == ("api_calls_made",)
    assert "no source" in guide.describe()
