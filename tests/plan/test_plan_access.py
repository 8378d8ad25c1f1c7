"""One definition of "reduces access", and every removal cap counts all of it.

Issue 16 defect 4: caps counted only ``remove_member``; invite withdrawals, group
removals and group deletions passed uncapped, and pending invites were withdrawn even
under ``unmanaged: report``. Every plan here is evaluated at the scenarios' ``AT``.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
from dataclasses import replace
from types import MappingProxyType

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "golden"))

from scenarios import ACME_TEAMS, AT, CREATED, email, in_sync, live_from, make_policy  # noqa: E402

from reconciler.model import Group, Invite, OrgState, Policy, Safety  # noqa: E402
from reconciler.plan import Plan, build_plan  # noqa: E402
from reconciler.plan.changes import make_change  # noqa: E402
from reconciler.plan.desired import desired_at  # noqa: E402
from reconciler.plan.guards import GuardInput, guard_scim_groups  # noqa: E402
from reconciler.plan.kinds import KINDS, ChangeKind, reduces_access  # noqa: E402


def _plan(policy: Policy, live: OrgState) -> Plan:
    return build_plan(policy, live, at=AT, created_at=CREATED, commit=None)


def _safety(unmanaged: str, max_removals: int = 5) -> Safety:
    return Safety(max_removals, 25.0, 10, 25.0, frozenset({email("dana.owner")}),
                  unmanaged)  # type: ignore[arg-type]


def _with_invites(live: OrgState, n: int) -> OrgState:
    sent = dt.datetime.combine(AT, dt.time(), dt.UTC) - dt.timedelta(days=1)
    invites = {email(f"stray{i}"): Invite(email(f"stray{i}"), "user", "pending", frozenset(),
                                          f"invite_stray{i}", sent,
                                          sent + dt.timedelta(days=21))
               for i in range(n)}
    return replace(live, invites=MappingProxyType(invites))


def _codes(plan: Plan) -> list[str]:
    return [f.code for f in plan.findings_of("error")]


def test_31_invite_withdrawals_are_blocked_by_max_removals_5() -> None:
    policy = make_policy(ACME_TEAMS, safety=_safety("remove"))
    plan = _plan(policy, _with_invites(live_from(policy), 31))
    withdrawn = [c for c in plan.changes if c.kind == "delete_invite"]
    assert len(withdrawn) == 31
    assert "removal_cap" in _codes(plan)
    (cap,) = [f for f in plan.findings_of("error") if f.code == "removal_cap"]
    assert cap.message.startswith("31 removals")


def test_pending_invites_are_reported_not_withdrawn_under_unmanaged_report() -> None:
    policy = make_policy(ACME_TEAMS, safety=_safety("report"))
    plan = _plan(policy, _with_invites(live_from(policy), 3))
    assert [c for c in plan.changes if c.kind == "delete_invite"] == []
    unlisted = [f for f in plan.findings_of("warning") if f.code == "unlisted_invite"]
    assert sorted(f.target for f in unlisted) == [email(f"stray{i}") for i in range(3)]


def test_group_membership_removals_are_capped() -> None:
    # a team file skipped by mistake: its people stay in the org but leave the group
    policy = make_policy(ACME_TEAMS, safety=_safety("report"))
    live = live_from(policy)
    groups = dict(live.groups)
    big = groups["team-backend"]
    others = sorted(set(policy.desired.members) - big.members)[:8]
    groups["team-backend"] = replace(big, members=big.members | frozenset(others))
    plan = _plan(policy, replace(live, groups=MappingProxyType(groups)))
    removals = [c for c in plan.changes if c.kind == "remove_group_member"]
    assert len(removals) == 8
    assert "removal_cap" in _codes(plan)


def test_group_deletions_count_toward_the_cap() -> None:
    policy = make_policy(ACME_TEAMS, safety=_safety("remove", max_removals=2))
    live = live_from(policy)
    groups = dict(live.groups)
    for i in range(3):
        groups[f"old-{i}"] = Group(f"old-{i}", frozenset(), f"rbac_group_old_{i}")
    plan = _plan(policy, replace(live, groups=MappingProxyType(groups)))
    assert len([c for c in plan.changes if c.kind == "delete_group"]) == 3
    assert "removal_cap" in _codes(plan)


@pytest.mark.parametrize(
    ("kind", "before", "after", "data", "reduces"),
    [
        ("remove_member", None, None, {}, True),
        ("remove_group_member", None, None, {}, True),
        ("remove_workspace_member", None, None, {}, True),
        ("delete_group", None, None, {}, True),
        ("delete_invite", None, None, {"replaced": False}, True),
        ("delete_invite", None, None, {"replaced": True}, False),
        ("set_spend_limit", {"amount_cents": 5000}, None, {"amount_cents": 2000}, True),
        ("set_spend_limit", {"amount_cents": 2000}, None, {"amount_cents": 5000}, False),
        ("set_spend_limit", None, None, {"amount_cents": 5000}, True),
        ("delete_spend_limit", None, None, {}, False),
        ("set_group_settings", {"permissions.deny": []}, {"permissions.deny": ["Bash"]}, {},
         True),
        ("set_group_settings", {"permissions.allow": ["Bash", "Read"]},
         {"permissions.allow": ["Read"]}, {}, True),
        ("set_settings_default", {"permissions.allow": ["Read"]},
         {"permissions.allow": ["Bash", "Read"]}, {}, False),
        ("set_group_settings", {"cleanupPeriodDays": 20}, {"cleanupPeriodDays": 30}, {}, False),
        ("set_group_settings", None, {"(document)": "new document"}, {}, False),
        ("invite", None, None, {}, False),
        ("update_role", None, None, {}, False),
    ],
)
def test_the_one_definition_of_reduces_access(kind: str, before: object, after: object,
                                              data: dict[str, object], reduces: bool) -> None:
    change = make_change(kind, "t", before=before, after=after, data=data)
    assert reduces_access(change) is reduces


def test_every_kind_states_whether_it_reduces_access() -> None:
    assert set(KINDS) == {k.value for k in ChangeKind}
    for spec in KINDS.values():
        assert callable(spec.reduces), spec.kind


def test_settings_on_a_scim_group_are_not_a_scim_write() -> None:
    # ADMIN_API.md §17.6: attaching managed settings to an existing SCIM group is allowed;
    # the old guard matched "group" in the kind name and blocked it
    policy, live = in_sync()
    groups = dict(live.groups)
    groups["team-backend"] = replace(groups["team-backend"], source="scim")
    live = replace(live, groups=MappingProxyType(groups))
    settings = make_change("set_group_settings", "claude_code:team-backend",
                           data={"group": "team-backend", "group_id": "rbac_group_team-backend",
                                 "settings": {"cleanupPeriodDays": 30}})
    write = make_change("remove_group_member", f"team-backend/{email('bob.martin')}",
                        data={"group": "team-backend", "email": email("bob.martin")})
    want = desired_at(policy, AT)
    assert guard_scim_groups(GuardInput(policy, live, want, [settings], live)) == []
    found = guard_scim_groups(GuardInput(policy, live, want, [settings, write], live))
    assert [(f.code, f.target) for f in found if f.severity == "error"] == [
        ("scim_write", "team-backend")]
