"""Workspaces and workspace members (ADMIN_API.md §5; Claude Console orgs only).

There is no delete, only archive. The Default Workspace has a real ID, is listed
only with ``include_default=true``, and cannot be renamed or archived. Members must
be org members; ``workspace_billing`` is inherited, never assigned.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from starlette.routing import Route

from reconciler.sandbox.paging import id_cursor_list
from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.store import SandboxStore, make_id
from reconciler.sandbox.wire import ApiError, marks, require_str

BASE = "/v1/organizations/workspaces"
CONSOLE = ("console",)
ASSIGNABLE = (
    "workspace_user",
    "workspace_developer",
    "workspace_restricted_developer",
    "workspace_admin",
)
MAX_ACTIVE = 100
RESIDENCY = {
    "workspace_geo": "us",
    "default_inference_geo": "global",
    "allowed_inference_geos": "unrestricted",
}


GEOS = ("global", "us")


def register_bindable(store: SandboxStore, *, external_key_ids: Sequence[str] = (),
                      user_profile_ids: Sequence[str] = ()) -> None:  # fmt: skip
    """Ids the org owns (external keys, user profiles): the ones a workspace may bind."""
    store.set_meta("external_key_ids", sorted(set(external_key_ids)))
    store.set_meta("user_profile_ids", sorted(set(user_profile_ids)))


def _bindings(store: SandboxStore) -> dict[str, dict[str, str | None]]:
    return dict(store.get_meta("workspace_bindings") or {})


def _check_binding(store: SandboxStore, body: dict[str, Any]) -> dict[str, str | None]:
    """``external_key_id`` / ``user_profile_id`` from a body, refused unless the org owns them
    (400 ``external_key_validation_failed`` / ``user_profile_not_found``, the SDK's classes)."""
    out: dict[str, str | None] = {}
    for field, known, code in (
        ("external_key_id", "external_key_ids", "external_key_validation_failed"),
        ("user_profile_id", "user_profile_ids", "user_profile_not_found"),
    ):
        if field not in body:
            continue
        value = body[field]
        if value is not None and (not isinstance(value, str)
                                  or value not in (store.get_meta(known) or [])):  # fmt: skip
            what = "external key" if field == "external_key_id" else "user profile"
            raise ApiError(400, f"{field}: {value!r} is not a {what} of this organization.", code)
        out[field] = value
    return out


def _residency(body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Merge a ``data_residency`` body into ``current``; ``workspace_geo`` is immutable."""
    value = body.get("data_residency")
    if value is None:
        return current
    if not isinstance(value, dict):
        raise ApiError(400, "data_residency: expected an object.")
    out = dict(current)
    geo = value.get("workspace_geo")
    if geo is not None and geo != current.get("workspace_geo"):
        raise ApiError(400, "data_residency.workspace_geo: set at creation and cannot change; "
                       "only 'us' is available.")  # fmt: skip
    default = value.get("default_inference_geo")
    if default is not None:
        if default not in GEOS:
            raise ApiError(400, f"data_residency.default_inference_geo: one of {', '.join(GEOS)}.")
        out["default_inference_geo"] = default
    allowed = value.get("allowed_inference_geos")
    if allowed is not None:
        if allowed != "unrestricted" and (not isinstance(allowed, list) or not allowed
                                          or any(g not in GEOS for g in allowed)):  # fmt: skip
            raise ApiError(400, "data_residency.allowed_inference_geos: 'unrestricted' or a "
                           f"non-empty list of {', '.join(GEOS)}.")  # fmt: skip
        out["allowed_inference_geos"] = allowed
    return out


def workspace_json(row: sqlite3.Row, store: SandboxStore | None = None) -> dict[str, Any]:
    bound = _bindings(store).get(row["id"], {}) if store is not None else {}
    return {
        "id": row["id"],
        "archived_at": row["archived_at"],
        "compartment_id": "cmpt_" + row["id"].removeprefix("wrkspc_"),
        "created_at": row["created_at"],
        "data_residency": json.loads(row["data_residency"]),
        "display_color": row["display_color"],
        "external_key_id": bound.get("external_key_id"),
        "name": row["name"],
        "tags": json.loads(row["tags"]),
        "type": "workspace",
        "user_profile_id": bound.get("user_profile_id"),
    }


def member_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "type": "workspace_member",
        "user_id": row["user_id"],
        "workspace_id": row["workspace_id"],
        "workspace_role": row["workspace_role"],
    }


def ensure_default(store: SandboxStore) -> None:
    if store.one("SELECT 1 FROM workspaces WHERE is_default = 1") is None:
        insert_workspace(store, "Default", is_default=True)


def insert_workspace(
    store: SandboxStore,
    name: str,
    *,
    is_default: bool = False,
    color: str = "#6C5BB9",
    tags: dict[str, str] | None = None,
    workspace_id: str | None = None,
) -> str:
    wid = workspace_id or make_id("wrkspc")
    store.execute(
        "INSERT INTO workspaces(id, name, display_color, created_at, tags, data_residency,"
        " is_default) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            wid,
            name,
            color,
            store.now_text(),
            json.dumps(tags or {}),
            json.dumps(RESIDENCY),
            int(is_default),
        ),
    )
    return wid


def get_row(store: SandboxStore, workspace_id: str) -> sqlite3.Row:
    ensure_default(store)
    row = store.one("SELECT * FROM workspaces WHERE id = ?", (workspace_id,))
    if row is None:
        raise ApiError(404, f"Workspace {workspace_id!r} not found.")
    return row


def _tags(value: object) -> dict[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise ApiError(400, "tags: expected an object of string values.")
    if any(k.lower().startswith("anthropic") for k in value):
        raise ApiError(400, "tags: keys must not start with 'anthropic'.")
    return {k: v for k, v in value.items() if v is not None}


async def list_workspaces(ctx: Ctx) -> object:
    with ctx.store.transaction():
        ensure_default(ctx.store)
    where, params = [], []
    if not ctx.query.bool("include_archived"):
        where.append("archived_at IS NULL")
    if not ctx.query.bool("include_default"):
        where.append("is_default = 0")
    ids = ctx.query.list("ids")
    if ids:
        where.append(f"id IN ({marks(ids)})")
        params.extend(ids)
    return id_cursor_list(
        ctx.store,
        "workspaces",
        " AND ".join(where),
        params,
        ctx.query,
        lambda row: workspace_json(row, ctx.store),
        newest_first=False,
    )


async def get_workspace(ctx: Ctx) -> object:
    return workspace_json(get_row(ctx.store, ctx.path["workspace_id"]), ctx.store)


async def create_workspace(ctx: Ctx) -> object:
    body = await ctx.body()
    name = require_str(body, "name", max_len=40)
    store = ctx.store
    with store.transaction():
        active = store.scalar(
            "SELECT COUNT(*) FROM workspaces WHERE archived_at IS NULL AND is_default = 0"
        )
        if active >= MAX_ACTIVE:
            raise ApiError(
                400,
                f"The organization already has {MAX_ACTIVE} active workspaces; archive one first.",
            )
        residency = _residency(body, dict(RESIDENCY))
        binding = _check_binding(store, body)
        wid = insert_workspace(
            store, name, color=body.get("display_color") or "#6C5BB9", tags=_tags(body.get("tags"))
        )
        store.execute("UPDATE workspaces SET data_residency = ? WHERE id = ?",
                      (json.dumps(residency), wid))  # fmt: skip
        _save_binding(store, wid, binding)
        return workspace_json(get_row(store, wid), store)


async def update_workspace(ctx: Ctx) -> object:
    body = await ctx.body()
    store = ctx.store
    with store.transaction():
        row = get_row(store, ctx.path["workspace_id"])
        if row["is_default"] and body.get("name") not in (None, row["name"]):
            raise ApiError(400, "The Default Workspace cannot be renamed.")
        if row["archived_at"]:
            raise ApiError(400, "An archived workspace cannot be changed.")
        name = require_str(body, "name", max_len=40) if body.get("name") else row["name"]
        tags = json.loads(row["tags"])
        if body.get("tags") is not None:
            tags.update(body["tags"])
            tags = _tags(tags) or {}
        color = body.get("display_color") or row["display_color"]
        residency = _residency(body, json.loads(row["data_residency"]))
        _save_binding(store, row["id"], _check_binding(store, body))
        store.execute(
            "UPDATE workspaces SET name = ?, tags = ?, display_color = ?, data_residency = ?"
            " WHERE id = ?",
            (name, json.dumps(tags), color, json.dumps(residency), row["id"]),
        )
        return workspace_json(get_row(store, row["id"]), store)


def _save_binding(store: SandboxStore, wid: str, binding: dict[str, str | None]) -> None:
    if binding:
        every = _bindings(store)
        every[wid] = {**every.get(wid, {}), **binding}
        store.set_meta("workspace_bindings", every)


async def archive_workspace(ctx: Ctx) -> object:
    store = ctx.store
    with store.transaction():
        row = get_row(store, ctx.path["workspace_id"])
        if row["is_default"]:
            raise ApiError(400, "The Default Workspace cannot be archived.")
        if not row["archived_at"]:
            store.execute(
                "UPDATE workspaces SET archived_at = ? WHERE id = ?", (store.now_text(), row["id"])
            )
        return workspace_json(get_row(store, row["id"]), store)


def _member_row(store: SandboxStore, wid: str, user_id: str) -> sqlite3.Row:
    row = store.one(
        "SELECT * FROM workspace_members WHERE workspace_id = ? AND user_id = ?", (wid, user_id)
    )
    if row is None:
        raise ApiError(404, f"User {user_id!r} is not a member of workspace {wid!r}.")
    return row


def _role(body: dict[str, Any]) -> str:
    role = body.get("workspace_role")
    if role not in ASSIGNABLE:
        raise ApiError(
            400, f"workspace_role: {role!r} cannot be assigned; use one of {', '.join(ASSIGNABLE)}."
        )
    return str(role)


async def list_members(ctx: Ctx) -> object:
    wid = get_row(ctx.store, ctx.path["workspace_id"])["id"]
    return id_cursor_list(
        ctx.store,
        "workspace_members",
        "workspace_id = ? AND user_id IN (SELECT id FROM users WHERE deleted = 0)",
        [wid],
        ctx.query,
        member_json,
        newest_first=False,
        id_column="user_id",
        cursor_scope=("workspace_id = ?", [wid]),
    )


async def add_member(ctx: Ctx) -> object:
    body = await ctx.body()
    user_id, role, store = require_str(body, "user_id"), _role(body), ctx.store
    with store.transaction():
        wid = get_row(store, ctx.path["workspace_id"])["id"]
        if store.one("SELECT 1 FROM users WHERE id = ? AND deleted = 0", (user_id,)) is None:
            raise ApiError(404, f"User {user_id!r} is not a member of this organization.")
        if store.one(
            "SELECT 1 FROM workspace_members WHERE workspace_id = ? AND user_id = ?", (wid, user_id)
        ):
            raise ApiError(400, f"User {user_id!r} is already a member of workspace {wid!r}.")
        store.execute(
            "INSERT INTO workspace_members(workspace_id, user_id, workspace_role) VALUES (?, ?, ?)",
            (wid, user_id, role),
        )
        return member_json(_member_row(store, wid, user_id))


async def get_member(ctx: Ctx) -> object:
    wid = get_row(ctx.store, ctx.path["workspace_id"])["id"]
    return member_json(_member_row(ctx.store, wid, ctx.path["user_id"]))


async def update_member(ctx: Ctx) -> object:
    role, store = _role(await ctx.body()), ctx.store
    with store.transaction():
        wid = get_row(store, ctx.path["workspace_id"])["id"]
        row = _member_row(store, wid, ctx.path["user_id"])
        store.execute(
            "UPDATE workspace_members SET workspace_role = ? WHERE seq = ?", (role, row["seq"])
        )
        return member_json(_member_row(store, wid, ctx.path["user_id"]))


async def remove_member(ctx: Ctx) -> object:
    store = ctx.store
    with store.transaction():
        wid = get_row(store, ctx.path["workspace_id"])["id"]
        row = _member_row(store, wid, ctx.path["user_id"])
        store.execute("DELETE FROM workspace_members WHERE seq = ?", (row["seq"],))
    return {"type": "workspace_member_deleted", "user_id": row["user_id"], "workspace_id": wid}


def routes() -> list[Route]:
    one, members = BASE + "/{workspace_id}", BASE + "/{workspace_id}/members"
    c = CONSOLE
    return [
        api_route("GET", BASE, list_workspaces, org_types=c),
        api_route("POST", BASE, create_workspace, org_types=c),
        api_route("GET", one, get_workspace, org_types=c),
        api_route("POST", one, update_workspace, org_types=c),
        api_route("POST", one + "/archive", archive_workspace, org_types=c),
        api_route("GET", members, list_members, org_types=c),
        api_route("POST", members, add_member, org_types=c),
        api_route("GET", members + "/{user_id}", get_member, org_types=c),
        api_route("POST", members + "/{user_id}", update_member, org_types=c),
        api_route("DELETE", members + "/{user_id}", remove_member, org_types=c),
    ]
