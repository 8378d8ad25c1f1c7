"""The admin key never leaks (RELIABILITY S4/S5): a canary key through every path."""

from __future__ import annotations

import base64
import datetime as dt
import logging
import secrets
import urllib.parse
from collections.abc import Callable

import anthropic
import pytest
from provider_shims import KEY_ENV, Misbehave, Req, dump, fast_policy, provider_for

from reconciler.errors import ProviderError
from reconciler.model import OrgType
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.providers.errors import REDACTED, Scrubber
from reconciler.providers.retry import FakeClock
from reconciler.sandbox.app import create_app
from reconciler.sandbox.demo import seed_demo
from reconciler.sandbox.faults import FaultConfig
from reconciler.sandbox.store import SandboxStore

CANARY = "sk-ant-admin01-canary-" + secrets.token_urlsafe(24)


def forms(key: str) -> list[str]:
    raw = key.encode()
    return [
        key,
        urllib.parse.quote(key, safe=""),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(b"Bearer " + raw).decode(),
        key[len("sk-ant-"):],
    ]


def test_scrubber_removes_every_form_of_the_key() -> None:
    scrubber = Scrubber(CANARY)
    text = " | ".join(forms(CANARY)[:-1]) + " | sk-ant-api01-someoneelse"
    cleaned = scrubber.scrub(text)
    assert all(form not in cleaned for form in forms(CANARY))
    assert "someoneelse" not in cleaned and REDACTED in cleaned


def echo_key(req: Req, status: int, body: bytes) -> tuple[int, bytes] | None:
    """A careless server that quotes the key back in its error message."""
    if req.path != "/v1/organizations/users":
        return None
    encoded = base64.b64encode(CANARY.encode()).decode()
    message = f"bad key {CANARY} (b64 {encoded}, url {urllib.parse.quote(CANARY, safe='')})"
    return 400, dump({"type": "error", "request_id": "req_1",
                      "error": {"type": "invalid_request_error", "message": message}})


@pytest.fixture
def demo() -> SandboxStore:
    store = SandboxStore(":memory:")
    seed_demo(store, dt.date(2026, 11, 20))
    return store


def scenarios(store: SandboxStore) -> dict[str, Callable[[], object]]:
    ok = {CANARY: None}

    def provider(app: object, **kw: object) -> AnthropicProvider:
        return provider_for(app, api_key=CANARY, **kw)  # type: ignore[arg-type]

    def dns() -> object:
        client = anthropic.Anthropic(api_key=CANARY, base_url="http://seatctl-canary.invalid")
        return AnthropicProvider(client, org_type=OrgType.ENTERPRISE, key_env_name=KEY_ENV,
                                 retry=fast_policy(max_attempts=2), clock=FakeClock()).fetch()

    def writes() -> object:
        p = provider(create_app(store, keys=ok))
        p.invite("sam.obi@acme.example", "user", frozenset())
        p.invite("sam.obi@acme.example", "managed", frozenset())
        return None

    return {
        "fetch": lambda: provider(create_app(store, keys=ok)).fetch(),
        "activity": lambda: list(provider(create_app(store, keys=ok)).fetch_user_activity(
            dt.date(2026, 11, 1), dt.date(2026, 11, 2))),
        "401": lambda: provider(create_app(store, keys={"sk-ant-admin01-other": None})).fetch(),
        "403": lambda: provider(create_app(store, keys={CANARY: ["read:members"]})).fetch(),
        "429": lambda: provider(create_app(store, keys=ok, faults=FaultConfig(
            status=429, every=1, retry_after="3600"))).fetch(),
        "503": lambda: provider(create_app(store, keys=ok, faults=FaultConfig(
            status=503, every=1, retry_after=None))).fetch(),
        "lost-write": lambda: provider(create_app(store, keys=ok, faults=FaultConfig(
            lose_writes=1))).invite("new.person@acme.example", "user", frozenset()),
        "domain": lambda: provider(create_app(store, keys=ok)).invite(
            "x@evil.example", "user", frozenset()),
        "conflict": writes,
        "echo": lambda: provider(Misbehave(create_app(store, keys=ok), echo_key)).fetch(),
        "dns": dns,
    }


SCENARIOS = ["fetch", "activity", "401", "403", "429", "503", "lost-write", "domain",
             "conflict", "echo", "dns"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_canary_key_appears_nowhere(
    demo: SandboxStore, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    try:
        result = scenarios(demo)[name]()
        seen.append(repr(result))
    except ProviderError as exc:
        seen += [str(exc), repr(exc), exc.message, exc.hint or "", repr(exc.args)]
        assert exc.__cause__ is None and exc.__suppress_context__
    seen.append(caplog.text)
    blob = "\n".join(seen)
    for form in forms(CANARY):
        assert form not in blob, f"{name}: key leaked as {form[:12]}..."


def test_provider_repr_holds_no_key(demo: SandboxStore) -> None:
    provider = provider_for(create_app(demo, keys={CANARY: None}), api_key=CANARY)
    assert CANARY not in repr(provider) and CANARY not in str(vars(provider).keys())
