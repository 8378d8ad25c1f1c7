"""The sandbox's own control endpoints, under ``/_sandbox/`` (the real API has none).

They can wipe or re-seed the org, so they are guarded like a write (issue 16, defect
11): a web page open in the user's browser can send a "simple" cross-origin POST to
127.0.0.1 with ``content-type: text/plain`` and no custom header, so every control
call needs

- a full-access key the sandbox accepts (``x-api-key`` or ``Authorization: Bearer``;
  a scoped key is refused: it cannot reset what it cannot write), and
- ``content-type: application/json`` on every POST (a browser cannot send that
  cross-origin without a preflight, which this server never approves).

Bodies are validated field by field: a wrong type, a negative count, an unknown key or
bad JSON answers 400 with the field's name, never 500.

- ``GET|POST /_sandbox/faults``: read or replace the ``FaultConfig`` (JSON fields).
- ``GET /_sandbox/stats``: request counts per ``"METHOD /path"`` and, when the
  sandbox enforces rate limits, ``rate_limit``: allowed and refused (429) requests and
  the span from the first to the last allowed one; ``DELETE /_sandbox/stats`` resets them.
- ``POST /_sandbox/accept_invite`` ``{"invite": id-or-email, "name": ...}``.
- ``POST /_sandbox/clock`` ``{"advance_days": 22}`` (persisted) or ``{"now": iso|null}``.
- ``POST /_sandbox/reset``; ``POST /_sandbox/seed`` ``{"demo": true}`` or
  ``{"members": N, "groups": N, "seed": 0, "drift_pct": 0.0}``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.sandbox import invites, rules
from reconciler.sandbox.faults import FaultConfig, FaultState
from reconciler.sandbox.routing import presented_key, request_id
from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import ApiError, error_response, json_response, read_json

#: Largest generated org the seed endpoint makes (the CLI's ``seed`` has no cap).
MAX_SEED_MEMBERS = 100_000
ControlHandler = Callable[[Request], Awaitable[Response]]


def check_control_request(request: Request) -> None:
    """401/403/415 unless the call carries a full-access key and, for POST, JSON."""
    keys: Mapping[str, frozenset[str] | None] = request.app.state.keys
    key = presented_key(request)
    if key is None or key not in keys:
        raise ApiError(401, "The sandbox control endpoints need the sandbox key "
                       "(x-api-key or Authorization: Bearer).")  # fmt: skip
    if keys[key] is not None:
        raise ApiError(403, "The sandbox control endpoints need a full-access key; this key "
                       "is scoped.", "api_key_scope_missing")  # fmt: skip
    if request.method == "POST":
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/json":
            raise ApiError(415, "content-type: the sandbox control endpoints take "
                           "application/json only.")  # fmt: skip


def control_route(path: str, handler: ControlHandler, methods: list[str]) -> Route:
    async def endpoint(request: Request) -> Response:
        try:
            check_control_request(request)
            return await handler(request)
        except ApiError as exc:
            return error_response(exc, request_id(request))

    return Route(path, endpoint, methods=methods)


def _int(body: Mapping[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ApiError(400, f"{name}: expected an integer from {lo} to {hi}, got {value!r}.")
    return value


def _number(body: Mapping[str, Any], name: str, default: float, lo: float, hi: float) -> float:
    value = body.get(name, default)
    if (isinstance(value, bool) or not isinstance(value, int | float)
            or not math.isfinite(value) or not lo <= value <= hi):  # fmt: skip
        raise ApiError(400, f"{name}: expected a number from {lo:g} to {hi:g}, got {value!r}.")
    return float(value)


def _only(body: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ApiError(400, f"unknown field(s): {', '.join(unknown)}; "
                       f"expected {', '.join(sorted(allowed))}.")  # fmt: skip


def _date(value: object, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ApiError(400, f"{name}: expected a date YYYY-MM-DD, got {value!r}.") from None


def routes(store: SandboxStore) -> list[BaseRoute]:
    async def faults(request: Request) -> Response:
        app_state = request.app.state
        if request.method == "POST":
            body = await read_json(request)
            try:
                app_state.faults = FaultState(FaultConfig.from_json(body))
            except (TypeError, ValueError) as exc:
                raise ApiError(400, f"faults: {exc}") from None
        cfg = app_state.faults.config
        return json_response({k: getattr(cfg, k) for k in cfg.__dataclass_fields__})

    async def stats(request: Request) -> Response:
        rate = request.app.state.rate
        if request.method == "DELETE":
            store.reset_stats()
            if rate is not None:
                rate.reset_counters()
        counts = store.request_counts()
        body: dict[str, Any] = {"requests": counts, "total": sum(counts.values())}
        if rate is not None:
            body["rate_limit"] = rate.counters()
        return json_response(body)

    async def accept(request: Request) -> Response:
        body = await read_json(request)
        _only(body, {"invite", "email", "invite_id", "name"})
        invite = body.get("invite") or body.get("email") or body.get("invite_id")
        if not isinstance(invite, str):
            raise ApiError(400, "invite: give the invite ID or the invited email.")
        name = rules.check_name(body.get("name") or "")
        return json_response(invites.accept_invite(store, invite, name=name))

    async def clock(request: Request) -> Response:
        body = await read_json(request)
        _only(body, {"advance_days", "now"})
        if "advance_days" in body:
            store.advance(dt.timedelta(days=_number(body, "advance_days", 0, 0, 36_500)))
        if "now" in body:
            raw = body["now"]
            if raw is None:
                store.set_now(None)
            else:
                try:
                    when = dt.datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
                except ValueError:
                    raise ApiError(400, f"now: expected an RFC 3339 time or null, got "
                                   f"{raw!r}.") from None  # fmt: skip
                store.set_now(when if when.tzinfo else when.replace(tzinfo=dt.UTC))
        return json_response({"now": store.now_text()})

    async def reset(request: Request) -> Response:
        await read_json(request)
        store.reset()
        return json_response({"reset": True})

    async def seed(request: Request) -> Response:
        from reconciler.sandbox import demo

        body = await read_json(request)
        _only(body, {"demo", "members", "groups", "seed", "drift_pct", "today"})
        today = _date(body["today"], "today") if body.get("today") else store.now().date()
        if body.get("demo"):
            demo.seed_demo(store, today)
        else:
            demo.seed_generated(
                store,
                _int(body, "members", 100, 1, MAX_SEED_MEMBERS),
                _int(body, "groups", 5, 0, MAX_SEED_MEMBERS),
                seed=_int(body, "seed", 0, -(2**63), 2**63 - 1),
                drift_pct=_number(body, "drift_pct", 0.0, 0.0, 100.0),
                today=today,
            )
        return json_response(
            {"seeded": True,
             "members": store.scalar("SELECT COUNT(*) FROM users WHERE deleted = 0")}
        )  # fmt: skip

    return [
        control_route("/_sandbox/faults", faults, ["GET", "POST"]),
        control_route("/_sandbox/stats", stats, ["GET", "DELETE"]),
        control_route("/_sandbox/accept_invite", accept, ["POST"]),
        control_route("/_sandbox/clock", clock, ["POST"]),
        control_route("/_sandbox/reset", reset, ["POST"]),
        control_route("/_sandbox/seed", seed, ["POST"]),
    ]
