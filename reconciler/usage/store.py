"""The local usage store: one SQLite row per (day, email), synced from the analytics.

Why SQLite: reports over 10,000 members × 90 days (900,000 rows) must answer in under
a second, which a ``GROUP BY`` in SQLite does and a Python loop over row objects does
not. The table is clustered by (email, day), so a per-member ``GROUP BY`` over a long
period is one sequential scan with no sort (``+day`` keeps the planner off the day
index there); short periods and per-day queries use the ``day`` index. Days are ISO
text (sortable, readable with ``sqlite3``).

Rules the store keeps:

- A sync **replaces whole days** inside one transaction: rows of the synced range are
  deleted, then the fresh rows inserted. Re-syncing a day gives the same table, and a
  failed sync leaves the previous data untouched.
- Two rows for the same (day, email) in one sync (a Console report splits local and
  remote sessions) are summed, never one silently kept.
- ``prune(before)`` deletes rows older than the retention window.

Queries used by reports are here; the arithmetic on their results is in ``reports``.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from reconciler.errors import ConfigError
from reconciler.model import UserActivity
from reconciler.usage.active import ActiveDefinition

DEFAULT_DB = pathlib.Path(".seatctl") / "usage.db"

#: Numeric per-day counters, in ``UserActivity`` field order.
COUNTERS: tuple[str, ...] = (
    "sessions",
    "lines_added",
    "lines_removed",
    "commits",
    "pull_requests",
    "tool_accepted",
    "tool_rejected",
    "chat_messages",
)

#: Claude Code tools of the analytics' ``tool_actions`` (the guide's "Top Commands");
#: a tool outside these (the Console report's map is open) counts as ``other_tool``.
TOOLS: tuple[str, ...] = (
    "edit_tool", "multi_edit_tool", "notebook_edit_tool", "write_tool", "other_tool"
)
#: Per-tool counters, kept in the activity row so one scan answers the tool mix too.
TOOL_COUNTERS: tuple[str, ...] = tuple(
    f"{t}_{k}" for t in TOOLS for k in ("accepted", "rejected")
)

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS activity (
    day TEXT NOT NULL,
    email TEXT NOT NULL,
    user_id TEXT NOT NULL DEFAULT '',
    {", ".join(f"{c} INTEGER NOT NULL DEFAULT 0" for c in COUNTERS + TOOL_COUNTERS)},
    last_activity TEXT,
    PRIMARY KEY (email, day)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS activity_day ON activity (day);
CREATE TABLE IF NOT EXISTS sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cost (
    day TEXT NOT NULL,
    email TEXT NOT NULL,
    product TEXT NOT NULL DEFAULT '',
    cents INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, email, product)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS summaries (
    day TEXT PRIMARY KEY,
    assigned_seats INTEGER NOT NULL,
    pending_invites INTEGER NOT NULL,
    daily_active INTEGER NOT NULL,
    weekly_active INTEGER NOT NULL,
    monthly_active INTEGER NOT NULL
) WITHOUT ROWID;
"""

_ALL = COUNTERS + TOOL_COUNTERS
_INSERT = (
    f"INSERT INTO activity (day, email, user_id, {', '.join(_ALL)}, last_activity) "
    f"VALUES (?, ?, ?, {', '.join('?' for _ in _ALL)}, ?) "
    "ON CONFLICT (day, email) DO UPDATE SET "
    + ", ".join(f"{c} = {c} + excluded.{c}" for c in _ALL)
    + ", last_activity = max(coalesce(last_activity, ''), coalesce(excluded.last_activity, ''))"
)


@dataclass(frozen=True, slots=True)
class MemberTotals:
    """One member's sums over a period; ``last_active`` is their last active day in it."""

    email: str
    active_days: int = 0
    sessions: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    commits: int = 0
    pull_requests: int = 0
    tool_accepted: int = 0
    tool_rejected: int = 0
    chat_messages: int = 0
    last_active: dt.date | None = None
    #: (tool, accepted, rejected) for each tool used in the period.
    tools: tuple[tuple[str, int, int], ...] = ()


def _tool_values(actions: Iterable[tuple[str, int, int]]) -> list[int]:
    """``UserActivity.tool_actions`` → the ``TOOL_COUNTERS`` values, unknown tools summed."""
    out = [0] * len(TOOL_COUNTERS)
    for tool, accepted, rejected in actions:
        slot = TOOLS.index(tool) if tool in TOOLS else len(TOOLS) - 1
        out[2 * slot] += accepted
        out[2 * slot + 1] += rejected
    return out


def _iso(day: dt.date) -> str:
    return day.isoformat()


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


class UsageStore:
    """An open usage database. Use as a context manager, or call ``close()``."""

    def __init__(self, path: str | pathlib.Path = DEFAULT_DB) -> None:
        self.path = pathlib.Path(path)
        try:
            if str(path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), isolation_level=None)
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"usage store {path} cannot be opened: {exc}",
                hint="pass --db with a writable path (default .seatctl/usage.db)",
            ) from exc
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        """A store from before the per-tool counters gets them (zero for old days)."""
        have = {row[1] for row in self._db.execute("PRAGMA table_info(activity)")}
        for column in TOOL_COUNTERS:
            if column not in have:
                self._db.execute(
                    f"ALTER TABLE activity ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0"
                )

    def __enter__(self) -> UsageStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # -- writing -------------------------------------------------------------

    def replace_days(
        self, start: dt.date, end: dt.date, rows: Iterable[UserActivity]
    ) -> tuple[int, int]:
        """Replace every row with ``start <= day <= end`` by ``rows``, atomically.

        Returns (rows deleted, rows inserted). A row outside the range is an error
        (the provider answered for days it was not asked), and nothing changes.
        """
        lo, hi = _iso(start), _iso(end)
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            deleted = db.execute(
                "DELETE FROM activity WHERE day BETWEEN ? AND ?", (lo, hi)
            ).rowcount
            inserted = 0

            def params() -> Iterator[tuple[object, ...]]:
                nonlocal inserted
                for r in rows:
                    day = _iso(r.day)
                    if not lo <= day <= hi:
                        raise ConfigError(
                            f"analytics row for {r.email} on {day} is outside {lo}..{hi}",
                            hint="the provider answered for days it was not asked; re-run sync",
                        )
                    inserted += 1
                    yield (
                        day,
                        r.email.strip().lower(),
                        r.user_id,
                        *(getattr(r, c) for c in COUNTERS),
                        *_tool_values(r.tool_actions),
                        _iso(r.last_activity) if r.last_activity else None,
                    )

            db.executemany(_INSERT, params())
            db.execute(
                "INSERT INTO sync_state VALUES ('last_synced_day', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
                (hi,),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return deleted, inserted

    def replace_cost_days(
        self, start: dt.date, end: dt.date, rows: Iterable[tuple[dt.date, str, str, int]]
    ) -> int:
        """Replace metered cost (day, email, product, cents) of ``start..end`` atomically.

        Rows for one (day, email, product) are summed (a report split by model).
        """
        lo, hi = _iso(start), _iso(end)
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM cost WHERE day BETWEEN ? AND ?", (lo, hi))
            params = [(_iso(d), e.strip().lower(), p, c) for d, e, p, c in rows]
            db.executemany(
                "INSERT INTO cost VALUES (?, ?, ?, ?) ON CONFLICT (day, email, product) "
                "DO UPDATE SET cents = cents + excluded.cents",
                params,
            )
            db.execute(
                "INSERT INTO sync_state VALUES ('cost_synced_through', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
                (hi,),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(params)

    def replace_summaries(self, rows: Iterable[tuple[dt.date, int, int, int, int, int]]) -> None:
        """Store org summaries (day, assigned, pending, DAU, WAU, MAU); a day is replaced."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?, ?, ?)",
                [(_iso(d), *rest) for d, *rest in rows],
            )

    def prune(self, before: dt.date) -> int:
        """Delete rows older than ``before`` (retention); returns how many went."""
        day = (_iso(before),)
        for table in ("cost", "summaries"):
            self._db.execute(f"DELETE FROM {table} WHERE day < ?", day)
        return self._db.execute("DELETE FROM activity WHERE day < ?", day).rowcount

    # -- reading -------------------------------------------------------------

    def last_synced_day(self) -> dt.date | None:
        row = self._db.execute(
            "SELECT value FROM sync_state WHERE key = 'last_synced_day'"
        ).fetchone()
        return _day(row[0]) if row else None

    def coverage(self) -> tuple[dt.date, dt.date] | None:
        """First and last day held, or None for an empty store."""
        # Two queries: SQLite answers a lone min() or max() from the index in O(log n).
        (lo,) = self._db.execute("SELECT min(day) FROM activity").fetchone()
        (hi,) = self._db.execute("SELECT max(day) FROM activity").fetchone()
        return (dt.date.fromisoformat(lo), dt.date.fromisoformat(hi)) if lo else None

    def metered_cents(self, start: dt.date, end: dt.date) -> dict[str, int] | None:
        """Metered cents per member over the period; None when cost was never synced."""
        if self._state("cost_synced_through") is None:
            return None
        cur = self._db.execute(
            "SELECT email, sum(cents) FROM cost WHERE day BETWEEN ? AND ? GROUP BY email",
            (_iso(start), _iso(end)),
        )
        return {email: int(cents) for email, cents in cur}

    def summaries(
        self, start: dt.date, end: dt.date
    ) -> list[tuple[dt.date, int, int, int, int, int]]:
        """Stored org summaries in the period, by day."""
        cur = self._db.execute(
            "SELECT * FROM summaries WHERE day BETWEEN ? AND ? ORDER BY day",
            (_iso(start), _iso(end)),
        )
        return [(dt.date.fromisoformat(d), *rest) for d, *rest in cur]

    def _state(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM activity").fetchone()[0])

    def rows(self, start: dt.date, end: dt.date) -> Iterator[UserActivity]:
        """Every stored row in the period, as the model type (export, naive paths)."""
        cur = self._db.execute(
            f"SELECT day, email, user_id, {', '.join(COUNTERS)}, last_activity "
            "FROM activity WHERE day BETWEEN ? AND ? ORDER BY day, email",
            (_iso(start), _iso(end)),
        )
        for day, email, user_id, *rest in cur:
            counters = dict(zip(COUNTERS, rest[:-1], strict=True))
            yield UserActivity(
                day=dt.date.fromisoformat(day),
                email=email,
                user_id=user_id,
                last_activity=_day(rest[-1]),
                **counters,
            )

    def member_totals(
        self, start: dt.date, end: dt.date, active: ActiveDefinition, *, tools: bool = False
    ) -> dict[str, MemberTotals]:
        """Per-member sums over the period, aggregated inside SQLite.

        ``tools`` adds the per-tool mix (the guide's report); other reports skip those
        ten sums, which cost about a sixth of the scan.
        """
        act = active.sql()
        # A long period: scan in (email, day) order, no sort; a short one: the day index.
        day = "+day" if self._long_period(start, end) else "day"
        cur = self._db.execute(
            f"SELECT email, sum({act}), "
            f"{', '.join(f'sum({c})' for c in (_ALL if tools else COUNTERS))}, "
            f"max(CASE WHEN {act} THEN day END) "
            f"FROM activity WHERE {day} BETWEEN ? AND ? GROUP BY email",
            (_iso(start), _iso(end)),
        )
        out: dict[str, MemberTotals] = {}
        n = len(COUNTERS)
        for email, active_days, *rest in cur:
            counters = dict(zip(COUNTERS, rest[:n], strict=True))
            t = rest[n:-1]
            mix = tuple((TOOLS[i], t[2 * i], t[2 * i + 1]) for i in range(len(t) // 2)
                        if t[2 * i] or t[2 * i + 1])
            out[email] = MemberTotals(
                email=email, active_days=active_days, last_active=_day(rest[-1]), tools=mix,
                **counters,
            )
        return out

    def _long_period(self, start: dt.date, end: dt.date) -> bool:
        """Whether the period covers more than a quarter of the days held."""
        held = self.coverage()
        if held is None:
            return False
        return (end - start).days * 4 > (held[1] - held[0]).days

    def daily_active(
        self, start: dt.date, end: dt.date, active: ActiveDefinition
    ) -> dict[dt.date, int]:
        """Active members per day of the period (days without anyone are absent)."""
        cur = self._db.execute(
            f"SELECT day, count(*) FROM activity WHERE day BETWEEN ? AND ? AND {active.sql()} "
            "GROUP BY day",
            (_iso(start), _iso(end)),
        )
        return {dt.date.fromisoformat(d): n for d, n in cur}

    def last_active(self, active: ActiveDefinition) -> dict[str, dt.date]:
        """Each member's last active day over everything held (for "days inactive")."""
        cur = self._db.execute(
            f"SELECT email, max(day) FROM activity WHERE {active.sql()} GROUP BY email"
        )
        return {email: dt.date.fromisoformat(day) for email, day in cur}

    def daily_sessions(
        self, start: dt.date, end: dt.date, min_sessions: int
    ) -> list[tuple[str, dt.date, int]]:
        """(email, day, sessions) for days with at least ``min_sessions`` (hours proxy)."""
        cur = self._db.execute(
            "SELECT email, day, sessions FROM activity "
            "WHERE day BETWEEN ? AND ? AND sessions >= ? ORDER BY email, day",
            (_iso(start), _iso(end), min_sessions),
        )
        return [(e, dt.date.fromisoformat(d), s) for e, d, s in cur]
