"""SQL side of the two paging schemes: ID cursors over ``seq``, opaque offset tokens.

ID cursors (users, invites, workspaces, workspace members) walk the table's ``seq``
(insertion order); rows are soft-deleted where a cursor may point at a removed row,
so ``after_id`` of a row deleted between pages still resolves. Token pages (groups,
members, roles, spend limits, analytics) carry an offset bound to the query.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import ApiError, Query, decode_page_token, id_page, token_page

Row = Any
Serialize = Callable[[Row], Mapping[str, Any]]


def id_cursor_list(
    store: SandboxStore,
    table: str,
    where: str,
    params: Sequence[Any],
    query: Query,
    serialize: Serialize,
    *,
    newest_first: bool = True,
    id_column: str = "id",
    cursor_scope: tuple[str, Sequence[Any]] = ("1=1", ()),
) -> dict[str, Any]:
    """Scheme A over ``table`` filtered by ``where``; ``has_more`` is for the direction asked.

    ``id_column`` names the column the cursor IDs come from (``user_id`` for workspace
    members); ``cursor_scope`` narrows the cursor lookup when that column is not unique.
    """
    limit = query.limit()
    after_id, before_id = query.get("after_id"), query.get("before_id")
    if after_id and before_id:
        raise ApiError(400, "Use at most one of after_id and before_id.")
    cursor = after_id or before_id
    forward_op, back_op = ("<", ">") if newest_first else (">", "<")
    order = "DESC" if newest_first else "ASC"
    rev_order = "ASC" if newest_first else "DESC"
    clauses, args = [where or "1=1"], list(params)
    with store.transaction():
        if cursor:
            seq = store.scalar(
                f"SELECT seq FROM {table} WHERE {id_column} = ? AND {cursor_scope[0]}",
                (cursor, *cursor_scope[1]),
            )
            if seq is None:
                name = "after_id" if after_id else "before_id"
                raise ApiError(400, f"{name}: {cursor!r} is not an ID from this list.")
            clauses.append(f"seq {forward_op if after_id else back_op} ?")
            args.append(seq)
        sql = (
            f"SELECT * FROM {table} WHERE {' AND '.join(clauses)} "
            f"ORDER BY seq {rev_order if before_id else order} LIMIT ?"
        )
        rows = store.query(sql, (*args, limit + 1))
    has_more = len(rows) > limit
    rows = rows[:limit]
    if before_id:
        rows.reverse()
    page = id_page([serialize(r) for r in rows], has_more)
    if rows:
        page["first_id"], page["last_id"] = rows[0][id_column], rows[-1][id_column]
    return page


def token_list(
    store: SandboxStore,
    sql: str,
    params: Sequence[Any],
    query: Query,
    serialize: Serialize,
    *,
    default_limit: int = 20,
    max_limit: int = 1000,
) -> dict[str, Any]:
    """Scheme B: ``sql`` must have a stable ORDER BY; paging adds LIMIT/OFFSET."""
    limit = query.limit(default_limit, max_limit)
    fingerprint = query.fingerprint()
    offset = decode_page_token(query.get("page"), fingerprint)
    rows = store.query(f"{sql} LIMIT ? OFFSET ?", (*params, limit + 1, offset))
    more = len(rows) > limit
    return token_page([serialize(r) for r in rows[:limit]], offset, more, fingerprint)
