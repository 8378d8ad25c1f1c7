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

The tables and the rules writes share are in ``managed_settings_state``; the sandbox
controls (``set_caps``, ``damage``, ``seed_settings``...) in
``managed_settings_controls``; every name stays importable from here.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from starlette.routing import BaseRoute

from reconciler.sandbox.managed_settings_controls import (
    damage,
    fail_after_write,
    prune_unused,
    put_group_settings,
    seed_settings,
    set_caps,
    set_enrolled,
    set_org_settings,
    set_unknown_status,
)
from reconciler.sandbox.managed_settings_state import (
    DDL,
    MAX_DOCUMENT_BYTES,
    TABLES,
    _bump_version,
    _config,
    _config_json,
    _default,
    _default_json,
    _free_if_unused,
    _group_json,
    _order,
    _refuse_at_history_cap,
    _set_default,
    _set_group,
    install,
)
from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import ApiError

__all__ = [
    "BASE", "BETA", "DDL", "MAX_DOCUMENT_BYTES", "NO_RETRY", "READ", "TABLES", "WRITE",
    "damage", "delete_group", "fail_after_write", "get_configuration", "get_default",
    "get_group", "install", "list_groups", "prune_unused", "put_group_settings", "routes",
    "seed_settings", "set_caps", "set_enrolled", "set_group", "set_org_settings",
    "set_unknown_status", "update_configuration", "update_default",
]

BETA = "ce-claude-code-managed-settings-2026-10-06"
BASE = "/v1/organizations/claude_code/managed_settings"
READ, WRITE = "read:claude_code_managed_settings", "write:claude_code_managed_settings"
NO_RETRY = {"x-should-retry": "false"}


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
