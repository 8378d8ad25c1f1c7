"""Sync per-user per-day analytics from a provider into the usage store.

Incremental and idempotent: a sync starts ``revise_days`` before the last synced day
(the analytics are revised for a few days after the fact), or at ``since`` when
given, or at the start of the retention window on a first sync; it ends yesterday
(today's data is not complete). The whole range is replaced atomically, then rows
older than the retention window are pruned.

When the provider can read the cost and usage reports (``usage_reads()``, see
``providers.usage_reads``), the same range's metered cost per member and product and
the org's daily summaries are stored too. A report the org cannot read (wrong org
type, a HIPAA-ready org, a key without the scope) is a note, not a failed sync:
chargeback then says metered cost is unknown rather than zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from reconciler.errors import ConfigError, SeatctlError
from reconciler.model import UserActivity
from reconciler.usage.store import UsageStore


class ActivitySource(Protocol):
    """The one provider method sync needs (``Provider.fetch_user_activity``)."""

    def fetch_user_activity(self, start: dt.date, end: dt.date) -> Iterable[UserActivity]: ...


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one sync did: the day range replaced, rows in and out."""

    start: dt.date | None
    end: dt.date | None
    days: int
    rows_deleted: int
    rows_inserted: int
    rows_pruned: int
    retention_start: dt.date
    cost_rows: int = 0
    summary_days: int = 0
    notes: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.start is None or self.end is None:
            return f"usage store already up to date; pruned {self.rows_pruned} rows"
        return (
            f"synced {self.start}..{self.end} ({self.days} days): "
            f"{self.rows_inserted} rows stored, {self.rows_deleted} replaced, "
            f"{self.rows_pruned} older than {self.retention_start} pruned; "
            f"{self.cost_rows} metered cost rows, {self.summary_days} summary days"
        )


def sync_range(
    last_synced: dt.date | None,
    *,
    since: dt.date | None,
    today: dt.date,
    revise_days: int,
    retention_days: int,
) -> tuple[dt.date, dt.date] | None:
    """The days to (re)read: pure, so the incremental rule is table-testable."""
    end = today - dt.timedelta(days=1)
    floor = today - dt.timedelta(days=retention_days)
    if since is not None:
        start = since
    elif last_synced is not None:
        start = last_synced - dt.timedelta(days=max(revise_days - 1, 0))
    else:
        start = floor
    start = max(start, floor)
    if start > end:
        return None
    return start, end


def sync_usage(
    provider: ActivitySource,
    store: UsageStore,
    *,
    since: dt.date | None,
    today: dt.date,
    revise_days: int = 3,
    retention_days: int = 90,
) -> SyncReport:
    """Read the analytics for the sync range and replace those days in ``store``."""
    if revise_days < 0 or retention_days < 1:
        raise ConfigError(
            f"bad sync window: revise_days={revise_days}, retention_days={retention_days}",
            hint="usage.retention_days in org.yaml must be at least 1",
        )
    if since is not None and since >= today:
        raise ConfigError(
            f"--since {since} is not before today ({today})",
            hint="analytics for a day are complete the day after; pick an earlier date",
        )
    retention_start = today - dt.timedelta(days=retention_days)
    window = sync_range(
        store.last_synced_day(),
        since=since,
        today=today,
        revise_days=revise_days,
        retention_days=retention_days,
    )
    deleted = inserted = cost_rows = summary_days = 0
    notes: list[str] = []
    if window is not None:
        start, end = window
        rows = provider.fetch_user_activity(start, end)
        deleted, inserted = store.replace_days(start, end, rows)
        reads_of = getattr(provider, "usage_reads", None)
        if callable(reads_of):
            reads = reads_of()
            try:
                cost_rows = store.replace_cost_days(start, end, reads.metered_cost(start, end))
            except SeatctlError as exc:
                notes.append(f"metered cost not read: {exc.message}")
            try:
                summaries = list(reads.summaries(start, end))
                store.replace_summaries(summaries)
                summary_days = len(summaries)
            except SeatctlError as exc:
                notes.append(f"org summaries not read: {exc.message}")
    pruned = store.prune(retention_start)
    return SyncReport(
        start=window[0] if window else None,
        end=window[1] if window else None,
        days=(window[1] - window[0]).days + 1 if window else 0,
        rows_deleted=deleted,
        rows_inserted=inserted,
        rows_pruned=pruned,
        retention_start=retention_start,
        cost_rows=cost_rows,
        summary_days=summary_days,
        notes=tuple(notes),
    )
