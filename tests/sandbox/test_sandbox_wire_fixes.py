"""Wire differences issue 19 found with the SDK's strict mode, fixed.
Dates: the demo org on ``DEMO_DATE``."""

from __future__ import annotations

import anthropic
import pytest

from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.groups import insert_role
from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.workspaces import register_bindable


def _org(org_type: str) -> tuple[SandboxStore, anthropic.Anthropic]:
    store = SandboxStore(":memory:")
    seed_demo(store, DEMO_DATE)
    store.configure_org(org_type=org_type)
    return store, sandbox_client(store, max_retries=0, _strict_response_validation=True)


def test_workspace_create_and_update_keep_residency_key_and_profile() -> None:
    store, client = _org("console")
    register_bindable(store, external_key_ids=["extkey_1"], user_profile_ids=["uprof_1"])
    ws = client.organization.workspaces.create(
        name="eu-research", external_key_id="extkey_1", user_profile_id="uprof_1",
        data_residency={"default_inference_geo": "us", "allowed_inference_geos": ["us"]})
    assert (ws.external_key_id, ws.user_profile_id) == ("extkey_1", "uprof_1")
    assert ws.data_residency.default_inference_geo == "us"
    assert ws.data_residency.allowed_inference_geos == ["us"]
    again = client.organization.workspaces.retrieve(ws.id)
    assert again.external_key_id == "extkey_1" and again.data_residency.allowed_inference_geos == [
        "us"]
    moved = client.organization.workspaces.update(
        ws.id, data_residency={"allowed_inference_geos": "unrestricted"})
    assert moved.data_residency.allowed_inference_geos == "unrestricted"
    assert moved.user_profile_id == "uprof_1"


@pytest.mark.parametrize("field,code", [("external_key_id", "external_key_validation_failed"),
                                        ("user_profile_id", "user_profile_not_found")])
def test_made_up_key_and_profile_ids_are_refused_with_the_sdks_classes(
        field: str, code: str) -> None:
    store, client = _org("console")
    before = store.scalar("SELECT COUNT(*) FROM workspaces")
    with pytest.raises(anthropic.BadRequestError) as err:
        client.organization.workspaces.create(name="x", **{field: "made_up"})  # type: ignore[arg-type]
    assert err.value.error_code == code  # type: ignore[attr-defined]
    cls = {"external_key_validation_failed": "ExternalKeyValidationFailedError",
           "user_profile_not_found": "UserProfileNotFoundError"}[code]
    assert type(err.value).__name__ == cls
    assert store.scalar("SELECT COUNT(*) FROM workspaces") == before


def test_role_permissions_carry_the_organization_id() -> None:
    store, client = _org("enterprise")
    rid = insert_role(store, "Auditor", [("read", {"type": "organization"})])
    perms = list(client.organization.rbac_roles.permissions.list(rid))
    assert perms[0].resource.organization_id == store.get_meta("org_id")  # type: ignore[union-attr]


def test_effective_spend_limits_refuse_a_console_org() -> None:
    _, client = _org("console")
    with pytest.raises(anthropic.BadRequestError) as err:
        client.organization.spend_limits.effective.list()
    assert err.value.error_code == "organization_type_not_supported"  # type: ignore[attr-defined]


def test_a_role_of_the_other_org_type_is_refused_as_the_sdk_documents() -> None:
    # SDK 2.16 user_list_params: "Accepted values depend on the organization type"
    _, client = _org("enterprise")
    with pytest.raises(anthropic.BadRequestError, match="developer"):
        list(client.organization.users.list(roles=["developer"]))
    assert list(client.organization.users.list(roles=["managed"])) is not None
