"""Messages API rate limits: the org's (``GET /rate_limits``) and a workspace's overrides
(``GET /workspaces/{id}/rate_limits``, ``POST .../rate_limits/{rate_limit_id}``); Console.

The sandbox org has fixed limits for three model groups (``ORG_LIMITS``); an entry's
``id`` is derived from the org ID (it differs between organizations, as the SDK says)
and its ``group.id`` is the same everywhere. A workspace override sets (integer) or
clears (``null``) one limiter type of one group; a value above the org's is stored, the
lower one applies. The list returns only overridden groups unless
``include_inherited=true``; without ``limit`` everything is one page.
"""

from __future__ import annotations

import hashlib
from typing import Any

from starlette.routing import BaseRoute

from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import ApiError, decode_page_token, encode_page_token
from reconciler.sandbox.workspaces import get_row

ORG = "/v1/organizations"
CONSOLE = ("console",)
GROUP_TYPES = ("batch", "files", "model_group", "skills", "token_count", "web_search")
LIMITER_TYPES = frozenset({
    "fast_itpm", "fast_otpm", "input_tokens_per_minute", "input_tokens_per_minute_cache_aware",
    "output_tokens_per_minute", "requests_per_minute", "tokens_per_day", "tokens_per_minute",
    "tool_uses_per_second",
})  # fmt: skip
#: group id → (display name, models, {limiter type: value}).
ORG_LIMITS: dict[str, tuple[str, tuple[str, ...], dict[str, int]]] = {
    "rlg_opus": ("Claude Opus 4.x", ("claude-opus-4-5",),
                 {"requests_per_minute": 4000, "input_tokens_per_minute_cache_aware": 2_000_000,
                  "output_tokens_per_minute": 400_000}),
    "rlg_sonnet": ("Claude Sonnet 4.x", ("claude-sonnet-4-5",),
                   {"requests_per_minute": 4000, "input_tokens_per_minute_cache_aware": 2_000_000,
                    "output_tokens_per_minute": 400_000}),
    "rlg_haiku": ("Claude Haiku 4.x", ("claude-haiku-4-5",),
                  {"requests_per_minute": 4000, "input_tokens_per_minute_cache_aware": 4_000_000,
                   "output_tokens_per_minute": 800_000}),
}  # fmt: skip


def entry_id(store: SandboxStore, group_id: str) -> str:
    digest = hashlib.sha256(f"{store.get_meta('org_id')}:{group_id}".encode()).hexdigest()
    return "rl_" + digest[:24]


def _group(group_id: str) -> dict[str, Any]:
    return {"id": group_id, "display_name": ORG_LIMITS[group_id][0], "type": "model_group"}


def _org_entries(store: SandboxStore) -> list[dict[str, Any]]:
    return [{"id": entry_id(store, gid), "group": _group(gid),
             "limits": [{"type": t, "value": v} for t, v in limits.items()],
             "models": list(models), "type": "rate_limit"}
            for gid, (_, models, limits) in ORG_LIMITS.items()]  # fmt: skip


def _page(ctx: Ctx, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """All rows in one page without ``limit``; else ``next_page`` tokens."""
    if ctx.query.get("limit") is None and ctx.query.get("page") is None:
        return {"data": rows, "has_more": False, "next_page": None}
    fingerprint = ctx.query.fingerprint()
    offset = decode_page_token(ctx.query.get("page"), fingerprint)
    limit = ctx.query.limit(default=20, maximum=1000)
    data = rows[offset:offset + limit]
    more = offset + limit < len(rows)
    return {"data": data, "has_more": more,
            "next_page": encode_page_token(offset + len(data), fingerprint) if more else None}


def _group_type(ctx: Ctx) -> str | None:
    value = ctx.query.get("group_type")
    if value is not None and value not in GROUP_TYPES:
        raise ApiError(400, f"group_type: expected one of {', '.join(GROUP_TYPES)}.")
    return value


async def list_org_limits(ctx: Ctx) -> object:
    rows = _org_entries(ctx.store)
    if _group_type(ctx) not in (None, "model_group"):
        rows = []
    model = ctx.query.get("model")
    if model is not None:
        rows = [r for r in rows if model in r["models"]]
        if not rows:
            raise ApiError(404, f"Model {model!r} not found or has no rate limits here.")
    return _page(ctx, rows)


def _overrides(store: SandboxStore, wid: str) -> dict[str, dict[str, int]]:
    return dict((store.get_meta("workspace_rate_limits") or {}).get(wid, {}))


def _workspace_entry(store: SandboxStore, wid: str, gid: str, *, inherited: bool
                     ) -> dict[str, Any]:  # fmt: skip
    own = _overrides(store, wid).get(gid, {})
    org = ORG_LIMITS[gid][2]
    types = sorted(set(own) | (set(org) if inherited else set()))
    limits = [{"org_limit": org.get(t), "type": t,
               "source": {"type": "workspace" if t in own else "organization"},
               "value": own[t] if t in own else org[t]} for t in types]  # fmt: skip
    return {"group": _group(gid), "limits": limits, "models": list(ORG_LIMITS[gid][1]),
            "rate_limit_id": entry_id(store, gid), "type": "workspace_rate_limit",
            "workspace_id": wid}  # fmt: skip


async def list_workspace_limits(ctx: Ctx) -> object:
    wid = get_row(ctx.store, ctx.path["workspace_id"])["id"]
    inherited = ctx.query.bool("include_inherited")
    own = _overrides(ctx.store, wid)
    groups = [g for g in ORG_LIMITS if inherited or own.get(g)]
    if _group_type(ctx) not in (None, "model_group"):
        groups = []
    return _page(ctx, [_workspace_entry(ctx.store, wid, g, inherited=inherited) for g in groups])


async def update_workspace_limit(ctx: Ctx) -> object:
    body = await ctx.body()
    store = ctx.store
    with store.transaction():
        wid = get_row(store, ctx.path["workspace_id"])["id"]
        by_entry = {entry_id(store, g): g for g in ORG_LIMITS}
        gid = by_entry.get(ctx.path["rate_limit_id"])
        if gid is None:
            raise ApiError(404, f"Rate limit {ctx.path['rate_limit_id']!r} not found.")
        limits = body.get("limits")
        if not isinstance(limits, list):
            raise ApiError(400, "limits: Field required (a list of {type, value}).")
        every = dict(store.get_meta("workspace_rate_limits") or {})
        mine = {g: dict(v) for g, v in every.get(wid, {}).items()}
        group = mine.setdefault(gid, {})
        for item in limits:
            kind = item.get("type") if isinstance(item, dict) else None
            if kind not in LIMITER_TYPES:
                raise ApiError(400, f"limits[].type: unknown limiter type {kind!r}.")
            value = item.get("value")
            if value is None:
                group.pop(kind, None)
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ApiError(400, "limits[].value: a non-negative integer, or null to clear.")
            else:
                group[kind] = value
        every[wid] = {g: v for g, v in mine.items() if v}
        store.set_meta("workspace_rate_limits", every)
        return _workspace_entry(store, wid, gid, inherited=False)


def routes(store: SandboxStore) -> list[BaseRoute]:
    ws = ORG + "/workspaces/{workspace_id}/rate_limits"
    return [
        api_route("GET", ORG + "/rate_limits", list_org_limits, org_types=CONSOLE),
        api_route("GET", ws, list_workspace_limits, org_types=CONSOLE),
        api_route("POST", ws + "/{rate_limit_id}", update_workspace_limit, org_types=CONSOLE),
    ]
