"""The sandbox org's HTTP app: every Admin API route and the admin endpoints.

``create_app(store)`` returns one ASGI app with two ways in: in-process through
``client.sandbox_client`` (the unchanged SDK over an httpx2 transport), or served
on 127.0.0.1 by ``server.running_server`` / ``seatctl sandbox serve``.

Claude Code managed settings (``managed_settings``) are mounted like every other
resource: ``install(store)`` creates its tables, then its ``routes(store)``. Build
routes with ``routing.api_route`` so they share auth, scopes, request IDs, faults and
the error envelope.

Sandbox-only admin endpoints, under ``/_sandbox/`` (no key needed; the server
listens on 127.0.0.1 only) — the real API has none of these:

- ``GET|POST /_sandbox/faults``: read or replace the ``FaultConfig`` (JSON fields).
- ``GET /_sandbox/stats``: request counts per ``"METHOD /path"``;
  ``DELETE /_sandbox/stats`` resets them.
- ``POST /_sandbox/accept_invite`` ``{"invite": id-or-email, "name": ...}``.
- ``POST /_sandbox/clock`` ``{"advance_days": 22}`` (persisted) or ``{"now": iso|null}``.
- ``POST /_sandbox/reset``; ``POST /_sandbox/seed`` ``{"demo": true}`` or
  ``{"members": N, "groups": N, "seed": 0, "drift_pct": 0.0}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.sandbox import (
    analytics,
    groups,
    invites,
    managed_settings,
    spend_limits,
    usage_reports,
    users,
    workspaces,
)
from reconciler.sandbox.faults import (
    FaultConfig,
    FaultState,
    RateLimits,
    RateWindow,
    Receive,
    SandboxMiddleware,
    Scope,
    Send,
)
from reconciler.sandbox.routing import SANDBOX_KEY, Ctx, Keys, api_route, request_id
from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import ApiError, error_response, json_response, read_json


class SandboxApp:
    """The ASGI app plus handles tests use: ``store``, ``set_faults``, ``faults``."""

    def __init__(self, starlette: Starlette, store: SandboxStore) -> None:
        self.starlette = starlette
        self.store = store
        self.state = starlette.state
        self._asgi = SandboxMiddleware(starlette, store, starlette.state)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._asgi(scope, receive, send)

    @property
    def faults(self) -> FaultConfig:
        config: FaultConfig = self.state.faults.config
        return config

    def set_faults(self, config: FaultConfig | None) -> None:
        """Replace the fault settings (and their counters); ``None`` switches faults off."""
        self.state.faults = FaultState(config or FaultConfig())


async def get_me(ctx: Ctx) -> object:
    return {
        "id": ctx.store.get_meta("org_id"),
        "name": ctx.store.get_meta("org_name"),
        "type": "organization",
    }


def _admin_routes(store: SandboxStore) -> list[BaseRoute]:
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
        if request.method == "DELETE":
            store.reset_stats()
        counts = store.request_counts()
        return json_response({"requests": counts, "total": sum(counts.values())})

    async def accept(request: Request) -> Response:
        body = await read_json(request)
        invite = body.get("invite") or body.get("email") or body.get("invite_id")
        if not isinstance(invite, str):
            raise ApiError(400, "invite: give the invite ID or the invited email.")
        return json_response(invites.accept_invite(store, invite, name=body.get("name") or ""))

    async def clock(request: Request) -> Response:
        body = await read_json(request)
        if "advance_days" in body:
            store.advance(dt.timedelta(days=float(body["advance_days"])))
        if "now" in body:
            store.set_now(
                None
                if body["now"] is None
                else dt.datetime.fromisoformat(str(body["now"]).replace("Z", "+00:00"))
            )
        return json_response({"now": store.now_text()})

    async def reset(request: Request) -> Response:
        store.reset()
        return json_response({"reset": True})

    async def seed(request: Request) -> Response:
        from reconciler.sandbox import demo

        body = await read_json(request)
        today = dt.date.fromisoformat(body["today"]) if body.get("today") else store.now().date()
        if body.get("demo"):
            demo.seed_demo(store, today)
        else:
            demo.seed_generated(
                store,
                int(body.get("members", 100)),
                int(body.get("groups", 5)),
                seed=int(body.get("seed", 0)),
                drift_pct=float(body.get("drift_pct", 0.0)),
                today=today,
            )
        return json_response(
            {
                "seeded": True,
                "members": store.scalar("SELECT COUNT(*) FROM users WHERE deleted = 0"),
            }
        )

    return [
        Route("/_sandbox/faults", faults, methods=["GET", "POST"]),
        Route("/_sandbox/stats", stats, methods=["GET", "DELETE"]),
        Route("/_sandbox/accept_invite", accept, methods=["POST"]),
        Route("/_sandbox/clock", clock, methods=["POST"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/seed", seed, methods=["POST"]),
    ]


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc, request_id(request))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = "Not found." if exc.status_code == 404 else str(exc.detail)
    if exc.status_code == 405:
        message = f"Method {request.method} not allowed on {request.url.path}."
    return error_response(ApiError(exc.status_code, message), request_id(request))


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(ApiError(500, "Internal server error."), request_id(request))


def create_app(
    store: SandboxStore,
    *,
    org_type: str | None = None,
    faults: FaultConfig | None = None,
    rate_limits: RateLimits | None = None,
    keys: Keys | None = None,
) -> SandboxApp:
    """The sandbox Admin API over ``store``.

    ``org_type`` (``enterprise``/``console``) overrides the store's setting when
    given; ``keys`` maps each accepted key to its scopes (``None`` = full access),
    default ``{SANDBOX_KEY: None}``; ``rate_limits`` turns the documented limits on.
    """
    if org_type is not None:
        store.configure_org(org_type=org_type)
    routes: list[BaseRoute] = [
        api_route("GET", "/v1/organizations/me", get_me),
        *users.routes(),
        *invites.routes(),
        *groups.routes(),
        *workspaces.routes(),
        *spend_limits.routes(),
        *analytics.routes(),
        *usage_reports.routes(),
        *_admin_routes(store),
    ]
    managed_settings.install(store)
    routes.extend(managed_settings.routes(store))
    handlers: dict[Any, Any] = {
        ApiError: _api_error,
        HTTPException: _http_error,
        Exception: _server_error,
    }
    starlette = Starlette(routes=routes, exception_handlers=handlers)
    starlette.state.store = store
    starlette.state.keys = dict(keys) if keys is not None else {SANDBOX_KEY: None}
    starlette.state.faults = FaultState(faults or FaultConfig())
    starlette.state.rate = RateWindow(rate_limits) if rate_limits else None
    return SandboxApp(starlette, store)
