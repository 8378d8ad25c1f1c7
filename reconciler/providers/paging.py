"""Walk every page of a list endpoint, and refuse anything that does not add up.

Two envelopes (ADMIN_API.md §2): ID cursors (``after_id=<last_id>`` while
``has_more``) and opaque tokens (``page=<next_page>`` until null). Each page is one
request — never more requests than pages. The walk fails closed with
``LiveReadError`` naming the endpoint when a cursor or token repeats, a page says
``has_more`` but is empty, the envelope lacks a field, or the page count passes a
hard bound; and with ``LiveReadInconsistent`` when an id shows up twice (the
listing changed under us, RELIABILITY L2/L3), which ``fetch`` retries once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from reconciler.errors import LiveReadError
from reconciler.errors import LiveReadInconsistent as LiveReadInconsistent
from reconciler.providers.calls import Caller

#: No organization needs more pages than this (10 million rows at 1,000 a page).
MAX_PAGES = 10_000
#: Token pages may be empty while more follow (rows filtered out); only this many in a row.
MAX_EMPTY_TOKEN_PAGES = 3


def after_kw(cursor: str | None) -> dict[str, Any]:
    """``after_id`` for an ID-cursor page, omitted on the first page."""
    return {"after_id": cursor} if cursor else {}


def page_kw(token: str | None) -> dict[str, Any]:
    """``page`` for a token page, omitted on the first page."""
    return {"page": token} if token else {}


def _bind(fetch: Callable[[str | None], Any], cursor: str | None) -> Callable[[], Any]:
    def call() -> Any:
        return fetch(cursor)

    return call




def _envelope_error(endpoint: str, page: int, what: str) -> LiveReadError:
    return LiveReadError(
        f"{endpoint} page {page}: {what}",
        hint="the live read is unusable; nothing was planned from it — run again, "
        "and report it if it persists",
    )


def _data(body: dict[str, Any], endpoint: str, page: int) -> list[dict[str, Any]]:
    data = body.get("data")
    if not isinstance(data, list):
        raise _envelope_error(endpoint, page, "field `data` missing or not a list")
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            raise _envelope_error(endpoint, page, f"item {index} is not an object")
    return data


def _check_ids(
    data: list[dict[str, Any]], id_field: str, seen: set[str], endpoint: str, page: int
) -> None:
    for index, item in enumerate(data):
        key = item.get(id_field)
        if not isinstance(key, str) or not key:
            raise _envelope_error(endpoint, page, f"item {index}: field `{id_field}` missing")
        if key in seen:
            raise LiveReadInconsistent(
                f"live read inconsistent: {endpoint} listed {key} twice (page {page})",
                hint="the organization changed while it was read; run again",
            )
        seen.add(key)


def walk_id_pages(
    caller: Caller,
    endpoint: str,
    fetch: Callable[[str | None], Any],
    *,
    id_field: str = "id",
) -> Iterator[list[dict[str, Any]]]:
    """Yield each page's ``data`` of an ID-cursor list (users, invites, workspaces)."""
    seen_ids: set[str] = set()
    seen_cursors: set[str] = set()
    after: str | None = None
    for page in range(1, MAX_PAGES + 1):
        body = caller.read(endpoint, _bind(fetch, after), listing=True).body
        data = _data(body, endpoint, page)
        has_more = body.get("has_more")
        if not isinstance(has_more, bool):
            raise _envelope_error(endpoint, page, "field `has_more` missing or not a boolean")
        if has_more and not data:
            raise _envelope_error(endpoint, page, "`has_more` is true but the page is empty")
        _check_ids(data, id_field, seen_ids, endpoint, page)
        yield data
        if not has_more:
            return
        last_id = body.get("last_id")
        if not isinstance(last_id, str) or not last_id:
            raise _envelope_error(endpoint, page, "`has_more` is true but `last_id` is missing")
        if last_id in seen_cursors or last_id == after:
            raise _envelope_error(endpoint, page, f"cursor {last_id} repeats (paging loop)")
        seen_cursors.add(last_id)
        after = last_id
    raise _envelope_error(endpoint, MAX_PAGES, f"more than {MAX_PAGES} pages (paging loop?)")


def walk_token_pages(
    caller: Caller,
    endpoint: str,
    fetch: Callable[[str | None], Any],
    *,
    id_field: str | None = "id",
) -> Iterator[list[dict[str, Any]]]:
    """Yield each page's ``data`` of a token-paged list (groups, members, spend limits)."""
    seen_ids: set[str] = set()
    seen_tokens: set[str] = set()
    token: str | None = None
    empty_run = 0
    for page in range(1, MAX_PAGES + 1):
        body = caller.read(endpoint, _bind(fetch, token), listing=True).body
        data = _data(body, endpoint, page)
        if "next_page" not in body:
            raise _envelope_error(endpoint, page, "field `next_page` missing")
        next_page = body["next_page"]
        if next_page is not None and (not isinstance(next_page, str) or not next_page):
            raise _envelope_error(endpoint, page, "field `next_page` is not a string or null")
        if body.get("has_more") is True and next_page is None:
            raise _envelope_error(endpoint, page, "`has_more` is true but `next_page` is null")
        if body.get("has_more") is True and not data:
            raise _envelope_error(endpoint, page, "`has_more` is true but the page is empty")
        if id_field is not None:
            _check_ids(data, id_field, seen_ids, endpoint, page)
        yield data
        if next_page is None:
            return
        empty_run = empty_run + 1 if not data else 0
        if empty_run >= MAX_EMPTY_TOKEN_PAGES:
            raise _envelope_error(
                endpoint, page, f"{empty_run} empty pages in a row while more are announced"
            )
        if next_page in seen_tokens:
            raise _envelope_error(endpoint, page, "page token repeats (paging loop)")
        seen_tokens.add(next_page)
        token = next_page
    raise _envelope_error(endpoint, MAX_PAGES, f"more than {MAX_PAGES} pages (paging loop?)")
