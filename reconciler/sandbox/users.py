"""Organization members: ``/v1/organizations/users`` (ADMIN_API.md §3).

Members are never created through the API (they accept an invite, see
``invites.accept_invite``); ``insert_user`` is for seeds. Removal is a soft delete so
an ID cursor pointing at a removed member still resolves, and it frees the member's
seat, group memberships, workspace memberships and per-user spend limits.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.routing import Route

from reconciler.sandbox import rules
from reconciler.sandbox.paging import id_cursor_list
from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.store import SandboxStore, make_id
from reconciler.sandbox.wire import ApiError, marks

BASE = "/v1/organizations/users"


def user_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "added_at": row["added_at"],
        "email": row["email"],
        "name": row["name"],
        "role": row["role"],
        "type": "user",
    }


def insert_user(
    store: SandboxStore,
    email: str,
    role: str,
    *,
    name: str = "",
    added_at: str | None = None,
    seat_tier: str | None = None,
    user_id: str | None = None,
) -> str:
    """Add a member directly (seeds, invite acceptance); returns the user ID."""
    email = rules.normalize_email(email)
    uid = user_id or make_id("user")
    store.execute(
        "INSERT INTO users(id, email, name, role, added_at, seat_tier) VALUES (?, ?, ?, ?, ?, ?)",
        (uid, email, name or email.split("@")[0], role, added_at or store.now_text(), seat_tier),
    )
    return uid


def get_user_row(store: SandboxStore, user_id: str) -> sqlite3.Row:
    row = store.one("SELECT * FROM users WHERE id = ? AND deleted = 0", (user_id,))
    if row is None:
        raise ApiError(404, f"User {user_id!r} not found.")
    return row


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def email_filter(email: str) -> tuple[str, list[Any]]:
    """Case-insensitive match that also finds ``+tag`` variants (``jane+x@`` for ``jane@``)."""
    local, _, domain = rules.normalize_email(email).partition("@")
    base = local.split("+", 1)[0]
    return (
        "(email = ? OR email LIKE ? ESCAPE '\\')",
        [f"{base}@{domain}", f"{_like(base)}+%@{_like(domain)}"],
    )


def member_filters(ctx: Ctx, where: list[str], params: list[Any]) -> None:
    """Add the ``email`` and ``roles[]`` filters users and invites share to a query."""
    email = ctx.query.get("email")
    if email:
        clause, args = email_filter(email)
        where.append(clause)
        params.extend(args)
    roles = rules.check_readable_roles(ctx.store, ctx.query.list("roles"))
    if roles:
        where.append(f"role IN ({marks(roles)})")
        params.extend(roles)


def remove_user(store: SandboxStore, user_id: str) -> None:
    """Remove a member, enforcing the API's rules (protected roles, last member)."""
    with store.transaction():
        row = get_user_row(store, user_id)
        rules.check_not_protected(row["role"], "removed")
        if store.scalar("SELECT COUNT(*) FROM users WHERE deleted = 0") <= 1:
            raise ApiError(
                400,
                "Cannot remove the last member of the organization.",
                "cannot_remove_last_member",
            )
        store.execute("UPDATE users SET deleted = 1 WHERE id = ?", (user_id,))
        store.execute("DELETE FROM rbac_group_members WHERE user_id = ?", (user_id,))
        store.execute("DELETE FROM workspace_members WHERE user_id = ?", (user_id,))
        store.execute(
            "DELETE FROM spend_limits WHERE scope_type = 'user' AND scope_key = ?", (user_id,)
        )


async def list_users(ctx: Ctx) -> object:
    where: list[str] = ["deleted = 0"]
    params: list[Any] = []
    member_filters(ctx, where, params)
    return id_cursor_list(ctx.store, "users", " AND ".join(where), params, ctx.query, user_json)


async def get_user(ctx: Ctx) -> object:
    return user_json(get_user_row(ctx.store, ctx.path["user_id"]))


async def update_user(ctx: Ctx) -> object:
    body = await ctx.body()
    if "role" not in body:
        raise ApiError(400, "role: Field required.")
    with ctx.store.transaction():
        row = get_user_row(ctx.store, ctx.path["user_id"])
        role = rules.check_assignable_role(ctx.store, body["role"])
        rules.check_not_protected(row["role"], "changed")
        ctx.store.execute("UPDATE users SET role = ? WHERE id = ?", (role, row["id"]))
        return user_json(get_user_row(ctx.store, row["id"]))


async def delete_user(ctx: Ctx) -> object:
    remove_user(ctx.store, ctx.path["user_id"])
    return {"id": ctx.path["user_id"], "type": "user_deleted"}


SIGN_OUT_BETA = "admin-user-sign-out-2026-10-08"
#: Role → the refusal the SDK declares for signing that member out (beta sign_out).
SIGN_OUT_REFUSED = {
    "primary_owner": (400, "cannot_sign_out_primary_owner"),
    "owner": (403, "cannot_sign_out_owner"),
    "membership_admin": (403, "cannot_sign_out_membership_admin"),
}


async def sign_out(ctx: Ctx) -> object:
    """Beta: end a member's sessions everywhere; they keep their role and seat.

    Enterprise only (elsewhere 400 ``organization_not_enrolled_in_beta``, as the SDK
    documents); owners and membership admins are refused with the SDK's typed codes.
    The sign-out time is kept in ``meta`` (``signed_out:<user id>``) for tests.
    """
    if ctx.store.org_type != "enterprise":
        raise ApiError(400, "Signing members out is not enabled for this organization.",
                       "organization_not_enrolled_in_beta")  # fmt: skip
    await ctx.body()
    row = get_user_row(ctx.store, ctx.path["user_id"])
    refused = SIGN_OUT_REFUSED.get(row["role"])
    if refused:
        raise ApiError(refused[0], f"A member with role {row['role']!r} cannot be signed out "
                       "through the API.", refused[1])  # fmt: skip
    ctx.store.set_meta(f"signed_out:{row['id']}", ctx.store.now_text())
    return user_json(row)


def routes() -> list[Route]:
    return [
        api_route("GET", BASE, list_users, scope="read:members"),
        api_route("GET", BASE + "/{user_id}", get_user, scope="read:members"),
        api_route("POST", BASE + "/{user_id}", update_user, scope="write:members"),
        api_route("DELETE", BASE + "/{user_id}", delete_user, scope="write:members"),
        api_route("POST", BASE + "/{user_id}/sign_out", sign_out, scope="write:members",
                  beta=SIGN_OUT_BETA),
    ]
