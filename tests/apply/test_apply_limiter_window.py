"""The limiter against the documented limit's window (ADMIN_API.md §8), on a fake clock.

The rule: every *sliding* 60 s window stays under the documented 100 requests (then
every fixed clock minute does too). A fixed bucket of 8 on top of a configured
100/min let 107 requests into one minute (429s); ``under_documented`` gives no bucket
there. The back-to-back case is the paced bench's: a long plan, then an apply.
"""

from __future__ import annotations

import bisect
import dataclasses

import pytest
from conftest import EXAMPLE_POLICIES

from reconciler.apply.limiter import (
    DOCUMENTED_REQUESTS_PER_MINUTE,
    RateLimiter,
    RateLimits,
    under_documented,
    window_ceiling,
)
from reconciler.apply.session import limiter_for
from reconciler.policy import load_policy


class FakeClock:
    """Moves only when slept on (or when a test moves it)."""

    def __init__(self, now: float = 0.0) -> None:
        self.now = now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


def most_in_sliding_window(times: list[float], window: float = 60.0) -> int:
    """Most sends any window ``(t - window, t]`` holds: how the sandbox counts a request
    at ``t`` (hits at or before ``t - window`` have left)."""
    times = sorted(times)
    return max(i + 1 - bisect.bisect_right(times, t - window) for i, t in enumerate(times))


def most_in_fixed_minute(times: list[float]) -> int:
    counts: dict[int, int] = {}
    for t in times:
        counts[int(t // 60)] = counts.get(int(t // 60), 0) + 1
    return max(counts.values())


def send(limiter: RateLimiter, clock: FakeClock, n: int) -> list[float]:
    sent = []
    for _ in range(n):
        limiter.acquire()
        sent.append(clock.now)
        clock.now += 0.005  # the request itself
    return sent


@pytest.mark.parametrize("rpm", [60, 90, 91, 95, 98, 100])
def test_every_sliding_minute_stays_under_the_documented_limit(rpm: int) -> None:
    clock = FakeClock()
    limits = under_documented(rpm, 1100)
    sent = send(RateLimiter(limits, clock=clock), clock, 400)
    most = most_in_sliding_window(sent)
    assert most == window_ceiling(rpm, limits.burst)  # the ceiling is reached, not passed
    assert most <= max(rpm, DOCUMENTED_REQUESTS_PER_MINUTE - 2)
    assert most_in_fixed_minute(sent) <= most <= DOCUMENTED_REQUESTS_PER_MINUTE
    # and no slower than asked: after the bucket, one request per 60/rpm seconds
    assert sent[-1] == pytest.approx((400 - limits.burst) * 60 / rpm, rel=0.01)


def test_a_fixed_bucket_over_the_documented_rate_overshoots() -> None:
    """What the old limiter_for did at ``requests_per_minute: 100`` (burst 8)."""
    clock = FakeClock()
    sent = send(RateLimiter(RateLimits(100, None, burst=8), clock=clock), clock, 300)
    assert most_in_sliding_window(sent) == 107 > DOCUMENTED_REQUESTS_PER_MINUTE
    assert under_documented(100, None).burst == 1


def test_buckets_shrink_as_the_rate_nears_the_limit() -> None:
    assert [under_documented(r, None).burst for r in (60, 90, 91, 92, 95, 98, 99, 100)] == \
        [8, 8, 8, 7, 4, 1, 1, 1]
    assert under_documented(90, 1200).burst == 1  # the invite budget has no room either
    assert under_documented(None, None).burst == 8
    assert window_ceiling(None, 8) == float("inf")


def test_limiter_for_the_example_policy_and_at_the_documented_rate() -> None:
    policy = load_policy(EXAMPLE_POLICIES)
    assert limiter_for(policy).limits == RateLimits(90, 1100, burst=8)
    fast = dataclasses.replace(policy, apply=dataclasses.replace(policy.apply,
                                                                  requests_per_minute=100))
    assert limiter_for(fast).limits == RateLimits(100, 1100, burst=1)


def test_a_long_read_then_an_apply_stay_under_the_limit_back_to_back() -> None:
    """The paced bench on a fake clock: ``plan`` reads 273 pages, then ``apply`` (a new
    process, a new limiter) starts at once: its bucket lands on the plan's last minute."""
    clock = FakeClock()
    limits = limiter_for(load_policy(EXAMPLE_POLICIES)).limits
    plan = send(RateLimiter(limits, clock=clock), clock, 273)
    clock.now += 1.0  # the next command starting
    apply = send(RateLimiter(limits, clock=clock), clock, 373)
    both = plan + apply
    assert most_in_sliding_window(both) <= DOCUMENTED_REQUESTS_PER_MINUTE - 2
    span = plan[-1] - plan[0]
    assert len(plan) / (span * DOCUMENTED_REQUESTS_PER_MINUTE / 60) >= 0.9  # utilisation
