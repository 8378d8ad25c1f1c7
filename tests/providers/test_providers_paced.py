"""Reads are paced before they are sent, one limiter slot per request, none repeated.

Why: apply used to charge its full read to the limiter afterwards, so a large read
burst past the documented 100 requests/minute and drew 429s. The provider now asks
the limiter for a slot before every read; the sandbox's own counter shows that each
request arrived only after its slot, and that a full read is exactly its pages. The
org is seeded at the demo day (``DEMO_DATE``); the limiter runs on a fake clock.
"""

from __future__ import annotations

import math

from reconciler.apply.limiter import PacingClock, RateLimiter, RateLimits
from reconciler.model import OrgType
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import DEMO_DATE, seed_generated
from reconciler.sandbox.store import SandboxStore


class FakeClock:
    """Monotonic time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return 1_800_000_000.0 + self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)


def test_every_read_waits_for_its_slot_and_reads_are_at_the_floor() -> None:
    store = SandboxStore(":memory:")
    seed_generated(store, 2_500, 3, today=DEMO_DATE)
    fake = FakeClock()
    limiter = RateLimiter(RateLimits(requests_per_minute=100, invites_per_hour=None), clock=fake)
    clock = PacingClock(limiter, base=fake)
    seen_at_slot: list[int] = []
    arrivals: list[float] = []

    def pace() -> None:
        seen_at_slot.append(sum(store.request_counts().values()))
        PacingClock.pace(clock)
        arrivals.append(fake.now)

    clock.pace = pace  # type: ignore[method-assign]
    provider = AnthropicProvider(sandbox_client(store, max_retries=0), org_type=OrgType.ENTERPRISE,
                                 key_env_name="SEATCTL_ADMIN_KEY", clock=clock)
    store.reset_stats()
    live = provider.fetch()
    served = sum(store.request_counts().values())
    pages = math.ceil(2_500 / 1000) + 1 + 1 + 3 * math.ceil(2_500 / 3 / 1000) + 1
    assert len(live.members) == 2_500
    assert served == provider.stats.requests == pages  # the floor, nothing repeated
    # the k-th slot was granted when exactly k-1 requests had reached the server
    assert seen_at_slot == list(range(pages))
    assert limiter.stats.granted == pages
    # spaced at 100/minute: no 60 s window holds more than 100 requests
    assert all(b - a >= 0.6 - 1e-9 for a, b in zip(arrivals, arrivals[1:], strict=False))
