"""Usage sync of 10,000 members × 90 days from the sandbox, then the reports on it.

The sandbox org is seeded directly in SQLite (10,000 members, ~60 % active each day
over 90 days), then ``usage sync`` reads it through the official SDK in-process:
``analytics/users`` one day at a time, the beta ``analytics/cost`` a week a run by
actor and product, ``analytics/summaries`` once. Every request is one page; the
benchmark checks that the requests equal the pages the data needs. Reads are paced
at the Analytics API's 60 requests/min as against the real API, on a virtual clock
(sleeping advances it, so the run does not take the half hour it paces out); the
virtual duration is what a real first sync takes at that limit. Then the guide's
report (30 days) and ``usage report --by team`` (90 days) run on the synced store.
Target: each report ≤ 1 s.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import tempfile
import time
from pathlib import Path

from bench.bench_usage import DAYS, MEMBERS, email, make_policy
from bench.harness import Result, time_median
from reconciler.model import OrgType
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.store import SandboxStore
from reconciler.usage import service
from reconciler.usage.period import Period
from reconciler.usage.store import UsageStore
from reconciler.usage.sync import sync_usage

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC)
ANALYTICS_PER_MINUTE = 60
PAGE = 1000


class VirtualClock:
    """Monotonic time that only sleeping advances (the pacer's waits add up here)."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_795_000_000.0 + self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def seed(store: SandboxStore) -> dict[str, int]:
    """10,000 members and their activity; returns rows per day (for the page count)."""
    rng = random.Random(11)
    store.set_now(NOW)
    added = "2026-01-05T09:00:00Z"
    store.executemany(
        "INSERT INTO users (id, email, name, role, added_at) VALUES (?, ?, ?, 'user', ?)",
        [(f"user_{i:06d}", email(i), f"Member {i}", added) for i in range(MEMBERS)],
    )
    per_day: dict[str, int] = {}
    rows = []
    for d in range(DAYS, 0, -1):
        day = (TODAY - dt.timedelta(days=d)).isoformat()
        for i in range(MEMBERS):
            if rng.random() >= 0.6:
                continue
            per_day[day] = per_day.get(day, 0) + 1
            rows.append((day, f"user_{i:06d}", email(i), rng.randint(1, 6),
                         rng.randint(0, 500), rng.randint(0, 100), rng.randint(0, 4),
                         rng.randint(0, 1), rng.randint(0, 15), rng.randint(0, 4),
                         rng.randint(0, 5), rng.randint(0, 1), rng.randint(0, 20), 0))
    store.executemany(
        "INSERT INTO analytics_user_days VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return per_day


def run() -> list[Result]:
    policy = make_policy()
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = SandboxStore(str(Path(tmp) / "sandbox.db"))
        per_day = seed(sandbox)
        clock = VirtualClock()
        provider = AnthropicProvider(sandbox_client(sandbox, max_retries=0),
                                     org_type=OrgType.ENTERPRISE, key_env_name="K",
                                     clock=clock, analytics_per_minute=ANALYTICS_PER_MINUTE)
        with UsageStore(Path(tmp) / "usage.db") as store:
            t0 = time.perf_counter()
            report = sync_usage(provider, store, since=None, today=TODAY, retention_days=DAYS)
            sync_s = time.perf_counter() - t0
            assert report.notes == (), report.notes
            by = provider.stats.by_endpoint
            users_pages = sum(math.ceil(n / PAGE) for n in per_day.values())
            # cost rows: one per active member-day and product (chat only with messages)
            chat = {r["day"]: r["n"] for r in sandbox.query(
                "SELECT day, count(*) AS n FROM analytics_user_days WHERE chat_messages > 0"
                " GROUP BY day")}
            days = sorted(per_day)
            cost_pages = 0
            for i in range(0, len(days), 7):
                week = days[i:i + 7]
                cost_pages += math.ceil(sum(per_day[d] + chat.get(d, 0) for d in week) / PAGE)
            assert by["GET /v1/organizations/analytics/users"] == users_pages
            assert by["GET /v1/organizations/analytics/cost"] == cost_pages
            assert by["GET /v1/organizations/analytics/summaries"] == 1
            requests = provider.stats.requests
            assert provider.usage_pacer.requests == requests
            paced_min = clock.now / 60
            period30 = Period(TODAY - dt.timedelta(days=30), TODAY - dt.timedelta(days=1))
            period90 = Period(TODAY - dt.timedelta(days=DAYS), TODAY - dt.timedelta(days=1))
            guide = time_median(lambda: service.run_guide(
                policy, store, period=period30, team=None, breakdown="team"), runs=5)
            team = time_median(lambda: service.run_report(
                policy, store, by="team", period=period90), runs=5)
            bill = time_median(lambda: service.run_chargeback(
                policy, month=Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
                store=store), runs=5)
            stored = store.count()
        sandbox.close()
    n = f"{MEMBERS:,} members × {DAYS} days ({stored:,} activity rows)"
    return [
        Result("usage sync from the sandbox (in-process SDK)", f"{sync_s:.1f} s", "",
               f"{n}; {requests} requests = pages ({users_pages} analytics/users, "
               f"{cost_pages} analytics/cost, 1 summaries); paced at {ANALYTICS_PER_MINUTE} "
               f"requests/min on a virtual clock: {paced_min:.1f} min against the real API"),
        Result("seatctl usage --period=30d (guide report) after sync",
               f"{guide.median_s:.3f} s", "≤ 1 s", n),
        Result("usage report --by team, 90 days, after sync", f"{team.median_s:.3f} s",
               "≤ 1 s", n),
        Result("usage chargeback --month (bill + metered cost)", f"{bill.median_s:.3f} s",
               "≤ 1 s", n),
    ]
