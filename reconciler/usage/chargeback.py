"""Chargeback for one month: seats × tier price (+ metered cost) per cost center.

Pure and in integer cents, so the lines add up to the totals exactly. A seat is
charged for the month when it is held at any point of it (seats bill monthly in
advance; see ``billing``): its holder was added on or before the month's last day
(when known) and has no policy expiry before the month's first day.

Metered cost: the per-user analytics (``/v1/organizations/analytics/users``) carry no
cost, so metered cost is 0 with a note unless the caller passes per-member metered
cents from a source that has them (e.g. the Console Claude Code report's
``estimated_cost``, in cents).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.usage.period import Period
from reconciler.usage.roster import SeatHolder

NO_METERED_SOURCE = "metered cost is 0: /v1/organizations/analytics/users carries no cost per user"


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
class ChargebackReport:
    month: Period
    lines: tuple[ChargebackLine, ...]
    notes: tuple[str, ...]

    @property
    def seats(self) -> int:
        return sum(line.seats for line in self.lines)

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


def held_in(holder: SeatHolder, month: Period) -> bool:
    """Whether a seat is billed for ``month``."""
    if holder.added_on is not None and holder.added_on > month.end:
        return False
    return not (holder.expires_on is not None and holder.expires_on < month.start)


def build_chargeback(
    roster: Iterable[SeatHolder],
    month: Period,
    *,
    metered_cents: Mapping[str, int] | None = None,
) -> ChargebackReport:
    """One line per (cost center, tier), sorted; unlisted members under ``(unlisted)``."""
    groups: dict[tuple[str, str, int], list[SeatHolder]] = {}
    for h in roster:
        if held_in(h, month):
            groups.setdefault((h.cost_center, h.tier, h.monthly_price_cents), []).append(h)
    lines = []
    for (cc, tier, price), holders in sorted(groups.items()):
        metered = sum((metered_cents or {}).get(h.email, 0) for h in holders)
        lines.append(ChargebackLine(cc, tier, len(holders), price, price * len(holders), metered))
    notes = () if metered_cents is not None else (NO_METERED_SOURCE,)
    return ChargebackReport(month, tuple(lines), notes)


def format_cents(cents: int) -> str:
    """Integer cents → ``1234.56`` exactly (no float on the way)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{whole}.{frac:02d}"
