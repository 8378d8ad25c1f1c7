"""The usage store: whole-day replacement, idempotent re-sync, retention, sync windows."""

from __future__ import annotations

import datetime as dt

import pytest
from usage_fixtures import TODAY, act, days_before

from reconciler.errors import ConfigError
from reconciler.usage.active import compile_active
from reconciler.usage.store import UsageStore
from reconciler.usage.sync import sync_range, sync_usage

ACTIVE = compile_active(["claude_code"], ["sessions"])


class ListProvider:
    """Serves fixed rows for any asked range, recording the ranges asked."""

    def __init__(self, rows: list) -> None:
        self.rows = rows
        self.asked: list[tuple[dt.date, dt.date]] = []

    def fetch_user_activity(self, start: dt.date, end: dt.date):
        self.asked.append((start, end))
        return [r for r in self.rows if start <= r.day <= end]


def test_resync_of_a_day_replaces_it_not_adds(tmp_path) -> None:
    d = days_before(2)
    with UsageStore(tmp_path / "u.db") as store:
        store.replace_days(d, d, [act(d, "a@x.example", sessions=3)])
        store.replace_days(d, d, [act(d, "a@x.example", sessions=1)])
        assert [r.sessions for r in store.rows(d, d)] == [1]


def test_resync_drops_rows_that_disappeared_upstream(tmp_path) -> None:
    d = days_before(2)
    with UsageStore(tmp_path / "u.db") as store:
        store.replace_days(d, d, [act(d, "a@x.example", sessions=3), act(d, "b@x.example")])
        store.replace_days(d, d, [act(d, "a@x.example", sessions=3)])
        assert [r.email for r in store.rows(d, d)] == ["a@x.example"]


def test_split_rows_for_one_member_and_day_are_summed(tmp_path) -> None:
    d = days_before(1)
    with UsageStore(tmp_path / "u.db") as store:
        store.replace_days(
            d, d, [act(d, "A@x.example", sessions=2), act(d, "a@x.example", sessions=5)]
        )
        (row,) = store.rows(d, d)
        assert (row.email, row.sessions) == ("a@x.example", 7)


def test_row_outside_the_range_changes_nothing(tmp_path) -> None:
    d = days_before(3)
    with UsageStore(tmp_path / "u.db") as store:
        store.replace_days(d, d, [act(d, "a@x.example", sessions=1)])
        with pytest.raises(ConfigError, match="outside"):
            store.replace_days(d, d, [act(d, "a@x.example"), act(days_before(9), "b@x.example")])
        assert [r.sessions for r in store.rows(d, d)] == [1]
        assert store.last_synced_day() == d


def test_provider_failure_mid_sync_keeps_previous_data(tmp_path) -> None:
    d = days_before(2)

    def broken():
        yield act(d, "a@x.example", sessions=9)
        raise ConnectionError("dropped")

    with UsageStore(tmp_path / "u.db") as store:
        store.replace_days(d, d, [act(d, "a@x.example", sessions=1)])
        with pytest.raises(ConnectionError):
            store.replace_days(d, d, broken())
        assert [r.sessions for r in store.rows(d, d)] == [1]


@pytest.mark.parametrize(
    ("last", "since", "expected"),
    [
        (None, None, (days_before(90), days_before(1))),
        (days_before(1), None, (days_before(3), days_before(1))),
        (days_before(10), None, (days_before(12), days_before(1))),
        (days_before(1), days_before(30), (days_before(30), days_before(1))),
        (None, days_before(400), (days_before(90), days_before(1))),
    ],
    ids=[
        "first sync reads the retention window",
        "next sync re-reads the last 3 days",
        "a gap is filled from 3 days before the last sync",
        "--since overrides the incremental start",
        "--since never reads before retention",
    ],
)
def test_sync_range(last, since, expected) -> None:
    got = sync_range(last, since=since, today=TODAY, revise_days=3, retention_days=90)
    assert got == expected


def test_sync_is_idempotent_and_prunes_past_retention(tmp_path) -> None:
    rows = [act(days_before(n), "a@x.example", sessions=n) for n in range(1, 12)]
    provider = ListProvider(rows)
    with UsageStore(tmp_path / "u.db") as store:
        store.replace_days(days_before(40), days_before(40), [act(days_before(40), "z@x.example")])
        first = sync_usage(provider, store, since=None, today=TODAY, retention_days=10)
        assert first.rows_pruned == 1  # day 40 is older than 10 days
        assert (first.start, first.end) == (days_before(10), days_before(1))
        snapshot = list(store.rows(days_before(100), TODAY))
        again = sync_usage(provider, store, since=None, today=TODAY, retention_days=10)
        assert provider.asked[-1] == (days_before(3), days_before(1))
        assert again.rows_inserted == 3 and again.rows_deleted == 3
        assert list(store.rows(days_before(100), TODAY)) == snapshot
        assert [r.day for r in snapshot] == [days_before(n) for n in range(10, 0, -1)]


def test_member_totals_and_last_active(tmp_path) -> None:
    d1, d2, d3 = days_before(3), days_before(2), days_before(1)
    with UsageStore(tmp_path / "u.db") as store:
        store.replace_days(
            d1,
            d3,
            [
                act(d1, "a@x.example", sessions=2, commits=1, tool_accepted=3, tool_rejected=1),
                act(d2, "a@x.example", lines_added=10),
                act(d3, "a@x.example", sessions=1),
                act(d2, "b@x.example", chat_messages=4),
            ],
        )
        totals = store.member_totals(d1, d3, ACTIVE)
        a = totals["a@x.example"]
        assert (a.active_days, a.sessions, a.commits, a.lines_added, a.last_active) == (
            2,
            3,
            1,
            10,
            d3,
        )
        assert totals["b@x.example"].active_days == 0
        chat = compile_active(["claude_code", "chat"], ["sessions", "chat_messages"])
        assert store.member_totals(d1, d3, chat)["b@x.example"].active_days == 1
        assert store.last_active(ACTIVE) == {"a@x.example": d3}
        assert store.daily_active(d1, d3, ACTIVE) == {d1: 1, d3: 1}


def test_unwritable_store_path_is_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match="cannot be opened"):
        UsageStore(blocker / "sub" / "u.db")


def test_a_store_from_before_the_tool_counters_gains_them(tmp_path) -> None:
    """Stores synced by an older seatctl have no per-tool columns: opening adds them,
    zero for the old days (a re-sync fills them), and the old rows still read."""
    import sqlite3

    from reconciler.usage.store import COUNTERS, TOOL_COUNTERS

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE activity (day TEXT NOT NULL, email TEXT NOT NULL, user_id TEXT NOT NULL "
        f"DEFAULT '', {', '.join(f'{c} INTEGER NOT NULL DEFAULT 0' for c in COUNTERS)}, "
        "last_activity TEXT, PRIMARY KEY (email, day)) WITHOUT ROWID"
    )
    db.execute("INSERT INTO activity (day, email, sessions) VALUES ('2026-11-20', 'a@x', 3)")
    db.commit()
    db.close()
    with UsageStore(path) as store:
        cols = {r[1] for r in store._db.execute("PRAGMA table_info(activity)")}
        assert set(TOOL_COUNTERS) <= cols
        [(row)] = list(store.rows(dt.date(2026, 11, 20), dt.date(2026, 11, 20)))
        assert row.sessions == 3
