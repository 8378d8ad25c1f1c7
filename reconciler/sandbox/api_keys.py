"""API keys: ``/v1/organizations/api_keys`` list, get, update (ADMIN_API.md §6; Console).

Keys cannot be created through the API, so they come from seeds (``insert_key``), as
they come from the Console in real life. A seat admin's use: find a leaver's keys
(``created_by_user_id``) and set them ``inactive`` or ``archived``. An archived key is
final: it cannot be made active again.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from starlette.routing import BaseRoute

from reconciler.sandbox import rules
from reconciler.sandbox.paging import id_cursor_list
from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.store import SandboxStore, make_id
from reconciler.sandbox.wire import ApiError, marks

BASE = "/v1/organizations/api_keys"
STATUSES = ("active", "inactive", "archived", "expired")
SETTABLE = ("active", "inactive", "archived")
DDL = """
CREATE TABLE IF NOT EXISTS api_keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    status TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT,
    created_by TEXT, workspace_id TEXT, hint TEXT);
"""


def install(store: SandboxStore) -> None:
    store.register_schema(DDL, ("api_keys",))


def insert_key(store: SandboxStore, name: str, *, created_by: str | None = None,
               workspace_id: str | None = None, status: str = "active",
               key_id: str | None = None) -> str:  # fmt: skip
    """A key as the Console would have made it (seeds, tests)."""
    if store.scalar("SELECT 1 FROM sqlite_master WHERE name = ?", ("api_keys",)) is None:
        install(store)  # outside any transaction: creating the table commits
    kid = key_id or make_id("apikey")
    store.execute(
        "INSERT INTO api_keys(id, name, status, created_at, created_by, workspace_id, hint)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (kid, name, status, store.now_text(), created_by, workspace_id,
         "sk-ant-api03-" + kid[-4:] + "..." ),
    )  # fmt: skip
    return kid


def key_json(row: sqlite3.Row, now: str) -> dict[str, Any]:
    status = row["status"]
    if status == "active" and row["expires_at"] and row["expires_at"] <= now:
        status = "expired"
    creator = row["created_by"]
    return {
        "id": row["id"], "created_at": row["created_at"],
        "created_by": {"id": creator, "type": "user"} if creator else None,
        "expires_at": row["expires_at"], "name": row["name"],
        "partial_key_hint": row["hint"],
        "principal": {"type": "user_actor", "user_id": creator} if creator else None,
        "scope": ({"type": "workspace", "workspace_id": row["workspace_id"]}
                  if row["workspace_id"] else {"type": "organization"}),
        "status": status, "type": "api_key",
    }  # fmt: skip


def _row(store: SandboxStore, key_id: str) -> sqlite3.Row:
    row = store.one("SELECT * FROM api_keys WHERE id = ?", (key_id,))
    if row is None:
        raise ApiError(404, f"API key {key_id!r} not found.")
    return row


async def list_keys(ctx: Ctx) -> object:
    where, params = ["1=1"], []
    status = ctx.query.get("status")
    now = ctx.store.now_text()
    if status is not None:
        if status not in STATUSES:
            raise ApiError(400, f"status: expected one of {', '.join(STATUSES)}.")
        if status == "expired":
            where.append("status = 'active' AND expires_at IS NOT NULL AND expires_at <= ?")
            params.append(now)
        else:
            where.append("status = ?")
            params.append(status)
            if status == "active":
                where.append("(expires_at IS NULL OR expires_at > ?)")
                params.append(now)
    for field, column in (("workspace_id", "workspace_id"), ("created_by_user_id", "created_by")):
        value = ctx.query.get(field)
        if value:
            where.append(f"{column} IN ({marks([value])})")
            params.append(value)
    return id_cursor_list(ctx.store, "api_keys", " AND ".join(where), params, ctx.query,
                          lambda r: key_json(r, now))  # fmt: skip


async def get_key(ctx: Ctx) -> object:
    return key_json(_row(ctx.store, ctx.path["api_key_id"]), ctx.store.now_text())


async def update_key(ctx: Ctx) -> object:
    body = await ctx.body()
    with ctx.store.transaction():
        row = _row(ctx.store, ctx.path["api_key_id"])
        if body.get("name") is not None:
            name = rules.check_name(body["name"])
            if not name.strip() or len(name) > 500:
                raise ApiError(400, "name: 1 to 500 characters.")
            ctx.store.execute("UPDATE api_keys SET name = ? WHERE id = ?", (name, row["id"]))
        status = body.get("status")
        if status is not None:
            if status not in SETTABLE:
                raise ApiError(400, f"status: expected one of {', '.join(SETTABLE)}.")
            if row["status"] == "archived" and status != "archived":
                raise ApiError(400, "An archived API key cannot be reactivated.")
            ctx.store.execute("UPDATE api_keys SET status = ? WHERE id = ?", (status, row["id"]))
        return key_json(_row(ctx.store, row["id"]), ctx.store.now_text())


def routes(store: SandboxStore) -> list[BaseRoute]:
    console = ("console",)
    return [
        api_route("GET", BASE, list_keys, org_types=console),
        api_route("GET", BASE + "/{api_key_id}", get_key, org_types=console),
        api_route("POST", BASE + "/{api_key_id}", update_key, org_types=console),
    ]


__all__ = ["insert_key", "install", "routes"]
