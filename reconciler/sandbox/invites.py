"""Invites: ``/v1/organizations/invites`` (ADMIN_API.md §4), and acceptance.

A pending invite holds a seat from the lowest tier with room; it expires 21 days
after it was sent (``expired`` is computed from the sandbox clock, so moving the clock
expires invites and frees their seats). ``accept_invite`` is what the invitee does in
the real product: the invite becomes a member with its role, seat and groups.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from starlette.routing import Route

from reconciler.sandbox import rules
from reconciler.sandbox.paging import id_cursor_list
from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.store import SandboxStore, make_id
from reconciler.sandbox.users import insert_user, member_filters, user_json
from reconciler.sandbox.wire import ApiError, rfc3339

BASE = "/v1/organizations/invites"
STATUSES = ("pending", "accepted", "expired", "deleted")


def invite_json(row: sqlite3.Row, now: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "accepted_at": row["accepted_at"],
        "email": row["email"],
        "expires_at": row["expires_at"],
        "invited_at": row["invited_at"],
        "rbac_group_ids": json.loads(row["rbac_group_ids"]),
        "role": row["role"],
        "status": rules.effective_status(row["status"], row["expires_at"], now),
        "type": "invite",
    }


def insert_invite(
    store: SandboxStore,
    email: str,
    role: str,
    *,
    group_ids: list[str] | None = None,
    invited_at: dt.datetime | None = None,
    status: str = "pending",
    seat_tier: str | None = None,
    invite_id: str | None = None,
) -> str:
    """Store an invite as given (seeds); the API path is ``create_invite``."""
    sent = invited_at or store.now()
    iid = invite_id or make_id("invite")
    store.execute(
        "INSERT INTO invites(id, email, role, status, invited_at, expires_at, rbac_group_ids,"
        " seat_tier) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            iid,
            rules.normalize_email(email),
            role,
            status,
            rfc3339(sent),
            rfc3339(sent + dt.timedelta(days=rules.INVITE_TTL_DAYS)),
            json.dumps(group_ids or []),
            seat_tier,
        ),
    )
    return iid


def get_invite_row(store: SandboxStore, invite_id: str) -> sqlite3.Row:
    row = store.one("SELECT * FROM invites WHERE id = ?", (invite_id,))
    if row is None:
        raise ApiError(404, f"Invite {invite_id!r} not found.")
    return row


def create_invite(
    store: SandboxStore, email: object, role: object, group_ids: object = None
) -> dict[str, Any]:
    """The API's invite create with every rule, in the order the service checks them."""
    if not isinstance(email, str) or not email.strip():
        raise ApiError(400, "email: Field required (a non-empty string).")
    groups = [] if group_ids is None else group_ids
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise ApiError(400, "rbac_group_ids: expected a list of RBAC group IDs.")
    with store.transaction():
        role = rules.check_assignable_role(store, role)
        norm = rules.check_email(store, email)
        if groups and store.org_type != "enterprise":
            raise ApiError(
                400,
                "rbac_group_ids: only Claude Enterprise organizations have RBAC groups.",
                "organization_type_not_supported",
            )
        for gid in groups:
            if store.one("SELECT 1 FROM rbac_groups WHERE id = ?", (gid,)) is None:
                raise ApiError(404, f"RBAC group {gid!r} not found.")
        if store.one("SELECT 1 FROM users WHERE email = ? AND deleted = 0", (norm,)):
            raise ApiError(
                400, f"{norm} is already a member of this organization.", "already_member"
            )
        now = store.now_text()
        pending = store.one(
            f"SELECT id FROM invites WHERE email = ? AND {rules.pending_clause(now)}", (norm,)
        )
        if pending is not None:
            raise ApiError(
                400,
                f"A pending invite for {norm} already exists ({pending['id']}); "
                "delete it first to send a new one.",
                "invite_already_exists",
            )
        tier = rules.allocate_seat(store)
        iid = insert_invite(
            store, norm, role, group_ids=list(dict.fromkeys(groups)), seat_tier=tier
        )
        return invite_json(get_invite_row(store, iid), now)


def accept_invite(store: SandboxStore, invite: str, *, name: str = "") -> dict[str, Any]:
    """The invitee accepts (by invite ID or email): a member with the invite's role and groups.

    Not an Admin API call (``POST /_sandbox/accept_invite`` exposes it); returns the user.
    """
    with store.transaction():
        now = store.now_text()
        row = store.one(
            f"SELECT * FROM invites WHERE (id = ? OR email = ?) AND {rules.pending_clause(now)}"
            " ORDER BY seq DESC LIMIT 1",
            (invite, rules.normalize_email(invite)),
        )
        if row is None:
            raise ApiError(404, f"No pending invite {invite!r} to accept.")
        uid = insert_user(
            store, row["email"], row["role"], name=name, added_at=now, seat_tier=row["seat_tier"]
        )
        store.executemany(
            "INSERT OR IGNORE INTO rbac_group_members(group_id, user_id, created_at)"
            " SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM rbac_groups WHERE id = ?)",
            [(gid, uid, now, gid) for gid in json.loads(row["rbac_group_ids"])],
        )
        store.execute(
            "UPDATE invites SET status = 'accepted', accepted_at = ? WHERE id = ?",
            (now, row["id"]),
        )
        user = store.one("SELECT * FROM users WHERE id = ?", (uid,))
        assert user is not None
        return user_json(user)


async def list_invites(ctx: Ctx) -> object:
    now = ctx.store.now_text()
    where: list[str] = ["status != 'deleted'"]
    params: list[Any] = []
    member_filters(ctx, where, params)
    statuses = ctx.query.list("statuses")
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise ApiError(
            400,
            f"statuses[]: unknown status {bad[0]!r}; expected one of pending, accepted, expired.",
        )
    if statuses:
        parts = []
        if "pending" in statuses:
            parts.append(rules.pending_clause(now))
        if "expired" in statuses:
            parts.append(f"(status = 'expired' OR (status = 'pending' AND expires_at <= '{now}'))")
        if "accepted" in statuses:
            parts.append("status = 'accepted'")
        where.append("(" + (" OR ".join(parts) or "0") + ")")
    return id_cursor_list(
        ctx.store,
        "invites",
        " AND ".join(where),
        params,
        ctx.query,
        lambda row: invite_json(row, now),
    )


async def get_invite(ctx: Ctx) -> object:
    return invite_json(get_invite_row(ctx.store, ctx.path["invite_id"]), ctx.store.now_text())


async def post_invite(ctx: Ctx) -> object:
    body = await ctx.body()
    if "role" not in body:
        raise ApiError(400, "role: Field required.")
    return create_invite(ctx.store, body.get("email"), body["role"], body.get("rbac_group_ids"))


async def delete_invite(ctx: Ctx) -> object:
    with ctx.store.transaction():
        row = get_invite_row(ctx.store, ctx.path["invite_id"])
        status = rules.effective_status(row["status"], row["expires_at"], ctx.store.now_text())
        if status != "pending":
            raise ApiError(400, f"Only a pending invite can be deleted; this one is {status}.")
        ctx.store.execute("UPDATE invites SET status = 'deleted' WHERE id = ?", (row["id"],))
    return {"id": row["id"], "type": "invite_deleted"}


def routes() -> list[Route]:
    return [
        api_route("GET", BASE, list_invites, scope="read:members"),
        api_route("POST", BASE, post_invite, scope="write:members"),
        api_route("GET", BASE + "/{invite_id}", get_invite, scope="read:members"),
        api_route("DELETE", BASE + "/{invite_id}", delete_invite, scope="write:members"),
    ]
