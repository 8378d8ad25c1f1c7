"""Sandbox emulation of the Claude Code managed-settings API (beta, ADMIN_API.md §17.3).

All eight operations under ``/v1/organizations/claude_code/managed_settings``:
``configuration`` GET/POST, ``rbac_groups`` list, and GET/POST/DELETE of one group,
``rbac_group_default`` GET/POST. Emulated rules, as §17.6 lists them:

- 404 (no ``error_code``) unless ``ce-claude-code-managed-settings-2026-10-06`` is in
  the comma-separated ``anthropic-beta`` header, or when the org is not an enrolled
  Enterprise org (``set_enrolled(store, False)``).
- An opaque ``rbac_group_order_version``, changed on every change of the order; a
  reorder with another version → 409 ``conflict_error`` with ``x-should-retry: false``.
- New group settings are appended to the order; a delete removes them from it.
- List pages: ``limit`` 1–100, ``next_page`` bound to the order version (409 when the
  order changed between pages).
- Status ``deleted`` once the RBAC group itself is gone; ``unknown`` on request
  (``set_unknown_status``).
- The first switch to ``rbac_groups`` with no group settings and no default copies
  the organization settings (``set_org_settings``) into a new default.
- Caps (``set_caps``): order length, stored documents (unused ones count until
  ``prune_unused``), settings history, with the typed 400s.
- ``{"settings": null}`` clears the default; damaged documents (``damage``) read back
  as ``settings: null``; ``fail_after_write(store, n)`` answers 503 to the next ``n``
  writes *after* applying them (the "may have been applied" case).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any

from starlette.routing import BaseRoute

from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import ApiError

BETA = "ce-claude-code-managed-settings-2026-10-06"
BASE = "/v1/organizations/claude_code/managed_settings"
READ, WRITE = "read:claude_code_managed_settings", "write:claude_code_managed_settings"
MAX_DOCUMENT_BYTES = 1024 * 1024
NO_RETRY = {"x-should-retry": "false"}

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


# -- sandbox controls (tests, demo) ---------------------------------------------


def install(store: SandboxStore) -> None:
    store.register_schema(DDL, TABLES)


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


# -- state helpers ------------------------------------------------------------------


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


# -- handlers -------------------------------------------------------------------------


def _gate(ctx: Ctx) -> None:
    if (
        BETA not in ctx.header_list("anthropic-beta")
        or ctx.store.org_type != "enterprise"
        or (ctx.store.get_meta("ccms_unenrolled"))
    ):
        raise ApiError(404, f"Not found: Claude Code managed settings need the anthropic-beta "
                       f"header {BETA} and a Claude Enterprise organization enrolled in the "
                       "beta.")  # fmt: skip


def _after_write(store: SandboxStore) -> None:
    left = int(store.get_meta("ccms_fail_after_write") or 0)
    if left > 0:
        store.set_meta("ccms_fail_after_write", left - 1)
        raise _Applied503()


class _Applied503(Exception):
    """The write committed; the caller must still answer 503."""


def _write(ctx: Ctx, fn: Any) -> object:
    try:
        with ctx.store.transaction():
            result = fn()
        _after_write(ctx.store)
    except _Applied503:
        raise ApiError(503, "Service unavailable; the change may have been applied.") from None
    return result


async def get_configuration(ctx: Ctx) -> object:
    _gate(ctx)
    return _config_json(ctx.store)


async def update_configuration(ctx: Ctx) -> object:
    _gate(ctx)
    body = await ctx.body()
    store = ctx.store
    mode = body.get("mode")
    if mode is not None and (
        not isinstance(mode, dict) or mode.get("type") not in ("organization", "rbac_groups")
    ):
        raise ApiError(400, "mode: expected {\"type\": \"organization\"} or "
                       "{\"type\": \"rbac_groups\"}.")  # fmt: skip
    has_order, has_version = "rbac_group_order" in body, "rbac_group_order_version" in body
    if has_order != has_version:
        raise ApiError(400, "rbac_group_order and rbac_group_order_version require each other.")

    def apply() -> object:
        config = _config(store)
        current = _order(store)
        if has_order:
            if body["rbac_group_order_version"] != config["version"]:
                raise ApiError(409, "rbac_group_order changed since rbac_group_order_version "
                               "was read; read the configuration again.",
                               headers=NO_RETRY)  # fmt: skip
            order = body["rbac_group_order"]
            if (
                not isinstance(order, list)
                or sorted(order) != sorted(current)
                or len(set(order)) != len(order)
            ):
                raise ApiError(400, "rbac_group_order: list every RBAC group that has settings, "
                               "each once.")  # fmt: skip
            if order != current:
                _refuse_at_history_cap(store)
                for position, gid in enumerate(order):
                    store.execute("UPDATE ccms_groups SET position = ? WHERE group_id = ?",
                                  (position, gid))  # fmt: skip
                _bump_version(store, current)
        if mode is not None and mode["type"] != config["mode"]:
            if (
                mode["type"] == "rbac_groups"
                and not _order(store)
                and _default(store).get("doc_id") is None
            ):
                org = store.get_meta("ccms_org_settings")
                if org == "invalid":
                    raise ApiError(400, "The organization settings could not be copied into a "
                                   "default; set a default first.")  # fmt: skip
                _set_default(store, dict(org or {}))
            config = _config(store)
            config.update(mode=mode["type"], mode_updated_at=store.now_text())
            store.set_meta("ccms_config", config)
        return _config_json(store)

    return _write(ctx, apply)


async def list_groups(ctx: Ctx) -> object:
    _gate(ctx)
    limit = ctx.query.limit(default=20, maximum=100)
    version = _config(ctx.store)["version"]
    offset = 0
    token = ctx.query.get("page")
    if token is not None:
        try:
            raw = token.removeprefix("page_")
            data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            offset, bound = int(data["o"]), str(data["v"])
        except (ValueError, KeyError, TypeError):
            raise ApiError(400, "page: not a page token returned by this endpoint.") from None
        if bound != version:
            raise ApiError(409, "rbac_group_order changed while listing; list again from the "
                           "first page.", headers=NO_RETRY)  # fmt: skip
    order = _order(ctx.store)
    rows = [_group_json(ctx.store, g, settings=False) for g in order[offset : offset + limit]]
    more = offset + limit < len(order)
    nxt = json.dumps({"o": offset + limit, "v": version}).encode()
    return {"data": rows, "has_more": more,
            "next_page": "page_" + base64.urlsafe_b64encode(nxt).decode().rstrip("=")
            if more else None}  # fmt: skip


async def get_group(ctx: Ctx) -> object:
    _gate(ctx)
    return _group_json(ctx.store, ctx.path["rbac_group_id"], settings=True)


async def set_group(ctx: Ctx) -> object:
    _gate(ctx)
    body = await ctx.body()
    gid = ctx.path["rbac_group_id"]
    if not isinstance(body.get("settings"), dict):
        raise ApiError(400, "settings: Field required (a JSON object of managed settings).")
    if not ctx.store.scalar("SELECT 1 FROM rbac_groups WHERE id = ?", (gid,)):
        raise ApiError(404, f"RBAC group {gid} not found.", "rbac_group_not_found")

    def apply() -> object:
        _set_group(ctx.store, gid, body["settings"])
        return _group_json(ctx.store, gid, settings=True)

    return _write(ctx, apply)


async def delete_group(ctx: Ctx) -> object:
    _gate(ctx)
    gid = ctx.path["rbac_group_id"]

    def apply() -> object:
        row = ctx.store.one("SELECT doc_id FROM ccms_groups WHERE group_id = ?", (gid,))
        if row is None:
            raise ApiError(404, f"RBAC group {gid} has no Claude Code managed settings.",
                           "rbac_group_managed_settings_not_found")  # fmt: skip
        _refuse_at_history_cap(ctx.store)
        before = _order(ctx.store)
        ctx.store.execute("DELETE FROM ccms_groups WHERE group_id = ?", (gid,))
        _free_if_unused(ctx.store, row["doc_id"])
        _bump_version(ctx.store, before)
        return {"rbac_group_id": gid, "type": "claude_code_rbac_group_managed_settings_deleted"}

    return _write(ctx, apply)


async def get_default(ctx: Ctx) -> object:
    _gate(ctx)
    return _default_json(ctx.store)


async def update_default(ctx: Ctx) -> object:
    _gate(ctx)
    body = await ctx.body()
    if "settings" not in body or not (
        body["settings"] is None or isinstance(body["settings"], dict)
    ):
        raise ApiError(400, "settings: Field required (an object, or null to clear).")

    def apply() -> object:
        _set_default(ctx.store, body["settings"])
        return _default_json(ctx.store)

    return _write(ctx, apply)


def routes(store: SandboxStore) -> list[BaseRoute]:
    groups = BASE + "/rbac_groups"
    one = groups + "/{rbac_group_id}"
    return [
        api_route("GET", BASE + "/configuration", get_configuration, scope=READ),
        api_route("POST", BASE + "/configuration", update_configuration, scope=WRITE),
        api_route("GET", groups, list_groups, scope=READ),
        api_route("GET", one, get_group, scope=READ),
        api_route("POST", one, set_group, scope=WRITE),
        api_route("DELETE", one, delete_group, scope=WRITE),
        api_route("GET", BASE + "/rbac_group_default", get_default, scope=READ),
        api_route("POST", BASE + "/rbac_group_default", update_default, scope=WRITE),
    ]
