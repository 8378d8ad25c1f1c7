"""SDK conformance: the official ``anthropic`` SDK, unchanged, against the sandbox org.

Every resource: list across at least three pages, create, update, delete, and each
error case, asserting the SDK's own typed error class and ``e.error_code``. If the
sandbox drifts from what the SDK expects, these fail.
"""

from __future__ import annotations

import datetime as dt

import anthropic
import pytest
from anthropic.types import (
    ConcurrentMembershipChangeError,
    OrgMemberLimitExceededError,
)
from anthropic.types.organization import (
    AlreadyMemberError,
    CannotRemoveLastMemberError,
    EmailDomainNotAllowedError,
    InviteAlreadyExistsError,
)

from reconciler.sandbox.app import create_app
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import seed_demo
from reconciler.sandbox.faults import FaultConfig
from reconciler.sandbox.invites import accept_invite
from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.users import insert_user

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
ACME = "acme.example"


@pytest.fixture
def store() -> SandboxStore:
    s = SandboxStore(":memory:")
    s.set_now(NOW)
    seed_demo(s, TODAY)
    s.set_now(NOW)
    return s


@pytest.fixture
def client(store: SandboxStore) -> anthropic.Anthropic:
    return sandbox_client(store, max_retries=0)


def user_id(client: anthropic.Anthropic, local: str) -> str:
    (user,) = list(client.organization.users.list(email=f"{local}@{ACME}"))
    return user.id


# -- organization -------------------------------------------------------------------


def test_me_names_the_org(client: anthropic.Anthropic) -> None:
    info = client.organization.retrieve()
    assert (info.name, info.type) == ("Acme Corp", "organization")


# -- users --------------------------------------------------------------------------


def test_users_list_pages_newest_first_across_pages(client: anthropic.Anthropic) -> None:
    page = client.organization.users.list(limit=5)
    assert page.has_more is True and page.first_id == page.data[0].id
    pages = [page]
    while pages[-1].has_next_page():
        pages.append(pages[-1].get_next_page())
    assert len(pages) == 4  # 19 users, 5 a page
    emails = [u.email for p in pages for u in p.data]
    assert len(emails) == 19 == len(set(emails))
    assert emails[0] == f"zoe.unlisted@{ACME}"  # added last
    assert pages[-1].has_more is False
    added = [u.added_at for p in pages for u in p.data]
    assert added == sorted(added, reverse=True)


def test_users_list_backwards_with_before_id(client: anthropic.Anthropic) -> None:
    first = client.organization.users.list(limit=3)
    second = client.organization.users.list(limit=3, after_id=first.last_id)
    back = client.organization.users.list(limit=3, before_id=second.first_id)
    assert [u.id for u in back.data] == [u.id for u in first.data]


def test_users_filter_by_role_and_email(client: anthropic.Anthropic) -> None:
    managed = list(client.organization.users.list(roles=["managed"]))
    assert {u.email for u in managed} == {f"erin.kim@{ACME}", f"jack.brown@{ACME}"}
    owners = list(client.organization.users.list(roles=["primary_owner", "owner"]))
    assert [u.email for u in owners] == [f"dana.owner@{ACME}"]
    assert [u.email for u in client.organization.users.list(email=f"ALICE.Nguyen@{ACME}")] == [
        f"alice.nguyen@{ACME}"
    ]
    # +tag variants match the base address
    assert len(list(client.organization.users.list(email=f"alice.nguyen+x@{ACME}"))) == 1


def test_user_retrieve_update_remove(client: anthropic.Anthropic) -> None:
    uid = user_id(client, "quinn.taylor")
    assert client.organization.users.retrieve(uid).role == "user"
    assert client.organization.users.update(uid, role="managed").role == "managed"
    assert client.organization.users.retrieve(uid).role == "managed"
    gone = client.organization.users.remove(uid)
    assert (gone.id, gone.type) == (uid, "user_deleted")
    with pytest.raises(anthropic.NotFoundError):
        client.organization.users.retrieve(uid)


def test_user_role_rules(client: anthropic.Anthropic) -> None:
    uid = user_id(client, "bob.martin")
    with pytest.raises(anthropic.BadRequestError, match="cannot be assigned"):
        client.organization.users.update(uid, role="developer")  # Console-only role
    owner = user_id(client, "dana.owner")
    with pytest.raises(anthropic.BadRequestError, match="primary_owner"):
        client.organization.users.update(owner, role="user")
    with pytest.raises(anthropic.BadRequestError, match="primary_owner"):
        client.organization.users.remove(owner)


def test_cannot_remove_last_member() -> None:
    s = SandboxStore(":memory:")
    only = insert_user(s, "solo@acme.example", "user")
    client = sandbox_client(s, max_retries=0)
    with pytest.raises(CannotRemoveLastMemberError) as err:
        client.organization.users.remove(only)
    assert err.value.error_code == "cannot_remove_last_member"
    assert err.value.status_code == 400


def test_concurrent_membership_change_is_typed(store: SandboxStore) -> None:
    client = sandbox_client(create_app(store, faults=FaultConfig(conflict=1)), max_retries=0)
    uid = user_id(client, "zoe.unlisted")
    with pytest.raises(ConcurrentMembershipChangeError) as err:
        client.organization.users.remove(uid)
    assert err.value.error_code == "concurrent_membership_change"
    assert client.organization.users.remove(uid).type == "user_deleted"  # the retry works


# -- invites ------------------------------------------------------------------------


def test_invite_create_list_delete(client: anthropic.Anthropic) -> None:
    groups = {g.name: g.id for g in client.organization.rbac_groups.list()}
    invite = client.organization.invites.create(
        email=f"sam.obi@{ACME}",
        role="user",
        rbac_group_ids=[groups["team-backend"], groups["claude-interns"]],
    )
    assert invite.status == "pending"
    assert invite.rbac_group_ids == [groups["team-backend"], groups["claude-interns"]]
    assert invite.expires_at - invite.invited_at == dt.timedelta(days=21)
    assert client.organization.invites.retrieve(invite.id).email == f"sam.obi@{ACME}"
    pending = list(client.organization.invites.list(statuses=["pending"]))
    assert [i.id for i in pending] == [invite.id]
    expired = list(client.organization.invites.list(statuses=["expired"]))
    assert [i.email for i in expired] == [f"kate.silva@{ACME}"]
    deleted = client.organization.invites.delete(invite.id)
    assert (deleted.id, deleted.type) == (invite.id, "invite_deleted")
    assert client.organization.invites.retrieve(invite.id).status == "deleted"
    assert [i.id for i in client.organization.invites.list()] != [invite.id]


def test_invites_page_across_three_pages(client: anthropic.Anthropic) -> None:
    for n in range(7):
        client.organization.invites.create(email=f"new{n}@{ACME}", role="user")
    first = client.organization.invites.list(limit=3)
    emails = [i.email for i in first]  # auto-paging iterator
    assert len(emails) == 8 and emails[0] == f"new6@{ACME}"
    assert first.has_more and not first.get_next_page().get_next_page().has_more


def test_invite_errors_are_typed(client: anthropic.Anthropic) -> None:
    client.organization.invites.create(email=f"new@{ACME}", role="user")
    with pytest.raises(InviteAlreadyExistsError) as dup:
        client.organization.invites.create(email=f"NEW@{ACME}", role="user")
    assert dup.value.error_code == "invite_already_exists" and dup.value.status_code == 400
    with pytest.raises(AlreadyMemberError) as member:
        client.organization.invites.create(email=f"bob.martin@{ACME}", role="user")
    assert member.value.error_code == "already_member"
    with pytest.raises(EmailDomainNotAllowedError) as domain:
        client.organization.invites.create(email="x@elsewhere.example", role="user")
    assert domain.value.error_code == "email_domain_not_allowed"
    with pytest.raises(anthropic.BadRequestError, match="cannot be assigned"):
        client.organization.invites.create(email=f"y@{ACME}", role="admin")  # type: ignore[arg-type]
    with pytest.raises(anthropic.NotFoundError):
        client.organization.invites.create(
            email=f"z@{ACME}", role="user", rbac_group_ids=["rbac_group_missing"]
        )


def test_only_pending_invites_can_be_deleted(client: anthropic.Anthropic) -> None:
    (expired,) = list(client.organization.invites.list(statuses=["expired"]))
    with pytest.raises(anthropic.BadRequestError, match="expired"):
        client.organization.invites.delete(expired.id)


def test_seat_pool_runs_out(client: anthropic.Anthropic, store: SandboxStore) -> None:
    # 50 seats, 19 members: 31 invites fit, the 32nd does not
    for n in range(31):
        client.organization.invites.create(email=f"hire{n}@{ACME}", role="user")
    with pytest.raises(OrgMemberLimitExceededError) as err:
        client.organization.invites.create(email=f"one.too.many@{ACME}", role="user")
    assert err.value.error_code == "org_member_limit_exceeded"
    # withdrawing an invite gives its seat back
    first = next(iter(client.organization.invites.list(email=f"hire0@{ACME}")))
    client.organization.invites.delete(first.id)
    client.organization.invites.create(email=f"one.too.many@{ACME}", role="user")


def test_invites_expire_after_21_days_and_free_the_seat(
    client: anthropic.Anthropic, store: SandboxStore
) -> None:
    invite = client.organization.invites.create(email=f"late@{ACME}", role="user")
    store.advance(dt.timedelta(days=21, seconds=1))
    assert client.organization.invites.retrieve(invite.id).status == "expired"
    again = client.organization.invites.create(email=f"late@{ACME}", role="user")
    assert again.status == "pending"


def test_accepted_invite_becomes_member_with_groups(
    client: anthropic.Anthropic, store: SandboxStore
) -> None:
    groups = {g.name: g.id for g in client.organization.rbac_groups.list()}
    invite = client.organization.invites.create(
        email=f"sam.obi@{ACME}", role="user", rbac_group_ids=[groups["team-backend"]]
    )
    user = accept_invite(store, invite.id, name="Sam Obi")
    assert client.organization.invites.retrieve(invite.id).status == "accepted"
    assert client.organization.users.retrieve(user["id"]).name == "Sam Obi"
    members = client.organization.rbac_groups.members.list(groups["team-backend"])
    assert f"sam.obi@{ACME}" in {m.email for m in members}
