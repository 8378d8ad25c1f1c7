"""Usage report over 10,000 members × 90 days (900,000 rows), after sync.

Measures the store load (one ``replace_days`` of all rows, as a first sync does), then
``seatctl usage report --by team`` end to end minus printing: per-member totals
aggregated in SQLite plus the pure report. The baseline, measured in the same run,
reads every row back as a ``UserActivity`` and aggregates in Python — what a report
over "rows" would do without the store's ``GROUP BY``. Target: report ≤ 1 s median.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

from bench.harness import Result, time_median
from reconciler.model import (
    Assignment,
    OrgState,
    OrgType,
    Policy,
    Role,
    Safety,
    SeatBudget,
    SeatTier,
    Team,
    UsageSettings,
    UserActivity,
)
from reconciler.usage.period import Period
from reconciler.usage.reports import build_report
from reconciler.usage.roster import build_roster
from reconciler.usage.service import active_definition, run_report
from reconciler.usage.store import MemberTotals, UsageStore

MEMBERS = 10_000
DAYS = 90
TEAMS = 500
TODAY = dt.date(2026, 11, 25)


def email(i: int) -> str:
    return f"member{i:06d}@gen.example"


def make_policy() -> Policy:
    roles = {
        "developer": Role("developer", "Developer", "user", "standard"),
        "intern": Role("intern", "Intern", "user", "learning", max_daily_hours=6.0),
    }
    teams = {
        f"team-{t:04d}": Team(f"team-{t:04d}", f"CC-{t % 40:03d}", 22, f"team-{t:04d}")
        for t in range(TEAMS)
    }
    assignments = {
        email(i): Assignment(
            email(i), f"team-{i % TEAMS:04d}", "intern" if i % 7 == 0 else "developer"
        )
        for i in range(MEMBERS)
    }
    return Policy(
        org_name="Generated",
        org_type=OrgType.ENTERPRISE,
        provider="sandbox",
        admin_key_env="K",
        budget=SeatBudget(
            MEMBERS,
            MappingProxyType(
                {"standard": SeatTier("standard", 3000), "learning": SeatTier("learning", 2000)}
            ),
            "standard",
        ),
        safety=Safety(),
        usage=UsageSettings(),
        roles=MappingProxyType(roles),
        teams=MappingProxyType(teams),
        assignments=MappingProxyType(assignments),
        desired=OrgState(OrgType.ENTERPRISE, MappingProxyType({})),
    )


def rows() -> Iterator[UserActivity]:
    rng = random.Random(7)
    for d in range(DAYS, 0, -1):
        day = TODAY - dt.timedelta(days=d)
        for i in range(MEMBERS):
            active = rng.random() < 0.6
            yield UserActivity(
                day=day,
                email=email(i),
                sessions=rng.randint(1, 6) if active else 0,
                lines_added=rng.randint(0, 500),
                lines_removed=rng.randint(0, 100),
                commits=rng.randint(0, 4),
                pull_requests=rng.randint(0, 1),
                tool_accepted=rng.randint(0, 20),
                tool_rejected=rng.randint(0, 5),
            )


def naive_report(policy: Policy, store: UsageStore, period: Period) -> object:
    """Baseline: every row back into Python, summed per member there."""
    active = active_definition(policy)
    sums: dict[str, dict[str, object]] = {}
    for r in store.rows(period.start, period.end):
        s = sums.setdefault(
            r.email,
            {
                "active_days": 0,
                "last": None,
                "sessions": 0,
                "lines_added": 0,
                "lines_removed": 0,
                "commits": 0,
                "pull_requests": 0,
                "tool_accepted": 0,
                "tool_rejected": 0,
                "chat_messages": 0,
            },
        )
        if active.is_active(r):
            s["active_days"] = int(s["active_days"]) + 1  # type: ignore[call-overload]
            s["last"] = r.day
        for k in (
            "sessions",
            "lines_added",
            "lines_removed",
            "commits",
            "pull_requests",
            "tool_accepted",
            "tool_rejected",
            "chat_messages",
        ):
            s[k] = int(s[k]) + getattr(r, k)  # type: ignore[call-overload]
    totals = {
        e: MemberTotals(
            e,
            **{k: v for k, v in s.items() if k != "last"},  # type: ignore[arg-type]
            last_active=s["last"],
        )  # type: ignore[arg-type]
        for e, s in sums.items()
    }
    return build_report(
        policy,
        build_roster(policy),
        totals,
        by="team",
        period=period,
        active_definition=active.describe(),
    )


def run() -> list[Result]:
    policy = make_policy()
    period = Period(TODAY - dt.timedelta(days=DAYS), TODAY - dt.timedelta(days=1))
    with tempfile.TemporaryDirectory() as tmp, UsageStore(Path(tmp) / "usage.db") as store:
        data = list(rows())
        load = time_median(
            lambda: store.replace_days(period.start, period.end, data), runs=3, warmup=0
        )
        assert store.count() == MEMBERS * DAYS
        fast = time_median(lambda: run_report(policy, store, by="team", period=period), runs=5)
        slow = time_median(lambda: naive_report(policy, store, period), runs=3)
        a = run_report(policy, store, by="team", period=period)
        b = naive_report(policy, store, period)
        assert dataclasses.asdict(a) == dataclasses.asdict(b)  # type: ignore[call-overload]
        by_member = time_median(
            lambda: run_report(policy, store, by="member", period=period), runs=3
        )
    n = f"{MEMBERS:,} members × {DAYS} days ({MEMBERS * DAYS:,} rows)"
    return [
        Result(
            "usage store load (whole-range replace)",
            f"{load.median_s:.2f} s",
            "",
            f"{n}; executemany in one transaction",
        ),
        Result(
            "usage report --by team after sync",
            f"{fast.median_s:.3f} s",
            "≤ 1 s",
            f"{n}; SQLite GROUP BY + pure report; {slow.median_s / fast.median_s:.1f}× "
            f"faster than the naive baseline ({slow.median_s:.2f} s, rows into Python)",
        ),
        Result("usage report --by member after sync", f"{by_member.median_s:.3f} s", "≤ 1 s", n),
    ]
