"""Faults, rate limits, request counts and concurrency, over a real socket on 127.0.0.1.

These are the behaviours provider tests lean on: each fault shows up to the official
SDK exactly as it would from the real service (typed error, retry, lost response).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import time

import anthropic
import httpx2
import pytest

from reconciler.sandbox.app import create_app
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import seed_demo
from reconciler.sandbox.faults import FaultConfig, RateLimits
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.server import running_server
from reconciler.sandbox.store import SandboxStore

pytestmark = pytest.mark.network
ACME = "acme.example"


@pytest.fixture
def store() -> SandboxStore:
    s = SandboxStore(":memory:")
    seed_demo(s, s.now().date())
    return s


def sdk(url: str, **kw: object) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=SANDBOX_KEY, base_url=url, **kw)  # type: ignore[arg-type]


def raw(url: str) -> httpx2.Client:
    return httpx2.Client(base_url=url, headers={"x-api-key": SANDBOX_KEY}, timeout=10)


def test_server_listens_on_loopback_and_stops(store: SandboxStore) -> None:
    with running_server(create_app(store)) as url:
        assert url.startswith("http://127.0.0.1:")
        assert len(list(sdk(url).organization.users.list(limit=7))) == 19
    with pytest.raises(httpx2.ConnectError):
        raw(url).get("/v1/organizations/users")


def test_429_burst_carries_retry_after_and_sdk_retries(store: SandboxStore) -> None:
    app = create_app(store, faults=FaultConfig(status=429, burst=1, retry_after="1"))
    with running_server(app) as url:
        with raw(url) as http:
            resp = http.get("/v1/organizations/users")
        assert resp.status_code == 429 and resp.headers["retry-after"] == "1"
        assert resp.json()["error"]["type"] == "rate_limit_error"
        app.set_faults(FaultConfig(status=429, burst=1, retry_after="1"))
        store.reset_stats()
        started = time.monotonic()
        users = list(sdk(url, max_retries=2).organization.users.list(limit=100))
        assert len(users) == 19 and time.monotonic() - started >= 0.9  # waited retry-after
        assert store.request_counts() == {"GET /v1/organizations/users": 2}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, anthropic.InternalServerError),
        (529, anthropic.OverloadedError),
        (503, anthropic.ServiceUnavailableError),
    ],
)
def test_5xx_every_nth_request(store: SandboxStore, status: int, error: type[Exception]) -> None:
    app = create_app(store, faults=FaultConfig(status=status, every=2))
    with running_server(app) as url:
        client = sdk(url, max_retries=0)
        client.organization.retrieve()
        with pytest.raises(error):
            client.organization.retrieve()
        client.organization.retrieve()


def test_added_latency(store: SandboxStore) -> None:
    with running_server(create_app(store, faults=FaultConfig(latency_ms=300))) as url:
        started = time.monotonic()
        sdk(url).organization.retrieve()
        assert time.monotonic() - started >= 0.3


def test_dropped_connection_over_socket_and_in_process(store: SandboxStore) -> None:
    app = create_app(store, faults=FaultConfig(drop_every=1))
    with running_server(app) as url:
        with pytest.raises(anthropic.APIConnectionError):
            sdk(url, max_retries=0).organization.retrieve()
    with pytest.raises(anthropic.APIConnectionError):
        sandbox_client(app, max_retries=0).organization.retrieve()


def test_slow_drip_response_arrives_whole_but_slowly(store: SandboxStore) -> None:
    app = create_app(store, faults=FaultConfig(drip_bytes=200, drip_interval_s=0.05))
    with running_server(app) as url:
        started = time.monotonic()
        users = sdk(url).organization.users.list(limit=20)
        assert len(users.data) == 19 and time.monotonic() - started >= 0.5


def test_slow_drip_trips_an_overall_deadline(store: SandboxStore) -> None:
    app = create_app(store, faults=FaultConfig(drip_bytes=1, drip_interval_s=0.2))
    with running_server(app) as url, raw(url) as http:
        started = time.monotonic()
        with pytest.raises(httpx2.TimeoutException):
            # each byte comes well within the read timeout; only a total deadline stops it
            with http.stream("GET", "/v1/organizations/me", timeout=1.0) as resp:
                for _ in resp.iter_bytes():
                    if time.monotonic() - started > 1.0:
                        raise httpx2.ReadTimeout("overall deadline")
        assert time.monotonic() - started < 3


def test_write_applied_then_response_lost(store: SandboxStore) -> None:
    """F3: the server created the invite, the client never heard back."""
    app = create_app(store, faults=FaultConfig(lose_writes=1, lose_mode="drop"))
    with running_server(app) as url:
        client = sdk(url, max_retries=0)
        with pytest.raises(anthropic.APIConnectionError):
            client.organization.invites.create(email=f"sam.obi@{ACME}", role="user")
        found = list(client.organization.invites.list(email=f"sam.obi@{ACME}"))
        assert [i.status for i in found] == ["pending"]
        with pytest.raises(anthropic.BadRequestError):  # a blind re-POST is refused
            client.organization.invites.create(email=f"sam.obi@{ACME}", role="user")


def test_write_applied_then_response_times_out(store: SandboxStore) -> None:
    app = create_app(store, faults=FaultConfig(lose_writes=1, lose_mode="timeout", timeout_s=3))
    with running_server(app) as url:
        client = sdk(url, max_retries=0, timeout=0.5)
        with pytest.raises(anthropic.APITimeoutError):
            client.organization.invites.create(email=f"sam.obi@{ACME}", role="user")
        assert len(list(client.organization.invites.list(email=f"sam.obi@{ACME}"))) == 1


def test_faults_switch_at_runtime_through_admin_endpoint(store: SandboxStore) -> None:
    with running_server(create_app(store)) as url, raw(url) as http:
        assert http.get("/v1/organizations/me").status_code == 200
        set_resp = http.post("/_sandbox/faults", json={"status": 529, "burst": 2})
        assert set_resp.json()["burst"] == 2
        codes = [http.get("/v1/organizations/me").status_code for _ in range(3)]
        assert codes == [529, 529, 200]
        assert http.post("/_sandbox/faults", json={"bogus": 1}).status_code == 400
        assert http.post("/_sandbox/faults", json={}).json()["burst"] == 0


def test_rate_limits_per_minute_and_invites_per_hour(store: SandboxStore) -> None:
    limits = RateLimits(requests_per_minute=4, invites_per_hour=2)
    with running_server(create_app(store, rate_limits=limits)) as url, raw(url) as http:
        for n in range(2):
            assert (
                http.post(
                    "/v1/organizations/invites", json={"email": f"r{n}@{ACME}", "role": "user"}
                ).status_code
                == 200
            )
        third = http.post("/v1/organizations/invites", json={"email": f"r9@{ACME}", "role": "user"})
        assert third.status_code == 429 and int(third.headers["retry-after"]) > 60
        codes = [http.get("/v1/organizations/me").status_code for _ in range(3)]
        assert codes == [200, 200, 429]  # the refused invite used no budget


def test_stats_count_requests_per_method_and_path(store: SandboxStore) -> None:
    with running_server(create_app(store)) as url:
        client = sdk(url)
        list(client.organization.users.list(limit=5))  # 4 pages
        client.organization.retrieve()
        with raw(url) as http:
            stats = http.get("/_sandbox/stats").json()
            assert stats["requests"] == {
                "GET /v1/organizations/users": 4,
                "GET /v1/organizations/me": 1,
            }
            assert http.delete("/_sandbox/stats").json()["total"] == 0


def test_concurrent_invites_never_oversell_the_seat_pool(store: SandboxStore) -> None:
    free = 50 - 19
    app = create_app(store)
    with running_server(app) as url:
        client = sdk(url, max_retries=0)

        def invite(n: int) -> bool:
            try:
                client.organization.invites.create(email=f"c{n}@{ACME}", role="user")
                return True
            except anthropic.BadRequestError as exc:
                assert exc.error_code == "org_member_limit_exceeded"
                return False

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            results = list(pool.map(invite, range(free + 9)))
        assert results.count(True) == free
        pending = list(client.organization.invites.list(statuses=["pending"], limit=1000))
        assert len(pending) == free


def test_admin_endpoints_accept_invite_and_move_clock(store: SandboxStore) -> None:
    with running_server(create_app(store)) as url, raw(url) as http:
        client = sdk(url)
        client.organization.invites.create(email=f"sam.obi@{ACME}", role="user")
        user = http.post("/_sandbox/accept_invite", json={"invite": f"sam.obi@{ACME}"}).json()
        assert client.organization.users.retrieve(user["id"]).email == f"sam.obi@{ACME}"
        invite = client.organization.invites.create(email=f"new@{ACME}", role="user")
        http.post("/_sandbox/clock", json={"advance_days": 22})
        assert client.organization.invites.retrieve(invite.id).status == "expired"


def test_persistent_store_survives_restart(tmp_path: object) -> None:
    path = str(tmp_path) + "/sandbox.db"  # type: ignore[operator]
    first = SandboxStore(path)
    seed_demo(first, dt.date(2026, 11, 25))
    client = sandbox_client(first)
    client.organization.invites.create(email=f"sam.obi@{ACME}", role="user")
    first.close()
    again = sandbox_client(SandboxStore(path))
    assert len(list(again.organization.invites.list(email=f"sam.obi@{ACME}"))) == 1
    assert len(list(again.organization.users.list())) == 19


def test_rate_window_scales_the_limit_and_stats_count_the_429s(store: SandboxStore) -> None:
    """600/min over a 10 s window is 100 per window, like the documented 100/min; the
    stats say how many were allowed and refused, which is what the paced bench reads."""
    limits = RateLimits(requests_per_minute=30, window_s=10)  # 5 per 10 s window
    assert limits.requests_per_window == 5
    assert RateLimits(requests_per_minute=600, window_s=10).requests_per_window == 100
    with running_server(create_app(store, rate_limits=limits)) as url, raw(url) as http:
        codes = [http.get("/v1/organizations/me").status_code for _ in range(7)]
        assert codes == [200] * 5 + [429] * 2
        late = http.get("/v1/organizations/me")
        assert 1 <= int(late.headers["retry-after"]) <= 10
        counters = http.get("/_sandbox/stats").json()["rate_limit"]
        assert (counters["allowed"], counters["refused"]) == (5, 3)
        assert counters["requests_per_window"] == 5 and counters["span_s"] >= 0
        reset = http.delete("/_sandbox/stats").json()["rate_limit"]
        assert (reset["allowed"], reset["refused"], reset["span_s"]) == (0, 0, 0)
        # the window still holds its hits: resetting the counters resets no budget
        assert http.get("/v1/organizations/me").status_code == 429


def test_rate_limits_refuse_a_zero_window() -> None:
    with pytest.raises(ValueError, match="window_s"):
        RateLimits(window_s=0)
