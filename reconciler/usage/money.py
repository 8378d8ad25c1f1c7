"""What the org pays in one month: the one money model every figure comes from.

Chargeback, inactive savings, the monthly review, the dashboard and alerts all call
``monthly_bill``. Who holds a seat and its tier price come from ``model.seats``, which
the plan's seat cost (``plan.summary``), ``status`` and the pull request's policy diff
use too; a property test (tests/usage/test_usage_money.py) holds their totals to the
bill's.

The vendor's rules (ADMIN_API.md §12), as seatctl applies them:

- **Who holds a seat.** With the live org: every member added on or before the
  cycle's last day, and every *pending* invite sent on or before it (an invite takes a
  seat at once; an expired or deleted invite holds none). A policy member who is
  neither holds no seat and is not billed. Without the live org the policy's members
  stand in (minus those whose expiry is before the cycle), and the bill says so.
- **Price.** A seat costs its tier's monthly price (policy role → seat tier); a live
  member the policy does not list is priced at the default tier.
- **Purchased seats** are paid for the whole cycle in advance. Seats nobody holds are
  their own line (``unassigned``, at the default tier's price), so the bill adds up to
  the invoice. A holder beyond the purchased seats (overflow) is prorated from the day
  they were added to the cycle's end (charged at once); removing someone refunds
  nothing until the next cycle.
- **Cycle.** Monthly from the contract start's day of the month (the 1st without a
  contract start); ``--month 2026-11`` means the cycle that starts in November.
- **Contract window.** Nothing is billed before ``contract.start`` or after
  ``contract.end``; a cycle the window cuts is billed for its covered days only.
- **Metered usage** (cost reports, in cents) is added per member where the API
  reports it; cost of emails holding no seat is kept under ``(unlisted)``.

Pure and in integer cents: the lines add up to the totals exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from reconciler.model import OrgState, Policy
from reconciler.model.seats import SeatPrices, seat_holders
from reconciler.usage.billing import billing_day
from reconciler.usage.period import Period
from reconciler.usage.roster import UNLISTED, tier_price

#: Cost center of the purchased seats nobody holds.
UNASSIGNED = "(unassigned)"


@dataclass(frozen=True, slots=True)
class SeatCharge:
    """One held seat in one cycle: who, where it is charged, and how much."""

    email: str
    team: str
    cost_center: str
    role: str
    tier: str
    unit_price_cents: int
    charged_cents: int
    #: ``member``, ``pending invite`` or ``policy member`` (no live state read).
    holds_as: str
    listed: bool
    added_on: dt.date | None = None
    #: ``full`` or ``prorated from YYYY-MM-DD`` (overflow seats, cut contract cycles).
    basis: str = "full"


@dataclass(frozen=True, slots=True)
class Bill:
    """The org's bill for one cycle; ``total_cents`` is the invoice total."""

    cycle: Period
    purchased_seats: int
    seats: tuple[SeatCharge, ...]
    unassigned_seats: int
    unassigned_unit_cents: int
    unassigned_cents: int
    metered_cents_by_member: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType({})
    )
    #: Share of the cycle inside the contract window, as (covered days, cycle days).
    covered_days: int = 0
    notes: tuple[str, ...] = ()

    @property
    def held_seats(self) -> int:
        return len(self.seats)

    @property
    def seat_cents(self) -> int:
        return sum(s.charged_cents for s in self.seats)

    @property
    def metered_cents(self) -> int:
        return sum(self.metered_cents_by_member.values())

    @property
    def total_cents(self) -> int:
        return self.seat_cents + self.unassigned_cents + self.metered_cents

    def seat(self, email: str) -> SeatCharge | None:
        """The seat ``email`` holds in this cycle, if any."""
        for s in self.seats:
            if s.email == email:
                return s
        return None


def cycle_of(month: Period, contract_start: dt.date | None) -> Period:
    """The billing cycle starting in ``month`` (anchored on the contract start's day)."""
    anchor = contract_start.day if contract_start else 1
    start = billing_day(month.start.year, month.start.month, anchor)
    nxt_year, nxt_month = (
        (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
    )
    return Period(start, billing_day(nxt_year, nxt_month, anchor) - dt.timedelta(days=1))


def _covered_days(cycle: Period, policy: Policy) -> int:
    lo = max(cycle.start, policy.contract_start or cycle.start)
    hi = min(cycle.end, policy.contract_end or cycle.end)
    return max(0, (hi - lo).days + 1)


def _share(cents: int, days: int, of: int) -> int:
    """``cents × days / of`` rounded half up, in integers."""
    return (2 * cents * days + of) // (2 * of) if of else 0


def _holders(
    policy: Policy, cycle: Period, live: OrgState | None
) -> list[tuple[str, str, dt.date | None]]:
    """(email, holds_as, added_on) of everyone holding a seat in the cycle."""
    if live is None:
        return [
            (email, "policy member", None)
            for email, a in policy.assignments.items()
            if a.expires_on is None or a.expires_on >= cycle.start
        ]
    out: list[tuple[str, str, dt.date | None]] = []
    for email in seat_holders(live):
        member = live.members.get(email)
        if member is not None:
            holds_as, since = "member", member.added_at
        else:
            holds_as, since = "pending invite", live.invites[email].invited_at
        day = since.date() if since else None
        if day is None or day <= cycle.end:
            out.append((email, holds_as, day))
    return out


def monthly_bill(
    policy: Policy,
    month: Period,
    *,
    live: OrgState | None = None,
    metered_cents: Mapping[str, int] | None = None,
) -> Bill:
    """What the org pays for the cycle starting in ``month``, line by line (see module)."""
    cycle = cycle_of(month, policy.contract_start)
    covered = _covered_days(cycle, policy)
    notes: list[str] = []
    if live is None:
        notes.append("no live org read: the policy's members stand in for seat holders")
    if covered == 0:
        window = f"{policy.contract_start or '…'}..{policy.contract_end or '…'}"
        notes.append(f"cycle {cycle} is outside the contract ({window}): nothing is billed")
        return Bill(cycle, policy.budget.purchased_seats, (), 0, 0, 0,
                    MappingProxyType({}), 0, tuple(notes))
    if covered < cycle.days:
        notes.append(f"the contract covers {covered} of the cycle's {cycle.days} days: "
                     "charges are prorated")
    prices = SeatPrices.of(policy)
    default_tier = prices.default_tier
    default_price = tier_price(prices, default_tier, "default tier")
    holders = _holders(policy, cycle, live)
    # The earliest holders fill the purchased seats; later ones overflow (prorated).
    holders.sort(key=lambda h: (h[2] or dt.date.min, h[0]))
    purchased = policy.budget.purchased_seats
    seats: list[SeatCharge] = []
    for index, (email, holds_as, added) in enumerate(holders):
        a = policy.assignments.get(email)
        role = policy.roles.get(a.role) if a else None
        team = policy.teams.get(a.team) if a else None
        tier = prices.role_tier(role.key if role else None)
        unit = tier_price(prices, tier, f"role {role.key}") if role else default_price
        days, basis = covered, "full"
        if index >= purchased and added is not None and added > cycle.start:
            days = min(covered, (cycle.end - added).days + 1)
            basis = f"prorated from {added} (beyond the {purchased} purchased seats)"
        elif covered < cycle.days:
            basis = f"prorated: {covered} of {cycle.days} days in the contract"
        seats.append(SeatCharge(
            email=email,
            team=team.name if team else UNLISTED,
            cost_center=team.cost_center if team else UNLISTED,
            role=role.key if role else (live.members[email].role
                                        if live is not None and email in live.members
                                        else ""),
            tier=tier,
            unit_price_cents=unit,
            charged_cents=_share(unit, days, cycle.days),
            holds_as=holds_as,
            listed=a is not None,
            added_on=added,
            basis=basis,
        ))
    seats.sort(key=lambda s: (s.cost_center == UNLISTED, s.cost_center, s.team, s.email))
    free = max(0, purchased - len(seats))
    metered = {e.strip().lower(): c for e, c in (metered_cents or {}).items() if c}
    if metered_cents is None:
        notes.append("no metered cost synced for this cycle: seats only "
                     "(run `seatctl usage sync` against an org whose cost reports are read)")
    return Bill(
        cycle=cycle,
        purchased_seats=purchased,
        seats=tuple(seats),
        unassigned_seats=free,
        unassigned_unit_cents=default_price,
        unassigned_cents=free * _share(default_price, covered, cycle.days),
        metered_cents_by_member=MappingProxyType(metered),
        covered_days=covered,
        notes=tuple(notes),
    )
