"""Billing dates: when does giving a seat back actually save money?

The rule seatctl uses (documented in docs/usage.md): seats are billed monthly in
advance on the contract start's day of the month (clamped to the month's last day,
so a contract started on the 31st bills on the 30th in April). Removing a member frees
the seat at once but refunds nothing for the cycle already billed, so a removal made
today saves from the **next billing date strictly after today**. Without a contract
start in org.yaml, the 1st of the month is assumed, and reports say so.
"""

from __future__ import annotations

import calendar
import datetime as dt


def billing_day(year: int, month: int, anchor: int) -> dt.date:
    """The billing date in one month for an anchor day of month (clamped)."""
    return dt.date(year, month, min(anchor, calendar.monthrange(year, month)[1]))


def next_billing_date(today: dt.date, contract_start: dt.date | None) -> dt.date:
    """First billing date strictly after ``today``."""
    anchor = contract_start.day if contract_start else 1
    candidate = billing_day(today.year, today.month, anchor)
    if candidate > today:
        return candidate
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return billing_day(year, month, anchor)


def billing_rule(contract_start: dt.date | None) -> str:
    """The rule in one sentence, printed with the inactive report."""
    if contract_start is None:
        return (
            "seats bill monthly on the 1st (no contract start in org.yaml); a removal "
            "saves from the next billing date, the current cycle is not refunded"
        )
    return (
        f"seats bill monthly on day {contract_start.day} (contract start {contract_start}); "
        "a removal saves from the next billing date, the current cycle is not refunded"
    )
