"""Renewal forecast: from the seat trend, how many seats the contract end will need.

Pure. A least-squares line through (day, seats assigned) points is extended to the
contract end date; the seats needed there, plus the growth buffer band (10–15 % by
default), give the purchase to aim for. The money difference is against today's
purchase: zero inside the band, the cost of the missing seats below it, the saving of
the surplus above it, priced at the default seat tier per month.

Why least squares and not the last value: one busy sprint or a cleanup must not
swing a year's purchase; the line weighs every observation equally.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Trend:
    """seats(day) = intercept + slope_per_day × (day − origin)."""

    origin: dt.date
    slope_per_day: float
    intercept: float
    points: int

    def at(self, day: dt.date) -> float:
        return self.intercept + self.slope_per_day * (day - self.origin).days


@dataclass(frozen=True, slots=True)
class Forecast:
    trend: Trend
    target_date: dt.date
    seats_needed: int
    band_low: int
    band_high: int
    purchased: int
    seat_price_cents: int

    @property
    def recommended(self) -> int:
        """Today's purchase if it is inside the band, else the nearest edge of the band."""
        return min(max(self.purchased, self.band_low), self.band_high)

    @property
    def seat_delta(self) -> int:
        return self.recommended - self.purchased

    @property
    def monthly_delta_cents(self) -> int:
        return self.seat_delta * self.seat_price_cents

    @property
    def verdict(self) -> str:
        if self.seat_delta > 0:
            return f"buy {self.seat_delta} more seats"
        if self.seat_delta < 0:
            return f"give back {-self.seat_delta} seats"
        return "today's purchase is inside the band"


def fit_trend(points: Sequence[tuple[dt.date, int]]) -> Trend:
    """Ordinary least squares over the points; one point (or one day) gives a flat line."""
    if not points:
        raise ValueError("a trend needs at least one observation")
    origin = min(d for d, _ in points)
    xs = [(d - origin).days for d, _ in points]
    ys = [float(v) for _, v in points]
    n = len(points)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return Trend(origin, 0.0, my, n)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx
    return Trend(origin, slope, my - slope * mx, n)


def forecast_seats(
    points: Sequence[tuple[dt.date, int]],
    target_date: dt.date,
    *,
    purchased: int,
    buffer_min_pct: float,
    buffer_max_pct: float,
    seat_price_cents: int,
) -> Forecast:
    """Seats needed at ``target_date`` (never below zero) and the band around it."""
    trend = fit_trend(points)
    # round before ceil so 10.000000001 from float noise does not become 11
    needed = max(0, math.ceil(round(trend.at(target_date), 6)))
    low = math.ceil(round(needed * (1 + buffer_min_pct / 100), 6))
    high = max(low, math.ceil(round(needed * (1 + buffer_max_pct / 100), 6)))
    return Forecast(trend, target_date, needed, low, high, purchased, seat_price_cents)


def daily_steps(changes: Sequence[tuple[dt.date, int]], start: dt.date,
                end: dt.date) -> list[tuple[dt.date, int]]:
    """A step function (value from each change day on) sampled once per day in [start, end].

    ``changes`` are (day, seats) observations such as the policy at each commit; days
    before the first observation are left out rather than guessed.
    """
    ordered = sorted(changes)
    out: list[tuple[dt.date, int]] = []
    current: int | None = None
    i = 0
    day = start
    while day <= end:
        while i < len(ordered) and ordered[i][0] <= day:
            current = ordered[i][1]
            i += 1
        if current is not None:
            out.append((day, current))
        day += dt.timedelta(days=1)
    return out
