"""Sync of the cost and usage reports into the store, through the official SDK.

The sandbox is seeded on DEMO_DATE (2026-11-25); each test syncs a stated range.
Expectations come from the sandbox's own seeded rows and its documented rates
(``sandbox.usage_reports``), never from the code under test.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from reconciler.model import OrgType
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.usage_reports import CODE_MODELS, _tokens, cost_cents
from reconciler.usage.store import UsageStore
from reconciler.usage.sync import sync_usage

NOW = dt.datetime.combine(DEMO_DATE, dt.time(12), tzinfo=dt.UTC)
START, END = dt.date(2026, 11, 10), dt.date(2026, 11, 24)


def _sandbox(org_type: OrgType) -> tuple[SandboxStore, AnthropicProvider]:
    store = SandboxStore(":memory:")
    store.set_now(NOW)
    seed_demo(store, DEMO_DATE)
    store.set_now(NOW)
    if org_type is OrgType.CONSOLE:
        store.configure_org(org_type="console")
    client = sandbox_client(store, max_retries=0)
    return store, AnthropicProvider(client, org_type=org_type, key_env_name="K")


def _whole(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def test_enterprise_cost_is_stored_per_member_and_product_and_pages_are_requests() -> None:
    sandbox, provider = _sandbox(OrgType.ENTERPRISE)
    expected: dict[str, int] = {}
    for r in sandbox.query("SELECT * FROM analytics_user_days WHERE day BETWEEN ? AND ?",
                           (START.isoformat(), END.isoformat())):
        for product in ("claude_code", "chat"):
            tokens = _tokens(r, product)
            if any(tokens.values()):
                expected[r["email"]] = expected.get(r["email"], 0) + _whole(cost_cents(tokens))
    with UsageStore(":memory:") as store:
        report = sync_usage(provider, store, since=START, today=DEMO_DATE)
        got = store.metered_cents(START, END)
        summaries = store.summaries(START, END)
    assert got == expected and sum(got.values()) > 0
    assert report.cost_rows > 0 and report.notes == ()
    assert [s[0] for s in summaries] == [START + dt.timedelta(days=i) for i in range(15)]
    # 15 days, a week a pagination run, each one page
    assert provider.stats.by_endpoint["GET /v1/organizations/analytics/cost"] == 3
    assert provider.stats.by_endpoint["GET /v1/organizations/analytics/summaries"] == 1


def test_console_cost_comes_from_the_claude_code_report_one_request_per_day() -> None:
    sandbox, provider = _sandbox(OrgType.CONSOLE)
    reads = provider.usage_reads()
    rows = list(reads.metered_cost(START, END))
    calls = provider.stats.by_endpoint["GET /v1/organizations/usage_report/claude_code"]
    assert calls == (END - START).days + 1
    expected = {}
    for r in sandbox.query("SELECT * FROM analytics_user_days WHERE day BETWEEN ? AND ?"
                           " AND sessions > 0", (START.isoformat(), END.isoformat())):
        tokens = _tokens(r, "claude_code")
        parts = [cost_cents({k: int(v * share) for k, v in tokens.items()})
                 for _, share in CODE_MODELS]
        expected[(dt.date.fromisoformat(r["day"]), r["email"])] = _whole(sum(parts, Decimal(0)))
    assert {(d, e): c for d, e, _, c in rows} == expected
    assert {p for *_, p, _ in rows} == {"claude_code"}
    assert list(reads.summaries(START, END)) == []  # no summaries for Console orgs


class FakeClock:
    """Virtual time: sleeping advances it, and each request's start is recorded."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_795_000_000.0 + self.now

    def sleep(self, seconds: float) -> None:
        self.slept += seconds
        self.now += seconds


def test_sync_reads_are_paced_to_the_analytics_limit() -> None:
    """60 requests/min: every page, whichever endpoint, starts a second after the last."""
    store = SandboxStore(":memory:")
    store.set_now(NOW)
    seed_demo(store, DEMO_DATE)
    store.set_now(NOW)
    clock = FakeClock()
    provider = AnthropicProvider(sandbox_client(store, max_retries=0),
                                 org_type=OrgType.ENTERPRISE, key_env_name="K", clock=clock,
                                 analytics_per_minute=60)
    with UsageStore(":memory:") as usage:
        sync_usage(provider, usage, since=START, today=DEMO_DATE)
    requests = provider.stats.requests
    assert requests == provider.usage_pacer.requests > 15
    # the first request waits for nothing; each later one exactly one second (no time
    # passes on the virtual clock between requests)
    assert clock.slept == provider.usage_pacer.waited_s == float(requests - 1)


def test_the_sandbox_is_not_paced_and_the_real_api_is() -> None:
    import dataclasses

    from usage_fixtures import make_policy

    from reconciler.connect import open_provider
    from reconciler.providers.usage_reads import ANALYTICS_PER_MINUTE

    policy = dataclasses.replace(make_policy(), provider="anthropic")
    sandbox = open_provider(policy, sandbox=":memory:")
    assert sandbox.usage_pacer.interval_s == 0
    real = open_provider(policy, env={"K": "sk-ant-admin-test"})
    assert real.usage_pacer.interval_s == 60 / ANALYTICS_PER_MINUTE == 1.0
