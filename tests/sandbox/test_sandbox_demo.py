"""The seeds: the Acme demo org exactly as docs/acme-demo.md says, and large orgs fast."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import generated_email, seed_demo, seed_generated
from reconciler.sandbox.store import SandboxStore

TODAY = dt.date(2026, 11, 25)
ACME = "@acme.example"


@pytest.fixture(scope="module")
def demo() -> SandboxStore:
    store = SandboxStore(":memory:")
    store.set_now(dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC))
    seed_demo(store, TODAY)
    return store


def test_demo_members_and_roles_show_exactly_the_documented_drift(demo: SandboxStore) -> None:
    client = sandbox_client(demo)
    users = {u.email.removesuffix(ACME): u.role for u in client.organization.users.list()}
    assert len(users) == 19
    assert "zoe.unlisted" in users  # drift 1: unlisted member
    assert users["quinn.taylor"] == "user"  # drift 2: policy says contractor → managed
    assert "kate.silva" not in users and "sam.obi" not in users  # drifts 3 and 4
    assert users["dana.owner"] == "primary_owner"
    assert {e for e, r in users.items() if r == "managed"} == {"erin.kim", "jack.brown"}
    invites = list(client.organization.invites.list())
    assert [(i.email, i.status, i.role) for i in invites] == [
        (f"kate.silva{ACME}", "expired", "user")
    ]
    groups = {g.id: g.name for g in client.organization.rbac_groups.list()}
    assert sorted(groups[g] for g in invites[0].rbac_group_ids) == [
        "claude-interns",
        "team-frontend",
    ]


def test_demo_groups_hold_their_members(demo: SandboxStore) -> None:
    client = sandbox_client(demo)
    groups = {g.name: g for g in client.organization.rbac_groups.list()}
    assert {n for n, g in groups.items() if g.source_type == "scim"} == {"all-engineering"}

    def members(name: str) -> set[str]:
        listed = client.organization.rbac_groups.members.list(groups[name].id)
        return {m.email.removesuffix(ACME) for m in listed}

    assert members("team-frontend") == {"grace.lee", "henry.wong", "isla.moreno", "jack.brown"}
    assert members("claude-contractors") == {"erin.kim", "jack.brown", "quinn.taylor"}
    assert members("claude-interns") == {"farid.haddad"}
    assert len(members("all-engineering")) == 18 and "zoe.unlisted" not in members(
        "all-engineering"
    )
    assert not any("zoe.unlisted" in members(n) for n in groups)


def test_demo_spend_limits_and_seat_pool(demo: SandboxStore) -> None:
    client = sandbox_client(demo)
    limits = list(client.beta.organization.spend_limits.list())
    ids = {u.id: u.email.removesuffix(ACME) for u in client.organization.users.list()}
    by_user = {ids[x.scope.user_id]: x.amount for x in limits}  # type: ignore[union-attr]
    assert by_user == {
        "erin.kim": "10000",
        "jack.brown": "10000",
        "quinn.taylor": "10000",
        "farid.haddad": "5000",
    }
    seats = dict(demo.query("SELECT name, seats FROM seat_tiers ORDER BY rank"))
    assert seats == {"standard": 40, "restricted": 5, "learning": 5}


def test_demo_analytics_90_days_ending_yesterday(demo: SandboxStore) -> None:
    first, last = demo.one("SELECT MIN(day), MAX(day) FROM analytics_user_days")  # type: ignore[misc]
    assert dt.date.fromisoformat(last) <= TODAY - dt.timedelta(days=1)
    assert dt.date.fromisoformat(first) >= TODAY - dt.timedelta(days=90)
    recent = {
        r[0]
        for r in demo.query(
            "SELECT DISTINCT email FROM analytics_user_days WHERE day >= ?",
            ((TODAY - dt.timedelta(days=30)).isoformat(),),
        )
    }
    inactive = {f"{x}{ACME}" for x in ("carol.diaz", "olivia.rossi", "jack.brown")}
    assert len(recent) == 16 and not recent & inactive


def test_demo_is_deterministic() -> None:
    def snapshot() -> list[tuple[object, ...]]:
        store = SandboxStore(":memory:")
        seed_demo(store, TODAY)
        rows = store.query("SELECT * FROM analytics_user_days ORDER BY day, user_id")
        users = store.query("SELECT id, email, role FROM users ORDER BY seq")
        return [tuple(r) for r in (*users, *rows)]

    assert snapshot() == snapshot()


def test_generated_org_of_100k_members_seeds_in_seconds() -> None:
    store = SandboxStore(":memory:")
    started = time.monotonic()
    seed_generated(store, 100_000, 5_000, seed=1, drift_pct=2.0, today=TODAY)
    assert time.monotonic() - started < 10
    assert store.scalar("SELECT COUNT(*) FROM users") == 100_000
    assert store.scalar("SELECT COUNT(*) FROM rbac_group_members") == 100_000
    assert store.scalar("SELECT COUNT(*) FROM users WHERE role = 'managed'") == 2_000
    client = sandbox_client(store)
    page = client.organization.users.list(limit=1000, email=generated_email(99_999))
    assert [u.email for u in page.data] == [generated_email(99_999)]
