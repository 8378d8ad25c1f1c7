"""Client-side pacing: the rate never exceeds the limit, retry-after is honoured (L5, L12)."""

from __future__ import annotations

import bisect
import threading
import time

import pytest

from reconciler.apply.limiter import RateLimiter, RateLimits, eta_for, format_eta


class FakeClock:
    """Moves only when slept on; single-threaded tests only."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.now += seconds


def max_in_window(times: list[float], window: float) -> int:
    """Most events in any half-open window ``[t, t + window)``."""
    times = sorted(times)
    return max(bisect.bisect_left(times, t + window) - i for i, t in enumerate(times))


@pytest.mark.parametrize("rpm,burst", [(90, 1), (100, 1), (60, 5), (600, 10)])
def test_request_rate_never_exceeds_the_limit(rpm: int, burst: int) -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(requests_per_minute=rpm, invites_per_hour=None,
                                     burst=burst), clock=clock)
    sent = []
    for _ in range(500):
        limiter.acquire()
        sent.append(clock.now)
        clock.now += 0.01  # the request itself takes a little time
    assert max_in_window(sent, 60.0) <= rpm + burst - 1
    if burst == 1:
        assert max_in_window(sent, 60.0) <= rpm
    # and it is not needlessly slow: 500 requests take about (500 - burst) / rate
    assert sent[-1] == pytest.approx((500 - burst) * 60 / rpm, rel=0.02)


def test_invites_have_their_own_hourly_budget() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(requests_per_minute=6000, invites_per_hour=1200),
                          clock=clock)
    invites, others = [], []
    for i in range(300):
        if i % 2:
            limiter.acquire_for("invite")
            invites.append(clock.now)
        else:
            limiter.acquire_for("add_group_member")
            others.append(clock.now)
    assert max_in_window(invites, 3600.0) <= 1200
    assert max_in_window(invites, 3.0) <= 1  # one every 3 s
    assert limiter.stats.invites == 150 and limiter.stats.granted == 300


def test_retry_after_pause_holds_every_request() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(requests_per_minute=6000, invites_per_hour=None),
                          clock=clock)
    limiter.acquire()
    limiter.pause(2.0)
    limiter.acquire()
    assert clock.now == pytest.approx(2.0)
    limiter.pause(-10)  # a bad value never reverses time
    limiter.pause(10**9)  # nor stalls forever
    waited = limiter.acquire()
    assert 0 <= waited <= 3600.0


def test_disabled_limits_never_wait() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(requests_per_minute=None, invites_per_hour=None),
                          clock=clock)
    for _ in range(1000):
        assert limiter.acquire_for("invite") == 0.0
    assert clock.now == 0.0


def test_multi_request_acquire_pushes_later_requests_out() -> None:
    clock = FakeClock()
    limiter = RateLimiter(RateLimits(requests_per_minute=60, invites_per_hour=None),
                          clock=clock)
    limiter.acquire(requests=3)  # e.g. a write plus two read-backs
    assert clock.now == 0.0
    limiter.acquire()
    assert clock.now == pytest.approx(3.0)


def test_concurrent_workers_are_spaced_on_the_real_clock() -> None:
    limiter = RateLimiter(RateLimits(requests_per_minute=60 * 200, invites_per_hour=None))
    stamps: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            limiter.acquire()
            with lock:
                stamps.append(time.monotonic())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - t0
    assert len(stamps) == 80
    assert elapsed >= 79 / 200 * 0.95
    # 200/s → 20 grants per 100 ms; a stamp is taken after its grant, and a worker
    # descheduled in between (a loaded CI core) lands one late stamp: one per worker
    assert max_in_window(stamps, 0.1) <= 20 + len(threads)


def test_eta_follows_the_limits() -> None:
    limits = RateLimits(requests_per_minute=90, invites_per_hour=1100)
    assert eta_for(1, 0, limits) == 0.0
    assert eta_for(91, 0, limits) == pytest.approx(60.0)
    # 2,000 invites: the hourly invite budget dominates
    assert eta_for(2000, 2000, limits) == pytest.approx(1999 * 3600 / 1100)

    class C:
        def __init__(self, kind: str) -> None:
            self.kind = kind

    limiter = RateLimiter(limits)
    assert limiter.eta([C("invite")] * 10 + [C("remove_member")] * 81) == pytest.approx(60.0)
    assert format_eta(42) == "42s" and format_eta(667) == "11m 07s"
    assert format_eta(6540) == "1h 49m"
