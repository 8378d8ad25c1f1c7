"""How one Admin API route is declared: auth, scope, org type, beta header, errors.

``api_route("GET", "/v1/organizations/users", list_users, scope="read:members")``
wraps a handler ``async (ctx) -> payload`` so that every route checks credentials the
same way (``x-api-key`` or ``Authorization: Bearer``, either ``anthropic-version``),
answers 403 ``api_key_scope_missing`` for a key without the route's scope, 400
``organization_type_not_supported`` outside its org type, and renders ``ApiError``
as the §8 envelope. Handlers return a JSON-able payload (200) or ``(status, payload)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import ApiError, Query, error_response, json_response, read_json

#: The key every sandbox accepts unless configured otherwise (full access, no scopes).
SANDBOX_KEY = "sk-ant-admin01-sandbox-0000000000000000000000000000000000000000000000-AAAA"
API_VERSIONS = frozenset({"2023-06-01", "2026-10-21"})

#: key → its scopes (``None``: an unscoped admin key with full access).
Keys = Mapping[str, frozenset[str] | None]


@dataclass(frozen=True)
class Ctx:
    """What a handler sees: the request, the org's store, parsed query, path params."""

    request: Request
    store: SandboxStore
    query: Query
    path: Mapping[str, str]

    async def body(self) -> dict[str, Any]:
        return await read_json(self.request)

    def header_list(self, name: str) -> list[str]:
        raw = self.request.headers.get(name, "")
        return [part.strip() for part in raw.split(",") if part.strip()]


Handler = Callable[[Ctx], Awaitable[object]]


def request_id(request: Request) -> str:
    rid = request.scope.get("state", {}).get("request_id")
    return str(rid) if rid else "req_sandbox"


def presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def authenticate(request: Request, keys: Keys, scope: str | None) -> None:
    key = presented_key(request)
    if key is None:
        raise ApiError(401, "x-api-key header or Authorization: Bearer is required.")
    if key not in keys:
        raise ApiError(401, "invalid x-api-key")
    version = request.headers.get("anthropic-version")
    if version is not None and version not in API_VERSIONS:
        raise ApiError(400, f"anthropic-version: {version!r} is not a supported API version.")
    scopes = keys[key]
    if scope is not None and scopes is not None and scope not in scopes:
        held = ", ".join(sorted(scopes)) or "none"
        raise ApiError(
            403,
            f"This API key is missing the scope this endpoint needs: {scope}. "
            f"The key's scopes: {held}.",
            "api_key_scope_missing",
        )


def api_route(
    method: str,
    path: str,
    handler: Handler,
    *,
    scope: str | None = None,
    org_types: tuple[str, ...] = ("enterprise", "console"),
    beta: str | None = None,
) -> Route:
    """A Starlette route running ``handler`` behind the Admin API's common checks."""

    async def endpoint(request: Request) -> Response:
        state = request.app.state
        store: SandboxStore = state.store
        try:
            authenticate(request, state.keys, scope)
            if store.org_type not in org_types:
                raise ApiError(
                    400,
                    f"{path} is not available to Claude {store.org_type} organizations.",
                    "organization_type_not_supported",
                )
            ctx = Ctx(request, store, Query(request), dict(request.path_params))
            if beta is not None and beta not in ctx.header_list("anthropic-beta"):
                raise ApiError(400, f"This endpoint requires the anthropic-beta header {beta!r}.")
            result = await handler(ctx)
        except ApiError as exc:
            return error_response(exc, request_id(request))
        if isinstance(result, tuple):
            status, payload = result
            return json_response(payload, status)
        return json_response(result)

    return Route(path, endpoint, methods=[method], name=f"{method} {path}")
