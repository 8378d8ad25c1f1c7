"""Spend-limit increase requests: list, get, approve, deny (ADMIN_API.md §7; Enterprise).

A member asks for more in claude.ai (``insert_request`` here); an admin approves with
an ``amount`` (minor units, as every spend limit), which sets that member's ``user``
limit for the period in the same write, or denies. Only a ``pending`` request can be
resolved; a second approve or deny is 400. The resolver is the key's actor
(``scoped_api_key_actor``), the way Enterprise keys act.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.routing import BaseRoute

from reconciler.sandbox.paging import token_list
from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.spend_limits import (
    PERIODS,
    effective_summary,
    get_limit_row,
    limit_json,
    upsert_limit,
)
from reconciler.sandbox.store import SandboxStore, make_id
from reconciler.sandbox.wire import ApiError, marks

BASE = "/v1/organizations/spend_limit_increase_requests"
STATUSES = ("pending", "approved", "denied")
KEY_ACTOR = {"scoped_api_key_id": "apikey_sandbox", "type": "scoped_api_key_actor"}
DDL = """
CREATE TABLE IF NOT EXISTS spend_increase_requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, user_id TEXT NOT NULL,
    period TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL,
    resolved_at TEXT, limit_id TEXT);
"""


def install(store: SandboxStore) -> None:
    store.register_schema(DDL, ("spend_increase_requests",))


def insert_request(store: SandboxStore, user_id: str, period: str = "monthly", *,
                   request_id: str | None = None, created_at: str | None = None
                   ) -> str:  # fmt: skip
    """A member's request, as claude.ai would file it (seeds, tests); ``created_at``
    (RFC 3339) defaults to the sandbox's now."""
    known = store.scalar("SELECT 1 FROM sqlite_master WHERE name = ?", ("spend_increase_requests",))
    if known is None:
        install(store)  # outside any transaction: creating the table commits
    rid = request_id or make_id("slir")
    store.execute("INSERT INTO spend_increase_requests(id, user_id, period, status, created_at)"
                  " VALUES (?, ?, ?, 'pending', ?)",
                  (rid, user_id, period, created_at or store.now_text()))  # fmt: skip
    return rid


def _actor(store: SandboxStore, user_id: str) -> dict[str, Any]:
    user = store.one("SELECT email, name, deleted FROM users WHERE id = ?", (user_id,))
    if user is None or user["deleted"]:
        return {"deleted": True, "email_address": None, "name": None, "type": "user_actor",
                "user_id": user_id}  # fmt: skip
    return {"deleted": False, "email_address": user["email"], "name": user["name"],
            "type": "user_actor", "user_id": user_id}  # fmt: skip


def request_json(store: SandboxStore, row: sqlite3.Row, *, with_limit: bool = False
                 ) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {
        "id": row["id"], "actor": _actor(store, row["user_id"]), "created_at": row["created_at"],
        "period": row["period"], "resolved_at": row["resolved_at"],
        "resolved_by": KEY_ACTOR if row["resolved_at"] else None,
        "spend_summary": effective_summary(store, row["user_id"], row["period"]),
        "status": row["status"], "type": "spend_limit_increase_request",
    }  # fmt: skip
    if with_limit:
        out["spend_limit"] = (limit_json(get_limit_row(store, row["limit_id"]))
                              if row["limit_id"] else None)  # fmt: skip
    return out


def _row(store: SandboxStore, rid: str) -> sqlite3.Row:
    row = store.one("SELECT * FROM spend_increase_requests WHERE id = ?", (rid,))
    if row is None:
        raise ApiError(404, f"Spend limit increase request {rid!r} not found.")
    return row


def _pending(store: SandboxStore, rid: str) -> sqlite3.Row:
    row = _row(store, rid)
    if row["status"] != "pending":
        raise ApiError(400, f"Spend limit increase request {rid!r} is already {row['status']}.")
    return row


async def list_requests(ctx: Ctx) -> object:
    where, params = ["1=1"], []
    statuses = ctx.query.list("status")
    bad = [s for s in statuses if s not in STATUSES]
    if bad:
        raise ApiError(400, f"status[]: unknown status {bad[0]!r}.")
    if statuses:
        where.append(f"status IN ({marks(statuses)})")
        params.extend(statuses)
    actors = ctx.query.list("actor_ids")
    if actors:
        where.append(f"user_id IN ({marks(actors)})")
        params.extend(actors)
    return token_list(ctx.store, "spend_increase_requests", " AND ".join(where), params,
                      ctx.query, lambda r: request_json(ctx.store, r), descending=True)


async def get_request(ctx: Ctx) -> object:
    return request_json(ctx.store, _row(ctx.store, ctx.path["spend_limit_increase_request_id"]))


async def approve(ctx: Ctx) -> object:
    body = await ctx.body()
    amount = body.get("amount")
    if not isinstance(amount, str) or not amount.isdigit():
        raise ApiError(400, 'amount: a non-negative integer decimal string in minor units.')
    store = ctx.store
    with store.transaction():
        row = _pending(store, ctx.path["spend_limit_increase_request_id"])
        period = body.get("period") or row["period"]
        if period not in PERIODS:
            raise ApiError(400, f"period: expected one of {', '.join(PERIODS)}.")
        if store.one("SELECT 1 FROM users WHERE id = ? AND deleted = 0", (row["user_id"],)) is None:
            raise ApiError(400, "The requesting member is no longer in the organization.")
        limit_id = upsert_limit(store, "user", row["user_id"], period, str(int(amount)))
        store.execute("UPDATE spend_increase_requests SET status = 'approved', resolved_at = ?,"
                      " limit_id = ?, period = ? WHERE id = ?",
                      (store.now_text(), limit_id, period, row["id"]))  # fmt: skip
        return request_json(store, _row(store, row["id"]), with_limit=True)


async def deny(ctx: Ctx) -> object:
    await ctx.body()
    store = ctx.store
    with store.transaction():
        row = _pending(store, ctx.path["spend_limit_increase_request_id"])
        store.execute("UPDATE spend_increase_requests SET status = 'denied', resolved_at = ?"
                      " WHERE id = ?", (store.now_text(), row["id"]))  # fmt: skip
        return request_json(store, _row(store, row["id"]))


def routes(store: SandboxStore) -> list[BaseRoute]:
    ent, one = ("enterprise",), BASE + "/{spend_limit_increase_request_id}"
    r, w = "read:spend_limits", "write:spend_limits"
    return [
        api_route("GET", BASE, list_requests, scope=r, org_types=ent),
        api_route("GET", one, get_request, scope=r, org_types=ent),
        api_route("POST", one + "/approve", approve, scope=w, org_types=ent),
        api_route("POST", one + "/deny", deny, scope=w, org_types=ent),
    ]
