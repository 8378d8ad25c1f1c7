"""Inactive seats: who held a seat without activity in the window, and what it costs.

Pure. A seat holder is inactive when their last active day (over everything the
store holds) is before ``today - days``. People added to the org inside the window
are not flagged (they have not had ``days`` days yet), nor are policy members who
are not members yet (pending invites), when the live state tells us so.

"Days inactive" counts from the last active day; with no activity on record, from the
day the member was added (live state) or, failing that, from the first day the store
holds, shown as a lower bound (``basis`` says which).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reconciler.usage.billing import billing_rule, next_billing_date
from reconciler.usage.roster import SeatHolder


@dataclass(frozen=True, slots=True)
class InactiveSeat:
    email: str
    team: str
    role: str
    tier: str
    monthly_price_cents: int
    last_active: dt.date | None
    days_inactive: int | None
    basis: str
    saves_from: dt.date


@dataclass(frozen=True, slots=True)
class InactiveReport:
    today: dt.date
    days: int
    active_definition: str
    billing_rule: str
    next_billing_date: dt.date
    coverage_start: dt.date | None
    seats: tuple[InactiveSeat, ...]

    @property
    def monthly_savings_cents(self) -> int:
        return sum(s.monthly_price_cents for s in self.seats)


def find_inactive(
    roster: Iterable[SeatHolder],
    last_active: Mapping[str, dt.date],
    *,
    days: int,
    today: dt.date,
    contract_start: dt.date | None,
    coverage_start: dt.date | None,
    active_definition: str,
) -> InactiveReport:
    """Seat holders with no activity in the ``days`` days before ``today``."""
    cutoff = today - dt.timedelta(days=days)
    saves_from = next_billing_date(today, contract_start)
    seats: list[InactiveSeat] = []
    for h in roster:
        if h.is_member is False:
            continue
        if h.added_on is not None and h.added_on > cutoff:
            continue
        last = last_active.get(h.email)
        if last is not None and last >= cutoff:
            continue
        if last is not None:
            since, basis = (today - last).days, "last activity"
        elif h.added_on is not None:
            since, basis = (today - h.added_on).days, "added, never active"
        elif coverage_start is not None:
            since, basis = (today - coverage_start).days, "at least (no activity on record)"
        else:
            since, basis = None, "no usage data synced"
        seats.append(
            InactiveSeat(
                email=h.email,
                team=h.team,
                role=h.role,
                tier=h.tier,
                monthly_price_cents=h.monthly_price_cents,
                last_active=last,
                days_inactive=since,
                basis=basis,
                saves_from=saves_from,
            )
        )
    seats.sort(key=lambda s: (-(s.days_inactive or 0), s.email))
    return InactiveReport(
        today=today,
        days=days,
        active_definition=active_definition,
        billing_rule=billing_rule(contract_start),
        next_billing_date=saves_from,
        coverage_start=coverage_start,
        seats=tuple(seats),
    )
