"""Write operations against the sandbox: one change each, "already done" recognised."""

from __future__ import annotations

import datetime as dt

import pytest
from provider_shims import provider_for

from reconciler.errors import ApiRejectedError
from reconciler.model import Group, Member, SpendLimit, SpendLimitKey
from reconciler.providers.errors import ReadOnlyViolation
from reconciler.providers.readonly import WRITE_METHODS, ReadOnlyProvider
from reconciler.sandbox.app import create_app
from reconciler.sandbox.demo import seed_demo, seed_generated
from reconciler.sandbox.faults import FaultConfig
from reconciler.sandbox.store import SandboxStore

TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def demo() -> SandboxStore:
    store = SandboxStore(":memory:")
    seed_demo(store, TODAY)
    return store


def pending_invites(store: SandboxStore, email: str) -> int:
    return int(store.scalar(
        "SELECT COUNT(*) FROM invites WHERE lower(email) = ? AND status = 'pending'", (email,)
    ))


def test_invite_carries_group_ids_and_shows_as_pending(demo: SandboxStore) -> None:
    provider = provider_for(demo)
    live = provider.fetch()
    groups = frozenset(live.groups[name].id or "" for name in ("team-backend", "claude-interns"))
    result = provider.invite("Sam.Obi@acme.example", "user", groups)
    assert not result.already_done and result.request_id
    invite = provider.fetch().invites["sam.obi@acme.example"]
    assert invite.status == "pending" and invite.group_ids == groups


def test_inviting_twice_with_the_same_role_is_already_done(demo: SandboxStore) -> None:
    provider = provider_for(demo)
    provider.invite("sam.obi@acme.example", "user", frozenset())
    again = provider.invite("sam.obi@acme.example", "user", frozenset())
    assert again.already_done
    assert pending_invites(demo, "sam.obi@acme.example") == 1


def test_inviting_again_with_another_role_is_a_named_conflict(demo: SandboxStore) -> None:
    provider = provider_for(demo)
    provider.invite("sam.obi@acme.example", "user", frozenset())
    with pytest.raises(ApiRejectedError) as err:
        provider.invite("sam.obi@acme.example", "managed", frozenset())
    assert err.value.error_code == "invite_already_exists"
    assert "pending invite already exists" in err.value.message
    assert "'user'" in err.value.message


def test_invite_outside_the_allowed_domains_is_explained(demo: SandboxStore) -> None:
    with pytest.raises(ApiRejectedError) as err:
        provider_for(demo).invite("mallory@evil.example", "user", frozenset())
    assert err.value.error_code == "email_domain_not_allowed"
    assert "domain is not allowed" in err.value.message


def test_no_free_seat_is_explained(demo: SandboxStore) -> None:
    demo.configure_org(seat_tiers=[("standard", 1)])
    with pytest.raises(ApiRejectedError) as err:
        provider_for(demo).invite("sam.obi@acme.example", "user", frozenset())
    assert "no free seat" in err.value.message


@pytest.mark.parametrize("role", ["owner", "admin", "developer"])
def test_roles_the_org_type_cannot_assign_are_refused_before_any_request(
    demo: SandboxStore, role: str
) -> None:
    provider = provider_for(demo)
    with pytest.raises(ApiRejectedError, match="cannot be assigned"):
        provider.invite("sam.obi@acme.example", role, frozenset())
    assert provider.stats.requests == 0


def test_role_update_and_protected_members(demo: SandboxStore) -> None:
    provider = provider_for(demo)
    live = provider.fetch()
    quinn = live.members["quinn.taylor@acme.example"]
    result = provider.update_role(quinn, "managed")
    assert isinstance(result.obj, Member) and result.obj.role == "managed"
    assert provider.fetch().members["quinn.taylor@acme.example"].role == "managed"
    before = provider.stats.requests
    with pytest.raises(ApiRejectedError, match="cannot be changed or removed"):
        provider.update_role(live.members["dana.owner@acme.example"], "user")
    with pytest.raises(ApiRejectedError, match="cannot be changed or removed"):
        provider.remove_member(live.members["dana.owner@acme.example"])
    assert provider.stats.requests == before


def test_remove_member_retries_a_concurrent_change_and_second_remove_is_done(
    demo: SandboxStore,
) -> None:
    app = create_app(demo, faults=FaultConfig(conflict=2))
    provider = provider_for(app)
    zoe = provider.fetch().members["zoe.unlisted@acme.example"]
    first = provider.remove_member(zoe)
    assert not first.already_done
    assert provider.stats.retries == 2
    again = provider.remove_member(zoe)
    assert again.already_done
    assert "zoe.unlisted@acme.example" not in provider.fetch().members


def test_group_lifecycle_and_scim_groups_are_never_written(demo: SandboxStore) -> None:
    provider = provider_for(demo)
    live = provider.fetch()
    created = provider.create_group("team-data")
    group = created.obj
    assert isinstance(group, Group) and group.id
    zoe = live.members["zoe.unlisted@acme.example"]
    provider.add_group_member(group, zoe)
    assert provider.add_group_member(group, zoe).already_done
    assert provider.fetch().groups["team-data"].members == {"zoe.unlisted@acme.example"}
    provider.remove_group_member(group, zoe)
    assert provider.remove_group_member(group, zoe).already_done
    provider.delete_group(group)
    assert provider.delete_group(group).already_done
    assert "team-data" not in provider.fetch().groups
    scim = live.groups["all-engineering"]
    before = provider.stats.requests
    for attempt in (
        lambda: provider.delete_group(scim),
        lambda: provider.add_group_member(scim, zoe),
    ):
        with pytest.raises(ApiRejectedError, match="SCIM"):
            attempt()
    assert provider.stats.requests == before


def test_spend_limit_set_and_delete(demo: SandboxStore) -> None:
    provider = provider_for(demo)
    zoe = provider.fetch().members["zoe.unlisted@acme.example"]
    key = SpendLimitKey("user", zoe.email, "monthly")
    result = provider.set_spend_limit(SpendLimit(key, 2500), zoe.id or "")
    assert isinstance(result.obj, SpendLimit) and result.obj.id
    live = provider.fetch().spend_limits[key]
    assert live.amount_cents == 2500
    provider.delete_spend_limit(live)
    assert key not in provider.fetch().spend_limits
    assert provider.delete_spend_limit(live).already_done


def test_delete_invite_twice_is_already_done(demo: SandboxStore) -> None:
    provider = provider_for(demo)
    invite = provider.invite("sam.obi@acme.example", "user", frozenset()).obj
    assert provider.delete_invite(invite).already_done is False  # type: ignore[arg-type]
    assert provider.delete_invite(invite).already_done  # type: ignore[arg-type]


def test_read_only_provider_refuses_every_write_without_a_request(demo: SandboxStore) -> None:
    inner = provider_for(demo)
    readonly = ReadOnlyProvider(inner)
    assert readonly.fetch().members
    demo.reset_stats()
    zoe = Member("zoe.unlisted@acme.example", "user", id="user_x")
    group = Group("team-x", id="rbac_group_x")
    limit = SpendLimit(SpendLimitKey("user", zoe.email), 100, id="spl_x")
    args = {
        "invite": (zoe.email, "user", frozenset()),
        "delete_invite": (inner.fetch().invites["kate.silva@acme.example"],),
        "update_role": (zoe, "managed"),
        "remove_member": (zoe,),
        "create_group": ("team-x",),
        "delete_group": (group,),
        "add_group_member": (group, zoe),
        "remove_group_member": (group, zoe),
        "add_workspace_member": ("wrkspc_x", zoe, "workspace_user"),
        "update_workspace_member": ("wrkspc_x", zoe, "workspace_user"),
        "remove_workspace_member": ("wrkspc_x", zoe),
        "set_spend_limit": (limit, "user_x"),
        "delete_spend_limit": (limit,),
        "managed_settings_api": (),
        "approve_increase_request": ("slir_x", 15000, "monthly"),
        "deny_increase_request": ("slir_x",),
    }
    demo.reset_stats()
    assert set(args) == set(WRITE_METHODS)
    for name in WRITE_METHODS:
        with pytest.raises(ReadOnlyViolation, match="read-only"):
            getattr(readonly, name)(*args[name])
    assert not any(k.startswith(("POST", "DELETE")) for k in demo.request_counts())


def test_removing_the_last_member_is_explained() -> None:
    store = SandboxStore(":memory:")
    seed_generated(store, 1, 0)
    provider = provider_for(store)
    only = provider.fetch().members["member000000@gen.example"]
    with pytest.raises(ApiRejectedError) as err:
        provider.remove_member(only)
    assert err.value.error_code == "cannot_remove_last_member"
    assert "last member cannot be removed" in err.value.message
