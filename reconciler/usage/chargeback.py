"""Chargeback for one month: the month's bill (``money.monthly_bill``) per cost center.

Pure and in integer cents, so the lines add up to the invoice total exactly. The bill
decides who holds a seat, at what price and for how many days; chargeback only groups
it: one line per (cost center, seat tier) with seat and metered cost, the purchased
seats nobody holds as their own ``(unassigned)`` line, metered cost of emails holding
no seat under ``(unlisted)``, and one line per member.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.usage.money import UNASSIGNED, Bill
from reconciler.usage.period import Period
from reconciler.usage.roster import UNLISTED


@dataclass(frozen=True, slots=True)
class ChargebackLine:
    cost_center: str
    tier: str
    seats: int
    unit_price_cents: int
    seat_cost_cents: int
    metered_cents: int

    @property
    def total_cents(self) -> int:
        return self.seat_cost_cents + self.metered_cents


@dataclass(frozen=True, slots=True)
class MemberCharge:
    """One member's share: their seat (if they hold one) and their metered cost."""

    email: str
    team: str
    cost_center: str
    tier: str
    seat_cost_cents: int
    metered_cents: int
    basis: str

    @property
    def total_cents(self) -> int:
        return self.seat_cost_cents + self.metered_cents


@dataclass(frozen=True, slots=True)
class ChargebackReport:
    month: Period
    lines: tuple[ChargebackLine, ...]
    notes: tuple[str, ...]
    members: tuple[MemberCharge, ...] = ()
    #: The invoice this reconciles to (``Bill.total_cents``).
    invoice_cents: int = 0
    purchased_seats: int = 0

    @property
    def seats(self) -> int:
        return sum(line.seats for line in self.lines if line.cost_center != UNASSIGNED)

    @property
    def seat_cost_cents(self) -> int:
        return sum(line.seat_cost_cents for line in self.lines)

    @property
    def metered_cents(self) -> int:
        return sum(line.metered_cents for line in self.lines)

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self.lines)

    def by_cost_center(self) -> dict[str, int]:
        """Total cents per cost center (the dashboard's bar chart)."""
        out: dict[str, int] = {}
        for line in self.lines:
            out[line.cost_center] = out.get(line.cost_center, 0) + line.total_cents
        return out


def build_chargeback(bill: Bill) -> ChargebackReport:
    """Group the bill by (cost center, tier); the lines' total is the invoice total."""
    groups: dict[tuple[str, str], list[int]] = {}
    members: list[MemberCharge] = []
    metered = dict(bill.metered_cents_by_member)
    for s in bill.seats:
        slot = groups.setdefault((s.cost_center, s.tier), [0, 0, 0, s.unit_price_cents])
        m = metered.pop(s.email, 0)
        slot[0] += 1
        slot[1] += s.charged_cents
        slot[2] += m
        members.append(MemberCharge(s.email, s.team, s.cost_center, s.tier,
                                    s.charged_cents, m, f"{s.holds_as}, {s.basis}"))
    for email, m in sorted(metered.items()):  # cost of people holding no seat
        slot = groups.setdefault((UNLISTED, ""), [0, 0, 0, 0])
        slot[2] += m
        members.append(MemberCharge(email, UNLISTED, UNLISTED, "", 0, m, "no seat, metered only"))
    lines = [ChargebackLine(cc, tier, n, unit, cost, met)
             for (cc, tier), (n, cost, met, unit) in sorted(
                 groups.items(), key=lambda kv: (kv[0][0] == UNLISTED, kv[0]))]
    if bill.unassigned_seats:
        lines.append(ChargebackLine(UNASSIGNED, "", bill.unassigned_seats,
                                    bill.unassigned_unit_cents, bill.unassigned_cents, 0))
    members.sort(key=lambda m: (m.cost_center == UNLISTED, m.cost_center, m.email))
    return ChargebackReport(bill.cycle, tuple(lines), bill.notes, tuple(members),
                            bill.total_cents, bill.purchased_seats)


def format_cents(cents: int) -> str:
    """Integer cents → ``1234.56`` exactly (no float on the way)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"
