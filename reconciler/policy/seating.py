"""Dynamic seating lives in ``reconciler.plan.seating`` (the planner evaluates it on
the plan's date); re-exported here for the policy rules and callers of the policy API."""

from reconciler.plan.seating import allocated_seats_at as allocated_seats_at
from reconciler.plan.seating import parse_offset as parse_offset

__all__ = ["allocated_seats_at", "parse_offset"]
