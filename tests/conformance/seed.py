"""The org the SDK's generated tests meet: the demo org plus one object under each
placeholder ID those tests send (``user_id``, ``rbac_group_id``, ``workspace_id``...),
so a retrieve, update or list of a seat endpoint finds something real.

The demo org lives on ``DEMO_DATE``; the sandbox's clock is put on it, so the run
behaves the same on any date.
"""

from __future__ import annotations

from reconciler.sandbox import api_keys, increase_requests, managed_settings
from reconciler.sandbox.api_keys import insert_key
from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.groups import insert_group, insert_role
from reconciler.sandbox.increase_requests import insert_request
from reconciler.sandbox.invites import insert_invite
from reconciler.sandbox.spend_limits import upsert_limit
from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.users import insert_user
from reconciler.sandbox.workspaces import insert_workspace, register_bindable

#: IDs and values the generated tests send (SDK 2.16 tests/api_resources).
EXTERNAL_KEY = "ekey_01SDCCSbTxrXDpWc1phhtcfK"
USER_PROFILE = "uprof_01SDCCSbTxrXDpWc1phhtcfK"


def seed_conformance(path: str, org_type: str) -> None:
    """Write the conformance org of ``org_type`` (enterprise or console) into ``path``."""
    store = SandboxStore(path)
    seed_demo(store, DEMO_DATE)
    store.set_date(DEMO_DATE)
    store.configure_org(org_type=org_type, seat_tiers=[], allowed_domains=[])
    for module in (managed_settings, api_keys, increase_requests):
        module.install(store)  # before the transaction: creating tables commits
    with store.transaction():
        # a plain member: the API refuses changes to owners and admins
        insert_user(store, "placeholder.user@acme.example", "user", user_id="user_id")
        insert_invite(store, "placeholder.invite@acme.example", "user", invite_id="invite_id")
        insert_group(store, "placeholder-group", group_id="rbac_group_id")
        insert_group(store, "string", group_id="string")
        store.execute("INSERT INTO rbac_group_members(group_id, user_id, created_at) "
                      "VALUES ('rbac_group_id', 'user_id', ?)", (store.now_text(),))
        insert_role(store, "Placeholder role", [("read", {"type": "organization"})],
                    role_id="rbac_role_id")
        insert_workspace(store, "Placeholder", workspace_id="workspace_id")
        store.execute("INSERT INTO workspace_members(workspace_id, user_id, workspace_role) "
                      "VALUES ('workspace_id', 'user_id', 'workspace_user')")
        register_bindable(store, external_key_ids=[EXTERNAL_KEY],
                          user_profile_ids=[USER_PROFILE])
        insert_key(store, "placeholder key", created_by="user_id", key_id="api_key_id")
        insert_request(store, "user_id", request_id="spend_limit_increase_request_id")
        limit = upsert_limit(store, "user", "user_id", "monthly", "50000")
        store.execute("UPDATE spend_limits SET id = 'spend_limit_id' WHERE id = ?", (limit,))
    managed_settings.seed_settings(store, mode="rbac_groups", default={"model": "sonnet"},
                                   groups=[("rbac_group_id", {"model": "opus"})])
    store.close()
