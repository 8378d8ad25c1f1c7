"""Every organization endpoint of the installed SDK, and how the sandbox answers it.

``SDK_ENDPOINTS`` lists the 157 ``METHOD path`` pairs of ``anthropic`` 2.16's
``client.organization`` and ``client.beta.organization`` resources (a test reads the
installed SDK's source and fails when the two differ, so an SDK bump shows here
first). ``answer_for`` classifies each one:

- ``emulated``: a sandbox module serves it with the API's rules and envelopes.
- ``usage``: a report of the analytics / usage / cost family that no module serves
  (``reconciler.sandbox.analytics`` and ``usage_reports`` serve the ones seatctl
  reads, which are then ``emulated``): 404 naming the endpoint.
- ``oauth_only``: service accounts and workload identity federation. The SDK says
  they need "an OAuth access token with the ``org:admin`` scope ... Admin API keys are
  not accepted": the sandbox answers 403 ``permission_error`` to every key.
- ``beta_off``: a beta API that Anthropic turns on per organization (plugins,
  webhooks, telemetry destinations, Claude in Slack, external storage, Google data
  controls). The SDK documents the answer of an organization where it is off: 404
  "exactly as if the endpoint did not exist"; the sandbox says why in the message.
- ``not_configured``: GA Console features the sandbox does not model (external
  keys for customer-managed encryption, the Compliance API settings): lists are
  empty, an ID is not found, a write is refused with 400 saying what is missing.

``fallback_routes()`` mounts an answer for every catalogued endpoint that no module
serves, after every module's routes, so nothing in the SDK meets Starlette's bare
``Not found.``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from starlette.routing import BaseRoute, Route

from reconciler.sandbox.routing import Ctx, api_route
from reconciler.sandbox.wire import ApiError

ORG = "/v1/organizations"
Answer = Literal["emulated", "usage", "oauth_only", "beta_off", "not_configured"]

#: ``METHOD path`` (under /v1/organizations) of every organization endpoint in SDK 2.16.
SDK_ENDPOINTS: tuple[str, ...] = (
    "GET /analytics/apps/chat/projects",
    "GET /analytics/artifacts",
    "GET /analytics/connectors",
    "GET /analytics/cost",
    "GET /analytics/cost_report",
    "GET /analytics/plugins",
    "GET /analytics/skills",
    "GET /analytics/summaries",
    "GET /analytics/usage",
    "GET /analytics/usage_report",
    "GET /analytics/user_cost_report",
    "GET /analytics/user_usage_report",
    "GET /analytics/users",
    "GET /api_keys",
    "GET /api_keys/{api_key_id}",
    "POST /api_keys/{api_key_id}",
    "GET /claude_code/managed_settings/configuration",
    "POST /claude_code/managed_settings/configuration",
    "GET /claude_code/managed_settings/rbac_group_default",
    "POST /claude_code/managed_settings/rbac_group_default",
    "GET /claude_code/managed_settings/rbac_groups",
    "DELETE /claude_code/managed_settings/rbac_groups/{rbac_group_id}",
    "GET /claude_code/managed_settings/rbac_groups/{rbac_group_id}",
    "POST /claude_code/managed_settings/rbac_groups/{rbac_group_id}",
    "GET /claude_tag/bundles",
    "GET /claude_tag/bundles/{bundle_id}",
    "POST /claude_tag/bundles/{bundle_id}",
    "GET /claude_tag/bundles/{bundle_id}/targets",
    "POST /claude_tag/bundles/{bundle_id}/targets",
    "DELETE /claude_tag/bundles/{bundle_id}/targets/{target_id}",
    "GET /claude_tag/bundles/{bundle_id}/targets/{target_id}",
    "GET /claude_tag/slack_channels",
    "POST /claude_tag/slack_channels",
    "DELETE /claude_tag/slack_channels/{id}",
    "GET /claude_tag/slack_channels/{id}",
    "POST /claude_tag/slack_channels/{id}",
    "GET /claude_tag/slack_workspaces",
    "GET /claude_tag/slack_workspaces/{id}",
    "POST /claude_tag/slack_workspaces/{id}",
    "GET /compliance_settings",
    "POST /compliance_settings",
    "GET /external_keys",
    "POST /external_keys",
    "DELETE /external_keys/{external_key_id}",
    "GET /external_keys/{external_key_id}",
    "POST /external_keys/{external_key_id}",
    "POST /external_keys/{external_key_id}/validate",
    "GET /external_storage",
    "POST /external_storage",
    "DELETE /external_storage/{external_storage_id}",
    "GET /external_storage/{external_storage_id}",
    "POST /external_storage/{external_storage_id}",
    "POST /external_storage/{external_storage_id}/activate",
    "GET /federation_issuers",
    "POST /federation_issuers",
    "GET /federation_issuers/{federation_issuer_id}",
    "POST /federation_issuers/{federation_issuer_id}",
    "POST /federation_issuers/{federation_issuer_id}/archive",
    "GET /federation_rules",
    "POST /federation_rules",
    "GET /federation_rules/{federation_rule_id}",
    "POST /federation_rules/{federation_rule_id}",
    "POST /federation_rules/{federation_rule_id}/archive",
    "GET /federation_rules/{federation_rule_id}/workspaces",
    "POST /federation_rules/{federation_rule_id}/workspaces",
    "DELETE /federation_rules/{federation_rule_id}/workspaces/{workspace_id}",
    "GET /invites",
    "POST /invites",
    "DELETE /invites/{invite_id}",
    "GET /invites/{invite_id}",
    "GET /me",
    "GET /plugin_marketplaces",
    "POST /plugin_marketplaces/validate_archive",
    "POST /plugin_marketplaces/validate_repository",
    "GET /plugin_marketplaces/{marketplace_id}",
    "POST /plugin_marketplaces/{marketplace_id}",
    "GET /plugins",
    "POST /plugins",
    "DELETE /plugins/{plugin_id}",
    "GET /plugins/{plugin_id}",
    "POST /plugins/{plugin_id}",
    "GET /plugins/{plugin_id}/installation_settings",
    "DELETE /plugins/{plugin_id}/installation_settings/{target}",
    "POST /plugins/{plugin_id}/installation_settings/{target}",
    "GET /plugins/{plugin_id}/shares",
    "GET /plugins/{plugin_id}/versions",
    "POST /plugins/{plugin_id}/versions",
    "GET /plugins/{plugin_id}/versions/{version}",
    "GET /plugins/{plugin_id}/versions/{version}/content",
    "GET /providers/google/projects/{project_number}/data_controls",
    "POST /providers/google/projects/{project_number}/data_controls",
    "GET /rate_limits",
    "GET /rbac_groups",
    "POST /rbac_groups",
    "DELETE /rbac_groups/{rbac_group_id}",
    "GET /rbac_groups/{rbac_group_id}",
    "POST /rbac_groups/{rbac_group_id}",
    "GET /rbac_groups/{rbac_group_id}/members",
    "POST /rbac_groups/{rbac_group_id}/members",
    "DELETE /rbac_groups/{rbac_group_id}/members/{user_id}",
    "GET /rbac_roles",
    "GET /rbac_roles/{rbac_role_id}",
    "GET /rbac_roles/{rbac_role_id}/permissions",
    "GET /service_accounts",
    "POST /service_accounts",
    "GET /service_accounts/{service_account_id}",
    "POST /service_accounts/{service_account_id}",
    "POST /service_accounts/{service_account_id}/archive",
    "GET /service_accounts/{service_account_id}/workspaces",
    "POST /service_accounts/{service_account_id}/workspaces",
    "DELETE /service_accounts/{service_account_id}/workspaces/{workspace_id}",
    "GET /spend_limit_increase_requests",
    "GET /spend_limit_increase_requests/{spend_limit_increase_request_id}",
    "POST /spend_limit_increase_requests/{spend_limit_increase_request_id}/approve",
    "POST /spend_limit_increase_requests/{spend_limit_increase_request_id}/deny",
    "GET /spend_limits",
    "POST /spend_limits",
    "GET /spend_limits/effective",
    "DELETE /spend_limits/{spend_limit_id}",
    "GET /spend_limits/{spend_limit_id}",
    "GET /telemetry_destinations",
    "POST /telemetry_destinations",
    "DELETE /telemetry_destinations/{destination_id}",
    "GET /telemetry_destinations/{destination_id}",
    "POST /telemetry_destinations/{destination_id}",
    "POST /telemetry_destinations/{destination_id}/test",
    "GET /telemetry_destinations/{destination_id}/workspaces",
    "DELETE /telemetry_destinations/{destination_id}/workspaces/{workspace_id}",
    "POST /telemetry_destinations/{destination_id}/workspaces/{workspace_id}",
    "GET /users",
    "DELETE /users/{user_id}",
    "GET /users/{user_id}",
    "POST /users/{user_id}",
    "POST /users/{user_id}/sign_out",
    "GET /webhooks",
    "POST /webhooks",
    "DELETE /webhooks/{webhook_endpoint_id}",
    "GET /webhooks/{webhook_endpoint_id}",
    "POST /webhooks/{webhook_endpoint_id}",
    "POST /webhooks/{webhook_endpoint_id}/regenerate_signing_secret",
    "GET /workspaces",
    "POST /workspaces",
    "GET /workspaces/{workspace_id}",
    "POST /workspaces/{workspace_id}",
    "POST /workspaces/{workspace_id}/archive",
    "GET /workspaces/{workspace_id}/members",
    "POST /workspaces/{workspace_id}/members",
    "DELETE /workspaces/{workspace_id}/members/{user_id}",
    "GET /workspaces/{workspace_id}/members/{user_id}",
    "POST /workspaces/{workspace_id}/members/{user_id}",
    "GET /workspaces/{workspace_id}/rate_limits",
    "POST /workspaces/{workspace_id}/rate_limits/{rate_limit_id}",
    "GET /workspaces/{workspace_id}/service_accounts",
    "POST /workspaces/{workspace_id}/service_accounts",
    "DELETE /workspaces/{workspace_id}/service_accounts/{service_account_id}",
    "GET /workspaces/{workspace_id}/service_accounts/{service_account_id}",
    "POST /workspaces/{workspace_id}/service_accounts/{service_account_id}",
)

#: Path prefixes (under /v1/organizations) and the answer of what is not emulated.
PREFIXES: tuple[tuple[str, Answer, str], ...] = (
    ("/analytics/", "usage", "Enterprise Analytics API"),
    ("/service_accounts", "oauth_only", "Service accounts"),
    ("/federation_", "oauth_only", "Workload identity federation"),
    ("/plugins", "beta_off", "The Plugins API (beta ce-plugins-2026-09-01)"),
    ("/plugin_marketplaces", "beta_off", "Plugin marketplaces (beta ce-plugins-2026-09-01)"),
    ("/webhooks", "beta_off", "Organization webhook endpoints (beta webhooks-2026-10-07)"),
    ("/telemetry_destinations", "beta_off",
     "Telemetry destinations (beta telemetry-destinations-2026-08-11)"),
    ("/claude_tag/", "beta_off", "Claude in Slack (beta experimental-claude-tag-2026-10-21)"),
    ("/external_storage", "beta_off", "External storage (beta efs-2026-10-01)"),
    ("/providers/", "beta_off",
     "Google data controls (beta google-managed-data-controls-2026-09-01)"),
    ("/external_keys", "not_configured", "External keys (customer-managed encryption)"),
    ("/compliance_settings", "not_configured", "The Compliance API"),
)

#: Name prefix of the routes ``fallback_routes`` mounts (so they are not "served").
FALLBACK = "fallback: "
#: Beyond a prefix: workspace service accounts sit under /workspaces/{id}/.
SERVICE_ACCOUNT_MARK = "/service_accounts"


@dataclass(frozen=True)
class Endpoint:
    """One SDK endpoint and the sandbox's answer to it."""

    method: str
    path: str  # full template, e.g. /v1/organizations/users/{user_id}
    answer: Answer
    feature: str = ""


def answer_for(method: str, path: str, served: Iterable[tuple[str, str]] = ()) -> Endpoint:
    """How the sandbox answers ``method path`` (``served``: routes the modules mount)."""
    full = path if path.startswith(ORG) else ORG + path
    if (method, full) in set(served):
        return Endpoint(method, full, "emulated")
    tail = full.removeprefix(ORG)
    for prefix, answer, feature in PREFIXES:
        if tail.startswith(prefix):
            return Endpoint(method, full, answer, feature)
    if SERVICE_ACCOUNT_MARK in tail:
        return Endpoint(method, full, "oauth_only", "Service accounts")
    return Endpoint(method, full, "emulated")


def catalog(served: Iterable[tuple[str, str]] = ()) -> list[Endpoint]:
    """Every SDK organization endpoint with its answer."""
    mounted = set(served)
    pairs = (entry.split(" ", 1) for entry in SDK_ENDPOINTS)
    return [answer_for(method, path, mounted) for method, path in pairs]


#: GETs without a trailing ID that read one object, not a page.
SINGLETONS = frozenset({ORG + "/compliance_settings"})


def _is_list(method: str, path: str) -> bool:
    return method == "GET" and not path.endswith("}") and path not in SINGLETONS


def _fallback(endpoint: Endpoint) -> Route:
    feature = endpoint.feature or "This endpoint"

    async def answer(ctx: Ctx) -> object:
        if endpoint.answer == "oauth_only":
            raise ApiError(403, f"{feature}: this endpoint requires an OAuth access token with "
                           "the org:admin scope; Admin API keys are not accepted.")  # fmt: skip
        if endpoint.answer == "beta_off":
            raise ApiError(404, f"{feature} is not turned on for this organization.")
        if endpoint.answer == "usage":
            raise ApiError(404, f"{feature}: {endpoint.path} is not emulated by the sandbox "
                           "(docs/sandbox.md lists what is).")  # fmt: skip
        if _is_list(endpoint.method, endpoint.path):
            return {"data": [], "has_more": False, "first_id": None, "last_id": None,
                    "next_page": None}  # fmt: skip
        if ctx.path and endpoint.method in ("GET", "DELETE"):
            ident = next(iter(ctx.path.values()))
            raise ApiError(404, f"{feature}: {ident!r} not found; none is configured in this "
                           "organization.")  # fmt: skip
        raise ApiError(400, f"{feature} is not configured for this organization; the sandbox "
                       "does not model it (docs/sandbox.md).")  # fmt: skip

    route = api_route(endpoint.method, endpoint.path, answer)
    route.name = FALLBACK + route.name
    return route


def fallback_routes(served: Iterable[tuple[str, str]]) -> list[BaseRoute]:
    """An answer for each SDK endpoint no module serves (mounted after all of them)."""
    return [_fallback(e) for e in catalog(served) if e.answer != "emulated"]


def unserved(served: Iterable[tuple[str, str]]) -> list[Endpoint]:
    """Catalogued as emulated but mounted by no module: a gap a test reports."""
    mounted = set(served)
    return [e for e in catalog(mounted)
            if e.answer == "emulated" and (e.method, e.path) not in mounted]  # fmt: skip


#: What docs/sandbox.md says each answer means (one line per kind).
WHY: dict[Answer, str] = {
    "emulated": "emulated: the API's rules, envelopes and errors",
    "usage": "404 `not_found_error`: a usage or cost report the sandbox does not emulate "
             "(the reports seatctl reads are emulated)",
    "oauth_only": "403 `permission_error`: needs an OAuth token with `org:admin`; the SDK "
                  "says Admin API keys are not accepted",
    "beta_off": "404 `not_found_error` saying the beta is not turned on: the SDK documents 404 "
                "for an organization where it is off",
    "not_configured": "not modelled: lists are empty, an ID is 404, writes 400",
}


def markdown_table(served: Iterable[tuple[str, str]]) -> str:
    """docs/sandbox.md's endpoint table (a test keeps the doc equal to this)."""
    lines = ["| endpoint | answer |", "|---|---|"]
    for e in catalog(served):
        label = f"{e.feature}: " if e.feature and e.answer != "emulated" else ""
        lines.append(f"| `{e.method} {e.path.removeprefix(ORG)}` | {label}{WHY[e.answer]} |")
    return "\n".join(lines)


def served_routes() -> set[tuple[str, str]]:
    """``(method, path)`` of every route the default sandbox app mounts."""
    from reconciler.sandbox.app import create_app
    from reconciler.sandbox.store import SandboxStore

    app = create_app(SandboxStore(":memory:"))
    return {(m, r.path) for r in app.starlette.routes
            if isinstance(r, Route) and not r.name.startswith(FALLBACK)
            for m in (r.methods or ()) if m != "HEAD"}  # fmt: skip


if __name__ == "__main__":
    print(markdown_table(served_routes()))
