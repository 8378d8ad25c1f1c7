"""RBAC groups, their members, and RBAC roles (ADMIN_API.md §7; Enterprise only).

Groups sourced from SCIM (``source_type: scim``) belong to the identity provider:
renaming, deleting or changing their members is 400. Adding a user who is not an
org member is 404; adding one already in the group is 400. Roles are read-only.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from starlette.routing import Route

from reconciler.sandbox.paging import token_list
from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.store import SandboxStore, make_id
from reconciler.sandbox.wire import ApiError, require_str

BASE = "/v1/organizations/rbac_groups"
ROLES = "/v1/organizations/rbac_roles"
ENTERPRISE = ("enterprise",)


def group_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created_at": row["created_at"],
        "name": row["name"],
        "role_ids": json.loads(row["role_ids"]),
        "source_type": row["source_type"],
        "type": "rbac_group",
        "updated_at": row["updated_at"],
    }


def member_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "created_at": row["created_at"],
        "email": row["email"],
        "rbac_group_id": row["group_id"],
        "type": "rbac_group_member",
        "user_id": row["user_id"],
    }


def insert_group(
    store: SandboxStore,
    name: str,
    *,
    source_type: str = "direct",
    role_ids: list[str] | None = None,
    group_id: str | None = None,
    created_at: str | None = None,
) -> str:
    gid = group_id or make_id("rbac_group")
    when = created_at or store.now_text()
    store.execute(
        "INSERT INTO rbac_groups(id, name, source_type, role_ids, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (gid, name, source_type, json.dumps(role_ids or []), when, when),
    )
    return gid


def get_group_row(store: SandboxStore, group_id: str) -> sqlite3.Row:
    row = store.one("SELECT * FROM rbac_groups WHERE id = ?", (group_id,))
    if row is None:
        raise ApiError(404, f"RBAC group {group_id!r} not found.")
    return row


def writable_group(store: SandboxStore, group_id: str) -> sqlite3.Row:
    row = get_group_row(store, group_id)
    if row["source_type"] == "scim":
        raise ApiError(
            400,
            f"RBAC group {group_id!r} is provisioned by SCIM and is read-only; "
            "change it in your identity provider.",
        )
    return row


def _name(body: dict[str, Any]) -> str:
    return require_str(body, "name", max_len=255)


async def list_groups(ctx: Ctx) -> object:
    return token_list(ctx.store, "rbac_groups", "1=1", (), ctx.query, group_json)


async def get_group(ctx: Ctx) -> object:
    return group_json(get_group_row(ctx.store, ctx.path["rbac_group_id"]))


async def create_group(ctx: Ctx) -> object:
    name = _name(await ctx.body())
    with ctx.store.transaction():
        return group_json(get_group_row(ctx.store, insert_group(ctx.store, name)))


async def rename_group(ctx: Ctx) -> object:
    body = await ctx.body()
    with ctx.store.transaction():
        row = writable_group(ctx.store, ctx.path["rbac_group_id"])
        if body.get("name") is not None:
            ctx.store.execute(
                "UPDATE rbac_groups SET name = ?, updated_at = ? WHERE id = ?",
                (_name(body), ctx.store.now_text(), row["id"]),
            )
        return group_json(get_group_row(ctx.store, row["id"]))


async def delete_group(ctx: Ctx) -> object:
    with ctx.store.transaction():
        row = writable_group(ctx.store, ctx.path["rbac_group_id"])
        ctx.store.execute("DELETE FROM rbac_group_members WHERE group_id = ?", (row["id"],))
        ctx.store.execute(
            "DELETE FROM spend_limits WHERE scope_type = 'rbac_group' AND scope_key = ?",
            (row["id"],),
        )
        ctx.store.execute("DELETE FROM rbac_groups WHERE id = ?", (row["id"],))
    return {"id": row["id"], "type": "rbac_group_deleted"}


MEMBERS_SQL = (
    "SELECT m.group_id, m.user_id, m.created_at, u.email FROM rbac_group_members m"
    " JOIN users u ON u.id = m.user_id AND u.deleted = 0 WHERE m.group_id = ?"
)
#: Group members by keyset over ``m.seq`` (the ``rgm_group`` index); oldest first (§2).
MEMBERS_FROM = "rbac_group_members m JOIN users u ON u.id = m.user_id AND u.deleted = 0"
MEMBERS_COLUMNS = "m.group_id, m.user_id, m.created_at, u.email"


async def list_members(ctx: Ctx) -> object:
    gid = get_group_row(ctx.store, ctx.path["rbac_group_id"])["id"]
    return token_list(ctx.store, MEMBERS_FROM, "m.group_id = ?", (gid,), ctx.query, member_json,
                      keys=("m.seq",), columns=MEMBERS_COLUMNS)


async def add_member(ctx: Ctx) -> object:
    user_id = require_str(await ctx.body(), "user_id")
    store = ctx.store
    with store.transaction():
        gid = writable_group(store, ctx.path["rbac_group_id"])["id"]
        if store.one("SELECT 1 FROM users WHERE id = ? AND deleted = 0", (user_id,)) is None:
            raise ApiError(404, f"User {user_id!r} is not a member of this organization.")
        if store.one(
            "SELECT 1 FROM rbac_group_members WHERE group_id = ? AND user_id = ?", (gid, user_id)
        ):
            raise ApiError(400, f"User {user_id!r} is already in RBAC group {gid!r}.")
        store.execute(
            "INSERT INTO rbac_group_members(group_id, user_id, created_at) VALUES (?, ?, ?)",
            (gid, user_id, store.now_text()),
        )
        row = store.one(MEMBERS_SQL + " AND m.user_id = ?", (gid, user_id))
        assert row is not None
        return member_json(row)


async def remove_member(ctx: Ctx) -> object:
    store, user_id = ctx.store, ctx.path["user_id"]
    with store.transaction():
        gid = writable_group(store, ctx.path["rbac_group_id"])["id"]
        if not store.execute(
            "DELETE FROM rbac_group_members WHERE group_id = ? AND user_id = ?", (gid, user_id)
        ):
            raise ApiError(404, f"User {user_id!r} is not in RBAC group {gid!r}.")
    return {"rbac_group_id": gid, "type": "rbac_group_member_deleted", "user_id": user_id}


# -- roles (read-only) ---------------------------------------------------------


def role_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "created_at": row["created_at"],
        "display_name": row["display_name"],
        "source": {"type": row["source_type"]},
        "type": "rbac_role",
        "updated_at": row["updated_at"],
    }


def permission_json(row: sqlite3.Row, org_id: str) -> dict[str, Any]:
    """A permission; an ``organization`` resource names the org (the SDK's model needs it)."""
    resource = json.loads(row["resource"])
    if resource.get("type") == "organization":
        resource["organization_id"] = org_id
    return {"action": row["action"], "resource": resource, "type": "rbac_role_permission"}


def insert_role(
    store: SandboxStore,
    display_name: str,
    permissions: list[tuple[str, dict[str, Any]]],
    *,
    source_type: str = "built_in",
    role_id: str | None = None,
) -> str:
    rid = role_id or make_id("rbac_role", display_name)
    now = store.now_text()
    store.execute(
        "INSERT INTO rbac_roles(id, display_name, source_type, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (rid, display_name, source_type, now, now),
    )
    store.executemany(
        "INSERT INTO rbac_role_permissions(role_id, action, resource) VALUES (?, ?, ?)",
        [(rid, action, json.dumps(resource)) for action, resource in permissions],
    )
    return rid


def get_role_row(store: SandboxStore, role_id: str) -> sqlite3.Row:
    row = store.one("SELECT * FROM rbac_roles WHERE id = ?", (role_id,))
    if row is None:
        raise ApiError(404, f"RBAC role {role_id!r} not found.", "rbac_role_not_found")
    return row


async def list_roles(ctx: Ctx) -> object:
    return token_list(ctx.store, "rbac_roles", "1=1", (), ctx.query, role_json)


async def get_role(ctx: Ctx) -> object:
    return role_json(get_role_row(ctx.store, ctx.path["rbac_role_id"]))


async def list_permissions(ctx: Ctx) -> object:
    rid = get_role_row(ctx.store, ctx.path["rbac_role_id"])["id"]
    return token_list(
        ctx.store,
        "rbac_role_permissions",
        "role_id = ?",
        (rid,),
        ctx.query,
        lambda row: permission_json(row, str(ctx.store.get_meta("org_id"))),
    )


def routes() -> list[Route]:
    r, w = "read:rbac_groups", "write:rbac_groups"
    member = BASE + "/{rbac_group_id}/members"
    return [
        api_route("GET", BASE, list_groups, scope=r, org_types=ENTERPRISE),
        api_route("POST", BASE, create_group, scope=w, org_types=ENTERPRISE),
        api_route("GET", BASE + "/{rbac_group_id}", get_group, scope=r, org_types=ENTERPRISE),
        api_route("POST", BASE + "/{rbac_group_id}", rename_group, scope=w, org_types=ENTERPRISE),
        api_route("DELETE", BASE + "/{rbac_group_id}", delete_group, scope=w, org_types=ENTERPRISE),
        api_route("GET", member, list_members, scope=r, org_types=ENTERPRISE),
        api_route("POST", member, add_member, scope=w, org_types=ENTERPRISE),
        api_route("DELETE", member + "/{user_id}", remove_member, scope=w, org_types=ENTERPRISE),
        api_route("GET", ROLES, list_roles, scope="read:members", org_types=ENTERPRISE),
        api_route(
            "GET", ROLES + "/{rbac_role_id}", get_role, scope="read:members", org_types=ENTERPRISE
        ),
        api_route(
            "GET",
            ROLES + "/{rbac_role_id}/permissions",
            list_permissions,
            scope="read:members",
            org_types=ENTERPRISE,
        ),
    ]
