"""Open the provider a policy asks for: the real Admin API or a sandbox organization.

The CLI calls ``open_provider(policy, sandbox=..., base_url=...)`` and never builds
SDK clients itself. The admin key is read here, from the environment variable that
``org.yaml`` names (``policy.admin_key_env``), handed to the SDK, and kept nowhere
else: it is not stored on the provider, not in any message (``errors.Scrubber``).
A sandbox needs no real key: it gets the sandbox's fixed key, so a real key in the
environment never travels to a local server.

Claude Code managed settings are read with the rest of the org when the policy is
for an Enterprise organization and any role carries settings (``carries_settings``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import anthropic

from reconciler.errors import ConfigError
from reconciler.model import OrgType, Policy
from reconciler.providers.anthropic import AnthropicProvider, capabilities_for
from reconciler.providers.base import Capabilities
from reconciler.providers.retry import Clock, RetryPolicy
from reconciler.providers.usage_reads import ANALYTICS_PER_MINUTE

#: Where ``provider: sandbox`` keeps its organization when no path is given.
DEFAULT_SANDBOX_DB = "sandbox.db"

__all__ = [
    "DEFAULT_SANDBOX_DB", "capabilities", "open_provider", "reads_managed_settings",
]


def capabilities(org_type: OrgType | str) -> Capabilities:
    """What the Admin API supports for an organization type (groups vs workspaces...)."""
    return capabilities_for(OrgType(org_type))


def open_provider(
    policy: Policy,
    *,
    sandbox: str | None = None,
    base_url: str | None = None,
    env: Mapping[str, str] = os.environ,
    retry: RetryPolicy | None = None,
    clock: Clock | None = None,
) -> AnthropicProvider:
    """The live organization of ``policy``.

    ``sandbox`` is a sandbox database path (``":memory:"`` works too): the SDK then
    talks to the sandbox app in-process. Otherwise the real Admin API at
    ``base_url``, else ``org.yaml``'s ``base_url``, else the SDK's default (which
    honours ``ANTHROPIC_BASE_URL``), with the key from ``policy.admin_key_env``.
    ``clock`` is the provider's clock for retry waits (apply passes its pacing clock).
    """
    if sandbox is None and policy.provider == "sandbox":
        sandbox = DEFAULT_SANDBOX_DB
    if sandbox is not None:
        return _open_sandbox(policy, sandbox, retry, clock)
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
    url = base_url or getattr(policy, "base_url", None) or None
    client = anthropic.Anthropic(api_key=key, base_url=url, max_retries=0)
    return AnthropicProvider(
        client, org_type=policy.org_type, key_env_name=key_env, retry=retry,
        deadline_s=_deadline(retry), clock=clock,
        read_managed_settings=reads_managed_settings(policy),
        analytics_per_minute=ANALYTICS_PER_MINUTE,
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


def _open_sandbox(policy: Policy, path: str, retry: RetryPolicy | None,
                  clock: Clock | None) -> AnthropicProvider:
    from reconciler.sandbox.client import sandbox_client
    from reconciler.sandbox.store import SandboxStore

    store = SandboxStore(path)
    if store.org_type != policy.org_type.value:
        raise ConfigError(
            f"the sandbox at {path} is a {store.org_type} organization but org.yaml says "
            f"org_type: {policy.org_type.value}",
            hint="re-seed the sandbox (`seatctl sandbox reset`/`seed`) or fix org_type",
        )
    client = sandbox_client(store, max_retries=0)
    return AnthropicProvider(
        client, org_type=policy.org_type, key_env_name=policy.admin_key_env, retry=retry,
        deadline_s=_deadline(retry), clock=clock,
        read_managed_settings=reads_managed_settings(policy),
    )
