"""Client-side rate limiter: keep a large apply (and every read) just under the limits.

Why: the Admin API allows 100 requests/minute per organization and 1,200 invite
creations/hour, and answers 429 above that (ADMIN_API.md §8). A 429 storm wastes
requests and time, so reads and writes are paced *before* they are sent, at a
configurable rate just under the documented one (defaults 90/min and 1,100/h).

The rule, from §8: the documents give the number but not how the API counts its
minute (fixed clock minutes or a sliding 60 s window; no ``anthropic-ratelimit-*``
headers are documented for the Admin API). A client that keeps *every sliding* 60 s
window at or under the limit is safe under both, since each fixed minute is one of
those windows; a client that only keeps each fixed minute under it is not (100 at
the end of one minute and 100 at the start of the next is 200 in 60 s). The sandbox
counts a sliding window (``sandbox.faults.RateWindow``), the strict reading.

So the promise of this limiter is about sliding windows: with rate ``r`` per period
and a bucket of ``burst``, no window of the period's length holds more than
``r + burst - 1`` requests (``window_ceiling``). ``under_documented`` picks the bucket
for a configured rate so that ceiling stays ``DOCUMENTED_MARGIN`` under the documented
limit (one request of slack for latency moving a send across a window edge, one for
the last request of a command that ran just before): 90/min gets a bucket of 8 (at
most 97 in any 60 s), 100/min — the schema allows it — gets none (even spacing, at
most 100), where a fixed bucket of 8 gave 107 and drew 429s.

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
#: The documented Admin API budgets (ADMIN_API.md §8): per sliding minute and hour.
DOCUMENTED_REQUESTS_PER_MINUTE = 100
DOCUMENTED_INVITES_PER_HOUR = 1200
#: Requests kept free under a documented limit in any window (see the module docstring).
DOCUMENTED_MARGIN = 2
#: The largest bucket ``under_documented`` gives: a small apply starts without waiting.
MAX_BURST = 8


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


def window_ceiling(rate: float | None, burst: int) -> float:
    """Most requests any window of the rate's period can hold: ``rate + burst - 1``
    (the bucket's ``burst`` at once, then one per ``period / rate``); inf if unlimited."""
    return math.inf if not rate or rate <= 0 else math.floor(rate + 1e-9) + max(1, burst) - 1


def under_documented(requests_per_minute: float | None, invites_per_hour: float | None,
                     *, most: int = MAX_BURST) -> RateLimits:
    """``RateLimits`` at the configured rates with the largest bucket (up to ``most``)
    that keeps every sliding window ``DOCUMENTED_MARGIN`` under the documented limits,
    or at the configured rate itself when that is closer (a bucket is never added on
    top of a rate at or over the ceiling)."""
    burst = most
    for rate, limit in ((requests_per_minute, DOCUMENTED_REQUESTS_PER_MINUTE),
                        (invites_per_hour, DOCUMENTED_INVITES_PER_HOUR)):
        if rate and rate > 0:
            room = (limit - DOCUMENTED_MARGIN) - math.floor(rate + 1e-9) + 1
            burst = min(burst, max(1, room))
    return RateLimits(requests_per_minute=requests_per_minute,
                      invites_per_hour=invites_per_hour, burst=burst)


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
