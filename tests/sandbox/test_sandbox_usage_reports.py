"""SDK conformance of the usage and cost report endpoints (``sandbox.usage_reports``).

The official SDK, unchanged, reads each endpoint it wraps
(``client.organization.analytics.summaries``, ``client.beta.organization.analytics.
usage`` / ``.cost``); the Console Claude Code report, which no SDK wraps, is read with
the SDK's raw ``client.get``. The sandbox is seeded on 2026-11-25 (DEMO_DATE) at noon.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import anthropic
import pytest
from anthropic.types import OrganizationTypeNotSupportedError

from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import seed_demo
from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.usage_reports import USAGE_COST_BETA

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
MONDAY = dt.date(2026, 11, 23)


def _store(org_type: str = "enterprise") -> SandboxStore:
    s = SandboxStore(":memory:")
    s.set_now(NOW)
    seed_demo(s, TODAY)
    s.set_now(NOW)
    if org_type != "enterprise":
        s.configure_org(org_type=org_type)
    return s


@pytest.fixture
def store() -> SandboxStore:
    return _store()


@pytest.fixture
def client(store: SandboxStore) -> anthropic.Anthropic:
    return sandbox_client(store, max_retries=0)


def test_summaries_one_row_per_day_with_seats_and_active_users(client, store) -> None:
    rows = list(client.organization.analytics.summaries.list(
        starting_date=dt.date(2026, 11, 16), ending_date=TODAY))
    assert [r.starting_at.date() for r in rows] == [
        dt.date(2026, 11, 16) + dt.timedelta(days=i) for i in range(9)]
    members = store.query("SELECT count(*) AS n FROM users WHERE deleted = 0")[0]["n"]
    last = rows[-1]
    assert last.assigned_seat_count == members
    pending = store.query("SELECT count(*) AS n FROM invites WHERE status = 'pending'"
                          " AND expires_at > ?", ("2026-11-25",))[0]["n"]
    assert last.pending_invite_count == pending
    active = store.query(
        "SELECT count(DISTINCT user_id) AS n FROM analytics_user_days WHERE day = ?"
        " AND (sessions > 0 OR chat_messages > 0)", (MONDAY.isoformat(),))[0]["n"]
    monday = next(r for r in rows if r.starting_at.date() == MONDAY)
    assert monday.daily_active_user_count == active > 0
    assert monday.daily_active_user_count <= monday.weekly_active_user_count \
        <= monday.monthly_active_user_count
    assert monday.daily_adoption_rate == round(100 * active / monday.assigned_seat_count, 2)


def test_summaries_refuse_too_recent_and_too_early_days(client) -> None:
    with pytest.raises(anthropic.BadRequestError, match="latest available day is 2026-11-24"):
        client.organization.analytics.summaries.list(starting_date=TODAY)
    with pytest.raises(anthropic.BadRequestError, match="starts on 2026-01-01"):
        client.organization.analytics.summaries.list(starting_date=dt.date(2025, 12, 31))


def test_cost_by_actor_and_product_per_day_pages_and_adds_up(client) -> None:
    kw = {"starting_at": "2026-11-16T00:00:00Z", "ending_at": "2026-11-23T00:00:00Z",
          "group_by": ["actor", "product"], "time_bucket_width": "1d"}
    first = client.beta.organization.analytics.cost.list(limit=10, **kw)
    assert first.has_more and first.next_page and first.data_refreshed_at is not None
    rows = list(client.beta.organization.analytics.cost.list(limit=10, **kw))
    assert len(rows) > 30
    keys = [(r.starting_at, r.group.actor.user_id, r.group.product)  # type: ignore[union-attr]
            for r in rows]
    assert len(set(keys)) == len(keys)  # every combination exactly once across pages
    assert {r.group.product for r in rows} <= {"claude_code", "chat"}
    assert all(r.cost.currency == "USD" and Decimal(r.cost.amount) > 0 for r in rows)
    assert all(r.ending_at - r.starting_at == dt.timedelta(days=1) for r in rows)
    total = sum(Decimal(r.cost.amount) for r in rows)
    (whole,) = list(client.beta.organization.analytics.cost.list(
        starting_at="2026-11-16T00:00:00Z", ending_at="2026-11-23T00:00:00Z"))
    assert abs(Decimal(whole.cost.amount) - total) <= Decimal("0.01") * len(rows)


def test_usage_tokens_match_cost_dimensions(client) -> None:
    rows = list(client.beta.organization.analytics.usage.list(
        starting_at="2026-11-23T00:00:00Z", ending_at="2026-11-24T00:00:00Z",
        group_by=["actor"], time_bucket_width="1d", limit=1000))
    assert rows and all(r.usage.total_tokens > 0 for r in rows)
    assert all(r.group.actor is not None and r.group.actor.type == "user_actor" for r in rows)
    assert all(r.usage.cache_creation.ephemeral_5m_input_tokens >= 0 for r in rows)


def test_usage_and_cost_need_the_beta_header_and_a_valid_range(client) -> None:
    with pytest.raises(anthropic.BadRequestError, match=USAGE_COST_BETA):
        client.get("/v1/organizations/analytics/cost", cast_to=object,
                   options={"params": {"starting_at": "2026-11-01T00:00:00Z"}})
    with pytest.raises(anthropic.BadRequestError, match="at most 31 days"):
        client.beta.organization.analytics.cost.list(
            starting_at="2026-10-01T00:00:00Z", ending_at="2026-11-15T00:00:00Z")
    with pytest.raises(anthropic.BadRequestError, match="ending_at is required"):
        client.beta.organization.analytics.usage.list(
            starting_at="2026-11-01T00:00:00Z", time_bucket_width="1d")


def test_claude_code_report_is_console_only_one_day_per_request() -> None:
    enterprise = sandbox_client(_store(), max_retries=0)
    with pytest.raises(OrganizationTypeNotSupportedError):
        enterprise.get("/v1/organizations/usage_report/claude_code", cast_to=object,
                       options={"params": {"starting_at": "2026-11-23"}})
    console = sandbox_client(_store("console"), max_retries=0)
    with pytest.raises(OrganizationTypeNotSupportedError):
        console.organization.analytics.summaries.list(starting_date=MONDAY)
    body = console.get("/v1/organizations/usage_report/claude_code", cast_to=object,
                       options={"params": {"starting_at": "2026-11-23", "limit": 5}})
    assert isinstance(body, dict) and body["has_more"] is True and len(body["data"]) == 5
    record = body["data"][0]
    assert record["date"] == "2026-11-23T00:00:00Z"
    assert record["actor"]["type"] == "user_actor"
    assert set(record["tool_actions"]) >= {"edit_tool", "write_tool"}
    cost = sum(m["estimated_cost"]["amount"] for m in record["model_breakdown"])
    assert cost > 0 and all(m["estimated_cost"]["currency"] == "USD"
                            for m in record["model_breakdown"])
    seen = list(body["data"])
    token = body["next_page"]
    while token:
        more = console.get("/v1/organizations/usage_report/claude_code", cast_to=object,
                           options={"params": {"starting_at": "2026-11-23", "limit": 5,
                                               "page": token}})
        assert isinstance(more, dict)
        seen += more["data"]
        token = more["next_page"]
    emails = [r["actor"]["email_address"] for r in seen]
    assert len(emails) == len(set(emails)) > 5
    with pytest.raises(anthropic.BadRequestError, match="starting_at"):
        console.get("/v1/organizations/usage_report/claude_code", cast_to=object,
                    options={"params": {"starting_at": "last week"}})
