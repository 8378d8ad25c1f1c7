"""The one way to plan a policy against a live state, for every caller.

``plan.build_plan`` is pure and knows only the model, so the inputs that come from
other layers — each team's allocation as of the evaluation date (dynamic seating, from
``policy/``) and the Claude Code managed-settings changes (from ``settings/``) — are
computed here. ``seatctl plan``, apply's staleness check and drift all call
``plan_policy`` so they can never disagree about what the policy asks for.
"""

from __future__ import annotations

import datetime as dt

from reconciler.model import OrgState, Policy
from reconciler.plan.build import build_plan
from reconciler.plan.guards import Overrides
from reconciler.plan.model import Plan
from reconciler.policy.seating import allocated_seats_at
from reconciler.settings.diff import settings_changes


def allocations_at(policy: Policy, at: dt.date) -> dict[str, int]:
    """Each team's allocated seats on ``at`` (dynamic seating around sprints)."""
    return {name: allocated_seats_at(team, policy.budget, at)
            for name, team in policy.teams.items()}


def plan_policy(
    policy: Policy,
    live: OrgState,
    *,
    at: dt.date,
    now: dt.datetime,
    commit: str | None,
    approve_overflow: bool = False,
    overrides: Overrides | None = None,
) -> Plan:
    """Seats, groups, spend limits and managed settings: the whole plan."""
    return build_plan(
        policy, live, at=at, created_at=now, commit=commit,
        approve_overflow=approve_overflow, overrides=overrides or Overrides(),
        allocations=allocations_at(policy, at),
        extra_changes=settings_changes(policy, live) if live.complete else (),
    )
