"""Helpers for the provider tests: a sandbox org that misbehaves on cue, and clients.

``Misbehave`` wraps the sandbox ASGI app and lets a test rewrite chosen answers —
a page with a repeated cursor, malformed JSON, a missing field, a page that fails
for good. The official SDK and the provider run unchanged; only the server lies,
which is what the fault tests are about (no mock of the SDK anywhere).
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import anthropic

from reconciler.model import OrgType
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.providers.retry import FakeClock, RetryPolicy
from reconciler.sandbox.app import SandboxApp, create_app
from reconciler.sandbox.client import BASE_URL, InProcessTransport
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.store import SandboxStore

KEY_ENV = "SEATCTL_TEST_ADMIN_KEY"


@dataclass
class Req:
    method: str
    path: str
    query: dict[str, list[str]]

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


#: (request, status, body bytes) → None to pass through, or (status, body bytes).
Rewrite = Callable[[Req, int, bytes], "tuple[int, bytes] | None"]


class Misbehave:
    """ASGI wrapper: runs the sandbox, then lets ``rewrite`` replace the answer."""

    def __init__(self, app: SandboxApp, rewrite: Rewrite) -> None:
        self.app = app
        self.store = app.store
        self.rewrite = rewrite
        self.seen: list[Req] = []

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode())
        req = Req(scope["method"], scope["path"], query)
        self.seen.append(req)
        messages: list[MutableMapping[str, Any]] = []

        async def capture(message: MutableMapping[str, Any]) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        start = next(m for m in messages if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
        changed = self.rewrite(req, start["status"], body)
        if changed is None:
            for message in messages:
                await send(message)
            return
        status, new_body = changed
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(new_body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": new_body})
        await asyncio.sleep(0)


def sdk_client(app: Any, *, api_key: str = SANDBOX_KEY) -> anthropic.Anthropic:
    """The unchanged SDK bound in-process to ``app`` (a SandboxApp or a wrapper of one)."""
    return anthropic.Anthropic(
        api_key=api_key,
        base_url=BASE_URL,
        http_client=anthropic.DefaultHttpxClient(transport=InProcessTransport(app)),
        max_retries=0,
    )


def fast_policy(**overrides: Any) -> RetryPolicy:
    base: dict[str, Any] = {"request_deadline_s": 10.0, "settle_delay_s": 0.01}
    base.update(overrides)
    return RetryPolicy(**base)


def provider_for(
    target: Any,
    *,
    org_type: OrgType | str = OrgType.ENTERPRISE,
    clock: FakeClock | None = None,
    retry: RetryPolicy | None = None,
    api_key: str = SANDBOX_KEY,
) -> AnthropicProvider:
    """A provider on a fake clock (retries never really sleep) over ``target``."""
    app = create_app(target) if isinstance(target, SandboxStore) else target
    return AnthropicProvider(
        sdk_client(app, api_key=api_key),
        org_type=OrgType(org_type),
        key_env_name=KEY_ENV,
        retry=retry or fast_policy(),
        clock=clock or FakeClock(),
    )


def page(body: bytes) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(body)
    return data


def dump(data: dict[str, Any]) -> bytes:
    return json.dumps(data).encode()
