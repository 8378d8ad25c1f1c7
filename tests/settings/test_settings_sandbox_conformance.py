"""Conformance of the sandbox's managed-settings API, driven through the official SDK.

Every operation and every error case of ADMIN_API.md §17.3 that §17.6 asks the
sandbox to emulate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anthropic
import pytest
from anthropic.types.beta.organization import BetaRBACGroupNotFoundError
from anthropic.types.beta.organization.claude_code import (
    BetaRBACGroupManagedSettingsNotFoundError,
    BetaRBACGroupOrderLimitExceededError,
    BetaSettingsDocumentLimitExceededError,
    BetaSettingsHistoryLimitExceededError,
)
from settings_sandbox import delete_group, seed_group, settings_client

from reconciler.sandbox import managed_settings as sms
from reconciler.sandbox.store import SandboxStore


@pytest.fixture
def store() -> Iterator[SandboxStore]:
    s = SandboxStore(":memory:")
    sms.install(s)
    yield s
    s.close()


@pytest.fixture
def ms(store: SandboxStore):  # type: ignore[no-untyped-def]
    return settings_client(store, max_retries=0).beta.organization.claude_code.managed_settings


def _ops(ms, gid: str) -> list[Callable[..., object]]:  # type: ignore[no-untyped-def]
    return [
        lambda h: ms.configuration.retrieve(extra_headers=h),
        lambda h: ms.configuration.update(mode={"type": "rbac_groups"}, extra_headers=h),
        lambda h: list(ms.rbac_groups.list(extra_headers=h)),
        lambda h: ms.rbac_groups.retrieve(gid, extra_headers=h),
        lambda h: ms.rbac_groups.set(gid, settings={"model": "sonnet"}, extra_headers=h),
        lambda h: ms.rbac_groups.delete(gid, extra_headers=h),
        lambda h: ms.rbac_group_default.retrieve(extra_headers=h),
        lambda h: ms.rbac_group_default.update(settings=None, extra_headers=h),
    ]


def test_every_operation_is_404_without_the_beta_header(store, ms) -> None:  # type: ignore[no-untyped-def]
    gid = seed_group(store, "g")
    for op in _ops(ms, gid):
        with pytest.raises(anthropic.NotFoundError) as info:
            op({"anthropic-beta": "spend-limit-reads-2026-09-26"})
        assert info.value.error_code is None


def test_beta_header_is_found_in_a_comma_separated_list(store, ms) -> None:  # type: ignore[no-untyped-def]
    header = {"anthropic-beta": "spend-limit-reads-2026-09-26, " + sms.BETA}
    assert ms.configuration.retrieve(extra_headers=header).mode.type == "organization"


def test_console_or_unenrolled_org_gets_404(store, ms) -> None:  # type: ignore[no-untyped-def]
    sms.set_enrolled(store, False)
    with pytest.raises(anthropic.NotFoundError):
        ms.configuration.retrieve()


def test_create_appends_replace_keeps_place_and_version_moves_only_with_the_order(
    store, ms
) -> None:  # type: ignore[no-untyped-def]
    a, b = seed_group(store, "a"), seed_group(store, "b")
    v0 = ms.configuration.retrieve().rbac_group_order_version
    ms.rbac_groups.set(a, settings={"model": "opus"})
    ms.rbac_groups.set(b, settings={"model": "sonnet"})
    cfg = ms.configuration.retrieve()
    assert cfg.rbac_group_order == [a, b] and cfg.rbac_group_order_version != v0
    ms.rbac_groups.set(a, settings={"model": "haiku"})
    again = ms.configuration.retrieve()
    assert again.rbac_group_order == [a, b]
    assert again.rbac_group_order_version == cfg.rbac_group_order_version
    assert ms.rbac_groups.retrieve(a).settings == {"model": "haiku"}


def test_reorder_needs_the_current_version_and_a_stale_one_is_409_not_retried(
    store, ms
) -> None:  # type: ignore[no-untyped-def]
    a, b = seed_group(store, "a"), seed_group(store, "b")
    ms.rbac_groups.set(a, settings={"model": "a"})
    ms.rbac_groups.set(b, settings={"model": "b"})
    version = ms.configuration.retrieve().rbac_group_order_version
    done = ms.configuration.update(rbac_group_order=[b, a], rbac_group_order_version=version)
    assert done.rbac_group_order == [b, a] and done.rbac_group_order_version != version
    with pytest.raises(anthropic.ConflictError) as info:
        ms.configuration.update(rbac_group_order=[a, b], rbac_group_order_version=version)
    assert info.value.response.headers["x-should-retry"] == "false"
    assert ms.configuration.retrieve().rbac_group_order == [b, a]


@pytest.mark.parametrize(
    "body",
    [
        {"rbac_group_order": []},
        {"rbac_group_order_version": "v"},
        {"mode": {"type": "everyone"}},
        {"rbac_group_order": ["rbac_group_x"], "rbac_group_order_version": "CURRENT"},
    ],
    ids=["order-without-version", "version-without-order", "bad-mode", "order-not-a-permutation"],
)
def test_bad_configuration_updates_are_400(store, ms, body) -> None:  # type: ignore[no-untyped-def]
    if body.get("rbac_group_order_version") == "CURRENT":
        body = {**body, "rbac_group_order_version": ms.configuration.retrieve()
                .rbac_group_order_version}  # fmt: skip
    with pytest.raises(anthropic.BadRequestError):
        ms.configuration.update(extra_body=body)


def test_delete_removes_from_order_and_a_second_delete_is_not_found(store, ms) -> None:  # type: ignore[no-untyped-def]
    a, b = seed_group(store, "a"), seed_group(store, "b")
    ms.rbac_groups.set(a, settings={"model": "a"})
    ms.rbac_groups.set(b, settings={"model": "b"})
    assert ms.rbac_groups.delete(a).rbac_group_id == a
    assert ms.configuration.retrieve().rbac_group_order == [b]
    with pytest.raises(BetaRBACGroupManagedSettingsNotFoundError):
        ms.rbac_groups.delete(a)
    with pytest.raises(BetaRBACGroupManagedSettingsNotFoundError):
        ms.rbac_groups.retrieve(a)


def test_set_on_a_group_that_does_not_exist_is_rbac_group_not_found(store, ms) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BetaRBACGroupNotFoundError):
        ms.rbac_groups.set("rbac_group_missing", settings={"model": "a"})


def test_set_without_settings_object_is_400(store, ms) -> None:  # type: ignore[no-untyped-def]
    gid = seed_group(store, "g")
    with pytest.raises(anthropic.BadRequestError):
        ms.rbac_groups.set(gid, settings=None)  # type: ignore[arg-type]


def test_list_pages_limit_and_token_bound_to_the_order_version(store, ms) -> None:  # type: ignore[no-untyped-def]
    ids = [seed_group(store, f"g{i}") for i in range(5)]
    for gid in ids:
        ms.rbac_groups.set(gid, settings={"model": gid})
    page = ms.rbac_groups.list(limit=2)
    assert [s.rbac_group_id for s in page.data] == ids[:2] and page.next_page
    assert [s.rbac_group_id for s in ms.rbac_groups.list(limit=2)] == ids
    last = ms.rbac_groups.list(limit=100)
    assert last.next_page is None and len(last.data) == 5
    for bad in (0, 101):
        with pytest.raises(anthropic.BadRequestError):
            ms.rbac_groups.list(limit=bad)
    ms.rbac_groups.delete(ids[0])
    with pytest.raises(anthropic.ConflictError):
        ms.rbac_groups.list(limit=2, page=page.next_page)


def test_settings_of_a_deleted_rbac_group_show_status_deleted(store, ms) -> None:  # type: ignore[no-untyped-def]
    gid = seed_group(store, "gone")
    ms.rbac_groups.set(gid, settings={"model": "a"})
    delete_group(store, gid)
    assert ms.rbac_groups.retrieve(gid).rbac_group_status.type == "deleted"
    assert [s.rbac_group_status.type for s in ms.rbac_groups.list()] == ["deleted"]
    assert ms.configuration.retrieve().rbac_group_order == [gid]
    sms.set_unknown_status(store, [gid])
    assert ms.rbac_groups.retrieve(gid).rbac_group_status.type == "unknown"


def test_first_switch_copies_org_settings_into_a_new_default(store, ms) -> None:  # type: ignore[no-untyped-def]
    sms.set_org_settings(store, {"model": "org-wide"})
    assert ms.rbac_group_default.retrieve().updated_at is None
    cfg = ms.configuration.update(mode={"type": "rbac_groups"})
    assert cfg.mode.type == "rbac_groups" and cfg.mode_updated_at is not None
    default = ms.rbac_group_default.retrieve()
    assert default.settings == {"model": "org-wide"} and default.updated_at is not None


def test_switch_does_not_copy_once_a_group_has_settings(store, ms) -> None:  # type: ignore[no-untyped-def]
    sms.set_org_settings(store, {"model": "org-wide"})
    ms.rbac_groups.set(seed_group(store, "g"), settings={"model": "g"})
    ms.configuration.update(mode={"type": "rbac_groups"})
    assert ms.rbac_group_default.retrieve().updated_at is None


def test_failed_copy_is_400_and_changes_nothing(store, ms) -> None:  # type: ignore[no-untyped-def]
    sms.set_org_settings(store, "invalid")
    with pytest.raises(anthropic.BadRequestError):
        ms.configuration.update(mode={"type": "rbac_groups"})
    assert ms.configuration.retrieve().mode.type == "organization"


def test_null_clears_the_default_and_damaged_documents_read_as_null(store, ms) -> None:  # type: ignore[no-untyped-def]
    ms.rbac_group_default.update(settings={"model": "base"})
    assert ms.rbac_group_default.retrieve().settings == {"model": "base"}
    sms.damage(store, None)
    damaged = ms.rbac_group_default.retrieve()
    assert damaged.settings is None and damaged.updated_at is not None
    ms.rbac_group_default.update(settings=None)
    cleared = ms.rbac_group_default.retrieve()
    assert cleared.settings is None and cleared.updated_at is None
    gid = seed_group(store, "g")
    ms.rbac_groups.set(gid, settings={"model": "g"})
    sms.damage(store, gid)
    assert ms.rbac_groups.retrieve(gid).settings is None
    ms.rbac_groups.set(gid, settings={"model": "g"})
    assert ms.rbac_groups.retrieve(gid).settings == {"model": "g"}


def test_default_update_requires_the_settings_key(store, ms) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(anthropic.BadRequestError):
        ms.rbac_group_default.update(extra_body={"settings": "nope"}, settings=None)


def test_order_cap_is_typed_400(store, ms) -> None:  # type: ignore[no-untyped-def]
    sms.set_caps(store, order=1)
    ms.rbac_groups.set(seed_group(store, "a"), settings={"model": "a"})
    with pytest.raises(BetaRBACGroupOrderLimitExceededError):
        ms.rbac_groups.set(seed_group(store, "b"), settings={"model": "b"})


def test_document_cap_counts_unused_documents_until_pruned(store, ms) -> None:  # type: ignore[no-untyped-def]
    sms.set_caps(store, documents=2)
    gid = seed_group(store, "a")
    ms.rbac_groups.set(gid, settings={"model": "1"})
    ms.rbac_groups.set(gid, settings={"model": "2"})  # the first stays stored, unused
    with pytest.raises(BetaSettingsDocumentLimitExceededError):
        ms.rbac_groups.set(gid, settings={"model": "3"})
    with pytest.raises(BetaSettingsDocumentLimitExceededError):
        ms.rbac_group_default.update(settings={"model": "base"})
    ms.rbac_groups.set(seed_group(store, "b"), settings={"model": "2"})  # shared document
    assert sms.prune_unused(store) == 1
    ms.rbac_groups.set(gid, settings={"model": "3"})


def test_history_cap_refuses_writes_and_reorders_but_not_a_plain_mode_switch(store, ms) -> None:  # type: ignore[no-untyped-def]
    a, b = seed_group(store, "a"), seed_group(store, "b")
    ms.rbac_groups.set(a, settings={"model": "a"})
    ms.rbac_groups.set(b, settings={"model": "b"})
    sms.set_caps(store, history=2)
    version = ms.configuration.retrieve().rbac_group_order_version
    refused = [
        lambda: ms.rbac_groups.set(a, settings={"model": "c"}),
        lambda: ms.rbac_groups.delete(a),
        lambda: ms.rbac_group_default.update(settings={"model": "d"}),
        lambda: ms.rbac_group_default.update(settings=None),
        lambda: ms.configuration.update(rbac_group_order=[b, a], rbac_group_order_version=version),
    ]
    for op in refused:
        with pytest.raises(BetaSettingsHistoryLimitExceededError):
            op()
    assert ms.configuration.update(mode={"type": "rbac_groups"}).mode.type == "rbac_groups"


def test_a_write_answered_503_was_applied_and_the_retry_is_safe(store, ms) -> None:  # type: ignore[no-untyped-def]
    gid = seed_group(store, "a")
    sms.fail_after_write(store, 1)
    with pytest.raises(anthropic.InternalServerError) as info:
        ms.rbac_groups.set(gid, settings={"model": "a"})
    assert info.value.status_code == 503
    assert ms.rbac_groups.retrieve(gid).settings == {"model": "a"}
    sms.fail_after_write(store, 1)
    with pytest.raises(anthropic.InternalServerError):
        ms.rbac_groups.delete(gid)
    with pytest.raises(BetaRBACGroupManagedSettingsNotFoundError):
        ms.rbac_groups.delete(gid)
