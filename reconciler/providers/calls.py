"""One HTTP call through the SDK: retries for reads, outcome checks for writes, counting.

``Caller.read`` retries what is transient (429, 408, 409
``concurrent_membership_change``, 5xx, timeouts, dropped connections) inside the
policy's budget. ``Caller.write`` retries only what the server certainly did not
apply (429, 409 concurrent change, a connection that was never made); anything
else that leaves the outcome open — a timeout or 5xx after the request went out —
raises ``OutcomeUnknown`` so the write method re-reads and decides instead of
sending the same POST again (RELIABILITY F3). Idempotent writes (role update,
rename, spend-limit upsert, deletes) may opt into read-style retries.

A read waits for ``pace`` (the limiter apply paces writes with) before it is sent,
so a full read of a large org stays under the documented rate instead of drawing
429s and being charged afterwards. Every answer is parsed as JSON here, so
malformed bodies fail closed with the endpoint named, and every request is counted
(``CallStats``) for the benchmark's
"no more list requests than pages" check.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2

from reconciler.errors import LiveReadError, ProviderError, RateLimitedError
from reconciler.providers.errors import (
    Scrubber,
    map_connection_error,
    map_status_error,
)
from reconciler.providers.retry import Clock, RetryPolicy, backoff_delay, parse_retry_after

#: A thunk that makes exactly one SDK call with ``with_raw_response``.
RawCall = Callable[[], Any]


@dataclass
class CallStats:
    """Requests made, per endpoint, and how long was slept between retries."""

    requests: int = 0
    list_requests: int = 0
    retries: int = 0
    slept_s: float = 0.0
    by_endpoint: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: the decoded JSON object and the request id."""

    body: dict[str, Any]
    request_id: str | None


class OutcomeUnknown(Exception):
    """A write may or may not have been applied; ``error`` is what to raise if undecided."""

    def __init__(self, error: ProviderError) -> None:
        super().__init__(error.message)
        self.error = error


_NEVER_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)


def _never_sent(exc: anthropic.APIConnectionError) -> bool:
    """True when the connection was never made, so the server cannot have acted."""
    return isinstance(exc.__cause__, _NEVER_SENT)


class Caller:
    """Runs SDK calls with the provider's retry policy; raises only ``ProviderError``."""

    def __init__(
        self,
        *,
        policy: RetryPolicy,
        clock: Clock,
        rng: random.Random,
        scrubber: Scrubber,
        key_env: str,
        pace: Callable[[], object] | None = None,
    ) -> None:
        #: Called before every read is first sent (apply's limiter): reads are paced
        #: before they go out, like writes, instead of being charged afterwards.
        self.pace = pace
        self.policy = policy
        self.clock = clock
        self.rng = rng
        self.scrubber = scrubber
        self.key_env = key_env
        self.stats = CallStats()

    # -- public -------------------------------------------------------------

    def read(self, endpoint: str, call: RawCall, *, listing: bool = False) -> Answer:
        """A GET: retried while transient, within the budget."""
        return self._run(endpoint, call, reading=True, listing=listing, idempotent=True)

    def write(self, endpoint: str, call: RawCall, *, idempotent: bool) -> Answer:
        """A POST/DELETE; non-idempotent ones raise ``OutcomeUnknown`` when in doubt."""
        return self._run(endpoint, call, reading=False, listing=False, idempotent=idempotent)

    # -- the loop -----------------------------------------------------------

    def _run(
        self, endpoint: str, call: RawCall, *, reading: bool, listing: bool, idempotent: bool
    ) -> Answer:
        if reading and self.pace is not None:
            self.pace()  # retries are paced by the clock's sleep (PacingClock)
        start = self.clock.monotonic()
        attempt = 0
        while True:
            self._count(endpoint, listing)
            try:
                raw = call()
            except anthropic.APIStatusError as exc:
                error = self._scrub(
                    map_status_error(exc, endpoint=endpoint, key_env=self.key_env, reading=reading)
                )
                status = exc.status_code
                surely_not_applied = status == 429 or (
                    status == 409 and exc.error_code == "concurrent_membership_change"
                )
                transient = surely_not_applied or status == 408 or status >= 500
                if not transient:
                    raise error from None
                if not idempotent and not surely_not_applied:
                    raise OutcomeUnknown(error) from None
                wait = self._wait(exc.response.headers, attempt, error, status)
                attempt = self._next_attempt(attempt, start, wait, error)
                continue
            except anthropic.APIConnectionError as exc:
                error = self._scrub(map_connection_error(exc, endpoint=endpoint))
                if not idempotent and not _never_sent(exc):
                    raise OutcomeUnknown(error) from None
                wait = backoff_delay(attempt, self.policy, self.rng)
                attempt = self._next_attempt(attempt, start, wait, error)
                continue
            return self._decode(endpoint, raw)

    def _count(self, endpoint: str, listing: bool) -> None:
        self.stats.requests += 1
        if listing:
            self.stats.list_requests += 1
        self.stats.by_endpoint[endpoint] = self.stats.by_endpoint.get(endpoint, 0) + 1

    def _wait(
        self, headers: httpx2.Headers, attempt: int, error: ProviderError, status: int
    ) -> float:
        asked = parse_retry_after(
            headers, now=self.clock.time(), max_wait_s=self.policy.max_retry_after_s
        )
        if asked.too_long:
            raise self._scrub(
                RateLimitedError(
                    f"rate limited — {error.message}; the service asks to wait "
                    f"{asked.seconds:.0f} s, more than the {self.policy.max_retry_after_s:.0f} s "
                    "seatctl waits",
                    hint="run again later; finished steps are kept and the rest is left "
                    "for the next run",
                    status=status,
                    error_code=error.error_code,
                    request_id=error.request_id,
                )
            ) from None
        if asked.seconds is not None:
            return asked.seconds
        return backoff_delay(attempt, self.policy, self.rng)

    def _next_attempt(self, attempt: int, start: float, wait: float, error: ProviderError) -> int:
        attempt += 1
        elapsed = self.clock.monotonic() - start
        if attempt >= self.policy.max_attempts or elapsed + wait > self.policy.budget_s:
            raise error from None
        self.stats.retries += 1
        self.stats.slept_s += wait
        self.clock.sleep(wait)
        return attempt

    def _decode(self, endpoint: str, raw: Any) -> Answer:
        response: httpx2.Response = raw.http_response
        rid = response.headers.get("request-id")
        text = response.content
        if not text.strip():
            return Answer({}, rid)
        try:
            body = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise self._scrub(
                LiveReadError(
                    f"{endpoint} answered with malformed JSON (status {response.status_code})",
                    hint="the response was not valid JSON; nothing was planned from it",
                    status=response.status_code,
                    request_id=rid,
                )
            ) from None
        if not isinstance(body, dict):
            raise self._scrub(
                LiveReadError(
                    f"{endpoint} answered with JSON that is not an object",
                    status=response.status_code,
                    request_id=rid,
                )
            )
        return Answer(body, rid)

    def _scrub(self, error: ProviderError) -> ProviderError:
        return self.scrubber.scrub_error(error)
