"""Report periods: ``30d`` (the 30 days ending yesterday) or ``2026-10-01..2026-10-31``.

Analytics for a day are complete only the next day, so relative periods end
yesterday; an explicit range is inclusive at both ends.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from reconciler.errors import ConfigError

_RELATIVE = re.compile(r"^([1-9][0-9]{0,3})d$")


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"

    def each_day(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range(self.days)]


def parse_period(text: str, today: dt.date) -> Period:
    """``Nd`` or ``YYYY-MM-DD..YYYY-MM-DD``; anything else is a clear error."""
    text = text.strip()
    m = _RELATIVE.match(text)
    if m:
        end = today - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=int(m.group(1)) - 1), end)
    if ".." in text:
        lo, _, hi = text.partition("..")
        try:
            start, end = dt.date.fromisoformat(lo), dt.date.fromisoformat(hi)
        except ValueError:
            pass
        else:
            if start <= end:
                return Period(start, end)
    raise ConfigError(
        f"bad period {text!r}",
        hint="use e.g. 30d, 7d or 2026-10-01..2026-10-31 (start not after end)",
    )


def month_period(text: str) -> Period:
    """``YYYY-MM`` → the whole calendar month."""
    try:
        first = dt.datetime.strptime(text.strip(), "%Y-%m").date()
    except ValueError:
        raise ConfigError(f"bad month {text!r}", hint="use YYYY-MM, e.g. 2026-10") from None
    nxt = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return Period(first, nxt - dt.timedelta(days=1))


def month_of(day: dt.date) -> Period:
    """The calendar month holding ``day``."""
    return month_period(f"{day:%Y-%m}")
