"""Per-user activity: ``GET /v1/organizations/analytics/users`` (ADMIN_API.md §11).

Either ``date`` (one UTC day) or ``starting_date`` + ``ending_date`` (exclusive,
default today; rollup: counters summed, ``last_activity_date`` the latest active day
in the window). A day is available from yesterday back to 2026-01-01; a later day is
400 naming the latest available one. ``filter[]`` takes ``user_id:``,
``rbac_group_id:`` (current members) and ``project_id:`` (no chat projects here, so no
rows); ``group_by[]=rbac_group_id`` gives one row per group. Only users with recorded
activity in the window appear. Rows come sorted by email; paging is scheme B′.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import defaultdict
from typing import Any

from starlette.routing import Route

from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.wire import ApiError, decode_page_token, encode_page_token, marks

PATH = "/v1/organizations/analytics/users"
FIRST_DAY = dt.date(2026, 1, 1)
SUMS = (
    "sessions",
    "lines_added",
    "lines_removed",
    "commits",
    "pull_requests",
    "edit_accepted",
    "edit_rejected",
    "write_accepted",
    "write_rejected",
    "chat_messages",
    "web_searches",
)


def _office() -> dict[str, Any]:
    return {"connectors_used_count": 0, "message_count": 0, "skills_used_count": 0}


def activity_json(r: dict[str, Any]) -> dict[str, Any]:
    """One ``AnalyticsUserActivity``: Claude Code and chat counters, other products zero."""
    zero = {"accepted_count": 0, "rejected_count": 0}
    return {
        "user": r.get("user"),
        "chat_metrics": {
            "connectors_used_count": 0,
            "distinct_artifacts_created_count": 0,
            "distinct_projects_created_count": 0,
            "message_count": r["chat_messages"],
            "shared_conversations_viewed_count": 0,
            "thinking_message_count": 0,
            "distinct_conversation_count": min(r["chat_messages"], max(1, r["chat_messages"] // 4)),
        },
        "claude_code_metrics": {
            "core_metrics": {
                "artifacts_created_count": 0,
                "commit_count": r["commits"],
                "distinct_session_count": r["sessions"],
                "lines_of_code": {
                    "added_count": r["lines_added"],
                    "removed_count": r["lines_removed"],
                },
                "pull_request_count": r["pull_requests"],
            },
            "tool_actions": {
                "edit_tool": {
                    "accepted_count": r["edit_accepted"],
                    "rejected_count": r["edit_rejected"],
                },
                "multi_edit_tool": dict(zero),
                "notebook_edit_tool": dict(zero),
                "write_tool": {
                    "accepted_count": r["write_accepted"],
                    "rejected_count": r["write_rejected"],
                },
            },
        },
        "cowork_metrics": {
            "action_count": 0,
            "artifacts_created_count": 0,
            "connectors_used_count": 0,
            "dispatch_turn_count": 0,
            "message_count": 0,
            "skills_used_count": 0,
        },
        "design_metrics": {"distinct_projects_created_count": 0, "message_count": 0},
        "office_metrics": {k: _office() for k in ("excel", "outlook", "powerpoint", "word")},
        "science_metrics": {
            "delegation_count": 0,
            "message_count": 0,
            "remote_compute_job_count": 0,
            "skills_used_count": 0,
        },
        "web_search_count": r["web_searches"],
        "distinct_user_count": r.get("distinct_user_count"),
        "last_activity_date": r["last_activity_date"],
        "rbac_group_id": r.get("rbac_group_id"),
        "rbac_group_name": r.get("rbac_group_name"),
    }


def _day(ctx: Ctx, name: str) -> dt.date | None:
    raw = ctx.query.get(name)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ApiError(400, f"{name}: expected a UTC date as YYYY-MM-DD, got {raw!r}.") from None


def _window(ctx: Ctx) -> tuple[dt.date, dt.date]:
    """[start, end) of the request, checked against what data exists."""
    today = ctx.store.now().date()
    latest = today - dt.timedelta(days=1)
    day, start, end = _day(ctx, "date"), _day(ctx, "starting_date"), _day(ctx, "ending_date")
    if day is not None and (start is not None or end is not None):
        raise ApiError(400, "Use either date or starting_date (with ending_date), not both.")
    if day is None and start is None:
        raise ApiError(400, "date or starting_date: one is required.")
    if end is not None and start is None:
        raise ApiError(400, "ending_date is only valid with starting_date.")
    first = day if day is not None else start
    assert first is not None
    last_excl = first + dt.timedelta(days=1) if day is not None else (end or today)
    if first < FIRST_DAY:
        raise ApiError(400, f"Analytics data starts on {FIRST_DAY.isoformat()}.")
    if first > latest or last_excl > today:
        raise ApiError(
            400,
            f"Data is not available yet for that date; the latest available "
            f"day is {latest.isoformat()}.",
        )
    if last_excl <= first or (last_excl - first).days > 366:
        raise ApiError(400, "ending_date must be after starting_date and at most 366 days later.")
    return first, last_excl


def _filters(ctx: Ctx) -> tuple[str, list[Any]]:
    entries = ctx.query.list("filter")
    if len(entries) > 100:
        raise ApiError(400, "filter[]: at most 100 entries.")
    by_dim: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        dim, _, value = entry.partition(":")
        if dim not in ("user_id", "rbac_group_id", "project_id") or not value:
            raise ApiError(
                400,
                f"filter[]: unsupported filter {entry!r}; use user_id:, "
                "rbac_group_id: or project_id:.",
            )
        by_dim[dim].append(value)
    where, params = [], []
    if by_dim["project_id"]:
        where.append("0")
    if by_dim["user_id"]:
        where.append(f"a.user_id IN ({marks(by_dim['user_id'])})")
        params.extend(by_dim["user_id"])
    if by_dim["rbac_group_id"]:
        gids = [
            g if g.startswith("rbac_group_") else f"rbac_group_{g}" for g in by_dim["rbac_group_id"]
        ]
        where.append(
            "a.user_id IN (SELECT user_id FROM rbac_group_members WHERE group_id IN "
            f"({marks(gids)}))"
        )
        params.extend(gids)
    return " AND ".join(where) or "1=1", params


async def list_user_activity(ctx: Ctx) -> object:
    first, end = _window(ctx)
    limit = ctx.query.limit(default=100, maximum=1000)
    fingerprint = ctx.query.fingerprint()
    offset = decode_page_token(ctx.query.get("page"), fingerprint)
    where, params = _filters(ctx)
    group_by = ctx.query.list("group_by")
    if any(g != "rbac_group_id" for g in group_by):
        raise ApiError(400, "group_by[]: only rbac_group_id is supported.")
    sums = ", ".join(f"SUM(a.{c}) AS {c}" for c in SUMS)
    span = (first.isoformat(), end.isoformat(), *params)
    if group_by:
        sql = (
            f"SELECT m.group_id, g.name, COUNT(DISTINCT a.user_id) AS users,"
            f" MAX(a.day) AS last_day, {sums} FROM analytics_user_days a"
            " JOIN rbac_group_members m ON m.user_id = a.user_id"
            " JOIN rbac_groups g ON g.id = m.group_id"
            f" WHERE a.day >= ? AND a.day < ? AND {where}"
            " GROUP BY m.group_id ORDER BY g.name, m.group_id LIMIT ? OFFSET ?"
        )
    else:
        sql = (
            f"SELECT a.user_id, MIN(a.email) AS email, MAX(a.day) AS last_day, {sums}"
            f" FROM analytics_user_days a WHERE a.day >= ? AND a.day < ? AND {where}"
            " GROUP BY a.user_id ORDER BY email, a.user_id LIMIT ? OFFSET ?"
        )
    rows = ctx.store.query(sql, (*span, limit + 1, offset))
    more = len(rows) > limit
    data = [activity_json(_row(r, bool(group_by))) for r in rows[:limit]]
    return {
        "data": data,
        "next_page": encode_page_token(offset + len(data), fingerprint) if more else None,
    }


def _row(r: sqlite3.Row, grouped: bool) -> dict[str, Any]:
    out: dict[str, Any] = {c: int(r[c] or 0) for c in SUMS}
    out["last_activity_date"] = r["last_day"]
    if grouped:
        out.update(
            user=None,
            distinct_user_count=r["users"],
            rbac_group_id=r["group_id"],
            rbac_group_name=r["name"],
        )
    else:
        out["user"] = {"id": r["user_id"], "email_address": r["email"], "type": "user"}
    return out


def routes() -> list[Route]:
    return [
        api_route(
            "GET", PATH, list_user_activity, scope="read:analytics", org_types=("enterprise",)
        )
    ]
