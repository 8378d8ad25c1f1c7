"""Who holds a seat, in which team, role, tier and cost center, at what monthly price.

Reports, inactive seats, alerts and chargeback all need the same join of policy
(assignments → team → cost center; role → seat tier → price) with, when available,
the live org (who is really a member, since when, and who is there unlisted).
Pure: policy and live state in, frozen rows out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reconciler.errors import PolicyError
from reconciler.model import OrgState, Policy
from reconciler.model.seats import SeatPrices

#: Team and cost center shown for live members the policy does not list.
UNLISTED = "(unlisted)"


@dataclass(frozen=True, slots=True)
class SeatHolder:
    """One seat: policy facts joined with the live member when known.

    ``is_member`` is True/False when a live state was given (a policy member still on
    a pending invite is False), None when only the policy was read.
    """

    email: str
    team: str
    cost_center: str
    role: str
    tier: str
    monthly_price_cents: int
    max_daily_hours: float | None = None
    added_on: dt.date | None = None
    expires_on: dt.date | None = None
    listed: bool = True
    is_member: bool | None = None


def tier_price(prices: SeatPrices, tier: str, where: str) -> int:
    """The tier's monthly price; a tier without one is an error, never a guess."""
    found = prices.tier_cents(tier)
    if found is None:
        raise PolicyError(
            f"{where}: seat tier {tier!r} has no price",
            hint="declare it under seats.tiers in org.yaml "
                 f"(known: {sorted(prices.cents_of_tier)})",
        )
    return found


def build_roster(policy: Policy, live: OrgState | None = None) -> tuple[SeatHolder, ...]:
    """Every seat holder, sorted by team then email; unlisted live members last."""
    prices = SeatPrices.of(policy)
    out: list[SeatHolder] = []
    for email, a in policy.assignments.items():
        team = policy.teams.get(a.team)
        role = policy.roles.get(a.role)
        if team is None or role is None:
            raise PolicyError(
                f"{a.source or email}: member {email} names unknown "
                f"{'team ' + a.team if team is None else 'role ' + a.role}",
                hint="run `seatctl validate` and fix the policy first",
            )
        member = live.members.get(email) if live is not None else None
        out.append(
            SeatHolder(
                email=email,
                team=team.name,
                cost_center=team.cost_center,
                role=role.key,
                tier=role.seat_tier,
                monthly_price_cents=tier_price(prices, role.seat_tier, f"role {role.key}"),
                max_daily_hours=role.max_daily_hours,
                added_on=member.added_at.date() if member and member.added_at else None,
                expires_on=a.expires_on,
                listed=True,
                is_member=None if live is None else member is not None,
            )
        )
    out.sort(key=lambda s: (s.team, s.email))
    if live is not None:
        tier = policy.budget.default_tier
        for email in sorted(set(live.members) - set(policy.assignments)):
            m = live.members[email]
            out.append(
                SeatHolder(
                    email=email,
                    team=UNLISTED,
                    cost_center=UNLISTED,
                    role=m.role,
                    tier=tier,
                    monthly_price_cents=tier_price(prices, tier, "default tier"),
                    added_on=m.added_at.date() if m.added_at else None,
                    listed=False,
                    is_member=True,
                )
            )
    return tuple(out)
