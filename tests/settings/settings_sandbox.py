"""An SDK client on a sandbox org with the managed-settings routes, for settings tests.

Uses the sandbox's own in-process client (the full app, with the managed-settings
plug-in picked up automatically). Groups are seeded straight into the store, as an
owner creating them in claude.ai would.
"""

from __future__ import annotations

import anthropic
import httpx2
from a2wsgi import ASGIMiddleware
from starlette.applications import Starlette

from reconciler.sandbox import managed_settings
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.store import SandboxStore, make_id

BASE_URL = "http://sandbox.local"


def _minimal_client(store: SandboxStore, max_retries: int) -> anthropic.Anthropic:
    """Only the managed-settings routes, when the full sandbox app cannot be imported."""
    managed_settings.install(store)
    app = Starlette(routes=managed_settings.routes(store))
    app.state.store = store
    app.state.keys = {SANDBOX_KEY: None}
    transport = httpx2.WSGITransport(app=ASGIMiddleware(app))
    return anthropic.Anthropic(
        api_key=SANDBOX_KEY, base_url=BASE_URL, max_retries=max_retries,
        http_client=anthropic.DefaultHttpxClient(transport=transport),
    )  # fmt: skip


def settings_client(store: SandboxStore, *, max_retries: int = 2) -> anthropic.Anthropic:
    try:
        from reconciler.sandbox.client import sandbox_client
    except ImportError:
        return _minimal_client(store, max_retries)
    return sandbox_client(store, max_retries=max_retries)


def seed_group(store: SandboxStore, name: str) -> str:
    gid = make_id("rbac_group", name)
    now = store.now_text()
    store.execute(
        "INSERT INTO rbac_groups(id, name, source_type, role_ids, created_at, updated_at) "
        "VALUES (?, ?, 'direct', '[]', ?, ?)",
        (gid, name, now, now),
    )
    return gid


def delete_group(store: SandboxStore, gid: str) -> None:
    store.execute("DELETE FROM rbac_groups WHERE id = ?", (gid,))
