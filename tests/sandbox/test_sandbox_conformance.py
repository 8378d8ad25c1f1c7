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
    OrganizationTypeNotSupportedError,
    OrgMemberLimitExceededError,
    RBACRoleNotFoundError,
)
from anthropic.types.beta.organization import BetaAPIKeyScopeMissingError
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


# -- RBAC groups and members -----------------------------------------------------------


def test_groups_page_create_rename_delete(client: anthropic.Anthropic) -> None:
    first = client.organization.rbac_groups.list(limit=3)
    assert first.next_page is not None
    names = [g.name for g in client.organization.rbac_groups.list(limit=3)]
    assert len(names) == 8 and "all-engineering" in names  # 3 pages of 3
    created = client.organization.rbac_groups.create(name="claude-reviewers")
    assert (created.source_type, created.role_ids, created.type) == ("direct", [], "rbac_group")
    renamed = client.organization.rbac_groups.update(created.id, name="claude-auditors")
    assert renamed.name == "claude-auditors"
    assert client.organization.rbac_groups.retrieve(created.id).name == "claude-auditors"
    deleted = client.organization.rbac_groups.delete(created.id)
    assert (deleted.id, deleted.type) == (created.id, "rbac_group_deleted")
    with pytest.raises(anthropic.NotFoundError):
        client.organization.rbac_groups.retrieve(created.id)


def test_group_members_page_add_remove(client: anthropic.Anthropic) -> None:
    groups = {g.name: g for g in client.organization.rbac_groups.list()}
    backend = groups["team-backend"].id
    page = client.organization.rbac_groups.members.list(backend, limit=2)
    members = [m.email for m in client.organization.rbac_groups.members.list(backend, limit=2)]
    assert page.next_page and len(members) == 7  # 7 backend members over 4 pages
    assert members[0] == f"liam.jones@{ACME}"  # oldest first
    zoe = user_id(client, "zoe.unlisted")
    added = client.organization.rbac_groups.members.add(backend, user_id=zoe)
    assert (added.user_id, added.email, added.rbac_group_id) == (
        zoe,
        f"zoe.unlisted@{ACME}",
        backend,
    )
    with pytest.raises(anthropic.BadRequestError, match="already in"):
        client.organization.rbac_groups.members.add(backend, user_id=zoe)
    removed = client.organization.rbac_groups.members.remove(zoe, rbac_group_id=backend)
    assert (removed.user_id, removed.type) == (zoe, "rbac_group_member_deleted")
    with pytest.raises(anthropic.NotFoundError):
        client.organization.rbac_groups.members.add(backend, user_id="user_not_a_member")


def test_scim_groups_are_read_only(client: anthropic.Anthropic) -> None:
    scim = next(g for g in client.organization.rbac_groups.list() if g.source_type == "scim")
    assert scim.name == "all-engineering"
    uid = user_id(client, "zoe.unlisted")
    for call in (
        lambda: client.organization.rbac_groups.update(scim.id, name="x"),
        lambda: client.organization.rbac_groups.delete(scim.id),
        lambda: client.organization.rbac_groups.members.add(scim.id, user_id=uid),
        lambda: client.organization.rbac_groups.members.remove(
            user_id(client, "bob.martin"), rbac_group_id=scim.id
        ),
    ):
        with pytest.raises(anthropic.BadRequestError, match="SCIM"):
            call()


def test_rbac_roles_are_listed_and_typed_when_missing(client: anthropic.Anthropic) -> None:
    roles = list(client.organization.rbac_roles.list(limit=1))
    assert len(roles) == 2 and roles[0].source.type == "built_in"
    role = client.organization.rbac_roles.retrieve(roles[0].id)
    assert role.display_name == roles[0].display_name
    perms = list(client.organization.rbac_roles.permissions.list(roles[0].id))
    assert perms and perms[0].type == "rbac_role_permission"
    with pytest.raises(RBACRoleNotFoundError) as err:
        client.organization.rbac_roles.retrieve("rbac_role_missing")
    assert err.value.error_code == "rbac_role_not_found"


# -- spend limits ------------------------------------------------------------------------


def test_spend_limits_list_set_get_delete(client: anthropic.Anthropic) -> None:
    limits = client.beta.organization.spend_limits
    existing = list(limits.list(limit=1, scope_type=["user"]))
    assert len(existing) == 4  # erin, jack, quinn ($100) and farid ($50), one per page
    assert {(x.amount, x.period) for x in existing} == {("10000", "monthly"), ("5000", "monthly")}
    zoe = user_id(client, "zoe.unlisted")
    created = limits.set(amount="2500", scope={"type": "user", "user_id": zoe}, period="monthly")
    again = limits.set(amount="3000", scope={"type": "user", "user_id": zoe}, period="monthly")
    assert again.id == created.id and again.amount == "3000"  # upsert on (scope, period)
    assert limits.retrieve(created.id).amount == "3000"
    assert limits.delete(created.id).type == "spend_limit_deleted"
    with pytest.raises(anthropic.NotFoundError):
        limits.retrieve(created.id)
    with pytest.raises(anthropic.BadRequestError, match="cannot set"):
        limits.set(amount="1", scope={"type": "organization"})  # type: ignore[arg-type]


def test_spend_limit_list_needs_the_beta_header(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="spend-limit-reads-2026-09-26"):
        client.get("/v1/organizations/spend_limits", cast_to=object)


def test_effective_spend_limits_resolve_per_member(client: anthropic.Anthropic) -> None:
    rows = list(client.organization.spend_limits.effective.list(limit=2))
    by_email = {r.actor.email_address: r for r in rows}  # type: ignore[union-attr]
    assert set(by_email) == {
        f"erin.kim@{ACME}",
        f"farid.haddad@{ACME}",
        f"jack.brown@{ACME}",
        f"quinn.taylor@{ACME}",
    }
    assert by_email[f"farid.haddad@{ACME}"].amount == "5000"
    assert by_email[f"farid.haddad@{ACME}"].source.type == "user"


# -- analytics ---------------------------------------------------------------------------


def test_analytics_single_day_pages_and_rows(client: anthropic.Anthropic) -> None:
    monday = dt.date(2026, 11, 23)
    page = client.organization.analytics.users.list(date=monday, limit=5)
    rows = list(client.organization.analytics.users.list(date=monday, limit=5))
    assert page.next_page is not None and len(rows) > 10
    emails = [r.user.email_address for r in rows if r.user]
    assert emails == sorted(emails)
    assert f"carol.diaz@{ACME}" not in emails  # inactive for 30 days
    row = rows[0]
    assert row.last_activity_date == monday
    assert row.claude_code_metrics.core_metrics.distinct_session_count


def test_analytics_weekdays_busier_than_weekends(client: anthropic.Anthropic) -> None:
    def active(day: dt.date) -> int:
        return len(list(client.organization.analytics.users.list(date=day)))

    weekdays = sum(active(dt.date(2026, 11, d)) for d in (16, 17, 18, 19, 20))
    weekend = sum(active(dt.date(2026, 11, d)) for d in (21, 22))
    assert weekdays / 5 > 3 * (weekend / 2)


def test_analytics_range_rollup_and_filters(client: anthropic.Anthropic) -> None:
    start, end = TODAY - dt.timedelta(days=90), TODAY
    rows = list(client.organization.analytics.users.list(starting_date=start, ending_date=end))
    last = {r.user.email_address: r.last_activity_date for r in rows if r.user}
    assert len(last) == 19
    for inactive in ("carol.diaz", "olivia.rossi", "jack.brown"):
        assert last[f"{inactive}@{ACME}"] < TODAY - dt.timedelta(days=30)
    groups = {g.name: g.id for g in client.organization.rbac_groups.list()}
    interns = list(
        client.organization.analytics.users.list(
            starting_date=start, filter=[f"rbac_group_id:{groups['claude-interns']}"]
        )
    )
    assert [r.user.email_address for r in interns if r.user] == [f"farid.haddad@{ACME}"]
    grouped = list(
        client.organization.analytics.users.list(starting_date=start, group_by=["rbac_group_id"])
    )
    team = next(r for r in grouped if r.rbac_group_name == "team-frontend")
    assert team.user is None and team.distinct_user_count == 4


def test_analytics_rejects_days_without_data(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="latest available day is 2026-11-24"):
        client.organization.analytics.users.list(date=TODAY)
    with pytest.raises(anthropic.BadRequestError, match="either date or starting_date"):
        client.organization.analytics.users.list(date=TODAY, starting_date=TODAY)
    with pytest.raises(anthropic.BadRequestError, match="filter"):
        client.organization.analytics.users.list(date=dt.date(2026, 11, 2), filter=["team:x"])


# -- workspaces (Console) ----------------------------------------------------------------


@pytest.fixture
def console() -> anthropic.Anthropic:
    s = SandboxStore(":memory:")
    s.configure_org(name="Console Org", org_type="console")
    for n in range(4):
        insert_user(s, f"dev{n}@console.example", "developer")
    insert_user(s, "root@console.example", "admin")
    return sandbox_client(s, max_retries=0)


def test_workspaces_page_create_update_archive(console: anthropic.Anthropic) -> None:
    ws = console.organization.workspaces
    made = [ws.create(name=f"team-{n}", tags={"cost_center": f"CC-{n}"}) for n in range(7)]
    listed = list(ws.list(limit=3))
    assert [w.name for w in listed] == [f"team-{n}" for n in range(7)]  # no Default
    assert ws.list(limit=3).has_more
    assert "Default" in [w.name for w in ws.list(include_default=True, limit=100)]
    renamed = ws.update(made[0].id, name="platform", tags={"owner": "ops"})
    assert renamed.name == "platform" and renamed.tags == {"cost_center": "CC-0", "owner": "ops"}
    archived = ws.archive(made[1].id)
    assert archived.archived_at is not None
    assert made[1].id not in {w.id for w in ws.list()}
    assert made[1].id in {w.id for w in ws.list(include_archived=True)}
    default = next(w for w in ws.list(include_default=True) if w.name == "Default")
    with pytest.raises(anthropic.BadRequestError, match="Default Workspace"):
        ws.archive(default.id)


def test_workspace_members_page_add_update_remove(console: anthropic.Anthropic) -> None:
    ws = console.organization.workspaces.create(name="apps")
    users = list(console.organization.users.list(roles=["developer"]))
    members = console.organization.workspaces.members
    for u in users:
        members.add(ws.id, user_id=u.id, workspace_role="workspace_developer")
    page = members.list(ws.id, limit=1)
    assert page.first_id == users[0].id and page.has_more
    assert len(list(members.list(ws.id, limit=1))) == 4
    updated = members.update(users[0].id, workspace_id=ws.id, workspace_role="workspace_admin")
    assert updated.workspace_role == "workspace_admin"
    assert members.retrieve(users[0].id, workspace_id=ws.id).workspace_role == "workspace_admin"
    gone = members.remove(users[0].id, workspace_id=ws.id)
    assert (gone.type, gone.user_id, gone.workspace_id) == (
        "workspace_member_deleted",
        users[0].id,
        ws.id,
    )
    with pytest.raises(anthropic.BadRequestError, match="already a member"):
        members.add(ws.id, user_id=users[1].id, workspace_role="workspace_user")
    with pytest.raises(anthropic.BadRequestError, match="workspace_billing"):
        members.add(ws.id, user_id=users[0].id, workspace_role="workspace_billing")  # type: ignore[arg-type]


def test_console_roles_and_org_type_gating(console: anthropic.Anthropic) -> None:
    (dev,) = list(console.organization.users.list(email="dev0@console.example"))
    assert console.organization.users.update(dev.id, role="billing").role == "billing"
    with pytest.raises(anthropic.BadRequestError, match="cannot be assigned"):
        console.organization.users.update(dev.id, role="managed")
    (root,) = list(console.organization.users.list(roles=["admin"]))
    with pytest.raises(anthropic.BadRequestError, match="admin"):
        console.organization.users.remove(root.id)
    with pytest.raises(OrganizationTypeNotSupportedError) as err:
        console.organization.rbac_groups.create(name="x")
    assert err.value.error_code == "organization_type_not_supported"


def test_enterprise_has_no_workspaces(client: anthropic.Anthropic) -> None:
    with pytest.raises(OrganizationTypeNotSupportedError):
        client.organization.workspaces.list()


# -- auth and scopes ---------------------------------------------------------------------


def test_wrong_key_is_401_and_scopes_are_403(store: SandboxStore) -> None:
    with pytest.raises(anthropic.AuthenticationError) as bad:
        sandbox_client(store, api_key="sk-ant-admin01-wrong", max_retries=0).organization.retrieve()
    assert bad.value.status_code == 401 and bad.value.type == "authentication_error"
    app = create_app(store, keys={"sk-ant-api01-reader": frozenset({"read:members"})})
    reader = sandbox_client(app, api_key="sk-ant-api01-reader", max_retries=0)
    assert len(list(reader.organization.users.list())) == 19
    with pytest.raises(BetaAPIKeyScopeMissingError) as scope:
        reader.organization.invites.create(email=f"a@{ACME}", role="user")
    assert scope.value.error_code == "api_key_scope_missing"
    assert "write:members" in str(scope.value)
