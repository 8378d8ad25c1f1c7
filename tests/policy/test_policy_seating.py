"""Dynamic seating around sprints (the guide's scaling rules), as the planner uses it."""

from __future__ import annotations

import datetime as dt

import pytest
from policy_testkit import EXAMPLE, TODAY

from reconciler.policy import allocated_seats_at, load_policy
from reconciler.policy.seating import parse_offset

D = dt.date


@pytest.mark.parametrize("day, seats", [
    (D(2026, 10, 30), 10),   # before the first sprint's window
    (D(2026, 10, 31), 20),   # two days before 2026-11-02: +10
    (D(2026, 11, 13), 20),   # last sprint day
    (D(2026, 11, 18), 15),   # five days after 2026-11-13: release 5
    (D(2026, 11, 28), 20),   # next sprint's window replaces the leftover extras
    (D(2026, 12, 16), 15),
    (D(2027, 1, 9), 20),     # the last sprint (2027-01-11 to 01-22) opens: +10
    (D(2027, 1, 26), 20),    # its release rule has not fired yet
    (D(2027, 1, 27), 10),    # its last rule fired and no sprint follows: back to base
    (D(2028, 3, 1), 10),     # and stays there
], ids=str)
def test_backend_allocation_follows_sprints(day: dt.date, seats: int) -> None:
    p = load_policy(EXAMPLE, today=TODAY)
    assert allocated_seats_at(p.teams["backend"], p.budget, day) == seats


def test_teams_without_sprints_and_disabled_seating_keep_base() -> None:
    import dataclasses

    p = load_policy(EXAMPLE, today=TODAY)
    assert allocated_seats_at(p.teams["platform"], p.budget, D(2026, 11, 1)) == 8
    assert p.budget.dynamic is not None
    off = dataclasses.replace(p.budget, dynamic=dataclasses.replace(p.budget.dynamic,
                                                                    enabled=False))
    assert allocated_seats_at(p.teams["backend"], off, D(2026, 11, 1)) == 10


@pytest.mark.parametrize("text, days", [("-2d", -2), ("+5d", 5), ("3d", 3), ("+1w", 7),
                                        ("-2w", -14), ("0d", 0)])
def test_offsets(text: str, days: int) -> None:
    assert parse_offset(text) == days
