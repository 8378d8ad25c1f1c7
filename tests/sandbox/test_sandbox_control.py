"""The sandbox's /_sandbox/* control endpoints and field limits, tried as an attacker would
(issue 16, defect 11). Dates: the demo org on ``DEMO_DATE``."""

from __future__ import annotations

import anthropic
import httpx2
import pytest

from reconciler.sandbox.app import create_app
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.server import running_server
from reconciler.sandbox.store import SandboxStore

ACME = "acme.example"
JSON = {"x-api-key": SANDBOX_KEY, "content-type": "application/json"}


@pytest.fixture
def served():  # type: ignore[no-untyped-def]
    store = SandboxStore(":memory:")
    seed_demo(store, DEMO_DATE)
    reader = "sk-ant-api01-reader"
    app = create_app(store, keys={SANDBOX_KEY: None, reader: frozenset({"read:members"})})
    with running_server(app) as url, httpx2.Client(base_url=url, timeout=10) as http:
        yield store, http, reader


def _members(store: SandboxStore) -> int:
    return int(store.scalar("SELECT COUNT(*) FROM users WHERE deleted = 0"))


def test_reset_from_a_browser_page_changes_nothing(served) -> None:  # type: ignore[no-untyped-def]
    store, http, reader = served
    before = _members(store)
    # what a cross-origin "simple request" can send: no key, text/plain
    r = http.post("/_sandbox/reset", content=b"{}", headers={"content-type": "text/plain"})
    assert r.status_code == 401
    keyed_text = http.post("/_sandbox/reset", content=b"{}",
                           headers={"x-api-key": SANDBOX_KEY, "content-type": "text/plain"})
    assert keyed_text.status_code == 415
    assert keyed_text.json()["error"]["type"] == "invalid_request_error"
    scoped = http.post("/_sandbox/reset", json={}, headers={"x-api-key": reader})
    assert scoped.status_code == 403
    assert http.get("/_sandbox/stats").status_code == 401
    assert http.delete("/_sandbox/stats").status_code == 401
    assert _members(store) == before
    ok = http.post("/_sandbox/reset", content=b"{}", headers=JSON)
    assert ok.status_code == 200 and _members(store) == 0


@pytest.mark.parametrize("path,body", [
    ("/_sandbox/faults", {"every": -1}),
    ("/_sandbox/faults", {"status": 200, "every": 1}),
    ("/_sandbox/faults", {"burst": "2"}),
    ("/_sandbox/faults", {"paths": "/v1"}),
    ("/_sandbox/faults", {"timeout_s": 1e9}),
    ("/_sandbox/clock", {"advance_days": "x"}),
    ("/_sandbox/clock", {"advance_days": -5}),
    ("/_sandbox/clock", {"now": "yesterday"}),
    ("/_sandbox/clock", {"when": 1}),
    ("/_sandbox/seed", {"members": -1}),
    ("/_sandbox/seed", {"members": 10**9}),
    ("/_sandbox/seed", {"drift_pct": 500}),
    ("/_sandbox/seed", {"today": "soon"}),
    ("/_sandbox/accept_invite", {"invite": 3}),
    ("/_sandbox/accept_invite", {"invite": f"x@{ACME}", "name": "a\x00b"}),
])
def test_bad_control_input_is_400_and_changes_nothing(served, path: str, body: object) -> None:  # type: ignore[no-untyped-def]
    store, http, _ = served
    before = (_members(store), store.now_text())
    r = http.post(path, json=body, headers={"x-api-key": SANDBOX_KEY})
    assert r.status_code == 400, r.text
    assert r.json()["type"] == "error"
    assert (_members(store), store.now_text()[:13]) == (before[0], before[1][:13])
    assert http.get("/v1/organizations/me", headers=JSON).status_code == 200  # no fault set


@pytest.mark.parametrize("raw", [b"{not json", b"[1]", b"\xff\xfe", b'"text"'])
def test_bad_json_is_400_not_500(served, raw: bytes) -> None:  # type: ignore[no-untyped-def]
    _, http, _ = served
    for path in ("/_sandbox/faults", "/_sandbox/clock", "/_sandbox/seed", "/_sandbox/reset"):
        assert http.post(path, content=raw, headers=JSON).status_code == 400, path


def test_invites_refuse_huge_emails_and_control_characters() -> None:
    store = SandboxStore(":memory:")
    seed_demo(store, DEMO_DATE)
    client = sandbox_client(store, max_retries=0)
    for email in ("a" * 20_000_000 + f"@{ACME}", "a" * 65 + f"@{ACME}",
                  f"x\x00y@{ACME}", f"x\x1b]0;t\x07@{ACME}", "a@" + "b" * 250 + ".example"):
        with pytest.raises(anthropic.BadRequestError):
            client.organization.invites.create(email=email, role="user")
    assert store.scalar("SELECT MAX(LENGTH(email)) FROM invites") <= 254
    with pytest.raises(anthropic.BadRequestError):
        client.organization.rbac_groups.create(name="team\x00")
    with pytest.raises(anthropic.BadRequestError):
        client.organization.rbac_groups.create(name="x" * 256)
