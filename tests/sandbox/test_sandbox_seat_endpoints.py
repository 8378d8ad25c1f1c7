"""Seat endpoints added for issue 19, through the unchanged SDK in strict mode: beta
sign-out, API keys (Console), spend-limit increase requests (Enterprise).
Dates: the demo org on ``DEMO_DATE``."""

from __future__ import annotations

import anthropic
import pytest

from reconciler.sandbox.api_keys import insert_key
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.increase_requests import insert_request
from reconciler.sandbox.store import SandboxStore


@pytest.fixture
def store() -> SandboxStore:
    s = SandboxStore(":memory:")
    seed_demo(s, DEMO_DATE)
    return s


def _client(store: SandboxStore) -> anthropic.Anthropic:
    return sandbox_client(store, max_retries=0, _strict_response_validation=True)


def _user(store: SandboxStore, role: str) -> str:
    return str(store.scalar("SELECT id FROM users WHERE role = ? AND deleted = 0 LIMIT 1",
                            (role,)))


def test_sign_out_keeps_the_member_and_refuses_owners(store: SandboxStore) -> None:
    client = _client(store)
    uid = _user(store, "user")
    out = client.beta.organization.users.sign_out(uid)
    assert out.id == uid and store.get_meta(f"signed_out:{uid}")
    assert client.organization.users.retrieve(uid).role == "user"
    owner = store.scalar("SELECT id FROM users WHERE role IN ('owner', 'primary_owner') LIMIT 1")
    with pytest.raises(anthropic.APIStatusError) as err:
        client.beta.organization.users.sign_out(str(owner))
    assert err.value.status_code in (400, 403)
    assert str(getattr(err.value, "error_code", "")).startswith("cannot_sign_out_")
    store.configure_org(org_type="console")
    with pytest.raises(anthropic.BadRequestError) as err:
        client.beta.organization.users.sign_out(uid)
    assert err.value.error_code == "organization_not_enrolled_in_beta"  # type: ignore[attr-defined]


def test_api_keys_of_a_leaver_are_found_and_archived(store: SandboxStore) -> None:
    store.configure_org(org_type="console")
    uid = _user(store, "user")
    mine = insert_key(store, "laptop", created_by=uid)
    insert_key(store, "ci", created_by="user_other")
    client = _client(store)
    keys = list(client.organization.api_keys.list(created_by_user_id=uid))
    assert [k.id for k in keys] == [mine]
    assert client.organization.api_keys.update(mine, status="archived").status == "archived"
    with pytest.raises(anthropic.BadRequestError):
        client.organization.api_keys.update(mine, status="active")
    assert [k.id for k in client.organization.api_keys.list(status="archived")] == [mine]
    with pytest.raises(anthropic.NotFoundError):
        client.organization.api_keys.retrieve("apikey_missing")
    store.configure_org(org_type="enterprise")
    with pytest.raises(anthropic.BadRequestError):
        client.organization.api_keys.list()


def test_increase_requests_approve_sets_the_members_limit(store: SandboxStore) -> None:
    uid = _user(store, "user")
    client = _client(store)
    requests = client.organization.spend_limits.increase_requests
    demo = {r.id for r in requests.list(status=["pending"])}
    assert len(demo) == 3  # the demo org's own pending requests (demo.INCREASE_REQUESTS)
    first, second = insert_request(store, uid), insert_request(store, uid, "daily")
    assert {r.id for r in requests.list(status=["pending"])} - demo == {first, second}
    approved = requests.approve(first, amount="90000")
    assert approved.status == "approved" and approved.spend_limit is not None
    assert approved.spend_limit.amount == "90000"
    assert requests.deny(second).status == "denied"
    with pytest.raises(anthropic.BadRequestError):
        requests.approve(second, amount="1")
    assert requests.retrieve(first).resolved_by is not None
    limit = store.one("SELECT amount FROM spend_limits WHERE scope_type = 'user' "
                      "AND scope_key = ? AND period = 'monthly'", (uid,))
    assert limit is not None and limit["amount"] == "90000"


def test_rate_limits_and_workspace_overrides(store: SandboxStore) -> None:
    from reconciler.sandbox.workspaces import insert_workspace

    store.configure_org(org_type="console")
    wid = insert_workspace(store, "research")
    client = _client(store)
    org = list(client.organization.rate_limits.list())
    assert {e.group.id for e in org} == {"rlg_opus", "rlg_sonnet", "rlg_haiku"}
    sonnet = next(e for e in org if e.group.id == "rlg_sonnet")
    limits = client.organization.workspaces.rate_limits
    assert list(limits.list(wid)) == []
    set_ = limits.update(sonnet.id, workspace_id=wid,
                         limits=[{"type": "requests_per_minute", "value": 100}])
    assert [(v.type, v.value, v.org_limit, v.source.type) for v in set_.limits] == [
        ("requests_per_minute", 100, 4000, "workspace")]
    inherited = list(limits.list(wid, include_inherited=True))
    assert len(inherited) == 3
    limits.update(sonnet.id, workspace_id=wid, limits=[{"type": "requests_per_minute",
                                                        "value": None}])
    assert list(limits.list(wid)) == []
    with pytest.raises(anthropic.NotFoundError):
        limits.update("rl_missing", workspace_id=wid, limits=[])
    with pytest.raises(anthropic.NotFoundError):
        client.organization.rate_limits.list(model="no-such-model")
