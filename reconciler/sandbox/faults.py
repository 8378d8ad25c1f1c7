"""Fault injection, rate limits and request counting: one ASGI middleware.

``FaultConfig`` says what goes wrong (a frozen value); the running app keeps a
``FaultState`` with its counters, replaced as a whole by ``set_faults`` or
``POST /_sandbox/faults`` (JSON of ``FaultConfig`` fields) so tests can switch faults
on and off at runtime. Only Admin API paths (``/v1/...``) are counted, limited and
faulted; ``/_sandbox/...`` admin endpoints never are.

Faults, in the order they are applied to a request:

- ``latency_ms``: added delay before anything else.
- ``burst`` / ``every`` with ``status`` (429, 500, 503, 529): the next ``burst``
  requests, or every ``every``-th request, get that error (429/503/529 carry
  ``retry-after: <retry_after>``) without reaching the API.
- ``drop_every``: every N-th request's connection is closed with no response. Needs
  the real server (``server.running_server``); in-process it surfaces as a connection
  error through ``client.sandbox_client``'s transport.
- ``conflict``: the next N membership writes answer 409 ``concurrent_membership_change``.
- ``lose_writes``: the next N writes (POST/DELETE) are applied, then the answer is
  lost: ``lose_mode`` ``drop`` closes the connection, ``timeout`` holds it
  ``timeout_s`` seconds then closes it, ``error`` answers 500. (The F3 case: the
  server created the invite but the client never heard.)
- ``drip_bytes``: the answer body is sent ``drip_bytes`` at a time, one chunk every
  ``drip_interval_s`` seconds (a slow-drip response).

``RateLimits`` mirrors the documented budgets (100 requests/min per org, 1,200
invite creations/hour); off unless passed to ``create_app``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any, Literal

from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import error_body, new_request_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ERROR_MESSAGES = {
    429: "Number of requests has exceeded your rate limit (sandbox fault).",
    500: "Internal server error (sandbox fault).",
    503: "Service unavailable (sandbox fault).",
    529: "Overloaded (sandbox fault).",
}
MEMBERSHIP_WRITES = (
    "/v1/organizations/users",
    "/v1/organizations/invites",
    "/v1/organizations/rbac_groups",
)


class ConnectionDropped(Exception):
    """Raised in-process where no socket exists to close; the transport maps it."""


@dataclass(frozen=True)
class FaultConfig:
    status: int = 429
    every: int = 0
    burst: int = 0
    retry_after: str | None = "1"
    latency_ms: int = 0
    drop_every: int = 0
    conflict: int = 0
    lose_writes: int = 0
    lose_mode: Literal["drop", "timeout", "error"] = "drop"
    timeout_s: float = 30.0
    drip_bytes: int = 0
    drip_interval_s: float = 0.5
    paths: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Refuse settings that make no sense (``every: -1`` used to fault every request)."""
        counts = ("every", "burst", "latency_ms", "drop_every", "conflict", "lose_writes",
                  "drip_bytes")  # fmt: skip
        for name in counts:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: expected a whole number >= 0, got {value!r}")
        for name in ("timeout_s", "drip_interval_s"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    0 <= value <= 3600):  # fmt: skip
                raise ValueError(f"{name}: expected seconds from 0 to 3600, got {value!r}")
        if self.status not in ERROR_MESSAGES:
            raise ValueError(f"status: expected one of {sorted(ERROR_MESSAGES)}, "
                             f"got {self.status!r}")  # fmt: skip
        if self.lose_mode not in ("drop", "timeout", "error"):
            raise ValueError(f"lose_mode: expected drop, timeout or error, got {self.lose_mode!r}")
        if self.retry_after is not None and not isinstance(self.retry_after, str):
            raise ValueError("retry_after: expected a string (seconds) or null")
        if not all(isinstance(p, str) for p in self.paths):
            raise ValueError("paths: expected a list of path prefixes")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultConfig:
        """Build from the admin endpoint's JSON; unknown keys are an error, not ignored."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        if "paths" in data:
            if not isinstance(data["paths"], list):
                raise ValueError("paths: expected a list of path prefixes")
            data = {**data, "paths": tuple(data["paths"])}
        return cls(**data)


@dataclass(frozen=True)
class RateLimits:
    """The documented budgets. ``window_s`` scales the request window for quick runs:
    ``requests_per_minute=600, window_s=10`` is the documented 100 per window, six
    times faster (the bench's ``--quick``); the invite budget keeps its hour."""

    requests_per_minute: float = 100
    invites_per_hour: int = 1200
    window_s: float = 60.0

    def __post_init__(self) -> None:
        if not (0 < self.window_s <= 3600) or self.requests_per_minute <= 0:
            raise ValueError("rate limits: requests_per_minute and window_s must be > 0")

    @property
    def requests_per_window(self) -> int:
        """Requests allowed in any ``window_s`` (at least one)."""
        return max(1, int(self.requests_per_minute * self.window_s / 60 + 1e-9))


@dataclass
class FaultState:
    """A config plus its live counters; the app swaps the whole object to change faults."""

    config: FaultConfig = field(default_factory=FaultConfig)
    seen: int = 0
    burst_left: int = 0
    conflict_left: int = 0
    lose_left: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.burst_left = self.config.burst
        self.conflict_left = self.config.conflict
        self.lose_left = self.config.lose_writes

    def take(self, counter: str) -> bool:
        with self.lock:
            left = getattr(self, counter)
            if left > 0:
                setattr(self, counter, left - 1)
                return True
            return False


class RateWindow:
    """Sliding-window budgets: requests per window (a minute), invite creations per hour.

    A refused request does not use up budget; ``retry-after`` is when the oldest
    counted request leaves the window. ``counters()`` is what the bench reads through
    ``GET /_sandbox/stats``: allowed and refused (429) requests, and the span from the
    first to the last allowed one, so utilisation is measured by the server itself.
    """

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}
        self._allowed = 0
        self._refused = 0
        self._first: float | None = None
        self._last: float | None = None

    def hit(self, name: str, limit: int, period_s: float) -> int:
        """0 when allowed (and counted), else whole seconds until a slot frees."""
        now = time.monotonic()
        with self._lock:
            hits = self._hits.setdefault(name, deque())
            while hits and hits[0] <= now - period_s:
                hits.popleft()
            if len(hits) >= limit:
                return max(1, math.ceil(hits[0] + period_s - now))
            hits.append(now)
            return 0

    def record(self, refused: bool) -> None:
        """Count one Admin API request's outcome against the limits."""
        now = time.monotonic()
        with self._lock:
            if refused:
                self._refused += 1
                return
            self._allowed += 1
            if self._first is None:
                self._first = now
            self._last = now

    def counters(self) -> dict[str, float | int]:
        """Allowed and refused requests since start (or ``reset_counters``), the span."""
        with self._lock:
            span = (self._last - self._first) if self._first is not None and \
                self._last is not None else 0.0
            return {"requests_per_minute": self.limits.requests_per_minute,
                    "window_s": self.limits.window_s,
                    "requests_per_window": self.limits.requests_per_window,
                    "allowed": self._allowed, "refused": self._refused,
                    "span_s": round(span, 3)}

    def reset_counters(self) -> None:
        """Zero the counters; the window keeps its hits (the org's budget is not reset)."""
        with self._lock:
            self._allowed = self._refused = 0
            self._first = self._last = None


class SandboxMiddleware:
    """Request IDs on every answer; counting, rate limits and faults on API paths."""

    def __init__(self, app: ASGIApp, store: SandboxStore, state: Any) -> None:
        self.app = app
        self.store = store
        self.state = state  # the Starlette app.state holding ``faults`` and ``rate``

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = new_request_id()
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"request-id", rid.encode()))
                message = {**message, "headers": headers}
            await send(message)

        path, method = scope["path"], scope["method"]
        if not path.startswith("/v1/"):
            await self.app(scope, receive, send_with_id)
            return
        self.store.count_request(method, path)
        if (wait := self._rate_limited(method, path)) is not None:
            await _send_error(
                send_with_id,
                429,
                "Rate limit exceeded (sandbox limits).",
                rid,
                retry_after=str(wait),
            )
            return
        faults: FaultState = self.state.faults
        cfg = faults.config
        if cfg.paths and not any(path.startswith(p) for p in cfg.paths):
            await self.app(scope, receive, send_with_id)
            return
        await self._fault_request(scope, receive, send_with_id, faults, rid)

    def _rate_limited(self, method: str, path: str) -> int | None:
        rate: RateWindow | None = self.state.rate
        if rate is None:
            return None
        if method == "POST" and path == "/v1/organizations/invites":
            wait = rate.hit("invites", rate.limits.invites_per_hour, 3600)
            if wait:
                rate.record(refused=True)
                return wait
        wait = rate.hit("requests", rate.limits.requests_per_window, rate.limits.window_s)
        rate.record(refused=bool(wait))
        return wait or None

    async def _fault_request(
        self, scope: Scope, receive: Receive, send: Send, faults: FaultState, rid: str
    ) -> None:
        cfg = faults.config
        with faults.lock:
            faults.seen += 1
            n = faults.seen
        if cfg.latency_ms:
            await asyncio.sleep(cfg.latency_ms / 1000)
        if faults.take("burst_left") or (cfg.every and n % cfg.every == 0):
            retry = cfg.retry_after if cfg.status in (429, 503, 529) else None
            await _send_error(
                send,
                cfg.status,
                ERROR_MESSAGES.get(cfg.status, "Sandbox fault."),
                rid,
                retry_after=retry,
            )
            return
        if cfg.drop_every and n % cfg.drop_every == 0:
            await _drop(scope)
            return
        method, path = scope["method"], scope["path"]
        is_write = method in ("POST", "DELETE")
        if is_write and path.startswith(MEMBERSHIP_WRITES) and faults.take("conflict_left"):
            await _send_error(
                send,
                409,
                "Another membership change is in progress; retry.",
                rid,
                code="concurrent_membership_change",
            )
            return
        lose = is_write and faults.take("lose_left")
        if not lose and not cfg.drip_bytes:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []

        async def capture(message: Message) -> None:
            messages.append(message)

        await self.app(scope, receive, capture)
        if lose:
            if cfg.lose_mode == "error":
                await _send_error(send, 500, ERROR_MESSAGES[500], rid)
                return
            if cfg.lose_mode == "timeout":
                await asyncio.sleep(cfg.timeout_s)
            await _drop(scope)
            return
        await _drip(send, messages, cfg.drip_bytes, cfg.drip_interval_s)


async def _send_error(
    send: Send,
    status: int,
    message: str,
    rid: str,
    *,
    code: str | None = None,
    retry_after: str | None = None,
) -> None:
    body = error_body(status, message, code, rid)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", retry_after.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _drop(scope: Scope) -> None:
    abort = scope.get("extensions", {}).get("sandbox.abort")
    if abort is None:
        raise ConnectionDropped("sandbox fault: connection dropped without a response")
    abort()
    await asyncio.sleep(0.05)  # let the server notice the closed socket before we return


async def _drip(send: Send, messages: list[Message], chunk: int, interval: float) -> None:
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    for message in messages:
        if message["type"] == "http.response.start":
            await send(message)
    for start in range(0, len(body), chunk):
        await send(
            {"type": "http.response.body", "body": body[start : start + chunk], "more_body": True}
        )
        await asyncio.sleep(interval)
    await send({"type": "http.response.body", "body": b"", "more_body": False})
