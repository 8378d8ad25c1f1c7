"""The sandbox org's HTTP app: every Admin API route and the admin endpoints.

``create_app(store)`` returns one ASGI app with two ways in: in-process through
``client.sandbox_client`` (the unchanged SDK over an httpx2 transport), or served
on 127.0.0.1 by ``server.running_server`` / ``seatctl sandbox serve``.

Every resource module is mounted explicitly in ``create_app``: managed settings, API
keys and spend-limit increase requests first create their tables (``install(store)``),
then their routes are mounted like every other resource's. Last,
``catalog.fallback_routes`` answers every SDK organization endpoint no module serves
(what the real API answers to an org that has not enabled it, never a bare 404).
Build routes with ``routing.api_route`` so they share auth, scopes, request IDs, faults
and the error envelope.

Sandbox-only control endpoints live under ``/_sandbox/`` (``control``): they need
the sandbox's full-access key and JSON bodies, like a write; the real API has none.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reconciler.sandbox import (
    analytics,
    api_keys,
    catalog,
    control,
    groups,
    increase_requests,
    invites,
    managed_settings,
    spend_limits,
    usage_reports,
    users,
    workspaces,
)
from reconciler.sandbox import rate_limits as rate_limit_endpoints
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
from reconciler.sandbox.wire import ApiError, error_response


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
        *control.routes(store),
    ]
    for module in (managed_settings, api_keys, increase_requests):
        module.install(store)
        routes.extend(module.routes(store))
    routes.extend(rate_limit_endpoints.routes(store))
    served = {(m, r.path) for r in routes if isinstance(r, Route) for m in (r.methods or ())}
    routes.extend(catalog.fallback_routes(served))
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
