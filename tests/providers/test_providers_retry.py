"""The retry-after table (RELIABILITY F6) and the backoff bounds, on a fixed clock."""

from __future__ import annotations

import email.utils
import random

import pytest

from reconciler.providers.retry import (
    FakeClock,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
)

NOW = 1_800_000_000.0


def http_date(offset_s: float) -> str:
    return email.utils.formatdate(NOW + offset_s, usegmt=True)


# (headers, expected seconds or None for "use backoff", too_long)
TABLE = [
    ({"retry-after": "20"}, 20.0, False),
    ({"retry-after": "0"}, None, False),
    ({"retry-after": "-10"}, None, False),
    ({"retry-after": "60"}, 60.0, False),
    ({"retry-after": "61"}, 61.0, True),
    ({"retry-after": "3600"}, 3600.0, True),
    ({"retry-after": "garbage"}, None, False),
    ({"retry-after": ""}, None, False),
    ({"retry-after": "   "}, None, False),
    ({"retry-after": "nan"}, None, False),
    ({"retry-after": "inf"}, None, False),
    ({"retry-after": "2.5"}, 2.5, False),
    ({"retry-after": http_date(-30)}, None, False),
    ({"retry-after": http_date(5)}, 5.0, False),
    ({"retry-after": http_date(86_400)}, 86_400.0, True),
    ({"retry-after-ms": "1500"}, 1.5, False),
    ({"retry-after-ms": "1500", "retry-after": "30"}, 1.5, False),
    ({"retry-after-ms": "junk", "retry-after": "3"}, 3.0, False),
    ({"retry-after-ms": "-5"}, None, False),
    ({"retry-after-ms": "120000"}, 120.0, True),
    ({}, None, False),
]
IDS = [
    "20", "0", "-10", "60", "61", "3600", "garbage", "empty", "blank", "nan", "inf",
    "float", "past-date", "near-date", "far-date", "ms", "ms-wins", "bad-ms-falls-back",
    "negative-ms", "long-ms", "absent",
]  # fmt: skip


@pytest.mark.parametrize(("headers", "seconds", "too_long"), TABLE, ids=IDS)
def test_retry_after_table_matches_the_documented_behaviour(
    headers: dict[str, str], seconds: float | None, too_long: bool
) -> None:
    got = parse_retry_after(headers, now=NOW, max_wait_s=60.0)
    assert got.too_long is too_long
    if seconds is None:
        assert got.seconds is None
    else:
        assert got.seconds == pytest.approx(seconds, abs=1.0)


def test_backoff_is_capped_jittered_and_never_negative() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=8.0)
    rng = random.Random(7)
    delays = [backoff_delay(attempt, policy, rng) for attempt in range(40)]
    assert all(0.0 <= d <= 8.0 for d in delays)
    assert delays[0] <= 0.5 and delays[0] >= 0.375
    assert max(delays) > 5.9  # reaches the cap's jitter band
    assert backoff_delay(10_000, policy, rng) <= 8.0


def test_fake_clock_moves_only_when_slept_on() -> None:
    clock = FakeClock()
    start = clock.monotonic()
    clock.sleep(2.0)
    clock.sleep(0.5)
    assert clock.monotonic() - start == 2.5
    assert clock.sleeps == [2.0, 0.5]
    assert clock.time() - clock.monotonic() == pytest.approx(clock.wall_offset)
