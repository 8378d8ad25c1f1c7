"""Dynamic seating: a team's allocation on a given day, around its sprints.

The vendor guide's rules read: ``sprint_start`` with ``offset: -2d`` and
``additional_seats: 10`` adds ten seats two days before each sprint starts;
``sprint_end`` with ``offset: +5d`` and ``release_seats: 5`` gives five of them back
five days after it ends. A sprint's extra seats last until the next sprint's first
rule fires, which replaces them (extras never pile up across sprints), and releases
never take a team below its base allocation. After the last sprint, once its last rule
has fired, the team is back at its base allocation: what a release leaves is held for
a next sprint, and there is none. Pure: the day is an argument.
"""

from __future__ import annotations

import datetime as dt
import re

from reconciler.model import ScalingRule, SeatBudget, Sprint, Team

_OFFSET = re.compile(r"^([+-]?)([0-9]{1,3})([dw])$")


def parse_offset(text: str) -> int:
    """``-2d`` → -2, ``+1w`` → 7 (the schema guarantees the shape)."""
    m = _OFFSET.match(text.strip())
    if m is None:
        raise ValueError(f"bad offset {text!r}")
    days = int(m.group(2)) * (7 if m.group(3) == "w" else 1)
    return -days if m.group(1) == "-" else days


def _rule_day(sprint: Sprint, rule: ScalingRule) -> dt.date:
    anchor = sprint.start if rule.trigger == "sprint_start" else sprint.end
    return anchor + dt.timedelta(days=rule.offset_days)


def extra_seats_at(sprints: tuple[Sprint, ...], rules: tuple[ScalingRule, ...],
                   at: dt.date) -> int:
    """Extra seats on day ``at`` from the latest sprint whose first rule has fired."""
    if not sprints or not rules:
        return 0
    current: Sprint | None = None
    later = False
    for sprint in sorted(sprints, key=lambda s: s.start):
        if min(_rule_day(sprint, r) for r in rules) <= at:
            current = sprint
        else:
            later = True
    if current is None:
        return 0
    if not later and max(_rule_day(current, r) for r in rules) <= at:
        return 0  # the last sprint's rules have all fired: nothing is held for a next one
    extra = 0
    for rule in rules:
        if _rule_day(current, rule) <= at:
            extra += rule.additional_seats - rule.release_seats
    return max(extra, 0)


def allocated_seats_at(team: Team, budget: SeatBudget, at: dt.date) -> int:
    """The team's allocated seats on ``at``: its base allocation plus sprint extras when
    org.yaml's dynamic seating is enabled (the planner calls this for ``--at``)."""
    if budget.dynamic is None or not budget.dynamic.enabled:
        return team.allocated_seats
    rules = team.scaling_rules or budget.dynamic.scaling_rules
    return team.allocated_seats + extra_seats_at(team.sprints, rules, at)
