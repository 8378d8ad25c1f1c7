"""When to retry a request and how long to wait: the one retry policy of the provider.

The SDK's own retries are switched off (``max_retries=0``): it retries 409s and
non-idempotent POSTs, and it sleeps on any ``retry-after`` up to 49 days. Here
instead:

- only transient failures are retried (429, 408, 5xx, dropped connections and
  timeouts on reads; writes decide for themselves, see ``anthropic.py``);
- a server-given wait (``retry-after-ms``, ``retry-after`` seconds or HTTP date) is
  honoured when it is in ``(0, max_retry_after_s]``; a bad, zero, negative or past
  value falls back to capped exponential backoff with jitter; a wait above the
  bound is never slept on, the call fails fast as "rate limited" (RELIABILITY L6, F6);
- every call has an overall budget: a retry whose wait would cross it is not made.

Time comes from an injectable ``Clock`` so tests check the spacing of retries on a
fake clock without sleeping (L5).
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class Clock(Protocol):
    """Monotonic time for budgets, wall time for HTTP dates, and sleeping."""

    def monotonic(self) -> float: ...
    def time(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real clock."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class FakeClock:
    """A clock that only moves when slept on; records every sleep (for tests and benches)."""

    def __init__(self, start: float = 1_000_000.0, wall: float = 1_800_000_000.0) -> None:
        self.now = start
        self.wall_offset = wall - start
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now + self.wall_offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds of the retry loop; defaults sit under the Admin API's documented limits.

    ``budget_s`` is the overall time one logical call may take including all waits;
    ``request_deadline_s`` bounds one HTTP attempt from connect to last body byte.
    """

    max_attempts: int = 5
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    max_retry_after_s: float = 60.0
    budget_s: float = 120.0
    request_deadline_s: float = 60.0
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    #: How long a write's outcome check re-reads before concluding "not there" (F20).
    settle_attempts: int = 3
    settle_delay_s: float = 0.5


@dataclass(frozen=True, slots=True)
class RetryAfter:
    """The server's requested wait: ``seconds`` is None when absent or unusable."""

    seconds: float | None
    too_long: bool = False


def parse_retry_after(
    headers: Mapping[str, str], *, now: float, max_wait_s: float
) -> RetryAfter:
    """Read ``retry-after-ms`` / ``retry-after`` like the SDK, but bounded.

    ``now`` is wall-clock seconds (for HTTP dates). Values that are missing,
    garbage, not finite, zero, negative or in the past give ``seconds=None`` (use
    backoff). A value above ``max_wait_s`` gives ``too_long=True`` (fail fast).
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000.0
        except ValueError:
            value = math.nan
        if math.isfinite(value):
            return _bounded(value, max_wait_s)
    raw = headers.get("retry-after")
    if raw is None or not raw.strip():
        return RetryAfter(None)
    try:
        value = float(raw)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return RetryAfter(None)
        value = float(email.utils.mktime_tz(parsed)) - now
    if not math.isfinite(value):
        return RetryAfter(None)
    return _bounded(value, max_wait_s)


def _bounded(value: float, max_wait_s: float) -> RetryAfter:
    if value <= 0:
        return RetryAfter(None)
    if value > max_wait_s:
        return RetryAfter(value, too_long=True)
    return RetryAfter(value)


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random) -> float:
    """Capped exponential backoff with jitter (0.75–1.0 of the step), never negative."""
    step = min(policy.base_delay_s * (2.0 ** min(attempt, 30)), policy.max_delay_s)
    return max(0.0, step * (1.0 - 0.25 * rng.random()))
