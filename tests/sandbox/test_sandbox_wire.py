"""Wire conventions of ADMIN_API.md §18, checked on raw HTTP against the sandbox app.

What every official client relies on beyond what one SDK happens to check: content
type, envelope keys, request IDs, DELETE bodies, query encoding, both auth styles.
"""

from __future__ import annotations

import datetime as dt

import httpx2
import pytest

from reconciler.sandbox.app import SandboxApp, create_app
from reconciler.sandbox.client import InProcessTransport
from reconciler.sandbox.demo import seed_demo
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.store import SandboxStore

USERS = "/v1/organizations/users"


@pytest.fixture
def app() -> SandboxApp:
    store = SandboxStore(":memory:")
    store.set_now(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC))
    seed_demo(store, dt.date(2026, 11, 25))
    return create_app(store)


@pytest.fixture
def http(app: SandboxApp) -> httpx2.Client:
    return httpx2.Client(
        transport=InProcessTransport(app),
        base_url="http://sandbox.local",
        headers={"authorization": f"Bearer {SANDBOX_KEY}", "anthropic-version": "2026-10-21"},
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"x-api-key": SANDBOX_KEY, "anthropic-version": "2023-06-01"},
        {"x-api-key": SANDBOX_KEY, "anthropic-version": "2026-10-21"},
        {"authorization": f"Bearer {SANDBOX_KEY}", "anthropic-version": "2023-06-01"},
        {"authorization": f"Bearer {SANDBOX_KEY}", "anthropic-version": "2026-10-21"},
    ],
    ids=["x-api-key+2023", "x-api-key+2026", "bearer+2023", "bearer+2026"],
)
def test_both_auth_headers_and_versions_are_accepted(
    app: SandboxApp, headers: dict[str, str]
) -> None:
    client = httpx2.Client(transport=InProcessTransport(app), base_url="http://sandbox.local")
    resp = client.get(
        USERS,
        headers={
            **headers,
            "x-stainless-timeout": "NOT_GIVEN",
            "user-agent": "curl/8",
            "accept-language": "*",
        },
    )
    assert resp.status_code == 200


def test_success_page_envelope_and_headers(http: httpx2.Client) -> None:
    resp = http.get(USERS, params={"limit": "2"})
    assert resp.headers["content-type"] == "application/json"
    assert resp.headers["request-id"].startswith("req_")
    body = resp.json()
    assert set(body) == {"data", "has_more", "first_id", "last_id"}
    assert body["first_id"] == body["data"][0]["id"] and body["has_more"] is True


def test_empty_id_page_still_carries_cursor_keys(http: httpx2.Client) -> None:
    body = http.get(USERS, params={"email": "nobody@acme.example"}).json()
    assert body == {"data": [], "has_more": False, "first_id": None, "last_id": None}


def test_token_pages_end_with_null_next_page(http: httpx2.Client) -> None:
    body = http.get("/v1/organizations/rbac_groups", params={"limit": "1000"}).json()
    assert body["next_page"] is None and len(body["data"]) == 8


@pytest.mark.parametrize(
    ("method", "path", "status", "etype"),
    [
        ("GET", "/v1/organizations/users/user_missing", 404, "not_found_error"),
        ("GET", "/v1/organizations/nothing_here", 404, "not_found_error"),
        ("PUT", USERS, 405, "invalid_request_error"),
        ("GET", USERS + "?limit=0", 400, "invalid_request_error"),
        ("GET", USERS + "?limit=1001", 400, "invalid_request_error"),
        ("GET", USERS + "?limit=ten", 400, "invalid_request_error"),
        ("GET", USERS + "?roles[]=wizard", 400, "invalid_request_error"),
        ("GET", "/v1/organizations/rbac_groups?page=garbage", 400, "invalid_request_error"),
    ],
)
def test_errors_use_the_exact_envelope(
    http: httpx2.Client, method: str, path: str, status: int, etype: str
) -> None:
    resp = http.request(method, path)
    assert resp.status_code == status
    assert resp.headers["content-type"] == "application/json"
    body = resp.json()
    assert set(body) == {"type", "error", "request_id"} and body["type"] == "error"
    assert body["error"]["type"] == etype and body["error"]["message"]
    assert set(body["error"]) <= {"type", "message", "details"}
    assert body["request_id"] == resp.headers["request-id"]


def test_error_code_lives_in_details(http: httpx2.Client) -> None:
    resp = http.post(
        "/v1/organizations/invites", json={"email": "bob.martin@acme.example", "role": "user"}
    )
    assert resp.json()["error"]["details"] == {"error_code": "already_member"}


def test_401_envelope_for_a_wrong_key(app: SandboxApp) -> None:
    client = httpx2.Client(transport=InProcessTransport(app), base_url="http://sandbox.local")
    resp = client.get(USERS, headers={"x-api-key": "sk-ant-admin01-nope"})
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "authentication_error"
    assert "sk-ant-admin01-nope" not in resp.text  # never echo a key


def test_delete_answers_200_json_with_or_without_content_type(http: httpx2.Client) -> None:
    a = http.post("/v1/organizations/invites", json={"email": "a@acme.example", "role": "user"})
    b = http.post("/v1/organizations/invites", json={"email": "b@acme.example", "role": "user"})
    with_ct = http.request(
        "DELETE",
        f"/v1/organizations/invites/{a.json()['id']}",
        headers={"content-type": "application/json"},
    )
    without = http.delete(f"/v1/organizations/invites/{b.json()['id']}")
    for resp in (with_ct, without):
        assert resp.status_code == 200
        assert resp.headers["content-type"] == "application/json"
        assert resp.json()["type"] == "invite_deleted"


def test_bracket_arrays_in_any_order_and_encoded(http: httpx2.Client) -> None:
    url = USERS + "?roles%5B%5D=managed&limit=100&roles%5B%5D=primary_owner"
    emails = {u["email"] for u in http.get(url).json()["data"]}
    assert emails == {"erin.kim@acme.example", "jack.brown@acme.example", "dana.owner@acme.example"}


def test_empty_values_mean_absent(http: httpx2.Client) -> None:
    body = http.get(USERS + "?limit=&email=&after_id=&roles%5B%5D=").json()
    assert len(body["data"]) == 19  # default limit 20, no filters


@pytest.mark.parametrize(
    "encoded", ["alice.nguyen%2Btag%40acme.example", "ALICE.NGUYEN%2Btag%40acme.example"]
)
def test_plus_is_decoded_like_parse_qs(http: httpx2.Client, encoded: str) -> None:
    body = http.get(f"{USERS}?email={encoded}").json()
    assert [u["email"] for u in body["data"]] == ["alice.nguyen@acme.example"]


def test_space_as_plus_or_percent20(http: httpx2.Client) -> None:
    as_plus = http.get(USERS + "?email=bob.martin+q%40acme.example").json()["data"]
    as_pct = http.get(USERS + "?email=bob.martin%20q%40acme.example").json()["data"]
    assert as_plus == as_pct == []  # both decode to a space: no such member
    # a literal "+" (sent as %2B) survives decoding: the +tag variant is found
    assert http.get(USERS + "?email=bob.martin%2Bq%40acme.example").json()["data"]


def test_page_token_is_bound_to_its_query(http: httpx2.Client, app: SandboxApp) -> None:
    gid = http.get("/v1/organizations/rbac_groups", params={"limit": "1"}).json()["data"][0]["id"]
    token = http.get(f"/v1/organizations/rbac_groups/{gid}/members", params={"limit": "1"}).json()[
        "next_page"
    ]
    other = http.get(
        "/v1/organizations/analytics/users", params={"date": "2026-11-23", "page": token}
    )
    assert other.status_code == 400 and "different query" in other.json()["error"]["message"]
