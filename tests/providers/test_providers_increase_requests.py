"""Spend-limit increase requests through the official SDK against the sandbox: every
page read (requests = pages), approve writes the user limit, a repeat is "already
done", deny, and the read-only provider sends neither. The demo org is seeded as of
``DEMO_DATE`` (2026-11-25); nothing here depends on today's date."""

from __future__ import annotations

import pytest
from provider_shims import provider_for

from reconciler.errors import ApiRejectedError
from reconciler.providers.errors import ReadOnlyViolation
from reconciler.providers.readonly import ReadOnlyProvider
from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.increase_requests import insert_request
from reconciler.sandbox.store import SandboxStore, make_id

ERIN = "erin.kim@acme.example"


@pytest.fixture
def store() -> SandboxStore:
    s = SandboxStore(":memory:")
    seed_demo(s, DEMO_DATE)
    s.set_date(DEMO_DATE)
    return s


def test_lists_every_page_one_request_each(store: SandboxStore) -> None:
    uid = make_id("user", ERIN)
    for i in range(1200):
        insert_request(store, uid, request_id=f"slir_bulk{i:05d}",
                       created_at="2026-11-20T00:00:00Z")
    provider = provider_for(store)
    got = provider.list_increase_requests()
    assert len(got) == 1203 and len({r.id for r in got}) == 1203
    assert provider.stats.by_endpoint == {
        "GET /v1/organizations/spend_limit_increase_requests": 2}
    assert provider.stats.list_requests == 2


def test_the_demo_requests_parse_with_their_summary(store: SandboxStore) -> None:
    by_email = {r.email: r for r in provider_for(store).list_increase_requests()}
    erin = by_email[ERIN]
    assert (erin.period, erin.status, erin.user_id) == ("monthly", "pending",
                                                        make_id("user", ERIN))
    assert erin.summary is not None and erin.summary.amount_cents == 10000
    assert erin.summary.source == "user"
    assert by_email["zoe.unlisted@acme.example"].summary is None  # no limit applies


def test_approve_sets_the_limit_and_a_repeat_is_already_done(store: SandboxStore) -> None:
    provider = provider_for(store)
    erin = next(r for r in provider.list_increase_requests() if r.email == ERIN)
    first = provider.approve_increase_request(erin.id, 15000, "monthly")
    assert not first.already_done and first.request_id
    assert store.scalar("SELECT amount FROM spend_limits WHERE scope_type = 'user' AND "
                        "scope_key = ?", (erin.user_id,)) == "15000"
    again = provider.approve_increase_request(erin.id, 15000, "monthly")
    assert again.already_done
    with pytest.raises(ApiRejectedError):  # approved is not denied: the 400 stands
        provider.deny_increase_request(erin.id)
    assert [r.email for r in provider.list_increase_requests("approved")] == [ERIN]


def test_deny_and_the_read_only_provider(store: SandboxStore) -> None:
    provider = provider_for(store)
    readonly = ReadOnlyProvider(provider)
    pending = readonly.list_increase_requests()
    assert len(pending) == 3
    for call, args in (("approve_increase_request", (pending[0].id, 1, "monthly")),
                       ("deny_increase_request", (pending[0].id,))):
        with pytest.raises(ReadOnlyViolation):
            getattr(readonly, call)(*args)
    assert provider.deny_increase_request(pending[0].id).obj.status == "denied"  # type: ignore[union-attr]
    assert len(provider.list_increase_requests()) == 2
