"""fetch() against the sandbox org: the normalized live state, every page, nothing extra."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from provider_shims import provider_for

from reconciler.errors import LiveReadError
from reconciler.model import OrgType, SpendLimitKey
from reconciler.sandbox.demo import seed_demo, seed_generated
from reconciler.sandbox.store import SandboxStore

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def demo() -> SandboxStore:
    store = SandboxStore(":memory:")
    seed_demo(store, TODAY)
    return store


def test_demo_org_reads_back_as_the_documented_live_state(demo: SandboxStore) -> None:
    live = provider_for(demo).fetch()
    assert live.complete and live.org_type is OrgType.ENTERPRISE
    # 20 policy members - kate (expired invite) - sam (missing) + zoe (unlisted)
    assert len(live.members) == 19
    assert live.members["dana.owner@acme.example"].role == "primary_owner"
    assert live.members["quinn.taylor@acme.example"].role == "user"
    assert live.members["zoe.unlisted@acme.example"].id
    kate = live.invites["kate.silva@acme.example"]
    assert kate.status == "expired" and kate.role == "user" and len(kate.group_ids) == 2
    assert "sam.obi@acme.example" not in live.invites
    assert live.groups["all-engineering"].source == "scim"
    platform = live.groups["team-platform"]
    assert platform.source == "direct" and "alice.nguyen@acme.example" in platform.members
    assert "zoe.unlisted@acme.example" not in platform.members
    cap = live.spend_limits[SpendLimitKey("user", "erin.kim@acme.example", "monthly")]
    assert cap.amount_cents == 10000 and cap.id
    assert live.workspaces == {}


def test_emails_are_normalized_to_one_key(demo: SandboxStore) -> None:
    demo.execute("UPDATE users SET email = 'Alice.Nguyen@ACME.example' "
                 "WHERE email = 'alice.nguyen@acme.example'")
    live = provider_for(demo).fetch()
    assert "alice.nguyen@acme.example" in live.members
    assert "alice.nguyen@acme.example" in live.groups["team-platform"].members


def test_large_org_is_read_with_one_request_per_page() -> None:
    store = SandboxStore(":memory:")
    seed_generated(store, 2500, 3)
    provider = provider_for(store)
    store.reset_stats()
    live = provider.fetch()
    assert len(live.members) == 2500
    assert sum(len(g.members) for g in live.groups.values()) == 2500
    # users: 3 pages; invites 1; groups 1; 3 groups x 1 member page; spend limits 1
    pages = math.ceil(2500 / 1000) + 1 + 1 + 3 + 1
    assert provider.stats.list_requests == pages
    assert provider.stats.requests == pages
    assert sum(store.request_counts().values()) == pages


def test_an_org_with_no_members_is_refused() -> None:
    store = SandboxStore(":memory:")
    seed_generated(store, 0, 0)
    with pytest.raises(LiveReadError, match="live org looks empty; refusing") as err:
        provider_for(store).fetch()
    assert "SEATCTL_TEST_ADMIN_KEY" in (err.value.hint or "")


def test_an_unknown_role_fails_closed_naming_the_field(demo: SandboxStore) -> None:
    demo.execute("UPDATE users SET role = 'superuser' WHERE email = 'bob.martin@acme.example'")
    with pytest.raises(LiveReadError) as err:
        provider_for(demo).fetch()
    assert "`role`" in err.value.message and "superuser" in err.value.message
    assert "/v1/organizations/users" in err.value.message


def test_a_role_of_the_other_org_type_is_unknown_too(demo: SandboxStore) -> None:
    demo.execute("UPDATE users SET role = 'developer' WHERE email = 'bob.martin@acme.example'")
    with pytest.raises(LiveReadError, match="developer"):
        provider_for(demo).fetch()


def test_the_newest_invite_per_email_wins(demo: SandboxStore) -> None:
    provider = provider_for(demo)
    provider.invite("kate.silva@acme.example", "user", frozenset())
    live = provider.fetch()
    assert live.invites["kate.silva@acme.example"].status == "pending"


def test_duplicate_group_names_are_refused_with_a_fix(demo: SandboxStore) -> None:
    provider = provider_for(demo)
    provider.create_group("team-platform")
    with pytest.raises(LiveReadError, match="two RBAC groups are named 'team-platform'") as err:
        provider.fetch()
    assert "rename" in (err.value.hint or "")


def test_console_org_reads_workspaces_with_member_roles() -> None:
    store = SandboxStore(":memory:")
    seed_generated(store, 3, 0)
    store.configure_org(org_type="console")
    provider = provider_for(store, org_type="console")
    live = provider.fetch()
    assert live.groups == {} and live.spend_limits == {}
    member = live.members["member000001@gen.example"]
    created = provider._api.organization.workspaces.create(name="Research")
    provider.add_workspace_member(created.id, member, "workspace_developer")
    live = provider.fetch()
    assert live.workspaces["Research"].members == {
        "member000001@gen.example": "workspace_developer"
    }
    assert live.workspaces["Research"].id == created.id
    assert provider.add_workspace_member(created.id, member, "workspace_developer").already_done
    provider.update_workspace_member(created.id, member, "workspace_admin")
    assert provider.fetch().workspaces["Research"].members == {
        "member000001@gen.example": "workspace_admin"
    }
    provider.remove_workspace_member(created.id, member)
    assert provider.remove_workspace_member(created.id, member).already_done
    assert provider.fetch().workspaces["Research"].members == {}


def test_user_activity_rows_come_per_user_per_day(demo: SandboxStore) -> None:
    provider = provider_for(demo)
    day = TODAY - dt.timedelta(days=3)
    rows = list(provider.fetch_user_activity(day, day + dt.timedelta(days=1)))
    assert rows and {r.day for r in rows} <= {day, day + dt.timedelta(days=1)}
    assert all(r.email == r.email.lower() and r.email.endswith("@acme.example") for r in rows)
    assert any(r.sessions > 0 for r in rows)
