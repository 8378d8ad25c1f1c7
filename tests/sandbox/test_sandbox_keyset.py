"""Keyset paging: every list returns every item once, in order, in both directions.

Why: the sandbox pages by keyset (no OFFSET scan) so a 100k-member org serves a full
read in seconds; the change must not lose, repeat or reorder a row, must keep the
tokens opaque to the SDK's auto-pagination, and must survive rows removed between
pages. The org is seeded directly at the demo day (``DEMO_DATE``).
"""

from __future__ import annotations

import datetime as dt

import pytest

from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import DEMO_DATE, seed_generated
from reconciler.sandbox.store import SandboxStore

MEMBERS = 2_345
GROUPS = 2


@pytest.fixture()
def store() -> SandboxStore:
    s = SandboxStore(":memory:")
    s.set_now(dt.datetime.combine(DEMO_DATE, dt.time(12), tzinfo=dt.UTC))
    seed_generated(s, MEMBERS, GROUPS, today=DEMO_DATE)
    return s


def _seqs(store: SandboxStore, sql: str, *args: object) -> list[str]:
    return [r[0] for r in store.query(sql, args)]


def test_users_forwards_and_backwards_every_member_once(store: SandboxStore) -> None:
    client = sandbox_client(store, max_retries=0)
    forwards = [u.id for u in client.organization.users.list(limit=100)]
    expected = _seqs(store, "SELECT id FROM users WHERE deleted = 0 ORDER BY seq DESC")
    assert forwards == expected and len(set(forwards)) == MEMBERS
    last = forwards[-1]
    pages = client.organization.users.list(limit=100, before_id=last).iter_pages()
    backwards = [[u.id for u in page.data] for page in pages]
    # before_id walks towards the newest member, page by page; each page in list order
    assert [i for page in reversed(backwards) for i in page] == expected[:-1]


def test_group_members_token_pages_every_member_once_in_order(store: SandboxStore) -> None:
    client = sandbox_client(store, max_retries=0)
    group = next(iter(client.organization.rbac_groups.list(limit=1)))
    got = [m.user_id for m in client.organization.rbac_groups.members.list(group.id, limit=97)]
    expected = _seqs(
        store, "SELECT user_id FROM rbac_group_members WHERE group_id = ? ORDER BY seq", group.id
    )
    assert got == expected and len(got) == len(set(got)) == (MEMBERS + 1) // GROUPS


def test_groups_and_spend_limits_page_by_key(store: SandboxStore) -> None:
    client = sandbox_client(store, max_retries=0)
    names = [g.name for g in client.organization.rbac_groups.list(limit=1)]
    assert names == [f"team-{g:04d}" for g in range(GROUPS)]
    limits = list(client.beta.organization.spend_limits.list(limit=1))
    assert limits == []


def test_token_holds_no_offset_and_survives_a_removed_row(store: SandboxStore) -> None:
    client = sandbox_client(store, max_retries=0)
    group = next(iter(client.organization.rbac_groups.list(limit=1)))
    first = client.organization.rbac_groups.members.list(group.id, limit=10)
    ids = [m.user_id for m in first.data]
    # Remove a member already seen: an offset token would now skip a row; a key does not.
    store.execute("DELETE FROM rbac_group_members WHERE user_id = ?", (ids[3],))
    rest = [m.user_id for page in first.iter_pages() for m in page.data][10:]
    expected = _seqs(
        store, "SELECT user_id FROM rbac_group_members WHERE group_id = ? ORDER BY seq", group.id
    )
    assert ids[:3] + ids[4:] + rest == expected


def test_a_forged_token_is_400_not_a_crash(store: SandboxStore) -> None:
    client = sandbox_client(store, max_retries=0)
    http = client._client  # the SDK's httpx client, to send a token the SDK would never send
    resp = http.get(
        "http://sandbox.local/v1/organizations/rbac_groups",
        params={"page": "page_eyJrIjpbIngiLCJ5Il0sInEiOiJ4In0"},
        headers={"authorization": f"Bearer {client.api_key}", "anthropic-version": "2026-10-21"},
    )
    assert resp.status_code == 400


def test_effective_spend_limits_page_by_member_key(store: SandboxStore) -> None:
    store.execute(
        "INSERT INTO spend_limits(id, scope_type, scope_key, period, amount, currency,"
        " created_at, updated_at) VALUES ('spl_org', 'organization', '', 'monthly', '100',"
        " 'USD', '2026-11-25T00:00:00Z', '2026-11-25T00:00:00Z')"
    )
    client = sandbox_client(store, max_retries=0)
    rows = [r.actor.user_id  # type: ignore[union-attr]
            for r in client.organization.spend_limits.effective.list(limit=97)]
    expected = _seqs(store, "SELECT id FROM users WHERE deleted = 0 ORDER BY seq")
    assert rows == expected and len(rows) == MEMBERS
