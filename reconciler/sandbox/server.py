"""The sandbox app under a real uvicorn server on 127.0.0.1 (never another interface).

``running_server(app)`` starts it in a background thread on a free port (or the one
given), yields its base URL, and stops it on exit. The server's connections are
registered so the fault middleware can really drop a connection (close the socket
with no response), which only a real socket can show a client.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from reconciler.sandbox.faults import ASGIApp, Receive, Scope, Send

HOST = "127.0.0.1"


def _protocol_class(connections: dict[Any, asyncio.Transport]) -> type[H11Protocol]:
    class TrackedH11Protocol(H11Protocol):
        """h11 protocol that remembers its transport by client address (for drops)."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            connections[self.client] = transport

        def connection_lost(self, exc: Exception | None) -> None:
            connections.pop(self.client, None)
            super().connection_lost(exc)

    return TrackedH11Protocol


class _AbortableApp:
    """Adds ``extensions["sandbox.abort"]``: close this request's socket without a reply."""

    def __init__(self, app: ASGIApp, connections: dict[Any, asyncio.Transport]) -> None:
        self.app = app
        self.connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            client = scope.get("client")
            client_key = tuple(client) if client else None

            def abort() -> None:
                transport = self.connections.get(client_key)
                if transport is not None:
                    transport.abort()

            scope["extensions"] = {**(scope.get("extensions") or {}), "sandbox.abort": abort}
        await self.app(scope, receive, send)


def build_server(app: ASGIApp, port: int = 0, *, log_level: str = "warning") -> uvicorn.Server:
    """A uvicorn server for ``app`` bound to 127.0.0.1 (port 0 picks a free one)."""
    connections: dict[Any, asyncio.Transport] = {}
    config = uvicorn.Config(
        _AbortableApp(app, connections),
        host=HOST,
        port=port,
        http=_protocol_class(connections),
        lifespan="off",
        log_level=log_level,
        access_log=False,
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


def bound_port(server: uvicorn.Server) -> int:
    for srv in server.servers:
        for sock in srv.sockets:
            return int(sock.getsockname()[1])
    raise RuntimeError("sandbox server has no listening socket")


@contextmanager
def running_server(app: ASGIApp, port: int = 0, *, timeout_s: float = 10.0) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 in a thread; yields ``http://127.0.0.1:<port>``."""
    server = build_server(app, port)
    thread = threading.Thread(target=server.run, name="sandbox-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(timeout_s)
            raise RuntimeError(f"sandbox server did not start on {HOST}:{port}")
        time.sleep(0.01)
    try:
        yield f"http://{HOST}:{bound_port(server)}"
    finally:
        server.should_exit = True
        thread.join(timeout_s)
