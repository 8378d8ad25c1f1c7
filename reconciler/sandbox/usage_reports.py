"""The usage and cost reports (ADMIN_API.md §10–11), served from the seeded activity.

- ``GET /v1/organizations/analytics/summaries`` (Enterprise, ``read:analytics``): one
  row per day of ``starting_date..ending_date`` (exclusive, default today): assigned
  seats and pending invites on that day, DAU/WAU/MAU (active = any Claude Code session
  or chat message; weekly and monthly are rolling 7 and 30 days) and adoption rates
  (active ÷ assigned × 100). Scheme B′, the whole series in one page.
- Beta ``GET /v1/organizations/analytics/usage`` and ``/analytics/cost`` (header
  ``anthropic-beta: analytics-usage-cost-2026-08-24``): tokens and cost per
  ``group_by[]`` of ``actor`` and ``product`` (``claude_code``, ``chat``), with
  ``time_bucket_width=1d``; amounts are decimal strings in cents. Ranges start no
  earlier than 2026-01-01, span at most 31 days; ``ending_at`` defaults to the
  earlier of now and start + 31 days. Scheme C with ``data_refreshed_at``.
- ``GET /v1/organizations/usage_report/claude_code`` (Console only): one UTC day per
  request (``starting_at``), one record per actor, with tool actions, lines, commits,
  PRs and a per-model ``estimated_cost`` in cents. Scheme C.

Every figure is derived from ``analytics_user_days`` by fixed rates (below), so the
endpoints agree with ``analytics/users`` and with each other: an org's cost is the
same whichever report it is read from. A wrong org type is 400
``organization_type_not_supported`` (the router's check).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from typing import Any

from starlette.routing import Route

from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.wire import ApiError, decode_page_token, encode_page_token

FIRST_DAY = dt.date(2026, 1, 1)
USAGE_COST_BETA = "analytics-usage-cost-2026-08-24"
MAX_RANGE_DAYS = 31

#: Fixed rates turning seeded activity into tokens and cost (documented, testable).
TOKENS_PER_SESSION = {"input": 42_000, "output": 6_500, "cache_read": 180_000,
                      "cache_creation": 12_000}
TOKENS_PER_LINE = {"input": 30, "output": 12}
TOKENS_PER_CHAT_MESSAGE = {"input": 1_800, "output": 700}
#: Cents per million tokens (input, output, cache read, cache creation).
CENTS_PER_MTOK = {"input": 300, "output": 1_500, "cache_read": 30, "cache_creation": 375}
#: Claude Code sessions split across two models: (model, share of tokens).
CODE_MODELS = (("claude-sonnet-4-5", Decimal("0.8")), ("claude-opus-4-5", Decimal("0.2")))
CHAT_MODEL = "claude-sonnet-4-5"


def _tokens(r: sqlite3.Row | dict[str, Any], product: str) -> dict[str, int]:
    if product == "claude_code":
        lines = int(r["lines_added"]) + int(r["lines_removed"])
        s = int(r["sessions"])
        return {
            "input": s * TOKENS_PER_SESSION["input"] + lines * TOKENS_PER_LINE["input"],
            "output": s * TOKENS_PER_SESSION["output"] + lines * TOKENS_PER_LINE["output"],
            "cache_read": s * TOKENS_PER_SESSION["cache_read"],
            "cache_creation": s * TOKENS_PER_SESSION["cache_creation"],
        }
    m = int(r["chat_messages"])
    return {"input": m * TOKENS_PER_CHAT_MESSAGE["input"],
            "output": m * TOKENS_PER_CHAT_MESSAGE["output"], "cache_read": 0,
            "cache_creation": 0}


def cost_cents(tokens: dict[str, int]) -> Decimal:
    """Cost in (fractional) cents of a token mix, at ``CENTS_PER_MTOK``."""
    total = sum((Decimal(tokens[k]) * CENTS_PER_MTOK[k] for k in CENTS_PER_MTOK), Decimal(0))
    return (total / 1_000_000).quantize(Decimal("0.01"))


def _rfc3339(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def _date_param(ctx: Ctx, name: str, *, required: bool = False) -> dt.date | None:
    raw = ctx.query.get(name)
    if raw is None:
        if required:
            raise ApiError(400, f"{name}: field required.")
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        raise ApiError(400, f"{name}: expected a UTC date or RFC 3339 time, got {raw!r}.") from None


def _user_days(ctx: Ctx, start: dt.date, end_excl: dt.date) -> list[sqlite3.Row]:
    return ctx.store.query(
        "SELECT a.*, coalesce(u.name, '') AS name, u.deleted AS deleted"
        " FROM analytics_user_days a LEFT JOIN users u ON u.id = a.user_id"
        " WHERE a.day >= ? AND a.day < ? ORDER BY a.day, a.email",
        (start.isoformat(), end_excl.isoformat()),
    )


# -- analytics/summaries --------------------------------------------------------


async def list_summaries(ctx: Ctx) -> object:
    today = ctx.store.now().date()
    start = _date_param(ctx, "starting_date", required=True)
    assert start is not None
    end = _date_param(ctx, "ending_date") or today
    if start < FIRST_DAY:
        raise ApiError(400, f"Analytics data starts on {FIRST_DAY.isoformat()}.")
    if end > today or start >= today:
        raise ApiError(400, "Data is not available yet for that date; the latest available "
                            f"day is {(today - dt.timedelta(days=1)).isoformat()}.")
    if end <= start or (end - start).days > 366:
        raise ApiError(400, "ending_date must be after starting_date and at most 366 days later.")
    if ctx.query.list("filter"):
        raise ApiError(400, "filter[]: rbac_group_id scoping is not seeded in the sandbox.")
    lo = start - dt.timedelta(days=29)
    active: dict[str, set[str]] = {}
    for r in ctx.store.query(
        "SELECT day, user_id FROM analytics_user_days WHERE day >= ? AND day < ?"
        " AND (sessions > 0 OR chat_messages > 0)", (lo.isoformat(), end.isoformat())
    ):
        active.setdefault(r["day"], set()).add(r["user_id"])
    code: dict[str, set[str]] = {}
    for r in ctx.store.query(
        "SELECT day, user_id FROM analytics_user_days WHERE day >= ? AND day < ?"
        " AND sessions > 0", (lo.isoformat(), end.isoformat())
    ):
        code.setdefault(r["day"], set()).add(r["user_id"])
    users = ctx.store.query("SELECT added_at, deleted FROM users")
    invites = ctx.store.query("SELECT invited_at, expires_at, accepted_at, status FROM invites")
    data = []
    day = start
    while day < end:
        def window(days: int, source: dict[str, set[str]], d: dt.date = day) -> int:
            seen: set[str] = set()
            for i in range(days):
                seen |= source.get((d - dt.timedelta(days=i)).isoformat(), set())
            return len(seen)

        close = f"{(day + dt.timedelta(days=1)).isoformat()}"
        seats = sum(1 for u in users if u["added_at"][:10] < close and not u["deleted"])
        pending = sum(1 for i in invites if i["invited_at"][:10] < close
                      and i["expires_at"][:10] >= close and i["status"] in ("pending",))
        dau, wau, mau = window(1, active), window(7, active), window(30, active)

        def rate(n: int, seats: int = seats) -> float | None:
            return round(100.0 * n / seats, 2) if seats else None

        data.append({
            "starting_at": _rfc3339(day),
            "ending_at": _rfc3339(day + dt.timedelta(days=1)),
            "assigned_seat_count": seats,
            "pending_invite_count": pending,
            "daily_active_user_count": dau,
            "weekly_active_user_count": wau,
            "monthly_active_user_count": mau,
            "daily_adoption_rate": rate(dau),
            "weekly_adoption_rate": rate(wau),
            "monthly_adoption_rate": rate(mau),
            "claude_code_daily_active_user_count": window(1, code),
            "claude_code_weekly_active_user_count": window(7, code),
            "claude_code_monthly_active_user_count": window(30, code),
            "cowork_daily_active_user_count": 0,
            "cowork_weekly_active_user_count": 0,
            "cowork_monthly_active_user_count": 0,
        })
        day += dt.timedelta(days=1)
    return {"data": data, "next_page": None}


# -- beta analytics/usage and analytics/cost -----------------------------------


def _range(ctx: Ctx) -> tuple[dt.date, dt.date]:
    now = ctx.store.now()
    start = _date_param(ctx, "starting_at", required=True)
    assert start is not None
    bucketed = ctx.query.get("time_bucket_width") is not None
    if bucketed and ctx.query.get("time_bucket_width") != "1d":
        raise ApiError(400, "time_bucket_width: the sandbox serves 1d buckets only.")
    end = _date_param(ctx, "ending_at")
    if bucketed and end is None:
        raise ApiError(400, "ending_at is required when time_bucket_width is set.")
    if end is None:
        end = min(now.date(), start + dt.timedelta(days=MAX_RANGE_DAYS))
    if start < FIRST_DAY or start < now.date() - dt.timedelta(days=365):
        raise ApiError(400, "starting_at must be within the last 365 days and no earlier than "
                            f"{_rfc3339(FIRST_DAY)}.")
    if end <= start or (end - start).days > MAX_RANGE_DAYS:
        raise ApiError(400, f"The range must be after starting_at and span at most "
                            f"{MAX_RANGE_DAYS} days.")
    # Freshness: a day's cost is final once the day is over; nothing after now.
    return start, min(end, now.date())


def _group_by(ctx: Ctx) -> list[str]:
    group_by = ctx.query.list("group_by")
    unknown = [g for g in group_by if g not in ("actor", "product")]
    if unknown:
        raise ApiError(400, f"group_by[]: the sandbox serves actor and product, not {unknown}.")
    return group_by


#: One pagination run's rows, computed on its first page and sliced by later pages: a
#: run sees a fixed data boundary (as the API's reports do), and a 1,000-row page of a
#: 100,000-row report costs a slice, not a recomputation. A first page starts afresh.
_SNAPSHOTS: dict[tuple[int, str, str], list[tuple[Any, ...]]] = {}
_MAX_SNAPSHOTS = 4


def _report_rows(ctx: Ctx, kind: str) -> object:
    start, end = _range(ctx)
    group_by = _group_by(ctx)
    bucketed = ctx.query.get("time_bucket_width") is not None
    products = ctx.query.list("products") or ["claude_code", "chat"]
    limit = ctx.query.limit(default=20, maximum=1000)
    fingerprint = ctx.query.fingerprint()
    offset = decode_page_token(ctx.query.get("page"), fingerprint)
    key = (id(ctx.store), kind, fingerprint)
    rows = _SNAPSHOTS.get(key) if offset else None
    if rows is None:
        rows = _compute(ctx, kind, start, end, group_by, bucketed, products)
        while len(_SNAPSHOTS) >= _MAX_SNAPSHOTS:
            _SNAPSHOTS.pop(next(iter(_SNAPSHOTS)))
        _SNAPSHOTS[key] = rows
    page = [_report_json(kind, x) for x in rows[offset:offset + limit]]
    more = offset + limit < len(rows)
    if not more:
        _SNAPSHOTS.pop(key, None)
    return {
        "data": page,
        "has_more": more,
        "next_page": encode_page_token(offset + len(page), fingerprint) if more else None,
        "data_refreshed_at": ctx.store.now().replace(microsecond=0).isoformat().replace(
            "+00:00", "Z"),
    }


def _compute(ctx: Ctx, kind: str, start: dt.date, end: dt.date, group_by: list[str],
             bucketed: bool, products: list[str]) -> list[tuple[Any, ...]]:
    """The report's rows, sorted as asked: (start, amount, email, product, lo, hi, actor,
    tokens, requests)."""
    sums: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in _user_days(ctx, start, end):
        for product in ("claude_code", "chat"):
            if product not in products:
                continue
            tokens = _tokens(r, product)
            if not any(tokens.values()):
                continue
            day = r["day"] if bucketed else None
            actor = r["user_id"] if "actor" in group_by else None
            key = (day, actor, product if "product" in group_by else None)
            slot = sums.setdefault(key, {"row": r, "tokens": dict.fromkeys(tokens, 0),
                                         "requests": 0})
            for k, v in tokens.items():
                slot["tokens"][k] += v
            slot["requests"] += int(r["sessions"]) * 40 + int(r["chat_messages"])
    rows: list[tuple[Any, ...]] = []
    for (day, actor, product), slot in sums.items():
        lo = dt.date.fromisoformat(day) if day else start
        hi = lo + dt.timedelta(days=1) if day else end
        r = slot["row"]
        who = None
        if actor is not None:
            who = {"type": "user_actor", "user_id": actor, "email_address": r["email"],
                   "name": r["name"] or None, "deleted": bool(r["deleted"])}
        rows.append((lo, cost_cents(slot["tokens"]), r["email"] if actor else "",
                     product or "", hi, who, slot["tokens"], slot["requests"]))
    descending = ctx.query.get("order") != "asc"
    if bucketed and ctx.query.get("order_by") == "time":
        rows.sort(key=lambda x: (-x[1], x[2], x[3]))
        rows.sort(key=lambda x: x[0], reverse=descending)  # stable: amount within a day
    else:
        rows.sort(key=lambda x: ((-x[1] if descending else x[1]), x[0], x[2], x[3]))
    return rows


def _report_json(kind: str, x: tuple[Any, ...]) -> dict[str, Any]:
    lo, amount, _email, product, hi, who, t, requests = x
    row: dict[str, Any] = {"starting_at": _rfc3339(lo), "ending_at": _rfc3339(hi),
                           "group": {"actor": who, "product": product or None}}
    if kind == "cost":
        row["cost"] = {"amount": str(amount), "currency": "USD", "list_amount": str(amount),
                       "requests": requests}
    else:
        row["usage"] = {
            "uncached_input_tokens": t["input"], "output_tokens": t["output"],
            "cache_read_input_tokens": t["cache_read"],
            "cache_creation": {"ephemeral_1h_input_tokens": 0,
                               "ephemeral_5m_input_tokens": t["cache_creation"]},
            "server_tool_use": {"web_search_requests": 0},
            "total_tokens": sum(t.values()), "requests": requests,
        }
    return row


async def list_cost(ctx: Ctx) -> object:
    return _report_rows(ctx, "cost")


async def list_usage(ctx: Ctx) -> object:
    return _report_rows(ctx, "usage")


# -- usage_report/claude_code (Console) ------------------------------------------


def claude_code_record(r: sqlite3.Row | dict[str, Any], org_id: str) -> dict[str, Any]:
    """One actor-day record of the Claude Code report, with per-model estimated cost."""
    tokens = _tokens(r, "claude_code")
    breakdown = []
    for model, share in CODE_MODELS:
        part = {k: int(v * share) for k, v in tokens.items()}
        breakdown.append({
            "model": model,
            "tokens": {"input": part["input"], "output": part["output"],
                       "cache_read": part["cache_read"],
                       "cache_creation": part["cache_creation"]},
            "estimated_cost": {"amount": float(cost_cents(part)), "currency": "USD"},
        })
    return {
        "date": _rfc3339(dt.date.fromisoformat(str(r["day"]))),
        "actor": {"type": "user_actor", "email_address": r["email"]},
        "organization_id": org_id,
        "customer_type": "api",
        "subscription_type": None,
        "terminal_type": "vscode",
        "is_remote": False,
        "core_metrics": {
            "num_sessions": int(r["sessions"]),
            "lines_of_code": {"added": int(r["lines_added"]),
                              "removed": int(r["lines_removed"])},
            "commits_by_claude_code": int(r["commits"]),
            "pull_requests_by_claude_code": int(r["pull_requests"]),
        },
        "tool_actions": {
            "edit_tool": {"accepted": int(r["edit_accepted"]),
                          "rejected": int(r["edit_rejected"])},
            "write_tool": {"accepted": int(r["write_accepted"]),
                           "rejected": int(r["write_rejected"])},
        },
        "model_breakdown": breakdown,
    }


async def claude_code_report(ctx: Ctx) -> object:
    raw = ctx.query.get("starting_at")
    if raw is None:
        raise ApiError(400, "starting_at: field required (one UTC day, YYYY-MM-DD).")
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(
            400, f"starting_at: expected a UTC day as YYYY-MM-DD, got {raw!r}."
        ) from None
    limit = ctx.query.limit(default=20, maximum=1000)
    fingerprint = ctx.query.fingerprint()
    offset = decode_page_token(ctx.query.get("page"), fingerprint)
    # Freshness: only activity older than an hour is reported; a day is whole once
    # it ended an hour ago (the sandbox seeds whole days only).
    rows = [r for r in _user_days(ctx, day, day + dt.timedelta(days=1))
            if int(r["sessions"]) > 0] if day < ctx.store.now().date() else []
    org_id = str(ctx.store.get_meta("org_id"))
    page = [claude_code_record(r, org_id) for r in rows[offset:offset + limit]]
    more = offset + limit < len(rows)
    return {
        "data": page,
        "has_more": more,
        "next_page": encode_page_token(offset + len(page), fingerprint) if more else None,
    }


def routes() -> list[Route]:
    return [
        api_route("GET", "/v1/organizations/analytics/summaries", list_summaries,
                  scope="read:analytics", org_types=("enterprise",)),
        api_route("GET", "/v1/organizations/analytics/usage", list_usage,
                  scope="read:analytics", org_types=("enterprise",), beta=USAGE_COST_BETA),
        api_route("GET", "/v1/organizations/analytics/cost", list_cost,
                  scope="read:analytics", org_types=("enterprise",), beta=USAGE_COST_BETA),
        api_route("GET", "/v1/organizations/usage_report/claude_code", claude_code_report,
                  org_types=("console",)),
    ]
