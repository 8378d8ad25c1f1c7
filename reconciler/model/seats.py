"""Who holds a seat and what a seat costs a month: the vendor's rules (ADMIN_API.md §12), once.

The plan's seats and cost (``plan.summary``), the monthly bill every usage figure comes
from (``usage.money``), ``status`` and the pull request's policy diff all ask these two
questions. They answer them here so that their figures cannot drift apart: a seat is
held by a member or by a *pending* invite (the invite takes the seat when it is sent;
an expired, deleted or accepted invite holds none), and it costs its holder's seat tier
price, which is the policy role's tier, or the default tier for anyone the policy does
not list. Dates (who held a seat in which billing cycle) are the bill's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from reconciler.model.policy import Policy
from reconciler.model.state import OrgState


def holds_seat(state: OrgState, email: str) -> bool:
    """True when ``email`` is a member or has a pending invite."""
    if email in state.members:
        return True
    invite = state.invites.get(email)
    return invite is not None and invite.status == "pending"


def pending_invitees(state: OrgState) -> list[str]:
    """Emails holding a seat through a pending invite (never also a member)."""
    members = state.members
    return [e for e, i in state.invites.items() if i.status == "pending" and e not in members]


def seat_holders(state: OrgState) -> list[str]:
    """Everyone holding a seat: members, then pending invitees."""
    return [*state.members, *pending_invitees(state)]


@dataclass(frozen=True, slots=True)
class SeatPrices:
    """Monthly price per seat tier and per policy role, in cents.

    A role whose tier has no price, and anyone without a role, is priced at the default
    tier (validation refuses a role naming an unknown tier, so that fallback only
    applies to policies built in code); ``tier_cents`` answers None for an unknown tier
    so the bill can refuse to guess.
    """

    default_tier: str
    default_cents: int
    tier_of_role: Mapping[str, str]
    cents_of_tier: Mapping[str, int]

    @classmethod
    def of(cls, policy: Policy) -> SeatPrices:
        cents = {name: t.monthly_price_cents for name, t in policy.budget.tiers.items()}
        default = policy.budget.default_tier
        return cls(default, cents.get(default, 0),
                   MappingProxyType({k: r.seat_tier for k, r in policy.roles.items()}),
                   MappingProxyType(cents))

    def tier_cents(self, tier: str) -> int | None:
        return self.cents_of_tier.get(tier)

    def role_tier(self, role: str | None) -> str:
        """The seat tier a role sits on (the default tier for no or an unknown role)."""
        return self.tier_of_role.get(role or "", self.default_tier)

    def role_cents(self, role: str | None) -> int:
        price = self.cents_of_tier.get(self.role_tier(role))
        return self.default_cents if price is None else price

    def of_email(self, policy: Policy, email: str) -> int:
        """What ``email``'s seat costs: their policy role's tier, else the default tier."""
        assignment = policy.assignments.get(email)
        return self.role_cents(assignment.role if assignment else None)
