"""The month's proposals as one pull request: what is proposed, what it saves, its branch.

Why a module of its own: the scheduled workflow turns the monthly review's inactive
seats into policy edits (``usage inactive --propose remove --release-seats``) and one
pull request per organization per month. What that pull request holds — the branch
name, the list of proposals, the savings — must be the same in a dry run, in the PR
description and in the tests, so it is computed here once, without git or GitHub.

Which review findings become edits: only inactive seats (removal plus seat release).
The renewal forecast's "buy / give back N seats" is a contract matter (the purchase is
negotiated with the vendor, not applied through the Admin API), so it is never written
into the policy.

Savings come from the one money model (``usage.money.monthly_bill``): per month, the
seat price each proposed member is billed at in the first cycle the removal saves
(the next billing date, ``usage.billing.next_billing_date``: the current cycle is not
refunded); to the contract end, the sum of what each remaining cycle's bill charges
them (a cycle the contract end cuts counts its covered days only).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from reconciler.errors import ConfigError
from reconciler.model import OrgState, Policy
from reconciler.usage.billing import next_billing_date
from reconciler.usage.inactive import InactiveReport, InactiveSeat
from reconciler.usage.money import monthly_bill
from reconciler.usage.period import month_of
from reconciler.usage.propose import Proposal, plan_proposals

#: Every proposals branch starts with this; the rest is the month (and the org key).
BRANCH_PREFIX = "seatctl/proposals-"
#: An organization key may join a branch name only when it looks like this (a folder
#: name of the policy repository, checked, never escaped into something else).
_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
#: The key of the single-organization layout (``orgs.find_orgs``): no suffix.
DEFAULT_KEY = "default"
#: Bound on the cycles summed to the contract end (a contract of 10 years at most).
MAX_CYCLES = 120


@dataclass(frozen=True, slots=True)
class ProposedRemoval:
    """One member the pull request removes, and why (for the description)."""

    proposal: Proposal
    seat: InactiveSeat
    monthly_cents: int
    to_contract_end_cents: int


@dataclass(frozen=True, slots=True)
class MonthProposals:
    """Everything the month's pull request says, computed once."""

    org_name: str
    org_key: str
    today: dt.date
    month: str
    days: int
    removals: tuple[ProposedRemoval, ...]
    skipped: tuple[tuple[str, str], ...]
    saves_from: dt.date
    contract_end: dt.date | None
    cycles_to_end: int
    purchased_seats: int
    held_seats: int
    billing_rule: str

    @property
    def empty(self) -> bool:
        return not self.removals

    @property
    def monthly_cents(self) -> int:
        return sum(r.monthly_cents for r in self.removals)

    @property
    def to_contract_end_cents(self) -> int:
        return sum(r.to_contract_end_cents for r in self.removals)

    @property
    def branch(self) -> str:
        return branch_name(self.today, self.org_key)

    @property
    def title(self) -> str:
        """The PR title: the month and the count only (no live text in a title)."""
        n = len(self.removals)
        where = "" if self.org_key == DEFAULT_KEY else f" ({self.org_key})"
        return f"seatctl: {self.month} proposals{where}: remove {n} inactive seat" \
            + ("" if n == 1 else "s")


def branch_name(today: dt.date, org_key: str = DEFAULT_KEY) -> str:
    """``seatctl/proposals-2026-12`` (``-eu`` appended for the ``eu`` organization folder).

    Built from the date and a checked folder key only: no name from the live org or a
    policy file ever reaches a git ref.
    """
    branch = f"{BRANCH_PREFIX}{today:%Y-%m}"
    return branch if org_key == DEFAULT_KEY else f"{branch}-{checked_key(org_key)}"


def checked_key(org_key: str) -> str:
    """An organization folder key fit for a branch name, a title and a hidden marker."""
    if not _KEY.fullmatch(org_key):
        raise ConfigError(
            f"organization key {org_key!r} cannot be part of a branch name",
            hint="name organization folders with lower-case letters, digits, '-' or '_' "
                 "(at most 40 characters)")
    return org_key


def _savings(policy: Policy, emails: set[str], saves_from: dt.date,
             live: OrgState | None) -> tuple[dict[str, int], dict[str, int], int]:
    """(per month, to the contract end, cycles counted) per email, from the bills.

    Per month: the unit price the first saving cycle's bill charges each seat at.
    To the contract end: what every cycle from ``saves_from`` through the one holding
    ``contract.end`` charges them (nothing without a contract end).
    """
    bill = monthly_bill(policy, month_of(saves_from), live=live)
    monthly = {s.email: s.unit_price_cents for s in bill.seats if s.email in emails}
    end = policy.contract_end
    total: dict[str, int] = dict.fromkeys(emails, 0)
    if end is None:
        return monthly, total, 0
    cycles = 0
    for _ in range(MAX_CYCLES):
        if bill.cycle.start > end:
            break
        for s in bill.seats:
            if s.email in emails:
                total[s.email] += s.charged_cents
        cycles += 1 if bill.covered_days else 0
        nxt = next_billing_date(bill.cycle.end, policy.contract_start)
        bill = monthly_bill(policy, month_of(nxt), live=live)
    return monthly, total, cycles


def month_proposals(policy: Policy, inactive: InactiveReport, *, today: dt.date,
                    live: OrgState | None, org_key: str = DEFAULT_KEY) -> MonthProposals:
    """The month's removals (with seat release) for ``policy``, and what they save."""
    proposals, skipped = plan_proposals(policy, inactive, mode="remove", today=today)
    seats = {s.email: s for s in inactive.seats}
    saves_from = next_billing_date(today, policy.contract_start)
    emails = {p.email for p in proposals}
    monthly, total, cycles = _savings(policy, emails, saves_from, live)
    removals = tuple(ProposedRemoval(p, seats[p.email], monthly.get(p.email, 0),
                                     total.get(p.email, 0))
                     for p in sorted(proposals, key=lambda p: (p.team, p.email)))
    bill = monthly_bill(policy, month_of(today), live=live)
    return MonthProposals(
        org_name=policy.org_name, org_key=org_key, today=today, month=f"{today:%Y-%m}",
        days=inactive.days, removals=removals, skipped=tuple(skipped),
        saves_from=saves_from, contract_end=policy.contract_end, cycles_to_end=cycles,
        purchased_seats=policy.budget.purchased_seats, held_seats=bill.held_seats,
        billing_rule=inactive.billing_rule)
