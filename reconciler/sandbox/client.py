"""The official SDK, unchanged, talking to a sandbox app in-process.

``sandbox_client(store)`` returns an ``anthropic.Anthropic`` whose HTTP transport
calls the ASGI app directly (httpx2's ``WSGITransport`` over ``a2wsgi``): no socket,
no port, same request and response bytes the SDK would see over the network. One
shared background event loop serves every in-process client.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any, cast

import anthropic
import httpx2
from a2wsgi import ASGIMiddleware

from reconciler.sandbox.app import SandboxApp, create_app
from reconciler.sandbox.faults import ConnectionDropped
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.store import SandboxStore

BASE_URL = "http://sandbox.local"

_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _shared_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="sandbox-asgi", daemon=True).start()
        return _loop


class InProcessTransport(httpx2.BaseTransport):
    """Calls the app in-process; a fault-injected drop becomes a connection error."""

    def __init__(self, app: SandboxApp) -> None:
        self.app = app
        # a2wsgi's and httpx2's typing of ASGI/WSGI callables is narrower than the protocol
        wsgi: Any = ASGIMiddleware(cast(Any, app), loop=_shared_loop())
        self._wsgi = httpx2.WSGITransport(app=wsgi)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        try:
            return self._wsgi.handle_request(request)
        except ConnectionDropped as exc:
            raise httpx2.RemoteProtocolError(str(exc), request=request) from None


def sandbox_client(
    target: SandboxStore | SandboxApp,
    *,
    api_key: str = SANDBOX_KEY,
    max_retries: int = 2,
    **client_kwargs: Any,
) -> anthropic.Anthropic:
    """An SDK client bound in-process to ``target`` (a store gets a default app)."""
    app = target if isinstance(target, SandboxApp) else create_app(target)
    http_client = anthropic.DefaultHttpxClient(transport=InProcessTransport(app))
    return anthropic.Anthropic(
        api_key=api_key,
        base_url=BASE_URL,
        http_client=http_client,
        max_retries=max_retries,
        **client_kwargs,
    )
