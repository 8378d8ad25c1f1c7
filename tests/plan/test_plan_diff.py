"""diff: one test per change kind, plus the things it must never plan."""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
from dataclasses import replace
from types import MappingProxyType

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "golden"))

from scenarios import (  # noqa: E402
    ACME_TEAMS,
    AT,
    acme_demo,
    console_workspaces,
    email,
    expiry_and_removals,
    in_sync,
    live_from,
    make_policy,
)

from reconciler.model import Group, Invite, Member, OrgState, Safety, SpendLimitKey  # noqa: E402
from reconciler.plan import apply_to_state, diff  # noqa: E402
from reconciler.plan.changes import Change  # noqa: E402


def _kinds(changes: list[Change]) -> list[tuple[str, str]]:
    return [(c.kind, c.target) for c in changes]


def _swap(state: OrgState, **parts: object) -> OrgState:
    return replace(state, **{k: MappingProxyType(v) for k, v in parts.items()})  # type: ignore[arg-type]


def test_in_sync_org_has_no_changes() -> None:
    policy, live = in_sync()
    assert diff(policy, live, AT) == []


def test_demo_org_plans_exactly_its_seeded_drift_with_reasons() -> None:
    policy, live = acme_demo()
    changes = diff(policy, live, AT)
    assert _kinds(changes) == [
        ("invite", email("kate.silva")),
        ("invite", email("sam.obi")),
        ("update_role", email("quinn.taylor")),
    ]
    kate, sam, quinn = changes
    assert "invite expired on 2026-10-22" in kate.reason
    assert kate.reason.endswith("teams/frontend.yaml:20 (frontend, intern)")
    assert sam.data["group_ids"] == ("rbac_group_claude-interns", "rbac_group_team-backend")
    assert (quinn.before, quinn.after) == ("user", "managed")
    assert "teams/backend.yaml:23" in quinn.reason


def test_missing_member_is_invited_with_role_and_groups() -> None:
    policy, live = in_sync()
    members = dict(live.members)
    del members[email("bob.martin")]
    groups = {n: replace(g, members=g.members - {email("bob.martin")})
              for n, g in live.groups.items()}
    (change,) = diff(policy, _swap(live, members=members, groups=groups), AT)
    assert change.kind == "invite"
    assert change.data["role"] == "user"
    assert change.data["groups"] == ("claude-developers", "team-platform")
    assert change.reason == "in policy: teams/platform.yaml:14 (platform, developer)"


def test_invite_carries_group_created_in_the_same_plan_by_name() -> None:
    policy, live = in_sync()
    members = dict(live.members)
    del members[email("sam.obi")]
    groups = {n: replace(g, members=g.members - {email("sam.obi")})
              for n, g in live.groups.items() if n != "claude-interns"}
    changes = diff(policy, _swap(live, members=members, groups=groups), AT)
    invite = next(c for c in changes if c.kind == "invite")
    assert changes[0].kind == "create_group" and changes[0].target == "claude-interns"
    assert "claude-interns" in invite.data["groups"]
    assert "rbac_group_claude-interns" not in invite.data["group_ids"]


def test_pending_invite_with_the_right_role_is_left_alone() -> None:
    policy, live = in_sync()
    members = dict(live.members)
    del members[email("sam.obi")]
    invites = {email("sam.obi"): Invite(email("sam.obi"), "user", "pending", id="inv1")}
    groups = {n: replace(g, members=g.members - {email("sam.obi")})
              for n, g in live.groups.items()}
    limits = {k: v for k, v in live.spend_limits.items() if k.key != email("sam.obi")}
    assert diff(policy, _swap(live, members=members, invites=invites, groups=groups,
                              spend_limits=limits), AT) == []


def test_wrong_role_invite_is_deleted_then_reinvited() -> None:
    policy, live = expiry_and_removals()
    changes = diff(policy, live, AT)
    sam = [c for c in changes if c.target == email("sam.obi")]
    assert [(c.kind, c.phase) for c in sam] == [("delete_invite", 1), ("invite", 1)]
    assert sam[0].data["invite_id"] == "invite_sam"


def test_stray_pending_invite_is_withdrawn_last() -> None:
    policy, live = expiry_and_removals()
    ghost = next(c for c in diff(policy, live, AT) if c.target == email("ghost"))
    assert (ghost.kind, ghost.phase, ghost.reason) == ("delete_invite", 5, "not in policy")


def test_role_update_is_planned_for_a_regular_member() -> None:
    policy, live = in_sync()
    members = dict(live.members)
    members[email("bob.martin")] = replace(members[email("bob.martin")], role="managed")
    (change,) = diff(policy, _swap(live, members=members), AT)
    assert (change.kind, change.before, change.after) == ("update_role", "managed", "user")
    assert change.data["user_id"] == "user_bob_martin"


def test_no_role_update_for_live_protected_roles() -> None:
    policy, live = in_sync()
    for role in ("primary_owner", "owner", "membership_admin", "admin"):
        members = dict(live.members)
        members[email("alice.nguyen")] = replace(members[email("alice.nguyen")], role=role)
        assert diff(policy, _swap(live, members=members), AT) == [], role


def test_expired_member_is_removed_the_day_after_expiry_with_reason() -> None:
    policy, live = in_sync()
    on_day = diff(policy, live, dt.date(2027, 1, 31))
    assert email("jack.brown") not in {c.target for c in on_day}
    after = diff(policy, live, dt.date(2027, 2, 1))
    (removal,) = [c for c in after if c.target == email("jack.brown")]
    assert removal.kind == "remove_member"
    assert removal.reason == "expired on 2027-01-31 (teams/frontend.yaml:17)"
    assert not [c for c in after if c.kind == "remove_group_member"]


def test_unlisted_member_is_not_removed_by_default() -> None:
    policy, live = acme_demo()
    assert email("zoe.unlisted") not in {c.target for c in diff(policy, live, AT)}


def test_unlisted_member_is_removed_with_unmanaged_remove() -> None:
    policy, live = expiry_and_removals()
    zed = next(c for c in diff(policy, live, AT) if c.target == email("zed.extra"))
    assert (zed.kind, zed.reason, zed.data["user_id"]) == ("remove_member", "not in policy",
                                                          "user_zed_extra")


def test_unlisted_owner_is_never_removed_even_with_unmanaged_remove() -> None:
    policy, live = expiry_and_removals()
    members = dict(live.members)
    members[email("root")] = Member(email("root"), "primary_owner", id="user_root")
    assert email("root") not in {c.target for c in diff(policy, _swap(live, members=members),
                                                        AT)}


def test_group_is_created_and_live_members_added() -> None:
    policy, live = in_sync()
    groups = dict(live.groups)
    del groups["team-frontend"]
    changes = diff(policy, _swap(live, groups=groups), AT)
    assert changes[0].kind == "create_group" and changes[0].target == "team-frontend"
    adds = [c for c in changes if c.kind == "add_group_member"]
    assert len(adds) == 5 and all(c.data["group_id"] is None for c in adds)
    assert changes[0].reason == "team frontend: teams/frontend.yaml:1"


def test_group_member_added_and_removed() -> None:
    policy, live = in_sync()
    groups = dict(live.groups)
    g = groups["team-backend"]
    groups["team-backend"] = replace(g, members=(g.members - {email("noah.smith")})
                                     | {email("bob.martin")})
    changes = diff(policy, _swap(live, groups=groups), AT)
    assert _kinds(changes) == [
        ("add_group_member", f"team-backend/{email('noah.smith')}"),
        ("remove_group_member", f"team-backend/{email('bob.martin')}"),
    ]


def test_scim_group_is_never_written() -> None:
    policy, live = in_sync()
    groups = dict(live.groups)
    groups["team-backend"] = Group("team-backend", frozenset(), "rbac_group_scim", "scim")
    changes = diff(policy, _swap(live, groups=groups), AT)
    assert not [c for c in changes if "team-backend" in c.target]


def test_unlisted_group_deleted_only_with_unmanaged_remove() -> None:
    policy, live = in_sync()
    groups = dict(live.groups)
    groups["old"] = Group("old", frozenset(), "rbac_group_old")
    assert diff(policy, _swap(live, groups=groups), AT) == []
    remove = replace(policy, safety=replace(policy.safety, unmanaged="remove"))
    (change,) = diff(remove, _swap(live, groups=groups), AT)
    assert (change.kind, change.target, change.phase) == ("delete_group", "old", 6)


def test_spend_limit_set_when_missing_or_different_and_deleted_when_unwanted() -> None:
    policy, live = in_sync()
    limits = dict(live.spend_limits)
    erin = SpendLimitKey("user", email("erin.kim"))
    limits[erin] = replace(limits[erin], amount_cents=1)
    del limits[SpendLimitKey("user", email("kate.silva"))]
    bob = SpendLimitKey("user", email("bob.martin"))
    limits[bob] = replace(limits[erin], scope=bob, id="limit_bob")
    changes = diff(policy, _swap(live, spend_limits=limits), AT)
    assert _kinds(changes) == [
        ("set_spend_limit", f"user:{email('erin.kim')}/monthly"),
        ("set_spend_limit", f"user:{email('kate.silva')}/monthly"),
        ("delete_spend_limit", f"user:{email('bob.martin')}/monthly"),
    ]
    assert changes[0].data["target_id"] == "user_erin_kim"
    assert changes[0].data["spend_limit_id"] == "limit_" + email("erin.kim")
    assert changes[2].data["spend_limit_id"] == "limit_bob"


def test_no_spend_limit_for_someone_only_invited() -> None:
    policy, live = acme_demo()
    assert not [c for c in diff(policy, live, AT) if c.kind == "set_spend_limit"]


def test_console_workspace_members_added_re_roled_and_removed() -> None:
    policy, live = console_workspaces()
    changes = diff(policy, live, AT)
    assert [(c.kind, c.before, c.after) for c in changes] == [
        ("add_workspace_member", None, "workspace_developer"),
        ("update_workspace_member", "workspace_user", "workspace_developer"),
        ("remove_workspace_member", "workspace_developer", None),
    ]
    assert all(c.data["workspace_id"] == "wrkspc_claude_code" for c in changes)


def test_email_case_in_policy_matches_live_lowercase() -> None:
    teams = {"core": ("C-1", [("Ann.Lee@ACME.example".lower(), "developer", None)])}
    policy = make_policy(teams, seats={"core": 1})
    assert diff(policy, live_from(policy), AT) == []


def test_plan_applied_to_the_model_converges() -> None:
    for build in (acme_demo, expiry_and_removals, console_workspaces):
        policy, live = build()
        after = apply_to_state(live, diff(policy, live, AT))
        assert diff(policy, after, AT) == [], build.__name__


def test_unmanaged_report_leaves_unlisted_members_groups_but_cleans_managed_groups() -> None:
    policy = make_policy(ACME_TEAMS, safety=Safety(unmanaged="report"))
    live = live_from(policy)
    members = dict(live.members)
    members[email("x")] = Member(email("x"), "user", id="user_x")
    groups = dict(live.groups)
    groups["team-backend"] = replace(groups["team-backend"],
                                     members=groups["team-backend"].members | {email("x")})
    changes = diff(policy, _swap(live, members=members, groups=groups), AT)
    assert _kinds(changes) == [("remove_group_member", f"team-backend/{email('x')}")]
