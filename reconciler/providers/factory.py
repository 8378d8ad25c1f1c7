"""Build the provider for the real Admin API, or on an SDK client someone else built.

``open_admin_api(policy, base_url=...)`` is the Admin API. The admin key is read here,
from the environment variable that ``org.yaml`` names (``policy.admin_key_env``),
handed to the SDK, and kept nowhere else: it is not stored on the provider, not in any
message (``errors.Scrubber``). ``provider_on(client, policy)`` wraps any SDK client —
``reconciler.connect`` uses it for a sandbox, whose in-process client it builds itself,
because ``providers/`` never imports the sandbox: the provider reaches it only through
the SDK, with the same requests it sends the real service.

Claude Code managed settings are read with the rest of the org when the policy is
for an Enterprise organization and any role carries settings (``carries_settings``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import anthropic

from reconciler.errors import ConfigError
from reconciler.model import OrgType, Policy
from reconciler.model.endpoints import base_url_problem
from reconciler.providers.anthropic import AnthropicProvider, capabilities_for
from reconciler.providers.base import Capabilities
from reconciler.providers.retry import Clock, RetryPolicy
from reconciler.providers.usage_reads import ANALYTICS_PER_MINUTE

__all__ = ["capabilities", "open_admin_api", "provider_on", "reads_managed_settings"]


def capabilities(org_type: OrgType | str) -> Capabilities:
    """What the Admin API supports for an organization type (groups vs workspaces...)."""
    return capabilities_for(OrgType(org_type))


def open_admin_api(
    policy: Policy,
    *,
    base_url: str | None = None,
    env: Mapping[str, str] = os.environ,
    retry: RetryPolicy | None = None,
    clock: Clock | None = None,
) -> AnthropicProvider:
    """The live organization of ``policy`` on the real Admin API.

    At ``base_url``, else ``org.yaml``'s ``base_url``, else the SDK's default (which
    honours ``ANTHROPIC_BASE_URL``), with the key from ``policy.admin_key_env``.
    ``clock`` is the provider's clock for retry waits (apply passes its pacing clock).
    """
    if policy.provider not in ("anthropic", "sandbox"):
        raise ConfigError(
            f"org.yaml: unknown provider {policy.provider!r}",
            hint="use `provider: anthropic` (the Admin API) or `provider: sandbox`",
        )
    key_env = policy.admin_key_env
    key = (env.get(key_env) or "").strip()
    if not key:
        raise ConfigError(
            f"the admin key is missing: environment variable {key_env} is not set",
            hint=f"export {key_env}=<admin key> (org.yaml `admin_key_env` names the variable), "
            "or run against a sandbox with --sandbox",
        )
    url = base_url or policy.base_url or None
    if url is not None and (why := base_url_problem(url)):
        # validation refuses this in org.yaml already; a second check where the key leaves
        raise ConfigError(f"refusing to send the admin key {why} (base_url {url!r})",
                          hint="use https://, or http:// only to a loopback address")
    client = anthropic.Anthropic(api_key=key, base_url=url, max_retries=0)
    # the real API's analytics reads are paced; a sandbox answers at full speed
    return provider_on(client, policy, retry=retry, clock=clock,
                       analytics_per_minute=ANALYTICS_PER_MINUTE)


def provider_on(client: anthropic.Anthropic, policy: Policy, *,
                retry: RetryPolicy | None = None, clock: Clock | None = None,
                analytics_per_minute: float | None = None) -> AnthropicProvider:
    """The provider for ``policy`` over an SDK client (the Admin API's or a sandbox's)."""
    return AnthropicProvider(
        client, org_type=policy.org_type, key_env_name=policy.admin_key_env, retry=retry,
        deadline_s=_deadline(retry), clock=clock,
        read_managed_settings=reads_managed_settings(policy),
        analytics_per_minute=analytics_per_minute,
    )


def reads_managed_settings(policy: Policy) -> bool:
    """Enterprise policies whose roles carry Claude Code settings read them from the org.

    A role carries settings when ``reconciler.settings.compile.carries_settings`` says
    so (features, raw settings, or baseline); providers sit below ``settings``, so the
    rule is restated here and a test pins the two together.
    """
    if policy.org_type is not OrgType.ENTERPRISE:
        return False
    return any(bool(r.features) or r.settings is not None or r.baseline
               for r in policy.roles.values())


def _deadline(retry: RetryPolicy | None) -> float:
    return retry.request_deadline_s if retry else RetryPolicy().request_deadline_s
