"""Client-side rate limiter: keep a large apply just under the organization's limits.

Why: the Admin API allows about 100 requests/minute per organization and 1,200
invite creations/hour, and answers 429 above that. A 429 storm wastes requests and
time, so writes are paced *before* they are sent, at a configurable rate just under
the documented one (defaults 90/min and 1,100/h).

How: one GCRA ("virtual scheduling") cell per limit. ``acquire`` reserves the earliest
instant every cell allows, under a lock, then sleeps until it outside the lock — so
concurrent workers are spaced correctly without holding the lock while they wait.
``pause(seconds)`` is the provider's ``retry-after`` signal: nothing is granted
before it ends. The clock is injectable so tests check the rate on a fake clock (L12).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from reconciler.plan.kinds import KINDS

#: Change kinds that consume the separate invite-creation budget (``plan.kinds``).
INVITE_KINDS = frozenset(k for k, spec in KINDS.items() if spec.sends_invite)


class LimiterClock(Protocol):
    def monotonic(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class _SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """The client-side limits; ``None`` (or 0) disables one. ``burst`` is the bucket size.

    ``burst=1`` spaces requests evenly, which also keeps any window of the server's
    length under the limit however the server counts (fixed or sliding window).
    """

    requests_per_minute: float | None = 90.0
    invites_per_hour: float | None = 1100.0
    burst: int = 1


@dataclass(slots=True)
class _Cell:
    """One GCRA cell: ``interval`` seconds per token, ``tolerance`` for the burst."""

    interval: float
    tolerance: float
    tat: float = -math.inf  # theoretical arrival time of the next conforming request

    def earliest(self, now: float) -> float:
        return max(now, self.tat - self.tolerance)

    def commit(self, at: float) -> None:
        self.tat = max(self.tat, at) + self.interval


@dataclass(slots=True)
class LimiterStats:
    granted: int = 0
    invites: int = 0
    waited_s: float = 0.0
    pauses: list[float] = field(default_factory=list)


class RateLimiter:
    """Thread-safe pacing over requests/minute and invites/hour."""

    def __init__(self, limits: RateLimits | None = None, *,
                 clock: LimiterClock | None = None) -> None:
        self.limits = limits or RateLimits()
        self.clock: LimiterClock = clock or _SystemClock()
        burst = max(1, self.limits.burst)
        self._requests = _cell(self.limits.requests_per_minute, 60.0, burst)
        self._invites = _cell(self.limits.invites_per_hour, 3600.0, burst)
        self._pause_until = -math.inf
        self._lock = threading.Lock()
        self.stats = LimiterStats()

    def reserve(self, *, requests: int = 1, invites: int = 0) -> float:
        """Book the next slot(s) and return the monotonic instant they start.

        Split from ``acquire`` so tests and the ETA can reason without sleeping.
        """
        with self._lock:
            now = self.clock.monotonic()
            at = max(now, self._pause_until)
            need = [(c, n) for c, n in ((self._requests, requests), (self._invites, invites))
                    if c is not None and n > 0]
            # The slot is when every cell conforms; extra tokens beyond the first are
            # paid back by pushing later requests out (a read-back after a timeout).
            slot = max([at, *(c.earliest(at) for c, _ in need)])
            for cell, n in need:
                for _ in range(n):
                    cell.commit(slot)
            self.stats.granted += requests
            self.stats.invites += invites
            return slot

    def acquire(self, *, requests: int = 1, invites: int = 0) -> float:
        """Block until ``requests`` requests (``invites`` of them invites) may be sent.

        Returns the seconds waited.
        """
        slot = self.reserve(requests=requests, invites=invites)
        wait = slot - self.clock.monotonic()
        if wait > 0:
            self.clock.sleep(wait)
            with self._lock:
                self.stats.waited_s += wait
            return wait
        return 0.0

    def acquire_for(self, kind: str) -> float:
        """Acquire what one change of ``kind`` costs (one request; invites carry groups)."""
        return self.acquire(requests=1, invites=1 if str(kind) in INVITE_KINDS else 0)

    def pause(self, seconds: float) -> None:
        """The server said ``retry-after``: grant nothing until it has passed.

        Negative or absurd values are the provider's to reject; here a pause is bounded
        to [0, 1 hour] so a bad header can never stall or reverse the clock.
        """
        seconds = min(max(seconds, 0.0), 3600.0)
        with self._lock:
            self._pause_until = max(self._pause_until, self.clock.monotonic() + seconds)
            self.stats.pauses.append(seconds)

    def eta(self, changes: Iterable[object]) -> float:
        """Seconds the limits imply for ``changes``: the backlog already booked (e.g. the
        live read just made, or a retry-after pause) plus the paced requests."""
        kinds = [str(getattr(c, "kind", c)) for c in changes]
        with self._lock:
            now = self.clock.monotonic()
            starts = [self._pause_until] + [c.earliest(now) for c in (self._requests,
                                                                      self._invites) if c]
            backlog = max(0.0, max(starts) - now)
        return backlog + eta_for(len(kinds), sum(k in INVITE_KINDS for k in kinds),
                                 self.limits)


def _cell(rate: float | None, per: float, burst: int) -> _Cell | None:
    if not rate or rate <= 0:
        return None
    interval = per / rate * (1 + 1e-9)  # never a hair early through float rounding
    return _Cell(interval=interval, tolerance=(burst - 1) * interval)


def eta_for(requests: int, invites: int, limits: RateLimits) -> float:
    """Time implied by the limits for ``requests`` requests of which ``invites`` invites."""
    burst = max(1, limits.burst)
    out = 0.0
    for count, rate, per in ((requests, limits.requests_per_minute, 60.0),
                             (invites, limits.invites_per_hour, 3600.0)):
        if rate and rate > 0 and count > burst:
            out = max(out, (count - burst) * per / rate)
    return out


def format_eta(seconds: float) -> str:
    """``42s``, ``11m 07s``, ``1h 49m`` — for the line shown before a large apply."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    return f"{s // 3600}h {(s % 3600) // 60:02d}m"


class PacingClock:
    """A provider clock that turns every provider wait into a limiter-wide pause.

    Why: the provider waits inside one worker (``retry-after`` on a 429, backoff on a
    5xx, a short settle before re-reading). Passing this clock to the provider makes
    that wait hold *every* worker — a 429 means the organization's budget is spent,
    not just this thread's — and books the retried request a slot of its own, so
    retries never stack above the configured rate.
    """

    def __init__(self, limiter: RateLimiter, base: Any | None = None) -> None:
        self.limiter = limiter
        self.base = base if base is not None else _SystemWallClock()

    def monotonic(self) -> float:
        return float(self.base.monotonic())

    def time(self) -> float:
        return float(self.base.time())

    def sleep(self, seconds: float) -> None:
        self.limiter.pause(seconds)
        self.limiter.acquire()

    def pace(self) -> None:
        """Before a read is sent: one request slot, so reads share the writes' budget."""
        self.limiter.acquire()


class _SystemWallClock(_SystemClock):
    def time(self) -> float:
        return time.time()
