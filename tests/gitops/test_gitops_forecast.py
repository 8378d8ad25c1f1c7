"""Renewal forecast on synthetic seat trends: flat, growing, shrinking."""

from __future__ import annotations

import datetime as dt

import pytest

from reconciler.gitops.forecast import daily_steps, fit_trend, forecast_seats

START = dt.date(2026, 1, 1)
END = dt.date(2027, 6, 30)


def _series(days: int, f: object) -> list[tuple[dt.date, int]]:
    return [(START + dt.timedelta(days=i), f(i)) for i in range(days)]  # type: ignore[operator]


def _forecast(points: list[tuple[dt.date, int]], purchased: int = 50):  # type: ignore[no-untyped-def]
    return forecast_seats(points, END, purchased=purchased, buffer_min_pct=10,
                          buffer_max_pct=15, seat_price_cents=3000)


def test_flat_trend_needs_todays_seats_plus_the_band() -> None:
    fc = _forecast(_series(180, lambda i: 40))
    assert fc.trend.slope_per_day == 0
    assert (fc.seats_needed, fc.band_low, fc.band_high) == (40, 44, 46)
    # 50 purchased is above the 46 top of the band: give 4 back, save $120/month
    assert fc.recommended == 46 and fc.seat_delta == -4 and fc.monthly_delta_cents == -12000
    assert fc.verdict == "give back 4 seats"


def test_growing_trend_is_extended_to_the_contract_end() -> None:
    # +1 seat every 10 days from 20: on END (545 days after START) that is 20 + 54.5
    fc = _forecast(_series(200, lambda i: 20 + i // 10))
    expected_needed = 20 + 545 / 10 - 0.45  # OLS of a floor step: intercept shifts by ~-0.45
    assert abs(fc.trend.slope_per_day - 0.1) < 0.001
    assert fc.seats_needed == pytest.approx(expected_needed, abs=1)
    assert fc.band_low == -(-fc.seats_needed * 110 // 100)
    assert fc.seat_delta == fc.band_low - 50 > 0
    assert fc.monthly_delta_cents == fc.seat_delta * 3000
    assert fc.verdict.startswith("buy ")


def test_exact_linear_growth_gives_exact_numbers() -> None:
    pts = [(START, 10), (START + dt.timedelta(days=100), 20)]
    fc = forecast_seats(pts, START + dt.timedelta(days=200), purchased=30,
                        buffer_min_pct=10, buffer_max_pct=15, seat_price_cents=2000)
    assert fc.seats_needed == 30
    assert (fc.band_low, fc.band_high) == (33, 35)
    assert fc.seat_delta == 3 and fc.monthly_delta_cents == 6000


def test_shrinking_trend_never_goes_below_zero_seats() -> None:
    fc = _forecast(_series(100, lambda i: max(0, 30 - i // 3)))
    assert fc.trend.slope_per_day < 0
    assert fc.seats_needed == 0 and fc.band_low == 0 and fc.recommended == 0
    assert fc.monthly_delta_cents == -50 * 3000


def test_purchase_inside_the_band_costs_nothing_more() -> None:
    fc = _forecast(_series(30, lambda i: 44), purchased=50)
    assert (fc.band_low, fc.band_high) == (49, 51)
    assert fc.seat_delta == 0 and fc.verdict == "today's purchase is inside the band"


def test_one_observation_is_a_flat_line_and_none_is_an_error() -> None:
    assert fit_trend([(START, 7)]).at(END) == 7
    with pytest.raises(ValueError):
        fit_trend([])


def test_daily_steps_hold_each_value_until_the_next_change() -> None:
    steps = daily_steps([(START + dt.timedelta(days=2), 5), (START + dt.timedelta(days=4), 8)],
                        START, START + dt.timedelta(days=5))
    assert [v for _, v in steps] == [5, 5, 8, 8]
    assert steps[0][0] == START + dt.timedelta(days=2)
