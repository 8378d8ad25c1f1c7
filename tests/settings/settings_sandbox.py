"""An SDK client on a sandbox org (the full app, managed-settings plug-in mounted).

Groups are seeded straight into the store, as an owner creating them in claude.ai
would; everything else goes through the official SDK.
"""

from __future__ import annotations

import anthropic

from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.store import SandboxStore, make_id


def settings_client(store: SandboxStore, *, max_retries: int = 2) -> anthropic.Anthropic:
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
