"""What a plan means in seats and money: per team and cost center, before → after.

Who holds a seat and what it costs come from ``model.seats``, the rules the monthly
bill (``usage.money``) uses too, so the plan's cost of a full cycle is the bill's seat
line (a property test in tests/usage/test_usage_money.py holds them to it). Money is
integer cents.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

from reconciler.model import OrgState, Policy
from reconciler.model.seats import SeatPrices, holds_seat, seat_holders
from reconciler.plan.changes import Change, kind_spec


@dataclass(frozen=True, slots=True)
class Tally:
    """Seats and monthly cost of one team or cost center (or the whole org) before → after."""

    name: str
    seats_before: int
    seats_after: int
    cost_before_cents: int
    cost_after_cents: int
    allocated: int | None = None
    cost_center: str = ""

    @property
    def changed(self) -> bool:
        return (self.seats_before, self.cost_before_cents) != (
            self.seats_after,
            self.cost_after_cents,
        )


@dataclass(frozen=True, slots=True)
class Summary:
    counts: Mapping[str, int]
    total: Tally
    purchased_seats: int
    teams: tuple[Tally, ...]
    cost_centers: tuple[Tally, ...]

    @property
    def change_count(self) -> int:
        return sum(self.counts.values())


_TEAM_ROLE = attrgetter("team", "role")


def summarize(
    policy: Policy,
    before: OrgState,
    after: OrgState,
    changes: Sequence[Change],
    allocations: Mapping[str, int] | None = None,
) -> Summary:
    """Seats and cost per team / cost center, and change counts by kind (in plan order)."""
    prices = SeatPrices.of(policy)
    default_price = prices.default_cents
    role_price = {key: prices.role_cents(key) for key in policy.roles}
    assignments = policy.assignments
    center_of = {name: team.cost_center for name, team in policy.teams.items()}

    def price_of(email: str) -> tuple[str | None, int]:
        a = assignments.get(email)
        if a is None:
            return None, default_price
        return a.team, role_price.get(a.role, default_price)

    def add(per_team: dict[str, list[int]], total: list[int], email: str, sign: int) -> None:
        team, price = price_of(email)
        total[0] += sign
        total[1] += sign * price
        if team is not None:
            slot = per_team.setdefault(team, [0, 0])
            slot[0] += sign
            slot[1] += sign * price

    # before: one C-level count of (team, role) over the policy's assignments, in their
    # own order (no lookup per seat holder), less the few assigned people who hold no
    # seat; priced per pair
    holders = seat_holders(before)
    pairs = Counter(map(_TEAM_ROLE, assignments.values()))
    seatless = [e for e in assignments.keys() - before.members.keys() if not holds_seat(before, e)]
    pairs.subtract(map(_TEAM_ROLE, map(assignments.__getitem__, seatless)))
    unlisted = len(holders) - (len(assignments) - len(seatless))
    tb: dict[str, list[int]] = {}
    total_b = [unlisted, unlisted * default_price]
    for (team_name, role), n in pairs.items():
        if n <= 0:
            continue
        price = role_price.get(role, default_price) * n
        slot = tb.setdefault(team_name, [0, 0])
        slot[0] += n
        slot[1] += price
        total_b[0] += n
        total_b[1] += price
    # after = before adjusted for the people whose seat the changes touch (linear in
    # the change count, not the org size)
    ta = {team: list(v) for team, v in tb.items()}
    total_a = list(total_b)
    touched = {str(c.data.get("email")) for c in changes if c.data.get("email")}
    for email in touched:
        held_before, held_after = holds_seat(before, email), holds_seat(after, email)
        if held_before != held_after:
            add(ta, total_a, email, 1 if held_after else -1)
    allocations = allocations or {}
    teams: list[Tally] = []
    for name in sorted(set(policy.teams) | set(tb) | set(ta)):
        b, a = tb.get(name, [0, 0]), ta.get(name, [0, 0])
        team = policy.teams.get(name)
        allocated = allocations.get(name, team.allocated_seats if team else 0)
        teams.append(Tally(name, b[0], a[0], b[1], a[1], allocated, center_of.get(name, "")))
    centers: dict[str, list[int]] = {}
    for t in teams:
        slot = centers.setdefault(t.cost_center or "(none)", [0, 0, 0, 0])
        slot[0] += t.seats_before
        slot[1] += t.seats_after
        slot[2] += t.cost_before_cents
        slot[3] += t.cost_after_cents
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    ordered = dict(sorted(counts.items(), key=lambda kv: (kind_spec(kv[0]).phase,
                                                           kind_spec(kv[0]).rank)))
    return Summary(
        counts=ordered,
        total=Tally("organization", total_b[0], total_a[0], total_b[1], total_a[1],
                    policy.budget.purchased_seats),
        purchased_seats=policy.budget.purchased_seats,
        teams=tuple(teams),
        cost_centers=tuple(Tally(n, v[0], v[1], v[2], v[3]) for n, v in sorted(centers.items())),
    )
