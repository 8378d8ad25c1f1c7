"""Who holds a seat and what it costs: the rules the plan, the bill and status share.

No date is involved: seat holding here is the state as read; the bill (tests/usage/
test_usage_money.py) adds the cycle dates.
"""

from __future__ import annotations

import pathlib
from types import MappingProxyType

from reconciler.model import Invite, Member, OrgState, OrgType
from reconciler.model.seats import SeatPrices, holds_seat, pending_invitees, seat_holders
from reconciler.policy import load_policy

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "policies"


def _state(members: list[str], invites: dict[str, str]) -> OrgState:
    return OrgState(
        OrgType.ENTERPRISE,
        MappingProxyType({e: Member(e, "user") for e in members}),
        MappingProxyType({e: Invite(e, "user", status=s)  # type: ignore[arg-type]
                          for e, s in invites.items()}),
    )


def test_members_and_pending_invitees_hold_seats_other_invites_do_not() -> None:
    state = _state(["a@x.example"], {"b@x.example": "pending", "c@x.example": "expired",
                                     "d@x.example": "deleted", "e@x.example": "accepted"})
    assert seat_holders(state) == ["a@x.example", "b@x.example"]
    assert pending_invitees(state) == ["b@x.example"]
    assert [e for e in ("a", "b", "c", "d", "e", "z") if holds_seat(state, f"{e}@x.example")] \
        == ["a", "b"]


def test_a_role_costs_its_tier_and_the_unlisted_cost_the_default_tier() -> None:
    policy = load_policy(EXAMPLE)
    prices = SeatPrices.of(policy)
    tiers = {n: t.monthly_price_cents for n, t in policy.budget.tiers.items()}
    for key, role in policy.roles.items():
        assert prices.role_cents(key) == tiers[role.seat_tier]
    assert prices.role_cents(None) == prices.role_cents("no-such-role") \
        == tiers[policy.budget.default_tier] == prices.default_cents
    listed = next(iter(policy.assignments.values()))
    assert prices.of_email(policy, listed.email) == tiers[policy.roles[listed.role].seat_tier]
    assert prices.of_email(policy, "stranger@x.example") == prices.default_cents
    assert prices.tier_cents("no-such-tier") is None
