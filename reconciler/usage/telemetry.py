"""Measured usage from Claude Code's telemetry, kept beside the analytics in the store.

``usage sync`` reads it (``providers.prometheus``) when org.yaml has
``usage.tracking.query``; reports and alerts then use measured active hours where a
member has telemetry and say "estimated" only where they do not. The table lives in the
usage database next to ``activity``; a sync replaces its window atomically, like the
analytics.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from reconciler.errors import ConfigError
from reconciler.model import Assignment, TelemetryDay

_SCHEMA = """
CREATE TABLE IF NOT EXISTS telemetry_daily (
    email TEXT NOT NULL,
    day TEXT NOT NULL,
    measure TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (email, day, measure)
) WITHOUT ROWID;
"""


class TelemetrySource(Protocol):
    """What sync needs of a telemetry reader (``providers.prometheus.PrometheusReader``)."""

    url: str

    def read(self, start: dt.date, end: dt.date) -> Iterable[TelemetryDay]: ...


@dataclass(frozen=True, slots=True)
class TelemetrySync:
    """What one telemetry read stored."""

    url: str
    start: dt.date
    end: dt.date
    rows: int
    members: int

    def describe(self) -> str:
        return (f"telemetry {self.start}..{self.end} from {self.url}: {self.rows} values "
                f"for {self.members} members")


class TelemetryStore:
    """The ``telemetry_daily`` table of a usage database (its own connection)."""

    def __init__(self, path: str) -> None:
        try:
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigError(f"usage store {path} cannot be opened: {exc}",
                              hint="pass --db with a writable path") from exc

    def __enter__(self) -> TelemetryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def replace_days(self, start: dt.date, end: dt.date, rows: Iterable[TelemetryDay]) -> int:
        """Replace the window's values by ``rows`` in one transaction; rows stored."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM telemetry_daily WHERE day BETWEEN ? AND ?",
                       (start.isoformat(), end.isoformat()))
            count = 0
            for r in rows:
                if not start <= r.day <= end:
                    raise ConfigError(f"telemetry answered for {r.day}, outside {start}..{end}",
                                      hint="check the query API's time zone handling")
                db.execute("INSERT OR REPLACE INTO telemetry_daily VALUES (?, ?, ?, ?)",
                           (r.email, r.day.isoformat(), r.measure, r.value))
                count += 1
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return count

    def prune(self, before: dt.date) -> int:
        return self._db.execute("DELETE FROM telemetry_daily WHERE day < ?",
                                (before.isoformat(),)).rowcount

    def rows(self, start: dt.date, end: dt.date, measure: str | None = None
             ) -> list[TelemetryDay]:
        sql = "SELECT email, day, measure, value FROM telemetry_daily WHERE day BETWEEN ? AND ?"
        args: tuple[str, ...] = (start.isoformat(), end.isoformat())
        if measure is not None:
            sql += " AND measure = ?"
            args += (measure,)
        return [TelemetryDay(e, dt.date.fromisoformat(d), m, v)
                for e, d, m, v in self._db.execute(sql + " ORDER BY email, day, measure", args)]


def sync_telemetry(source: TelemetrySource, store: TelemetryStore, *, start: dt.date,
                   end: dt.date, retention_start: dt.date) -> TelemetrySync:
    """Read ``start..end`` from ``source`` and replace those days in ``store``."""
    rows = list(source.read(start, end))
    stored = store.replace_days(start, end, rows)
    store.prune(retention_start)
    return TelemetrySync(source.url, start, end, stored, len({r.email for r in rows}))


def hours_by_member_day(rows: Iterable[TelemetryDay]) -> dict[tuple[str, dt.date], float]:
    """Measured active hours per (email, day), from the ``active_seconds`` rows."""
    return {(r.email, r.day): r.value / 3600 for r in rows if r.measure == "active_seconds"}


@dataclass(frozen=True, slots=True)
class MeasuredHours:
    """Active hours one member was measured at over a window, with their team."""

    team: str
    email: str
    hours: float
    days: int


def hours_per_member(assignments: Mapping[str, Assignment], rows: Iterable[TelemetryDay]
                     ) -> list[MeasuredHours]:
    """Measured hours per member (team from the policy; ``(not in policy)`` otherwise)."""
    seconds: dict[str, float] = {}
    days: dict[str, int] = {}
    for r in rows:
        if r.measure == "active_seconds":
            seconds[r.email] = seconds.get(r.email, 0.0) + r.value
            days[r.email] = days.get(r.email, 0) + 1
    out = []
    for email in sorted(seconds):
        team = assignments[email].team if email in assignments else "(not in policy)"
        out.append(MeasuredHours(team, email, round(seconds[email] / 3600, 2), days[email]))
    return sorted(out, key=lambda m: (m.team, m.email))


def measured_hours(store_path: str, start: dt.date, end: dt.date
                   ) -> Mapping[tuple[str, dt.date], float]:
    """Active hours per member-day in the period, or empty when nothing was measured."""
    with TelemetryStore(store_path) as store:
        return hours_by_member_day(store.rows(start, end, "active_seconds"))


def measured_hours_per_member(store_path: str, start: dt.date, end: dt.date
                              ) -> dict[str, float]:
    """Active hours per member over the period, for members with any telemetry in it."""
    totals: dict[str, float] = {}
    for (email, _day), hours in measured_hours(store_path, start, end).items():
        totals[email] = totals.get(email, 0.0) + hours
    return totals
