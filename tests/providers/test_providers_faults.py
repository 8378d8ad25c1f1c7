"""Faults (RELIABILITY C1/C2): succeed after bounded retries or fail clearly, never partial."""

from __future__ import annotations

import datetime as dt
import email.utils
import time
from typing import Any

import anthropic
import pytest
from provider_shims import KEY_ENV, Misbehave, Req, dump, fast_policy, page, provider_for

from reconciler.errors import (
    AuthError,
    LiveReadError,
    ProviderError,
    RateLimitedError,
    TransientError,
)
from reconciler.model import OrgType
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.providers.retry import FakeClock
from reconciler.sandbox.app import create_app
from reconciler.sandbox.demo import seed_demo, seed_generated
from reconciler.sandbox.faults import FaultConfig
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.server import running_server
from reconciler.sandbox.store import SandboxStore

TODAY = dt.date(2026, 11, 20)
USERS = "/v1/organizations/users"
INVITES = "/v1/organizations/invites"


@pytest.fixture
def demo() -> SandboxStore:
    store = SandboxStore(":memory:")
    seed_demo(store, TODAY)
    return store


@pytest.fixture
def big() -> SandboxStore:
    store = SandboxStore(":memory:")
    seed_generated(store, 2100, 2)  # users span 3 pages
    return store


def pending(store: SandboxStore, email_addr: str) -> int:
    return int(store.scalar(
        "SELECT COUNT(*) FROM invites WHERE lower(email) = ? AND status = 'pending'",
        (email_addr,),
    ))


# -- rate limits and 5xx (L5, L6, F1, F6) ------------------------------------------


def test_429_burst_honours_retry_after_on_the_fake_clock(demo: SandboxStore) -> None:
    clock = FakeClock()
    app = create_app(demo, faults=FaultConfig(status=429, burst=3, retry_after="2"))
    live = provider_for(app, clock=clock).fetch()
    assert len(live.members) == 19
    assert clock.sleeps == [2.0, 2.0, 2.0]


@pytest.mark.parametrize(
    "retry_after",
    ["3600", email.utils.formatdate(time.time() + 7200, usegmt=True)],
    ids=["seconds", "http-date"],
)
def test_a_long_retry_after_is_not_slept_on(demo: SandboxStore, retry_after: str) -> None:
    clock = FakeClock(wall=time.time())
    app = create_app(demo, faults=FaultConfig(status=429, burst=1, retry_after=retry_after))
    provider = provider_for(app, clock=clock)
    with pytest.raises(RateLimitedError, match="rate limited") as err:
        provider.fetch()
    assert clock.sleeps == [] and provider.stats.requests == 1
    assert err.value.status == 429 and "next run" in (err.value.hint or "")


@pytest.mark.parametrize("status", [500, 503, 529])
def test_5xx_bursts_are_retried_with_capped_backoff(demo: SandboxStore, status: int) -> None:
    clock = FakeClock()
    app = create_app(demo, faults=FaultConfig(status=status, burst=2, retry_after=None))
    provider = provider_for(app, clock=clock)
    assert len(provider.fetch().members) == 19
    assert provider.stats.retries == 2
    assert all(0 < s <= 8.0 for s in clock.sleeps)


def test_a_service_that_stays_down_fails_naming_the_endpoint(demo: SandboxStore) -> None:
    clock = FakeClock()
    app = create_app(demo, faults=FaultConfig(status=503, every=1, retry_after=None))
    provider = provider_for(app, clock=clock, retry=fast_policy(max_attempts=4))
    with pytest.raises(TransientError, match="GET /v1/organizations/users") as err:
        provider.fetch()
    assert err.value.status == 503
    assert provider.stats.requests == 4


def test_the_retry_budget_bounds_total_waiting(demo: SandboxStore) -> None:
    clock = FakeClock()
    app = create_app(demo, faults=FaultConfig(status=429, every=1, retry_after="30"))
    provider = provider_for(app, clock=clock, retry=fast_policy(budget_s=70.0, max_attempts=10))
    with pytest.raises(ProviderError):
        provider.fetch()
    assert sum(clock.sleeps) <= 70.0 and len(clock.sleeps) == 2


def test_page_n_failing_for_good_aborts_the_whole_read(big: SandboxStore) -> None:
    """L4: page 3 of the users listing answers 503 on every try: no state comes back."""
    cursors: list[str] = []

    def rewrite(req: Req, status: int, body: bytes) -> tuple[int, bytes] | None:
        if req.path != USERS:
            return None
        after = req.q("after_id")
        if after and after not in cursors:
            cursors.append(after)
        if after is not None and after == (cursors[1] if len(cursors) > 1 else None):
            return 503, dump({"type": "error", "error": {"type": "api_error",
                                                          "message": "down"}})
        return None

    provider = provider_for(Misbehave(create_app(big), rewrite),
                            retry=fast_policy(max_attempts=3))
    with pytest.raises(TransientError, match="after retries"):
        provider.fetch()
    assert provider.stats.list_requests == 2 + 3


# -- inconsistent and looping listings (L2, L3) ---------------------------------------


def _duplicate_first_row(times: int) -> Any:
    state = {"first": None, "left": times}

    def rewrite(req: Req, status: int, body: bytes) -> tuple[int, bytes] | None:
        if req.path != USERS:
            return None
        data = page(body)
        if req.q("after_id") is None:
            state["first"] = data["data"][0]
            return None
        if state["left"] and state["first"] is not None:
            state["left"] -= 1
            data["data"][0] = state["first"]
            return 200, dump(data)
        return None

    return rewrite


def test_an_id_on_two_pages_is_read_again_once(big: SandboxStore) -> None:
    provider = provider_for(Misbehave(create_app(big), _duplicate_first_row(1)))
    assert len(provider.fetch().members) == 2100


def test_an_id_on_two_pages_twice_is_live_read_inconsistent(big: SandboxStore) -> None:
    provider = provider_for(Misbehave(create_app(big), _duplicate_first_row(99)))
    with pytest.raises(LiveReadError, match="live read inconsistent"):
        provider.fetch()


def test_a_repeated_cursor_stops_the_listing(big: SandboxStore) -> None:
    def rewrite(req: Req, status: int, body: bytes) -> tuple[int, bytes] | None:
        if req.path != USERS or req.q("after_id") is None:
            return None
        data = page(body)
        data["last_id"] = req.q("after_id")  # "the next page starts where this one did"
        data["has_more"] = True
        return 200, dump(data)

    provider = provider_for(Misbehave(create_app(big), rewrite))
    with pytest.raises(LiveReadError, match="repeats"):
        provider.fetch()
    assert provider.stats.list_requests == 2


def test_has_more_with_an_empty_page_stops_the_listing(big: SandboxStore) -> None:
    def rewrite(req: Req, status: int, body: bytes) -> tuple[int, bytes] | None:
        if req.path == USERS and req.q("after_id") is not None:
            return 200, dump({"data": [], "has_more": True, "first_id": None, "last_id": None})
        return None

    with pytest.raises(LiveReadError, match="`has_more` is true but the page is empty"):
        provider_for(Misbehave(create_app(big), rewrite)).fetch()


def test_a_page_token_loop_is_bounded(demo: SandboxStore) -> None:
    first: dict[str, Any] = {}

    def rewrite(req: Req, status: int, body: bytes) -> tuple[int, bytes] | None:
        if req.path != "/v1/organizations/rbac_groups":
            return None
        if not first:  # page 1 as served, then empty pages; all point at the same token
            first.update(page(body), next_page="page_same")
            return 200, dump(first)
        return 200, dump({"data": [], "next_page": "page_same"})

    provider = provider_for(Misbehave(create_app(demo), rewrite))
    with pytest.raises(LiveReadError, match="repeats"):
        provider.fetch()
    assert provider.stats.by_endpoint["GET /v1/organizations/rbac_groups"] <= 3


# -- bad answers (F10) -----------------------------------------------------------------


def test_malformed_json_fails_closed_naming_the_endpoint(demo: SandboxStore) -> None:
    def rewrite(req: Req, status: int, body: bytes) -> tuple[int, bytes] | None:
        return (200, body[: len(body) // 2]) if req.path == INVITES else None

    with pytest.raises(LiveReadError, match="GET /v1/organizations/invites.*malformed JSON"):
        provider_for(Misbehave(create_app(demo), rewrite)).fetch()


def test_a_missing_email_fails_closed_naming_the_field(demo: SandboxStore) -> None:
    def rewrite(req: Req, status: int, body: bytes) -> tuple[int, bytes] | None:
        if req.path != USERS:
            return None
        data = page(body)
        del data["data"][3]["email"]
        return 200, dump(data)

    with pytest.raises(LiveReadError, match=r"item 3: field `email` missing"):
        provider_for(Misbehave(create_app(demo), rewrite)).fetch()


# -- credentials (F7) and the network (F18) ---------------------------------------------


def test_401_stops_at_once_and_names_the_variable(demo: SandboxStore) -> None:
    app = create_app(demo, keys={"sk-ant-admin01-the-right-one": None})
    provider = provider_for(app)
    with pytest.raises(AuthError, match="authentication failed") as err:
        provider.fetch()
    assert KEY_ENV in (err.value.hint or "")
    assert provider.stats.requests == 1


def test_403_names_the_missing_scope(demo: SandboxStore) -> None:
    app = create_app(demo, keys={SANDBOX_KEY: ["read:members"]})
    provider = provider_for(app)
    with pytest.raises(AuthError, match="read:rbac_groups") as err:
        provider.fetch()
    assert err.value.status == 403 and "read:rbac_groups" in (err.value.hint or "")
    assert provider.stats.retries == 0


def test_dns_failure_is_a_bounded_transient_error() -> None:
    clock = FakeClock()
    client = anthropic.Anthropic(api_key=SANDBOX_KEY, base_url="http://seatctl-test.invalid")
    provider = AnthropicProvider(client, org_type=OrgType.ENTERPRISE, key_env_name=KEY_ENV,
                                 retry=fast_policy(max_attempts=3), clock=clock)
    with pytest.raises(TransientError, match="could not connect") as err:
        provider.fetch()
    assert provider.stats.requests == 3
    assert "sk-ant" not in str(err.value)


# -- writes whose answer was lost (F3, F5, F20) ------------------------------------------


@pytest.mark.parametrize("mode", ["drop", "error"])
def test_a_lost_invite_answer_is_rechecked_not_resent(demo: SandboxStore, mode: str) -> None:
    app = create_app(demo, faults=FaultConfig(lose_writes=1, lose_mode=mode))  # type: ignore[arg-type]
    provider = provider_for(app)
    result = provider.invite("sam.obi@acme.example", "user", frozenset())
    assert result.already_done
    assert pending(demo, "sam.obi@acme.example") == 1
    assert demo.request_counts().get("POST /v1/organizations/invites") == 1


def test_an_invite_that_shows_up_late_is_still_found(demo: SandboxStore) -> None:
    """F20: the first re-read after the lost answer does not see the invite yet."""
    hidden = {"left": 1}

    def rewrite(req: Req, status: int, body: bytes) -> tuple[int, bytes] | None:
        if req.method == "GET" and req.path == INVITES and req.q("email") and hidden["left"]:
            hidden["left"] -= 1
            return 200, dump({"data": [], "has_more": False, "first_id": None, "last_id": None})
        return None

    clock = FakeClock()
    app = create_app(demo, faults=FaultConfig(lose_writes=1, lose_mode="drop"))
    provider = provider_for(Misbehave(app, rewrite), clock=clock)
    assert provider.invite("sam.obi@acme.example", "user", frozenset()).already_done
    assert pending(demo, "sam.obi@acme.example") == 1
    assert clock.sleeps == [0.01]
    assert provider.fetch().invites["sam.obi@acme.example"].status == "pending"


def test_a_lost_group_create_makes_exactly_one_group(demo: SandboxStore) -> None:
    app = create_app(demo, faults=FaultConfig(lose_writes=1, lose_mode="drop"))
    provider = provider_for(app)
    assert provider.create_group("team-data").already_done
    assert demo.scalar("SELECT COUNT(*) FROM rbac_groups WHERE name = 'team-data'") == 1


def test_a_delete_whose_answer_was_lost_is_done_on_retry(demo: SandboxStore) -> None:
    """F5: the DELETE applied, the answer was a 500; the retry finds it gone."""
    app = create_app(demo)
    provider = provider_for(app)
    live = provider.fetch()
    invite = provider.invite("sam.obi@acme.example", "user", frozenset()).obj
    app.set_faults(FaultConfig(lose_writes=1, lose_mode="error"))
    assert provider.delete_invite(invite).already_done  # type: ignore[arg-type]
    app.set_faults(FaultConfig(lose_writes=1, lose_mode="error"))
    assert provider.remove_member(live.members["zoe.unlisted@acme.example"]).already_done
    assert pending(demo, "sam.obi@acme.example") == 0


# -- over a real socket ----------------------------------------------------------------


@pytest.mark.network
def test_dropped_connections_and_latency_over_http(demo: SandboxStore) -> None:
    app = create_app(demo, faults=FaultConfig(drop_every=3, latency_ms=20))
    with running_server(app) as url:
        client = anthropic.Anthropic(api_key=SANDBOX_KEY, base_url=url)
        provider = AnthropicProvider(client, org_type=OrgType.ENTERPRISE, key_env_name=KEY_ENV,
                                     retry=fast_policy(), clock=FakeClock())
        live = provider.fetch()
    assert len(live.members) == 19 and provider.stats.retries >= 1


@pytest.mark.network
def test_a_slow_drip_answer_hits_the_total_deadline(demo: SandboxStore) -> None:
    """F19: one byte every 0.3 s never trips a read timeout, but the deadline fires."""
    app = create_app(demo, faults=FaultConfig(drip_bytes=1, drip_interval_s=0.3, paths=(USERS,)))
    with running_server(app) as url:
        client = anthropic.Anthropic(api_key=SANDBOX_KEY, base_url=url)
        provider = AnthropicProvider(
            client, org_type=OrgType.ENTERPRISE, key_env_name=KEY_ENV, deadline_s=1.0,
            retry=fast_policy(max_attempts=2, request_deadline_s=1.0), clock=FakeClock(),
        )
        started = time.monotonic()
        with pytest.raises(TransientError, match="timed out"):
            provider.fetch()
        assert time.monotonic() - started < 5.0
        app.set_faults(None)


@pytest.mark.network
def test_a_write_that_times_out_after_applying_is_counted_once(demo: SandboxStore) -> None:
    """F3 over HTTP: the server applies the invite and holds the answer past the deadline."""
    app = create_app(demo, faults=FaultConfig(lose_writes=1, lose_mode="timeout", timeout_s=2.0))
    with running_server(app) as url:
        client = anthropic.Anthropic(api_key=SANDBOX_KEY, base_url=url)
        provider = AnthropicProvider(
            client, org_type=OrgType.ENTERPRISE, key_env_name=KEY_ENV, deadline_s=0.5,
            retry=fast_policy(request_deadline_s=0.5), clock=FakeClock(),
        )
        assert provider.invite("sam.obi@acme.example", "user", frozenset()).already_done
    assert pending(demo, "sam.obi@acme.example") == 1
