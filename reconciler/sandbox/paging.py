"""SQL side of the two paging schemes: ID cursors over ``seq``, opaque keyset tokens.

Both are keyset pages (no OFFSET scan), so every page of a 100,000-row list costs
the same index seek. ID cursors (users, invites, workspaces, workspace members) walk
the table's ``seq`` (insertion order); rows are soft-deleted where a cursor may
point at a removed row, so ``after_id`` of a row deleted between pages still
resolves. Token pages (groups, group members, roles, permissions, spend limits)
carry the last row's sort key, bound to the query by its fingerprint; the client
only ever sends the token back unchanged (ADMIN_API.md §2 scheme B).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import (
    NOT_A_TOKEN,
    ApiError,
    Query,
    decode_token,
    encode_token,
    id_page,
    marks,
)

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


def encode_key_token(key: Sequence[Any], fingerprint: str) -> str:
    return encode_token({"k": list(key)}, fingerprint)


def decode_key_token(token: str | None, fingerprint: str, width: int) -> list[Any] | None:
    """The sort key a ``page`` token resumes after; 400 when garbage or from another query."""
    if token is None:
        return None
    key = decode_token(token, fingerprint).get("k")
    if (not isinstance(key, list) or len(key) != width
            or not all(isinstance(v, (int, str)) and not isinstance(v, bool) for v in key)):
        raise ApiError(400, NOT_A_TOKEN)
    return key


def token_list(
    store: SandboxStore,
    source: str,
    where: str,
    params: Sequence[Any],
    query: Query,
    serialize: Serialize,
    *,
    keys: Sequence[str] = ("seq",),
    descending: bool = False,
    columns: str = "*",
    default_limit: int = 20,
    max_limit: int = 1000,
) -> dict[str, Any]:
    """Scheme B by keyset: the token holds the last row's sort key, never an offset.

    ``source`` is what follows ``SELECT {columns} FROM`` (a table, or a join), ``where``
    its filter, ``keys`` the SQL expressions of a total order (the last one unique, e.g.
    ``seq``). A page is ``WHERE (keys) > (token's key) ORDER BY keys LIMIT n+1``: an
    index seek, so page 85 of an 85,000-row list costs what page 1 does.
    """
    limit = query.limit(default_limit, max_limit)
    fingerprint = query.fingerprint()
    after = decode_key_token(query.get("page"), fingerprint, len(keys))
    key_cols = ", ".join(f"{expr} AS _k{i}" for i, expr in enumerate(keys))
    row_value = "(" + ", ".join(keys) + ")"
    clauses, args = [f"({where or '1=1'})"], list(params)
    if after is not None:
        clauses.append(f"{row_value} {'<' if descending else '>'} ({marks(after)})")
        args.extend(after)
    direction = "DESC" if descending else "ASC"
    order = ", ".join(f"{expr} {direction}" for expr in keys)
    sql = (
        f"SELECT {columns}, {key_cols} FROM {source} WHERE {' AND '.join(clauses)} "
        f"ORDER BY {order} LIMIT ?"
    )
    rows = store.query(sql, (*args, limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    page_token = (
        encode_key_token([rows[-1][f"_k{i}"] for i in range(len(keys))], fingerprint)
        if more else None
    )
    return {"data": [serialize(r) for r in rows], "has_more": more, "next_page": page_token}
