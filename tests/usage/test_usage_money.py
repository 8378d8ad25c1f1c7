"""The one money model: who is billed, at what, and that every figure agrees with it.

Dates: cycles are named explicitly (2026-11 etc.); the random orgs are built around
``usage_fixtures.TODAY`` (2026-11-25) with a contract 2026-07-15..2027-07-14.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import MappingProxyType

from hypothesis import event, given, settings
from hypothesis import strategies as st
from usage_fixtures import TODAY, make_policy

from reconciler.model import Assignment, Invite, Member, OrgState, OrgType
from reconciler.model.seats import seat_holders
from reconciler.plan.changes import Change
from reconciler.plan.summary import summarize
from reconciler.usage.chargeback import build_chargeback
from reconciler.usage.inactive import find_inactive
from reconciler.usage.money import UNASSIGNED, cycle_of, monthly_bill
from reconciler.usage.period import Period, month_period
from reconciler.usage.roster import build_roster

CONTRACT = (dt.date(2026, 7, 15), dt.date(2027, 7, 14))


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 9, tzinfo=dt.UTC)


def _live(members: dict[str, dt.date], invites: dict[str, tuple[str, dt.date]]) -> OrgState:
    return OrgState(
        OrgType.ENTERPRISE,
        MappingProxyType({e: Member(e, "user", added_at=_at(d)) for e, d in members.items()}),
        MappingProxyType({e: Invite(e, "user", status=s, invited_at=_at(d))  # type: ignore[arg-type]
                          for e, (s, d) in invites.items()}),
    )


def test_only_members_and_pending_invites_are_billed_and_free_seats_are_a_line() -> None:
    policy = make_policy()  # purchased 10; cycle anchored on the 15th
    live = _live({"a@x.example": dt.date(2026, 8, 1), "z@x.example": dt.date(2026, 8, 1)},
                 {"b@x.example": ("pending", dt.date(2026, 11, 1)),
                  "d@x.example": ("expired", dt.date(2026, 9, 1))})
    bill = monthly_bill(policy, month_period("2026-11"), live=live)
    assert bill.cycle == cycle_of(month_period("2026-11"), policy.contract_start)
    assert (bill.cycle.start, bill.cycle.end) == (dt.date(2026, 11, 15), dt.date(2026, 12, 14))
    held = {s.email: (s.holds_as, s.charged_cents, s.cost_center) for s in bill.seats}
    # c (policy only) holds nothing, d's invite expired; z is unlisted at the default tier.
    assert held == {"a@x.example": ("member", 3000, "CORE-1"),
                    "b@x.example": ("pending invite", 3000, "CORE-1"),
                    "z@x.example": ("member", 3000, "(unlisted)")}
    assert (bill.unassigned_seats, bill.unassigned_cents) == (7, 7 * 3000)
    assert bill.total_cents == 10 * 3000


def test_nothing_is_billed_outside_the_contract_and_a_cut_cycle_is_prorated() -> None:
    policy = replace(make_policy(contract_start=dt.date(2026, 7, 1)),
                     contract_end=dt.date(2026, 12, 15))
    before = monthly_bill(policy, month_period("2026-06"))
    after = monthly_bill(policy, month_period("2027-01"))
    assert before.total_cents == after.total_cents == 0
    assert "outside the contract" in before.notes[-1]
    cut = monthly_bill(policy, month_period("2026-12"))  # 15 of 31 days
    assert cut.covered_days == 15
    assert cut.seat("a@x.example").charged_cents == (3000 * 15 * 2 + 31) // 62  # type: ignore[union-attr]


def test_overflow_seats_are_prorated_from_the_day_added() -> None:
    policy = make_policy(contract_start=dt.date(2026, 7, 1))
    policy = replace(policy, budget=replace(policy.budget, purchased_seats=1))
    live = _live({"a@x.example": dt.date(2026, 8, 1), "b@x.example": dt.date(2026, 11, 21)}, {})
    bill = monthly_bill(policy, month_period("2026-11"), live=live)
    assert bill.seat("a@x.example").charged_cents == 3000  # type: ignore[union-attr]
    late = bill.seat("b@x.example")
    assert late is not None and late.charged_cents == 1000 and "prorated" in late.basis
    assert bill.unassigned_seats == 0


emails = st.sampled_from([f"{c}@x.example" for c in "abcdefgh"])
days = st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))


@st.composite
def orgs(draw):  # type: ignore[no-untyped-def]
    policy = replace(make_policy(contract_start=CONTRACT[0]), contract_end=CONTRACT[1])
    listed = draw(st.dictionaries(emails, st.tuples(st.sampled_from(["core", "web"]),
                                                    st.sampled_from(["dev", "intern"]))))
    assignments = {e: Assignment(e, t, r) for e, (t, r) in listed.items()}
    purchased = draw(st.integers(0, 10))
    policy = replace(policy, assignments=MappingProxyType(assignments),
                     budget=replace(policy.budget, purchased_seats=purchased))
    members = draw(st.dictionaries(emails, days, max_size=6))
    invites = draw(st.dictionaries(emails, st.tuples(
        st.sampled_from(["pending", "expired", "deleted"]), days), max_size=4))
    invites = {e: v for e, v in invites.items() if e not in members}
    return policy, _live(members, invites)


@settings(max_examples=150, deadline=None)
@given(orgs(), days, st.dictionaries(emails, st.integers(0, 10**6), max_size=5))
def test_every_figure_agrees_with_the_bill(org, day, metered) -> None:
    policy, live = org
    month = month_period(f"{day:%Y-%m}")
    bill = monthly_bill(policy, month, live=live, metered_cents=metered)
    # chargeback reconciles to the invoice, line by line and per cost center
    report = build_chargeback(bill)
    assert report.total_cents == bill.total_cents == report.invoice_cents
    assert sum(report.by_cost_center().values()) == bill.total_cents
    assert sum(m.total_cents for m in report.members) + bill.unassigned_cents == bill.total_cents
    assert report.seats == bill.held_seats
    assert bill.total_cents == bill.seat_cents + bill.unassigned_cents + bill.metered_cents
    inside = CONTRACT[0] <= bill.cycle.start and bill.cycle.end <= CONTRACT[1]
    if not inside and bill.covered_days == 0:
        assert bill.total_cents == 0
    # the plan's seat cost counts the same holders at the same prices
    everyone_added_before = all(s.added_on is None or s.added_on <= bill.cycle.start
                                for s in bill.seats)
    if inside and everyone_added_before and bill.held_seats <= bill.purchased_seats:
        now = {e for e in live.members} | {e for e, i in live.invites.items()
                                           if i.status == "pending"}
        if {s.email for s in bill.seats} == now:
            plan = summarize(policy, live, live, [])
            event("plan compared")
            assert plan.total.seats_before == bill.held_seats
            assert plan.total.cost_before_cents == bill.seat_cents
            # ... and per cost center (listed holders; unlisted ones are in the total)
            for center in plan.cost_centers:
                billed = [c for c in bill.seats
                          if c.listed and (c.cost_center or "(none)") == center.name]
                assert center.seats_before == len(billed)
                assert center.cost_before_cents == sum(c.charged_cents for c in billed)
            assert bill.unassigned_seats == bill.purchased_seats - bill.held_seats
    # inactive seats name only billed members, priced as billed
    if inside:
        from reconciler.usage.service import held_roster

        today = bill.cycle.start + dt.timedelta(days=3)
        idle = find_inactive(held_roster(policy, today=today, live=live), {}, days=1,
                             today=today, contract_start=policy.contract_start,
                             coverage_start=None, active_definition="")
        billed = {s.email: s.unit_price_cents for s in
                  monthly_bill(policy, month_period(f"{today:%Y-%m}"), live=live).seats}
        for seat in idle.seats:
            assert seat.monthly_price_cents == billed[seat.email]
        assert {UNASSIGNED} - {s.team for s in idle.seats}
    # without the live org the policy's members are the holders
    offline = monthly_bill(policy, month)
    if offline.covered_days:
        assert {s.email for s in offline.seats} == set(policy.assignments)
    assert len(build_roster(policy, live)) >= bill.held_seats - len(
        [e for e, i in live.invites.items() if i.status == "pending"])
    assert TODAY.year == 2026


def _first_cycle_after(day: dt.date, contract_start: dt.date) -> Period:
    """The first whole billing cycle that starts after ``day``."""
    month = month_period(f"{day:%Y-%m}")
    while (cycle := cycle_of(month, contract_start)).start <= day:
        month = month_period(f"{month.end + dt.timedelta(days=1):%Y-%m}")
    return cycle


@settings(max_examples=150, deadline=None)
@given(orgs(), st.integers(0, 3), st.data())
def test_the_plans_seat_cost_is_the_bills_seat_line_before_and_after_a_removal(
        org, spare, data) -> None:
    """In the first cycle after everyone was seated (no proration, no overflow), the plan's
    before cost is that cycle's bill and its after cost is the bill once the plan's
    removals are done: the plan and the bill price the same holders the same way."""
    policy, live = org
    policy = replace(policy, contract_end=None)
    dates = [m.added_at.date() for m in live.members.values() if m.added_at]
    dates += [i.invited_at.date() for i in live.invites.values() if i.invited_at]
    cycle = _first_cycle_after(max([*dates, CONTRACT[0]]), CONTRACT[0])
    month = month_period(f"{cycle.start:%Y-%m}")
    holders = seat_holders(live)
    policy = replace(policy, budget=replace(policy.budget, purchased_seats=len(holders) + spare))
    gone = data.draw(st.sets(st.sampled_from(holders)) if holders else st.just(set()))
    after = replace(live,
                    members=MappingProxyType({e: m for e, m in live.members.items()
                                              if e not in gone}),
                    invites=MappingProxyType({e: (replace(i, status="deleted") if e in gone else i)
                                              for e, i in live.invites.items()}))
    changes = [Change("remove_member" if e in live.members else "delete_invite", e,
                      data=MappingProxyType({"email": e})) for e in sorted(gone)]
    plan = summarize(policy, live, after, changes)
    before_bill = monthly_bill(policy, month, live=live)
    after_bill = monthly_bill(policy, month, live=after)
    assert plan.total.seats_before == before_bill.held_seats == len(holders)
    assert plan.total.cost_before_cents == before_bill.seat_cents
    assert plan.total.seats_after == after_bill.held_seats == len(holders) - len(gone)
    assert plan.total.cost_after_cents == after_bill.seat_cents
    assert before_bill.unassigned_seats == spare
    for center in plan.cost_centers:
        for tally, bill in ((center.cost_before_cents, before_bill),
                            (center.cost_after_cents, after_bill)):
            assert tally == sum(c.charged_cents for c in bill.seats
                                if c.listed and (c.cost_center or "(none)") == center.name)
