"""``seatctl status``: the organization at a glance, from one live read.

What the vendor guide's first command shows — organization, plan, seats allocated and
active, licence end — plus what only seatctl knows: whether the live org matches the
merged policy. ``build_status`` is pure (policy, live state, drift report, usage
figures, today → ``OrgStatus``); ``collect_status`` is the edge that does the one live
read and opens the usage store if it has been synced.

Definitions, shared with the plan's seat guard so the numbers agree:

- seats assigned = live members + pending invites (a pending invite holds a seat);
- free seats = purchased − assigned; free % is of the purchased seats;
- the buffer band is ``ceil(purchased × min %)`` … ``floor(purchased × max %)`` free seats;
- active = members active on at least one of the last 30 days (ending yesterday), by
  the usage settings' definition of "active";
- the month's bill is ``usage.money.monthly_bill`` (the one money model chargeback
  uses), seats only: held seats at their tier prices plus the unassigned ones.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from reconciler.errors import ConfigError
from reconciler.gitops.drift import DriftReport, drift_from_live, read_live
from reconciler.gitops.state import LastApply
from reconciler.model import OrgState, Policy
from reconciler.model.seats import pending_invitees
from reconciler.providers.base import Provider
from reconciler.usage.money import Bill, monthly_bill
from reconciler.usage.period import month_of

ACTIVE_WINDOW_DAYS = 30
BufferState = Literal["below", "inside", "above"]
SyncState = Literal["in_sync", "drift", "not_applied"]


@dataclass(frozen=True, slots=True)
class TierLine:
    name: str
    seat_type: str
    monthly_price_cents: int
    assigned: int


@dataclass(frozen=True, slots=True)
class ActiveSeats:
    """Active members in the window, or why it is unknown."""

    active: int | None
    window_start: dt.date
    window_end: dt.date
    definition: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class OrgStatus:
    org_name: str
    org_type: str
    provider: str
    today: dt.date
    purchased_seats: int
    tiers: tuple[TierLine, ...]
    members: int
    pending_invites: int
    active: ActiveSeats
    buffer_min_pct: float
    buffer_max_pct: float
    contract_end: dt.date | None
    sync: SyncState
    drift_counts: Mapping[str, int]
    policy_commit: str | None
    last_apply_commit: str | None
    #: This month's bill from the money model (``usage.money``), seats only.
    bill: Bill | None = None

    @property
    def assigned(self) -> int:
        return self.members + self.pending_invites

    @property
    def free(self) -> int:
        return self.purchased_seats - self.assigned

    @property
    def free_pct(self) -> float:
        return round(100.0 * self.free / self.purchased_seats, 1) if self.purchased_seats else 0.0

    @property
    def band_seats(self) -> tuple[int, int]:
        return (math.ceil(self.purchased_seats * self.buffer_min_pct / 100),
                math.floor(self.purchased_seats * self.buffer_max_pct / 100))

    @property
    def buffer(self) -> BufferState:
        low, high = self.band_seats
        return "below" if self.free < low else "above" if self.free > high else "inside"

    @property
    def days_left(self) -> int | None:
        return (self.contract_end - self.today).days if self.contract_end else None


def tier_lines(policy: Policy) -> tuple[TierLine, ...]:
    """Every tier with its price and the policy members whose role sits on it."""
    counts: dict[str, int] = {}
    for a in policy.assignments.values():
        role = policy.roles.get(a.role)
        if role is not None and a.email in policy.desired.members:
            counts[role.seat_tier] = counts.get(role.seat_tier, 0) + 1
    return tuple(TierLine(t.name, getattr(t, "seat_type", "") or t.name.capitalize(),
                          t.monthly_price_cents, counts.get(name, 0))
                 for name, t in sorted(policy.budget.tiers.items()))


def sync_state(drift: DriftReport) -> SyncState:
    """``drift`` wins over ``not_applied``: a console edit is the more urgent news."""
    counts = drift.counts
    if not drift.drifted:
        return "in_sync"
    if counts["not_applied"] and not (counts["changed_outside"] or counts["identity_provider"]
                                      or counts["unknown"]):
        return "not_applied"
    return "drift"


def build_status(policy: Policy, live: OrgState, drift: DriftReport, active: ActiveSeats,
                 *, today: dt.date) -> OrgStatus:
    return OrgStatus(
        org_name=live.org_name or policy.org_name,
        org_type=live.org_type.value,
        provider=policy.provider,
        today=today,
        purchased_seats=policy.budget.purchased_seats,
        tiers=tier_lines(policy),
        members=len(live.members),
        pending_invites=len(pending_invitees(live)),
        active=active,
        buffer_min_pct=policy.budget.growth_buffer_min_pct,
        buffer_max_pct=policy.budget.growth_buffer_max_pct,
        contract_end=policy.contract_end,
        sync=sync_state(drift),
        drift_counts=drift.counts,
        policy_commit=drift.policy_commit,
        last_apply_commit=drift.last_apply_commit,
        bill=monthly_bill(policy, month_of(today), live=live),
    )


def active_seats(policy: Policy, live: OrgState, store_path: str | os.PathLike[str],
                 today: dt.date) -> ActiveSeats:
    """Active live members over the 30 days ending yesterday, from the local usage store."""
    from reconciler.usage.active import compile_active
    from reconciler.usage.store import UsageStore

    end = today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=ACTIVE_WINDOW_DAYS - 1)
    path = pathlib.Path(store_path)
    if not path.exists():
        return ActiveSeats(None, start, end, "", "no usage data; run `seatctl usage sync`")
    try:
        definition = compile_active(policy.usage.active_products, policy.usage.active_metrics)
    except ConfigError as exc:  # status still shows everything else
        return ActiveSeats(None, start, end, "", f"cannot count active seats: {exc.message}")
    with UsageStore(path) as store:
        coverage = store.coverage()
        if coverage is None:
            return ActiveSeats(None, start, end, definition.describe(),
                               "no usage data; run `seatctl usage sync`")
        totals = store.member_totals(start, end, definition)
    active = sum(1 for email, t in totals.items() if email in live.members and t.active_days)
    note = ""
    if coverage[1] < end:
        note = f"usage data ends {coverage[1]}; run `seatctl usage sync` for the latest days"
    return ActiveSeats(active, start, end, definition.describe(), note)


def collect_status(policy: Policy, provider: Provider, *, today: dt.date, now: dt.datetime,
                   last: LastApply | None, store_path: str | os.PathLike[str]) -> OrgStatus:
    """One live read (read-only), then drift and the pure assembly."""
    live = read_live(provider)
    drift = drift_from_live(policy, live, at=today, now=now, last=last)
    return build_status(policy, live, drift, active_seats(policy, live, store_path, today),
                        today=today)
