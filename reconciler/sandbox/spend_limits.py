"""Spend limits: beta set/list/get/delete and the GA effective report (ADMIN_API.md §7).

``set`` is an upsert keyed on (scope, period). Enterprise orgs set ``user`` limits
(their seat-tier, group and org defaults come from claude.ai, i.e. from seeds here);
Console orgs set ``organization`` and ``workspace`` limits, monthly, with an amount.
The list needs ``anthropic-beta: spend-limit-reads-2026-09-26``; the write does not.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from starlette.routing import Route

from reconciler.sandbox.paging import decode_key_token, encode_key_token, token_list
from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.store import SandboxStore, make_id
from reconciler.sandbox.wire import ApiError, marks

BASE = "/v1/organizations/spend_limits"
READS_BETA = "spend-limit-reads-2026-09-26"
PERIODS = ("daily", "weekly", "monthly")
SCOPE_KEYS = {
    "user": "user_id", "rbac_group": "rbac_group_id", "seat_tier": "seat_tier",
    "workspace": "workspace_id", "usage_tier": "usage_tier", "organization": None,
    "organization_service": "service",
}  # fmt: skip
#: Enterprise list order: by scope type in this order (ADMIN_API.md, SDK docstring).
ENTERPRISE_ORDER = ("organization", "seat_tier", "rbac_group", "organization_service", "user")
SETTABLE = {"enterprise": ("user",), "console": ("organization", "workspace")}


def scope_json(scope_type: str, key: str) -> dict[str, Any]:
    field = SCOPE_KEYS.get(scope_type)
    return {"type": scope_type, **({field: key} if field else {})}


def limit_json(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "amount": row["amount"],
        "created_at": row["created_at"],
        "currency": row["currency"],
        "is_enabled": True,
        "period": row["period"],
        "scope": scope_json(row["scope_type"], row["scope_key"]),
        "type": "spend_limit",
        "updated_at": row["updated_at"],
    }


def upsert_limit(
    store: SandboxStore, scope_type: str, key: str, period: str, amount: str | None
) -> str:
    """Insert or overwrite the limit for (scope, period); returns its ID."""
    now = store.now_text()
    with store.transaction():
        existing = store.scalar(
            "SELECT id FROM spend_limits WHERE scope_type = ? AND scope_key = ? AND period = ?",
            (scope_type, key, period),
        )
        if existing:
            store.execute(
                "UPDATE spend_limits SET amount = ?, updated_at = ? WHERE id = ?",
                (amount, now, existing),
            )
            return str(existing)
        sid = make_id("spl")
        store.execute(
            "INSERT INTO spend_limits(id, scope_type, scope_key, period, amount, currency,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (sid, scope_type, key, period, amount, store.get_meta("currency"), now, now),
        )
        return sid


def get_limit_row(store: SandboxStore, limit_id: str) -> sqlite3.Row:
    row = store.one("SELECT * FROM spend_limits WHERE id = ?", (limit_id,))
    if row is None:
        raise ApiError(404, f"Spend limit {limit_id!r} not found.")
    return row


def _check_amount(amount: object, *, required: bool) -> str | None:
    if amount is None and not required:
        return None
    if not isinstance(amount, str) or not amount.isdigit():
        raise ApiError(
            400,
            'amount: a non-negative integer decimal string in minor units ("50000" is $500.00).',
        )
    return str(int(amount))


async def set_limit(ctx: Ctx) -> object:
    body = await ctx.body()
    if "amount" not in body or "scope" not in body:
        raise ApiError(400, "amount and scope: Field required.")
    scope, period = body["scope"], body.get("period") or "monthly"
    if not isinstance(scope, dict) or scope.get("type") not in SCOPE_KEYS:
        raise ApiError(400, "scope: expected an object with a known type.")
    if period not in PERIODS:
        raise ApiError(400, f"period: expected one of {', '.join(PERIODS)}.")
    store, scope_type = ctx.store, scope["type"]
    if scope_type not in SETTABLE[store.org_type]:
        raise ApiError(
            400,
            f"A Claude {store.org_type} organization cannot set "
            f"{scope_type!r} spend limits through the API; settable scopes: "
            f"{', '.join(SETTABLE[store.org_type])}.",
        )
    field = SCOPE_KEYS[scope_type]
    key = str(scope.get(field, "")) if field else ""
    if store.org_type == "console" and period != "monthly":
        raise ApiError(400, "period: organization and workspace limits are monthly.")
    amount = _check_amount(body["amount"], required=store.org_type == "console")
    with store.transaction():
        if scope_type == "user" and not store.one(
            "SELECT 1 FROM users WHERE id = ? AND deleted = 0", (key,)
        ):
            raise ApiError(404, f"User {key!r} not found.")
        if scope_type == "workspace" and not store.one(
            "SELECT 1 FROM workspaces WHERE id = ?", (key,)
        ):
            raise ApiError(404, f"Workspace {key!r} not found.")
        return limit_json(
            get_limit_row(store, upsert_limit(store, scope_type, key, period, amount))
        )


async def list_limits(ctx: Ctx) -> object:
    types = ctx.query.list("scope_type")
    bad = [t for t in types if t not in SCOPE_KEYS]
    if bad:
        raise ApiError(400, f"scope_type[]: unknown scope type {bad[0]!r}.")
    where, params = ["1=1"], []
    if types:
        where.append(f"scope_type IN ({marks(types)})")
        params.extend(types)
    workspace = ctx.query.get("workspace_id")
    if workspace:
        if ctx.store.org_type != "console":
            raise ApiError(
                400,
                "workspace_id: only Claude Console organizations have workspace limits.",
                "organization_type_not_supported",
            )
        where.append("scope_type = 'workspace' AND scope_key = ?")
        params.append(workspace)
    if ctx.store.org_type == "enterprise":
        rank = (
            "CASE scope_type "
            + " ".join(f"WHEN '{t}' THEN {i}" for i, t in enumerate(ENTERPRISE_ORDER))
            + " ELSE 9 END"
        )
        return token_list(ctx.store, "spend_limits", " AND ".join(where), params, ctx.query,
                          limit_json, keys=(rank, "seq"))
    return token_list(ctx.store, "spend_limits", " AND ".join(where), params, ctx.query,
                      limit_json, descending=True)


async def get_limit(ctx: Ctx) -> object:
    return limit_json(get_limit_row(ctx.store, ctx.path["spend_limit_id"]))


async def delete_limit(ctx: Ctx) -> object:
    with ctx.store.transaction():
        row = get_limit_row(ctx.store, ctx.path["spend_limit_id"])
        if row["scope_type"] not in SETTABLE[ctx.store.org_type]:
            raise ApiError(
                400, f"{row['scope_type']!r} spend limits cannot be deleted through the API."
            )
        ctx.store.execute("DELETE FROM spend_limits WHERE id = ?", (row["id"],))
    return {"id": row["id"], "type": "spend_limit_deleted"}


def resolve(store: SandboxStore, users: list[sqlite3.Row]) -> dict[str, dict[str, sqlite3.Row]]:
    """user_id → period → the limit that applies: user, else group, else tier, else org."""
    ids = [u["id"] for u in users]
    marks = ",".join("?" * len(ids))
    by_scope: dict[tuple[str, str], dict[str, sqlite3.Row]] = defaultdict(dict)
    for row in store.query(
        f"SELECT * FROM spend_limits WHERE scope_type != 'user' OR scope_key IN ({marks})", ids
    ):
        by_scope[(row["scope_type"], row["scope_key"])][row["period"]] = row
    groups: dict[str, list[str]] = defaultdict(list)
    for row in store.query(
        f"SELECT user_id, group_id FROM rbac_group_members WHERE user_id IN ({marks}) ORDER BY seq",
        ids,
    ):
        groups[row["user_id"]].append(row["group_id"])
    result: dict[str, dict[str, sqlite3.Row]] = {}
    for user in users:
        chain = [
            ("user", user["id"]),
            *(("rbac_group", g) for g in groups[user["id"]]),
            ("seat_tier", user["seat_tier"] or ""),
            ("organization", ""),
        ]
        resolved: dict[str, sqlite3.Row] = {}
        for period in PERIODS:
            for key in chain:
                if period in by_scope.get(key, {}):
                    resolved[period] = by_scope[key][period]
                    break
        result[user["id"]] = resolved
    return result


def summary_json(user: sqlite3.Row, lim: sqlite3.Row, period: str) -> dict[str, Any]:
    """One effective-limit row (also an increase request's ``spend_summary``). The sandbox
    meters nothing, so ``period_to_date_spend`` reads ``"0"`` as the API does when the
    spend reading is unavailable."""
    return {
        "actor": {"type": "user_actor", "user_id": user["id"], "deleted": False,
                  "email_address": user["email"], "name": user["name"]},
        "amount": lim["amount"], "currency": lim["currency"], "period": period,
        "period_to_date_spend": "0", "scope": {"type": "user", "user_id": user["id"]},
        "source": scope_json(lim["scope_type"], lim["scope_key"]), "spend_limit_id": lim["id"],
    }  # fmt: skip


def effective_summary(store: SandboxStore, user_id: str, period: str) -> dict[str, Any] | None:
    """The member's effective limit for ``period`` as a summary row; None when none applies
    or the member is gone."""
    user = store.one("SELECT * FROM users WHERE id = ? AND deleted = 0", (user_id,))
    if user is None:
        return None
    lim = resolve(store, [user])[user_id].get(period)
    return None if lim is None else summary_json(user, lim, period)


async def effective(ctx: Ctx) -> object:
    store, query = ctx.store, ctx.query
    limit = query.limit()
    fingerprint = query.fingerprint()
    after = decode_key_token(query.get("page"), fingerprint, 1)  # keyset: the last seq
    periods = query.list("period") or list(PERIODS)
    user_ids = query.list("user_ids")
    where, params = "deleted = 0", []
    if user_ids:
        where += f" AND id IN ({marks(user_ids)})"
        params = list(user_ids)
    if after is not None:
        where += " AND seq > ?"
        params.append(after[0])
    users = store.query(
        f"SELECT * FROM users WHERE {where} ORDER BY seq LIMIT ?", (*params, limit + 1)
    )
    more = len(users) > limit
    users = users[:limit]
    resolved = resolve(store, users) if users else {}
    rows = []
    for user in users:
        for period in periods:
            lim = resolved[user["id"]].get(period)
            if lim is None:
                continue
            rows.append(summary_json(user, lim, period))
    # the cursor counts members, not rows: one member's period rows never split
    next_page = encode_key_token([users[-1]["seq"]], fingerprint) if more else None
    return {"data": rows, "has_more": more, "next_page": next_page}


def routes() -> list[Route]:
    r, w = "read:spend_limits", "write:spend_limits"
    return [
        api_route("GET", BASE + "/effective", effective, scope=r, org_types=("enterprise",)),
        api_route("GET", BASE, list_limits, scope=r, beta=READS_BETA),
        api_route("POST", BASE, set_limit, scope=w),
        api_route("GET", BASE + "/{spend_limit_id}", get_limit, scope=r),
        api_route("DELETE", BASE + "/{spend_limit_id}", delete_limit, scope=w),
    ]
