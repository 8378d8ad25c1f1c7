"""The kept snapshot and the slice read over it.

Why: ``plan --base`` trusts the snapshot for everything outside the slice, so the
file must round-trip exactly, be written atomically, and refuse a damaged or edited
copy by name; and the slice read must replace exactly the slice, the way the API
sees it now. Times are fixed (``READ_AT`` on the demo day); the sandbox org is
generated directly and its clock put on ``DEMO_DATE``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pathlib

import pytest

from reconciler.errors import ConfigError
from reconciler.model import OrgType
from reconciler.plan import fingerprint
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.providers.slice_reads import Slice
from reconciler.providers.snapshot import load_snapshot, save_snapshot, snapshot_path
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import DEMO_DATE, generated_email, seed_generated
from reconciler.sandbox.store import SandboxStore

READ_AT = dt.datetime.combine(DEMO_DATE, dt.time(6), tzinfo=dt.UTC)


def _org(members: int = 60, groups: int = 3) -> tuple[SandboxStore, AnthropicProvider]:
    store = SandboxStore(":memory:")
    seed_generated(store, members, groups, today=DEMO_DATE)
    store.set_now(READ_AT)
    provider = AnthropicProvider(sandbox_client(store, max_retries=0),
                                 org_type=OrgType.ENTERPRISE, key_env_name="SEATCTL_ADMIN_KEY")
    return store, provider


def test_round_trip_is_exact_and_atomic(tmp_path: pathlib.Path) -> None:
    _, provider = _org()
    live = provider.fetch()
    save_snapshot(live, tmp_path, read_at=READ_AT, fingerprint=fingerprint)
    snap = load_snapshot(tmp_path, fingerprint=fingerprint)
    assert snap is not None and snap.read_at == READ_AT
    assert fingerprint(snap.live) == fingerprint(live) == snap.fingerprint
    assert snap.live.members == live.members and snap.live.groups == live.groups
    assert snap.age(READ_AT + dt.timedelta(hours=3)) == dt.timedelta(hours=3)
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.json"]  # no temp file left


def test_a_read_with_managed_settings_is_kept_without_them_and_loads(
        tmp_path: pathlib.Path) -> None:
    """An Enterprise org with Claude Code managed settings (the demo org's kind): the
    snapshot does not keep them, and its fingerprint is of what it keeps, so it loads
    (it was refused as 'edited or damaged', and every targeted read fell back)."""
    from reconciler.model import GroupSettings, ManagedSettingsState

    _, provider = _org()
    live = dataclasses.replace(provider.fetch(), managed_settings=ManagedSettingsState(
        "rbac_groups", ("g1",), {"g1": GroupSettings("team", {"env": {}}, "g1")}))
    save_snapshot(live, tmp_path, read_at=READ_AT, fingerprint=fingerprint)
    snap = load_snapshot(tmp_path, fingerprint=fingerprint)
    assert snap is not None and snap.live.managed_settings is None
    assert snap.live.members == live.members and snap.live.groups == live.groups


def test_damaged_or_edited_snapshot_is_refused_by_name(tmp_path: pathlib.Path) -> None:
    _, provider = _org()
    save_snapshot(provider.fetch(), tmp_path, read_at=READ_AT, fingerprint=fingerprint)
    path = snapshot_path(tmp_path)
    doc = json.loads(path.read_text())
    doc["members"][0][1] = "owner"  # edited by hand: no longer its fingerprint
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="does not match its fingerprint") as exc:
        load_snapshot(tmp_path, fingerprint=fingerprint)
    assert str(path) in exc.value.message and "delete it" in (exc.value.hint or "")
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="unreadable"):
        load_snapshot(tmp_path, fingerprint=fingerprint)
    assert load_snapshot(tmp_path / "none", fingerprint=fingerprint) is None


def test_slice_read_replaces_exactly_the_slice() -> None:
    store, provider = _org()
    snap = provider.fetch()
    gone, moved = generated_email(4), generated_email(7)
    # after the snapshot: one member removed, one group member added by someone else,
    # and a role changed outside the slice
    gone_id = store.scalar("SELECT id FROM users WHERE email = ?", (gone,))
    store.execute("UPDATE users SET deleted = 1 WHERE id = ?", (gone_id,))
    store.execute("DELETE FROM rbac_group_members WHERE user_id = ?", (gone_id,))
    moved_id = store.scalar("SELECT id FROM users WHERE email = ?", (moved,))
    g2 = store.scalar("SELECT id FROM rbac_groups WHERE name = 'team-0002'")
    store.execute("INSERT INTO rbac_group_members(group_id, user_id, created_at) "
                  "VALUES (?, ?, '2026-11-25T00:00:00Z')", (g2, moved_id))
    store.execute("UPDATE users SET role = 'managed' WHERE email = ?", (generated_email(9),))
    store.reset_stats()
    got = provider.fetch_slice(snap, Slice(frozenset({gone}), frozenset({"team-0002"})))
    # the user and invite filters for one email, one page of one group, and the same two
    # filters for the member who joined the group since the snapshot: counted by the sandbox
    assert got.requests == sum(store.request_counts().values()) == 5
    fresh = provider.fetch()
    assert gone not in got.live.members and all(gone not in g.members
                                                for g in got.live.groups.values())
    assert got.live.groups["team-0002"] == fresh.groups["team-0002"]
    assert got.live.members[generated_email(9)].role == "user"  # outside: the snapshot's
    expected = dataclasses.replace(fresh, members={**fresh.members,
                                                   generated_email(9): snap.members[
                                                       generated_email(9)]})
    assert fingerprint(got.live) == fingerprint(expected)
