"""SQLite state of one sandbox organization: thread-safe, persistent, injectable clock.

``SandboxStore("sandbox.db")`` persists across restarts; ``SandboxStore(":memory:")``
is for tests. One connection guarded by one re-entrant lock makes concurrent requests
safe (the ASGI server and the in-process transport may call from several threads);
``transaction()`` groups the reads and writes of one API call so a rule check and the
write it guards cannot interleave with another request.

Plugins (e.g. ``managed_settings``) add their own tables with ``register_schema`` and
keep their rows here too, so ``reset`` and persistence cover them.

Besides the org's rows the store holds two in-memory things every test and benchmark
asks about: the request counters (``count_request``/``request_counts``) and the clock
(``now``; ``set_now``/``advance`` move it, e.g. to expire invites after 21 days).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import secrets
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from reconciler.sandbox.wire import marks, parse_rfc3339, rfc3339

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seat_tiers (
    name TEXT PRIMARY KEY, rank INTEGER NOT NULL, seats INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
    name TEXT NOT NULL, role TEXT NOT NULL, added_at TEXT NOT NULL, seat_tier TEXT,
    deleted INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX IF NOT EXISTS users_email ON users(email) WHERE deleted = 0;
CREATE INDEX IF NOT EXISTS users_tier ON users(seat_tier) WHERE deleted = 0;
CREATE TABLE IF NOT EXISTS invites (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, email TEXT NOT NULL,
    role TEXT NOT NULL, status TEXT NOT NULL, invited_at TEXT NOT NULL,
    expires_at TEXT NOT NULL, accepted_at TEXT, rbac_group_ids TEXT NOT NULL DEFAULT '[]',
    seat_tier TEXT);
CREATE INDEX IF NOT EXISTS invites_email ON invites(email);
CREATE TABLE IF NOT EXISTS rbac_groups (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    source_type TEXT NOT NULL DEFAULT 'direct', role_ids TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rbac_group_members (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, group_id TEXT NOT NULL, user_id TEXT NOT NULL,
    created_at TEXT NOT NULL, UNIQUE(group_id, user_id));
CREATE INDEX IF NOT EXISTS rgm_user ON rbac_group_members(user_id);
CREATE INDEX IF NOT EXISTS rgm_group ON rbac_group_members(group_id);
CREATE TABLE IF NOT EXISTS rbac_roles (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL, source_type TEXT NOT NULL, created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rbac_role_permissions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, role_id TEXT NOT NULL, action TEXT NOT NULL,
    resource TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS rrp_role ON rbac_role_permissions(role_id);
CREATE TABLE IF NOT EXISTS workspaces (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    display_color TEXT NOT NULL, created_at TEXT NOT NULL, archived_at TEXT,
    tags TEXT NOT NULL DEFAULT '{}', data_residency TEXT NOT NULL,
    is_default INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS workspace_members (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, workspace_id TEXT NOT NULL, user_id TEXT NOT NULL,
    workspace_role TEXT NOT NULL, UNIQUE(workspace_id, user_id));
CREATE TABLE IF NOT EXISTS spend_limits (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, scope_type TEXT NOT NULL,
    scope_key TEXT NOT NULL, period TEXT NOT NULL, amount TEXT, currency TEXT NOT NULL,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL, UNIQUE(scope_type, scope_key, period));
CREATE TABLE IF NOT EXISTS analytics_user_days (
    day TEXT NOT NULL, user_id TEXT NOT NULL, email TEXT NOT NULL,
    sessions INTEGER NOT NULL, lines_added INTEGER NOT NULL, lines_removed INTEGER NOT NULL,
    commits INTEGER NOT NULL, pull_requests INTEGER NOT NULL,
    edit_accepted INTEGER NOT NULL, edit_rejected INTEGER NOT NULL,
    write_accepted INTEGER NOT NULL, write_rejected INTEGER NOT NULL,
    chat_messages INTEGER NOT NULL, web_searches INTEGER NOT NULL,
    PRIMARY KEY (day, user_id));
"""

#: Organization settings kept in ``meta`` with their defaults.
DEFAULT_META: Mapping[str, object] = {
    "org_id": "00000000-0000-4000-8000-000000000000",
    "org_name": "Sandbox Org",
    "org_type": "enterprise",
    "allowed_domains": [],
    "currency": "USD",
}

_TABLES = (
    "seat_tiers", "users", "invites", "rbac_groups", "rbac_group_members", "rbac_roles",
    "rbac_role_permissions", "workspaces", "workspace_members", "spend_limits",
    "analytics_user_days",
)  # fmt: skip


def make_id(prefix: str, seed: str | None = None) -> str:
    """``prefix_`` + 24 base32 characters; deterministic when ``seed`` is given."""
    raw = hashlib.sha256(seed.encode()).digest() if seed is not None else secrets.token_bytes(16)
    return prefix + "_" + base64.b32encode(raw).decode()[:24].lower()


class SandboxStore:
    """One sandbox organization in SQLite (file path or ``":memory:"``)."""

    def __init__(self, path: str = "sandbox.db") -> None:
        if path != ":memory:":
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)
        self.path = path
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA foreign_keys = OFF")
        if path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = NORMAL")
        self._depth = 0
        self._extra_schema: list[str] = []
        self._extra_tables: list[str] = []
        self._fixed_now: dt.datetime | None = None
        self._requests: Counter[str] = Counter()
        self._db.executescript(SCHEMA)

    # -- plugins -------------------------------------------------------------

    def register_schema(self, ddl: str, tables: Sequence[str] = ()) -> None:
        """Add a plugin's tables (``CREATE TABLE IF NOT EXISTS ...``); ``reset`` clears them."""
        with self._lock:
            if ddl not in self._extra_schema:
                self._extra_schema.append(ddl)
                self._extra_tables.extend(t for t in tables if t not in self._extra_tables)
            self._db.executescript(ddl)

    # -- transactions and queries -------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[SandboxStore]:
        """One atomic unit (nested calls join the outer one); rolls back on any error."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> int:
        with self._lock:
            return self._db.execute(sql, params).rowcount

    def executemany(self, sql: str, rows: Any) -> None:
        with self._lock:
            self._db.executemany(sql, rows)

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def one(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            row: sqlite3.Row | None = self._db.execute(sql, params).fetchone()
            return row

    def scalar(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> Any:
        row = self.one(sql, params)
        return None if row is None else row[0]

    def reset(self) -> None:
        """Empty every table (plugins' too) and forget settings: a fresh, empty org."""
        with self.transaction():
            for table in (*_TABLES, *self._extra_tables, "meta"):
                self._db.execute(f"DELETE FROM {table}")
            self._db.execute(
                f"DELETE FROM sqlite_sequence WHERE name IN ({marks(_TABLES)})",
                _TABLES,
            )
        self._fixed_now = None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- settings ------------------------------------------------------------

    def get_meta(self, key: str) -> Any:
        raw = self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return DEFAULT_META.get(key) if raw is None else json.loads(raw)

    def set_meta(self, key: str, value: object) -> None:
        self.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, json.dumps(value)),
        )

    @property
    def org_type(self) -> str:
        return str(self.get_meta("org_type"))

    def configure_org(
        self,
        *,
        name: str | None = None,
        org_type: str | None = None,
        allowed_domains: Sequence[str] | None = None,
        seat_tiers: Sequence[tuple[str, int]] | None = None,
        org_id: str | None = None,
    ) -> None:
        """Set org-wide facts; ``seat_tiers`` is ``[(tier, seats), ...]`` lowest first.

        No seat tiers means an unlimited pool (invites never run out of seats).
        """
        with self.transaction():
            if name is not None:
                self.set_meta("org_name", name)
            if org_type is not None:
                if org_type not in ("enterprise", "console"):
                    raise ValueError(f"org_type must be enterprise or console, not {org_type!r}")
                self.set_meta("org_type", org_type)
            if allowed_domains is not None:
                self.set_meta("allowed_domains", sorted(d.lower() for d in allowed_domains))
            if org_id is not None:
                self.set_meta("org_id", org_id)
            if seat_tiers is not None:
                self.execute("DELETE FROM seat_tiers")
                self.executemany(
                    "INSERT INTO seat_tiers(name, rank, seats) VALUES (?, ?, ?)",
                    [(tier, rank, seats) for rank, (tier, seats) in enumerate(seat_tiers)],
                )

    # -- clock ----------------------------------------------------------------

    def now(self) -> dt.datetime:
        """The sandbox's time: real UTC now plus any persisted offset, or a fixed instant."""
        if self._fixed_now is not None:
            return self._fixed_now
        offset = float(self.get_meta("clock_offset_s") or 0.0)
        return dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=offset)

    def now_text(self) -> str:
        return rfc3339(self.now())

    def set_now(self, when: dt.datetime | None) -> None:
        """Freeze the clock at ``when`` (tests), or unfreeze with ``None``."""
        self._fixed_now = None if when is None else when.astimezone(dt.UTC)

    def set_date(self, day: dt.date) -> None:
        """Put the org on ``day`` (00:00 UTC now, ticking on; persisted).

        A seeded demo org lives on the day it was seeded for, whatever the calendar
        says, so the example policy meets the same org on any date.
        """
        self._fixed_now = None
        start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
        real = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self.set_meta("clock_offset_s", (start - real).total_seconds())

    def advance(self, delta: dt.timedelta) -> None:
        """Move the sandbox clock forward (persisted, so a served sandbox keeps it)."""
        if self._fixed_now is not None:
            self._fixed_now += delta
            return
        offset = float(self.get_meta("clock_offset_s") or 0.0)
        self.set_meta("clock_offset_s", offset + delta.total_seconds())

    # -- request counters -------------------------------------------------------

    def count_request(self, method: str, path: str) -> None:
        with self._lock:
            self._requests[f"{method} {path}"] += 1

    def request_counts(self) -> dict[str, int]:
        """``{"GET /v1/organizations/users": 3, ...}`` since start or ``reset_stats``."""
        with self._lock:
            return dict(self._requests)

    def reset_stats(self) -> None:
        with self._lock:
            self._requests.clear()


def loads(text: str | None, default: Any = None) -> Any:
    return default if text is None else json.loads(text)


__all__ = ["SandboxStore", "make_id", "loads", "parse_rfc3339", "rfc3339"]
