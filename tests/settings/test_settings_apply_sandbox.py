"""plan → apply → plan against the sandbox through the official SDK, drift and 409 recovery."""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

import pytest
from settings_fixtures import ACME_ROLES, make_policy
from settings_sandbox import delete_group, seed_group, settings_client

from reconciler.model import Group, OrgState, OrgType, Policy
from reconciler.providers.anthropic_settings import ManagedSettingsApi, OrderConflict
from reconciler.sandbox import managed_settings as sms
from reconciler.sandbox.store import SandboxStore
from reconciler.settings.apply import apply_settings_change
from reconciler.settings.diff import (
    CONFIGURE,
    DELETE_GROUP,
    SET_DEFAULT,
    SET_GROUP,
    count_writes,
    settings_changes,
)
from reconciler.settings.effective import effective_settings

BOTH = "grace.lee@acme.example"


@pytest.fixture
def org() -> Iterator[tuple[SandboxStore, ManagedSettingsApi, dict[str, str]]]:
    store = SandboxStore(":memory:")
    sms.install(store)
    ids = {r.group: seed_group(store, r.group) for r in ACME_ROLES.values() if r.group}
    api = ManagedSettingsApi(settings_client(store), sleep=lambda s: None)
    yield store, api, ids
    store.close()


def _live(api: ManagedSettingsApi, ids: dict[str, str]) -> OrgState:
    groups = {name: Group(name, id=gid) for name, gid in ids.items()}
    state = api.read({gid: name for name, gid in ids.items()})
    return OrgState(OrgType.ENTERPRISE, {}, groups=MappingProxyType(groups),
                    managed_settings=state)  # fmt: skip


def _apply(api: ManagedSettingsApi, policy: Policy, ids: dict[str, str]) -> int:
    changes = settings_changes(policy, _live(api, ids))
    for change in changes:
        apply_settings_change(api, change, ids)
    return count_writes(changes)


def test_plan_apply_plan_shows_no_changes(org) -> None:  # type: ignore[no-untyped-def]
    store, api, ids = org
    policy = make_policy()
    first = settings_changes(policy, _live(api, ids))
    assert [c.kind for c in first] == [SET_GROUP] * 4 + [CONFIGURE]
    assert count_writes(first) == 5
    _apply(api, policy, ids)
    assert settings_changes(policy, _live(api, ids)) == []
    live = _live(api, ids).managed_settings
    assert live is not None and live.mode == "rbac_groups"
    by_priority = sorted(ACME_ROLES.values(), key=lambda r: r.priority)
    assert list(live.order) == [ids[r.group] for r in by_priority if r.group]


def test_unchanged_documents_are_never_written_again(org) -> None:  # type: ignore[no-untyped-def]
    store, api, ids = org
    policy = make_policy()
    _apply(api, policy, ids)
    history = store.scalar("SELECT COUNT(*) FROM ccms_history")
    assert _apply(api, policy, ids) == 0
    assert store.scalar("SELECT COUNT(*) FROM ccms_history") == history


def test_baseline_role_sets_the_default_before_anything_else(org) -> None:  # type: ignore[no-untyped-def]
    store, api, ids = org
    roles = dict(ACME_ROLES)
    base = roles["developer"]
    roles["everyone"] = type(base)("everyone", "Everyone", "user", "standard",
                                   features=("read_only",), baseline=True)  # fmt: skip
    policy = make_policy(roles)
    changes = settings_changes(policy, _live(api, ids))
    assert changes[0].kind == SET_DEFAULT and changes[-1].kind == CONFIGURE
    sms.set_org_settings(store, {"model": "should-not-be-copied"})
    _apply(api, policy, ids)
    live = _live(api, ids).managed_settings
    assert live is not None and live.default is not None
    assert live.default["permissions"]["defaultMode"] == "plan"  # type: ignore[index]
    assert settings_changes(policy, _live(api, ids)) == []


@pytest.mark.parametrize(
    "tamper, kind, cause",
    [
        (lambda s, ids: sms.put_group_settings(s, ids["claude-developers"], {"model": "opus"}),
         SET_GROUP, "changed"),
        (lambda s, ids: sms.damage(s, ids["claude-interns"]), SET_GROUP, "damaged"),
        (lambda s, ids: sms.put_group_settings(s, seed_group(s, "hand-made"), {"model": "x"}),
         DELETE_GROUP, "unlisted"),
        (lambda s, ids: delete_group(s, ids["claude-contractors"]), SET_GROUP, "missing"),
    ],
    ids=["changed-in-claude-ai", "damaged-document", "group-not-in-policy", "group-deleted"],
)
def test_a_document_changed_behind_seatctls_back_is_drift_with_its_cause(
    org, tamper, kind, cause
) -> None:  # type: ignore[no-untyped-def]
    store, api, ids = org
    policy = make_policy()
    _apply(api, policy, ids)
    tamper(store, ids)
    if cause == "missing":  # the group itself is gone: its settings are a deleted entry
        gone = ids.pop("claude-contractors")
        drift = settings_changes(policy, _live(api, ids))
        deleted = [c for c in drift if c.kind == DELETE_GROUP]
        assert deleted and deleted[0].data["cause"] == "deleted"
        assert deleted[0].data["group_id"] == gone
        ids["claude-contractors"] = seed_group(store, "claude-contractors-new")
    drift = settings_changes(policy, _live(api, ids))
    assert any(c.kind == kind and c.data["cause"] == cause for c in drift), drift
    _apply(api, policy, ids)
    assert settings_changes(policy, _live(api, ids)) == []


def test_changed_order_and_mode_are_drift(org) -> None:  # type: ignore[no-untyped-def]
    store, api, ids = org
    policy = make_policy()
    _apply(api, policy, ids)
    ms = settings_client(store).beta.organization.claude_code.managed_settings
    cfg = ms.configuration.retrieve()
    ms.configuration.update(mode={"type": "organization"},
                            rbac_group_order=list(reversed(cfg.rbac_group_order)),
                            rbac_group_order_version=cfg.rbac_group_order_version)  # fmt: skip
    drift = settings_changes(policy, _live(api, ids))
    assert [(c.kind, c.data["cause"]) for c in drift] == [(CONFIGURE, "order")]
    assert drift[0].before["mode"] == "organization"  # type: ignore[index]
    _apply(api, policy, ids)
    assert settings_changes(policy, _live(api, ids)) == []


def test_a_member_in_two_role_groups_gets_the_higher_priority_document(org) -> None:  # type: ignore[no-untyped-def]
    store, api, ids = org
    policy = make_policy()
    _apply(api, policy, ids)
    live = _live(api, ids).managed_settings
    assert live is not None
    members = {
        ids[name]: Group(name, frozenset({BOTH}), ids[name])
        for name in ("claude-developers", "claude-contractors")
    }
    eff = effective_settings(BOTH, live, members, names={v: k for k, v in ids.items()})
    assert eff.group == "claude-developers" and eff.source == "group"
    assert eff.document is not None
    assert eff.document["permissions"]["defaultMode"] == "acceptEdits"  # type: ignore[index]
    assert "claude-contractors" in eff.reason and "never merge" in eff.reason


def test_a_stale_order_version_gets_409_and_seatctl_recovers_by_re_reading(org) -> None:  # type: ignore[no-untyped-def]
    store, api, ids = org
    policy = make_policy()
    ms = settings_client(store).beta.organization.claude_code.managed_settings
    real = api.configuration
    raced = []

    def racing_configuration():  # type: ignore[no-untyped-def]
        answer = real()
        if not raced:  # another admin reorders right after our read
            raced.append(True)
            cfg = ms.configuration.retrieve()
            ms.configuration.update(rbac_group_order=list(reversed(cfg.rbac_group_order)),
                                    rbac_group_order_version=cfg.rbac_group_order_version)
        return answer

    api.configuration = racing_configuration  # type: ignore[method-assign]
    with pytest.raises(OrderConflict):  # apply stops; the next plan reads the new version
        _apply(api, policy, ids)
    assert raced
    _apply(api, policy, ids)  # plan again (fresh read, fresh version) and apply
    api.configuration = real  # type: ignore[method-assign]
    assert settings_changes(policy, _live(api, ids)) == []


def test_delete_answered_503_then_not_found_counts_as_done(org) -> None:  # type: ignore[no-untyped-def]
    store, api, ids = org
    gid = seed_group(store, "stray")
    sms.put_group_settings(store, gid, {"model": "x"})
    sms.fail_after_write(store, 1)
    result = api.delete_group(gid)
    assert result.already_done
    assert gid not in api.read().order
