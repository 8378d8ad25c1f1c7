"""Sandbox controls of the managed-settings emulation, for tests and the demo.

Caps, enrolment, the organization settings the first switch copies, damaged
documents, writes that answer 503 after applying, and seeding or changing documents
as an owner in claude.ai would.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.managed_settings_state import (
    _at_history_cap,
    _config,
    _default,
    _set_default,
    _set_group,
    install,
)
from reconciler.sandbox.store import SandboxStore


def set_caps(store: SandboxStore, *, order: int | None = None, documents: int | None = None,
             history: int | None = None) -> None:  # fmt: skip
    """Cap the order length, stored documents and settings history (``None``: no cap)."""
    store.set_meta("ccms_caps", {"order": order, "documents": documents, "history": history})


def set_enrolled(store: SandboxStore, enrolled: bool) -> None:
    store.set_meta("ccms_unenrolled", not enrolled)


def set_org_settings(store: SandboxStore, settings: dict[str, Any] | None | str) -> None:
    """The claude.ai organization settings the first switch copies; ``"invalid"`` fails it."""
    store.set_meta("ccms_org_settings", settings)


def set_unknown_status(store: SandboxStore, group_ids: list[str]) -> None:
    store.set_meta("ccms_unknown", sorted(group_ids))


def damage(store: SandboxStore, group_id: str | None) -> None:
    """Make a group's stored document (or the default's, ``None``) unreadable."""
    if group_id is None:
        store.set_meta("ccms_default_damaged", True)
    else:
        store.execute("UPDATE ccms_groups SET damaged = 1 WHERE group_id = ?", (group_id,))


def fail_after_write(store: SandboxStore, count: int) -> None:
    store.set_meta("ccms_fail_after_write", count)


def prune_unused(store: SandboxStore) -> int:
    """What an owner's "remove unused documents" in claude.ai does (not at the history cap)."""
    if _at_history_cap(store):
        return 0
    with store.transaction():
        return store.execute(
            "DELETE FROM ccms_documents WHERE id NOT IN (SELECT doc_id FROM ccms_groups) "
            "AND id IS NOT ?", (_default(store).get("doc_id"),),
        )  # fmt: skip


def seed_settings(
    store: SandboxStore,
    *,
    mode: str,
    groups: list[tuple[str, dict[str, Any]]],
    default: dict[str, Any] | None,
) -> None:
    """Seed managed settings as if an owner had set them: ``groups`` are (group id,
    document) highest precedence first; ``default`` (or none); then ``mode``."""
    install(store)
    with store.transaction():
        if default is not None:
            _set_default(store, default)
        for group_id, settings in groups:
            _set_group(store, group_id, settings)
        config = _config(store)
        if config["mode"] != mode:
            config.update(mode=mode, mode_updated_at=store.now_text())
            store.set_meta("ccms_config", config)


def put_group_settings(store: SandboxStore, group_id: str, settings: dict[str, Any]) -> None:
    """Change a document behind seatctl's back (as an owner in claude.ai would)."""
    with store.transaction():
        _set_group(store, group_id, settings)
