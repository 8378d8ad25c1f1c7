"""Managed settings' state in the sandbox store: documents, the group order, the default.

The tables (``DDL``), the caps and the rules every write shares: identical documents
stored once, one history entry per write, a new opaque order version whenever the
order changes. The HTTP handlers are in ``managed_settings``; the controls tests and
the demo use are in ``managed_settings_controls``.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import ApiError

MAX_DOCUMENT_BYTES = 1024 * 1024

DDL = """
CREATE TABLE IF NOT EXISTS ccms_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL UNIQUE, body TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ccms_groups (
    group_id TEXT PRIMARY KEY, doc_id INTEGER NOT NULL, position INTEGER NOT NULL,
    damaged INTEGER NOT NULL DEFAULT 0, updated_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ccms_history (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, doc_id INTEGER NOT NULL, at TEXT NOT NULL);
"""
TABLES = ("ccms_documents", "ccms_groups", "ccms_history")


def install(store: SandboxStore) -> None:
    store.register_schema(DDL, TABLES)


def _caps(store: SandboxStore) -> dict[str, int | None]:
    return dict(store.get_meta("ccms_caps") or {})


def _config(store: SandboxStore) -> dict[str, Any]:
    return dict(
        store.get_meta("ccms_config")
        or {"mode": "organization", "mode_updated_at": None, "version": "ov_initial"}
    )


def _default(store: SandboxStore) -> dict[str, Any]:
    return dict(store.get_meta("ccms_default") or {})


def _order(store: SandboxStore) -> list[str]:
    return [r[0] for r in store.query("SELECT group_id FROM ccms_groups ORDER BY position")]


def _at_history_cap(store: SandboxStore) -> bool:
    cap = _caps(store).get("history")
    return cap is not None and store.scalar("SELECT COUNT(*) FROM ccms_history") >= cap


def _refuse_at_history_cap(store: SandboxStore) -> None:
    if _at_history_cap(store):
        raise ApiError(400, "The organization has reached its settings history limit; contact "
                       "support.", "settings_history_limit_exceeded")  # fmt: skip


def _store_document(store: SandboxStore, settings: dict[str, Any]) -> int:
    """Id of the stored document (shared when identical); one history entry per write."""
    body = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    if len(body.encode()) > MAX_DOCUMENT_BYTES:
        raise ApiError(400, "settings: the document is larger than 1 MiB as stored.")
    _refuse_at_history_cap(store)
    digest = hashlib.sha256(body.encode()).hexdigest()
    doc_id = store.scalar("SELECT id FROM ccms_documents WHERE hash = ?", (digest,))
    if doc_id is None:
        cap = _caps(store).get("documents")
        if cap is not None and store.scalar("SELECT COUNT(*) FROM ccms_documents") >= cap:
            raise ApiError(400, "The organization has reached its limit of settings documents.",
                           "settings_document_limit_exceeded")  # fmt: skip
        store.execute("INSERT INTO ccms_documents(hash, body, created_at) VALUES (?, ?, ?)",
                      (digest, body, store.now_text()))  # fmt: skip
        doc_id = store.scalar("SELECT id FROM ccms_documents WHERE hash = ?", (digest,))
    store.execute("INSERT INTO ccms_history(doc_id, at) VALUES (?, ?)", (doc_id, store.now_text()))
    return int(doc_id)


def _free_if_unused(store: SandboxStore, doc_id: int | None) -> None:
    if doc_id is None:
        return
    used = store.scalar("SELECT COUNT(*) FROM ccms_groups WHERE doc_id = ?", (doc_id,))
    if not used and _default(store).get("doc_id") != doc_id:
        store.execute("DELETE FROM ccms_documents WHERE id = ?", (doc_id,))


def _bump_version(store: SandboxStore, before: list[str]) -> None:
    """New opaque version; every group whose position changed gets a new ``updated_at``."""
    after = _order(store)
    now = store.now_text()
    for index, gid in enumerate(after):
        if gid not in before or before.index(gid) != index:
            store.execute("UPDATE ccms_groups SET updated_at = ? WHERE group_id = ?", (now, gid))
    config = _config(store)
    config["version"] = "ov_" + secrets.token_hex(8)
    store.set_meta("ccms_config", config)


def _set_group(store: SandboxStore, group_id: str, settings: dict[str, Any]) -> None:
    row = store.one("SELECT doc_id FROM ccms_groups WHERE group_id = ?", (group_id,))
    if row is None:
        cap = _caps(store).get("order")
        if cap is not None and len(_order(store)) >= cap:
            raise ApiError(400, "rbac_group_order is full; delete another group's settings "
                           "first.", "rbac_group_order_limit_exceeded")  # fmt: skip
    doc_id = _store_document(store, settings)
    if row is None:
        before = _order(store)
        store.execute(
            "INSERT INTO ccms_groups(group_id, doc_id, position, updated_at) VALUES "
            "(?, ?, (SELECT COALESCE(MAX(position), -1) + 1 FROM ccms_groups), ?)",
            (group_id, doc_id, store.now_text()),
        )
        _bump_version(store, before)
    else:
        store.execute("UPDATE ccms_groups SET doc_id = ?, damaged = 0, updated_at = ? "
                      "WHERE group_id = ?", (doc_id, store.now_text(), group_id))  # fmt: skip


def _status(store: SandboxStore, group_id: str) -> dict[str, str]:
    if group_id in (store.get_meta("ccms_unknown") or []):
        return {"type": "unknown"}
    exists = store.scalar("SELECT 1 FROM rbac_groups WHERE id = ?", (group_id,))
    return {"type": "active" if exists else "deleted"}


def _group_json(store: SandboxStore, group_id: str, *, settings: bool) -> dict[str, Any]:
    row = store.one(
        "SELECT g.damaged, g.updated_at, d.body, d.created_at FROM ccms_groups g "
        "JOIN ccms_documents d ON d.id = g.doc_id WHERE g.group_id = ?", (group_id,),
    )  # fmt: skip
    if row is None:
        raise ApiError(404, f"RBAC group {group_id} has no Claude Code managed settings.",
                       "rbac_group_managed_settings_not_found")  # fmt: skip
    out: dict[str, Any] = {
        "created_at": row["created_at"], "rbac_group_id": group_id,
        "rbac_group_status": _status(store, group_id), "updated_at": row["updated_at"],
        "type": "claude_code_rbac_group_managed_settings_summary",
    }  # fmt: skip
    if settings:
        out["type"] = "claude_code_rbac_group_managed_settings"
        out["settings"] = None if row["damaged"] else json.loads(row["body"])
    return out


def _config_json(store: SandboxStore) -> dict[str, Any]:
    config = _config(store)
    return {"type": "claude_code_managed_settings_configuration",
            "mode": {"type": config["mode"]}, "mode_updated_at": config["mode_updated_at"],
            "rbac_group_order": _order(store),
            "rbac_group_order_version": config["version"]}  # fmt: skip


def _default_json(store: SandboxStore) -> dict[str, Any]:
    default = _default(store)
    body = None
    if default.get("doc_id") is not None and not store.get_meta("ccms_default_damaged"):
        raw = store.scalar("SELECT body FROM ccms_documents WHERE id = ?", (default["doc_id"],))
        body = json.loads(raw) if raw is not None else None
    return {"type": "claude_code_rbac_group_default_managed_settings", "settings": body,
            "updated_at": default.get("updated_at")}  # fmt: skip


def _set_default(store: SandboxStore, settings: dict[str, Any] | None) -> None:
    old = _default(store).get("doc_id")
    _refuse_at_history_cap(store)
    if settings is None:
        store.set_meta("ccms_default", {})
    else:
        store.set_meta("ccms_default", {"doc_id": _store_document(store, settings),
                                        "updated_at": store.now_text()})  # fmt: skip
    store.set_meta("ccms_default_damaged", False)
    if old is not None and old != _default(store).get("doc_id"):
        _free_if_unused(store, old)
