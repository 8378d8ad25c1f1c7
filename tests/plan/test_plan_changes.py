"""The one order of changes: the phase table and the sort key are pinned here."""

from __future__ import annotations

import pytest

from reconciler.plan.changes import (
    KINDS,
    ChangeKind,
    KindSpec,
    kind_spec,
    make_change,
    order_changes,
    sort_key,
)

PINNED_PHASES = {
    "create_group": 0,
    "delete_invite": 1,
    "invite": 1,
    "update_role": 1,
    "add_group_member": 2,
    "add_workspace_member": 2,
    "update_workspace_member": 2,
    "set_spend_limit": 3,
    "set_settings_default": 3,
    "set_group_settings": 3,
    "delete_group_settings": 3,
    "update_settings_configuration": 3,
    "remove_group_member": 4,
    "remove_workspace_member": 4,
    "delete_spend_limit": 4,
    "remove_member": 5,
    "delete_group": 6,
}


def test_every_builtin_kind_has_its_documented_phase() -> None:
    assert {k.value: kind_spec(k).phase for k in ChangeKind} == PINNED_PHASES


def test_every_kind_names_a_provider_call_the_protocol_declares() -> None:
    from reconciler.providers.anthropic import AnthropicProvider
    from reconciler.providers.base import Provider
    from reconciler.providers.readonly import WRITE_METHODS

    for kind in ChangeKind:
        call = kind_spec(kind).call
        assert hasattr(Provider, call) and hasattr(AnthropicProvider, call), kind
        assert call in WRITE_METHODS, f"{call} is a write the read-only provider must refuse"


def test_grants_come_before_revocations() -> None:
    # managed settings keep their own §17.6 order inside phase 3 (not seats or members)
    kinds = [k for k in ChangeKind if KINDS[k].modelled]
    grant_phases = {KINDS[k.value].phase for k in kinds if not KINDS[k].revokes}
    late = {c.phase for c in (make_change(k, "x") for k in kinds) if c.spec.revokes}
    assert max(grant_phases) < min(late)


def test_replaced_invite_is_deleted_before_the_new_invite_and_a_withdrawn_one_last() -> None:
    new = make_change("invite", "a@x.example", data={"email": "a@x.example"})
    replaced = make_change("delete_invite", "a@x.example", data={"replaced": True})
    withdrawn = make_change("delete_invite", "b@x.example", data={"replaced": False})
    removal = make_change("remove_member", "c@x.example")
    ordered = order_changes([withdrawn, removal, new, replaced])
    assert ordered == (replaced, new, removal, withdrawn)
    assert (replaced.phase, withdrawn.phase) == (1, 5)


def test_sort_key_is_phase_then_kind_rank_then_target() -> None:
    changes = [
        make_change("delete_group", "g1"),
        make_change("remove_group_member", "team-b/z@x.example"),
        make_change("add_group_member", "team-b/b@x.example"),
        make_change("add_group_member", "team-a/b@x.example"),
        make_change("update_role", "a@x.example"),
        make_change("invite", "z@x.example"),
        make_change("create_group", "team-b"),
        make_change("set_spend_limit", "user:a@x.example/monthly"),
    ]
    got = [(c.kind, c.target) for c in order_changes(changes)]
    assert got == [
        ("create_group", "team-b"),
        ("invite", "z@x.example"),
        ("update_role", "a@x.example"),
        ("add_group_member", "team-a/b@x.example"),
        ("add_group_member", "team-b/b@x.example"),
        ("set_spend_limit", "user:a@x.example/monthly"),
        ("remove_group_member", "team-b/z@x.example"),
        ("delete_group", "g1"),
    ]
    assert sort_key(changes[0]) == (6, 0, "g1", "delete_group")


def test_a_kind_added_to_the_table_sorts_in_its_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(KINDS, "test_set_widget",
                        KindSpec("test_set_widget", 3, 50, "~", "Set widgets", "set_widget"))
    ordered = order_changes([make_change("remove_member", "a"), make_change("test_set_widget", "w"),
                             make_change("add_group_member", "g/a")])
    assert [c.kind for c in ordered] == ["add_group_member", "test_set_widget", "remove_member"]


def test_a_phase_outside_the_order_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="outside"):
        KindSpec("test_bad_phase", 9, 0, "~", "Bad", "bad")


def test_an_unknown_kind_fails_closed() -> None:
    with pytest.raises(KeyError, match="unknown change kind"):
        make_change("drop_everything", "org")


def test_change_values_are_frozen() -> None:
    c = make_change("invite", "a@x.example", after={"groups": ["b", "a"]}, data={"ids": ["1"]})
    assert c.after == {"groups": ("b", "a")}
    with pytest.raises(TypeError):
        c.data["ids"] = ()  # type: ignore[index]
