"""Open the organization a command works on: the Admin API, or a sandbox database.

Why here and not in ``providers/``: the provider reaches a sandbox only through the
official SDK, with the same requests it sends the real Admin API, and ``providers/``
never imports the sandbox. The in-process sandbox client (the SDK over the sandbox
app, no socket) is built here, above both, and handed to the provider like any SDK
client (``providers.factory.provider_on``). A sandbox needs no real key: it gets the
sandbox's fixed key, so a real key in the environment never travels to a local server.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from reconciler.errors import ConfigError
from reconciler.model import Policy
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.providers.factory import open_admin_api, provider_on
from reconciler.providers.retry import Clock, RetryPolicy

#: Where ``provider: sandbox`` keeps its organization when no path is given.
DEFAULT_SANDBOX_DB = "sandbox.db"


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

    ``sandbox`` is a sandbox database path (``":memory:"`` works too); ``provider:
    sandbox`` in ``org.yaml`` without a path uses ``DEFAULT_SANDBOX_DB``. Otherwise the
    real Admin API (``providers.factory.open_admin_api``: ``base_url`` and the key).
    """
    if sandbox is None and policy.provider == "sandbox":
        sandbox = DEFAULT_SANDBOX_DB
    if sandbox is None:
        return open_admin_api(policy, base_url=base_url, env=env, retry=retry, clock=clock)
    from reconciler.sandbox.client import sandbox_client  # the app loads only when used
    from reconciler.sandbox.store import SandboxStore

    store = SandboxStore(sandbox)
    if store.org_type != policy.org_type.value:
        raise ConfigError(
            f"the sandbox at {sandbox} is a {store.org_type} organization but org.yaml says "
            f"org_type: {policy.org_type.value}",
            hint="re-seed the sandbox (`seatctl sandbox reset`/`seed`) or fix org_type",
        )
    return provider_on(sandbox_client(store, max_retries=0), policy, retry=retry, clock=clock)
