"""Wire conventions every official client relies on (ADMIN_API.md §2, §8, §18).

One place for the error envelope, JSON answers, query parsing and the two paging
envelopes, so every resource module answers the same way: ``content-type:
application/json`` always, errors exactly ``{"type":"error","error":{"type",
"message","details":{"error_code"}},"request_id"}``, ID-cursor pages always carrying
``has_more``/``first_id``/``last_id``, token pages ending with ``next_page: null``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

#: HTTP status → ``error.type`` (ADMIN_API.md §8).
ERROR_TYPES: Mapping[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "conflict_error",
    413: "request_too_large",
    415: "invalid_request_error",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}


class ApiError(Exception):
    """An Admin API error answer; raised by handlers, rendered by ``error_response``."""

    def __init__(
        self,
        status: int,
        message: str,
        error_code: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error_code = error_code
        self.headers = dict(headers or {})


def marks(values: Sequence[object]) -> str:
    """``?,?,?``: one SQL placeholder per value, for ``IN (...)`` clauses."""
    return ",".join("?" * len(values))


def new_request_id() -> str:
    return "req_" + secrets.token_hex(12)


def error_body(status: int, message: str, error_code: str | None, request_id: str) -> bytes:
    error: dict[str, Any] = {"type": ERROR_TYPES.get(status, "api_error"), "message": message}
    if error_code:
        error["details"] = {"error_code": error_code}
    return json.dumps({"type": "error", "error": error, "request_id": request_id}).encode()


def json_response(payload: object, status: int = 200) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(body, status_code=status, media_type="application/json")


def error_response(exc: ApiError, request_id: str) -> Response:
    resp = Response(
        error_body(exc.status, exc.message, exc.error_code, request_id),
        status_code=exc.status,
        media_type="application/json",
    )
    for key, value in exc.headers.items():
        resp.headers[key] = value
    return resp


# ---------------------------------------------------------------------------
# time
# ---------------------------------------------------------------------------


def rfc3339(value: dt.datetime) -> str:
    """UTC, second precision, ``Z`` suffix: sortable as text in SQLite."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


# ---------------------------------------------------------------------------
# request parsing
# ---------------------------------------------------------------------------


class Query:
    """Query parameters as the SDKs send them: ``name[]=`` arrays, empty = absent.

    Starlette decodes ``+``, ``%20`` and ``%2B`` exactly like ``urllib.parse.parse_qs``.
    """

    def __init__(self, request: Request) -> None:
        self._items = [(k, v) for k, v in request.query_params.multi_items() if v != ""]

    def get(self, name: str) -> str | None:
        for key, value in self._items:
            if key == name:
                return value
        return None

    def list(self, name: str) -> list[str]:
        return [v for k, v in self._items if k in (f"{name}[]", name)]

    def bool(self, name: str) -> bool:
        value = self.get(name)
        if value is None:
            return False
        if value.lower() in ("true", "1"):
            return True
        if value.lower() in ("false", "0"):
            return False
        raise ApiError(400, f"{name}: expected true or false, got {value!r}")

    def limit(self, default: int = 20, maximum: int = 1000) -> int:
        raw = self.get("limit")
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiError(400, f"limit: expected an integer, got {raw!r}") from None
        if not 1 <= value <= maximum:
            raise ApiError(400, f"limit: must be between 1 and {maximum}, got {value}")
        return value

    def fingerprint(self, *ignore: str) -> str:
        """A short hash of the query minus paging keys: binds a page token to its query."""
        skip = {"page", "limit", *ignore}
        items = sorted((k, v) for k, v in self._items if k not in skip)
        return hashlib.sha256(json.dumps(items).encode()).hexdigest()[:12]


async def read_json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ApiError(400, "Request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Request body must be a JSON object.")
    return body


def require_str(body: Mapping[str, Any], field: str, *, max_len: int = 10_000) -> str:
    value = body.get(field)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{field}: Field required (a non-empty string).")
    if len(value) > max_len:
        raise ApiError(400, f"{field}: at most {max_len} characters.")
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise ApiError(400, f"{field}: control characters (such as NUL) are not allowed.")
    return value


# ---------------------------------------------------------------------------
# paging envelopes
# ---------------------------------------------------------------------------


def id_page(data: Sequence[Mapping[str, Any]], has_more: bool) -> dict[str, Any]:
    """Scheme A: ``has_more``, ``first_id`` and ``last_id`` are always present."""
    return {
        "data": list(data),
        "has_more": has_more,
        "first_id": data[0].get("id") if data else None,
        "last_id": data[-1].get("id") if data else None,
    }


NOT_A_TOKEN = "page: not a page token returned by this endpoint."


def encode_token(fields: Mapping[str, Any], fingerprint: str) -> str:
    """An opaque ``page`` token: the fields a list resumes from, bound to its query."""
    raw = json.dumps({**fields, "q": fingerprint}, separators=(",", ":")).encode()
    return "page_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, fingerprint: str) -> dict[str, Any]:
    """A ``page`` token's fields; 400 when it is garbage or from another query."""
    try:
        body = token.removeprefix("page_")
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        bound = str(data["q"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, NOT_A_TOKEN) from None
    if bound != fingerprint:
        # Checked first: a keyset token of another list is "another query", not garbage.
        raise ApiError(
            400, "page: this token belongs to a different query; start again without page."
        )
    return dict(data)


def encode_page_token(offset: int, fingerprint: str) -> str:
    return encode_token({"o": offset}, fingerprint)


def decode_page_token(token: str | None, fingerprint: str) -> int:
    """Offset encoded in a ``page`` token; 400 when it is garbage or from another query."""
    if token is None:
        return 0
    data = decode_token(token, fingerprint)
    try:
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(400, NOT_A_TOKEN) from None
    if offset < 0:
        raise ApiError(400, NOT_A_TOKEN)
    return offset


def token_page(
    data: Sequence[Mapping[str, Any]], offset: int, more: bool, fingerprint: str
) -> dict[str, Any]:
    """Scheme B: ``next_page`` is a token while rows remain, ``null`` at the end."""
    return {
        "data": list(data),
        "has_more": more,
        "next_page": encode_page_token(offset + len(data), fingerprint) if more else None,
    }
