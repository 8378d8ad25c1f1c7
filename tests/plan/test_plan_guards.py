"""Guards, table-driven: each returns findings a reviewer (and CI) can act on."""

from __future__ import annotations

import pathlib
import sys
from dataclasses import replace
from types import MappingProxyType

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "golden"))

from scenarios import (  # noqa: E402
    ACME_TEAMS,
    AT,
    CREATED,
    acme_demo,
    email,
    in_sync,
    live_from,
    make_policy,
)

from reconciler.model import Group, Member, OrgState, Policy, Safety  # noqa: E402
from reconciler.plan import Overrides, Plan, build_plan  # noqa: E402


def _plan(policy: Policy, live: OrgState, **kw: object) -> Plan:
    return build_plan(policy, live, at=AT, created_at=CREATED, commit=None, **kw)  # type: ignore[arg-type]


def _codes(plan: Plan, severity: str) -> list[str]:
    return [f.code for f in plan.findings_of(severity)]


def _unlisted(live: OrgState, n: int) -> OrgState:
    members = dict(live.members)
    for i in range(n):
        members[email(f"extra{i}")] = Member(email(f"extra{i}"), "user", id=f"user_extra{i}")
    return replace(live, members=MappingProxyType(members))


def _remove_policy(**safety: object) -> Policy:
    base = Safety(5, 25.0, 10, 25.0, frozenset({email("dana.owner")}), "remove")
    return make_policy(ACME_TEAMS, safety=replace(base, **safety))  # type: ignore[arg-type]


def test_incomplete_live_read_is_an_error_and_plans_nothing() -> None:
    policy, live = in_sync()
    plan = _plan(policy, replace(live, members=MappingProxyType({}), complete=False))
    assert plan.blocked and "live_read_incomplete" in _codes(plan, "error")
    assert plan.changes == () and plan.live_fingerprint == ""


def test_empty_live_org_is_refused_not_planned_as_invite_everyone() -> None:
    policy, live = in_sync()
    plan = _plan(policy, replace(live, members=MappingProxyType({})))
    assert "live_org_empty" in _codes(plan, "error")


def test_empty_policy_is_refused() -> None:
    policy, live = in_sync()
    empty = replace(policy, desired=replace(policy.desired, members=MappingProxyType({})))
    assert "desired_empty" in _codes(_plan(empty, live), "error")


@pytest.mark.parametrize(
    ("extra", "max_count", "max_pct", "blocked"),
    [
        (5, 5, 25.0, False),   # 5 of 25 = 20%: within both
        (6, 5, 50.0, True),    # count over
        (3, 10, 10.0, True),   # 3 of 23 = 13% > 10%: percent over
    ],
    ids=["within caps", "count over cap", "percent over cap"],
)
def test_removal_cap_count_and_percent(extra: int, max_count: int, max_pct: float,
                                       blocked: bool) -> None:
    policy = _remove_policy(max_removals=max_count, max_removals_pct=max_pct)
    plan = _plan(policy, _unlisted(live_from(policy), extra))
    assert ("removal_cap" in _codes(plan, "error")) is blocked


def test_small_org_gets_no_exemption_remove_2_of_3_refused() -> None:
    teams = {"core": ("C-1", [("ann", "developer", None)])}
    policy = make_policy(teams, seats={"core": 1}, purchased=3,
                         safety=Safety(10, 25.0, 10, 25.0, frozenset(), "remove"))
    plan = _plan(policy, _unlisted(live_from(policy), 2))
    (finding,) = plan.findings_of("error")
    assert finding.code == "removal_cap"
    assert finding.message == "2 removals (67% of 3 members) exceed the limit of 10 and 25%"


def test_removal_override_needs_an_approver_and_is_recorded() -> None:
    policy = _remove_policy(max_removals=1)
    live = _unlisted(live_from(policy), 3)
    no_approver = _plan(policy, live, overrides=Overrides(allow_large_removal=True))
    assert "--approver" in no_approver.findings_of("error")[0].hint
    approved = _plan(policy, live, overrides=Overrides(True, False, "cto@acme.example"))
    assert not approved.blocked
    assert "approved by cto@acme.example" in approved.findings_of("warning")[0].message
    assert approved.to_dict()["overrides"]["approver"] == "cto@acme.example"


def test_role_change_cap() -> None:
    policy = make_policy(ACME_TEAMS, safety=Safety(5, 25.0, 2, 25.0, frozenset(), "report"))
    live = live_from(policy)
    members = {e: replace(m, role="managed") if m.role == "user" and i < 3 else m
               for i, (e, m) in enumerate(sorted(live.members.items()))}
    plan = _plan(policy, replace(live, members=MappingProxyType(members)))
    assert "role_change_cap" in _codes(plan, "error")


def test_protected_member_is_never_removed_even_when_policy_lets_them_expire() -> None:
    import datetime as dt

    center, rows = ACME_TEAMS["platform"]
    rows = [(r[0], r[1], dt.date(2026, 1, 1) if r[0] == "dana.owner" else r[2]) for r in rows]
    policy = make_policy({**ACME_TEAMS, "platform": (center, rows)})
    plan = _plan(policy, live_from(policy),
                 overrides=Overrides(True, True, "someone"))
    (finding,) = plan.findings_of("error")
    assert finding.code == "protected_member" and finding.target == email("dana.owner")
    assert "would be removed" in finding.message


def test_protected_member_is_never_demoted() -> None:
    policy, live = in_sync()
    members = dict(live.members)
    members[email("dana.owner")] = replace(members[email("dana.owner")], role="managed")
    plan = _plan(policy, replace(live, members=MappingProxyType(members)))
    assert "protected_member" in _codes(plan, "error")


def test_live_owner_role_is_reported_as_info_not_changed() -> None:
    policy, live = acme_demo()
    plan = _plan(policy, live)
    assert "protected_role_kept" in _codes(plan, "info")
    assert email("dana.owner") not in {c.target for c in plan.changes}


def test_scim_group_drift_is_reported_not_written() -> None:
    policy, live = in_sync()
    groups = dict(live.groups)
    groups["team-backend"] = Group("team-backend", frozenset({email("bob.martin")}), "g", "scim")
    plan = _plan(policy, replace(live, groups=MappingProxyType(groups)))
    (finding,) = plan.findings_of("warning")
    assert finding.code == "scim_group_drift"
    assert finding.message == ("SCIM group team-backend differs from the policy: 8 missing, "
                               "1 extra")


def test_unlisted_member_is_reported_with_a_hint() -> None:
    policy, live = acme_demo()
    (finding,) = _plan(policy, live).findings_of("warning")
    assert (finding.code, finding.target) == ("unlisted_member", email("zoe.unlisted"))
    assert "unmanaged: remove" in finding.hint


def test_unlisted_direct_group_is_reported() -> None:
    policy, live = in_sync()
    groups = {**live.groups, "old": Group("old", frozenset(), "rbac_group_old")}
    plan = _plan(policy, replace(live, groups=MappingProxyType(groups)))
    assert _codes(plan, "warning") == ["unlisted_group"]


def test_desired_seats_above_purchased_is_an_error() -> None:
    policy = make_policy(ACME_TEAMS, purchased=19)
    plan = _plan(policy, live_from(policy))
    assert plan.findings_of("error")[0].message == "the plan needs 20 seats; 19 are purchased"


def test_team_over_allocation_needs_overflow_allowed() -> None:
    policy = make_policy(ACME_TEAMS, seats={"platform": 6, "frontend": 6, "backend": 10},
                         overflow_allowed=False)
    plan = _plan(policy, live_from(policy), approve_overflow=True)
    (finding,) = plan.findings_of("error")
    assert (finding.code, finding.target) == ("allocation_exceeded", "platform")


def test_team_over_allocation_needs_approval_when_allowed() -> None:
    policy = make_policy(ACME_TEAMS, seats={"platform": 6, "frontend": 6, "backend": 10})
    unapproved = _plan(policy, live_from(policy))
    assert _codes(unapproved, "error") == ["overflow_unapproved"]
    assert "--approve-overflow" in unapproved.findings_of("error")[0].hint
    approved = _plan(policy, live_from(policy), approve_overflow=True)
    assert not approved.blocked and "overflow_approved" in _codes(approved, "info")


def test_dynamic_allocation_as_of_date_is_used() -> None:
    policy = make_policy(ACME_TEAMS, seats={"platform": 6, "frontend": 6, "backend": 10})
    plan = _plan(policy, live_from(policy), allocations={"platform": 16})
    assert not plan.blocked
    assert next(t for t in plan.summary.teams if t.name == "platform").allocated == 16


@pytest.mark.parametrize(
    ("purchased", "code", "severity", "hint"),
    [
        (21, "buffer_low", "warning", "2 more seats (standard) would cost $60.00/month"),
        (40, "buffer_high", "info", "14 idle seats above the band cost $420.00/month"),
    ],
    ids=["below band", "above band"],
)
def test_free_seat_buffer_outside_band_reports_its_monthly_cost(
    purchased: int, code: str, severity: str, hint: str
) -> None:
    policy = make_policy(ACME_TEAMS, purchased=purchased)
    plan = _plan(policy, live_from(policy))
    (finding,) = [f for f in plan.findings if f.code.startswith("buffer")]
    assert (finding.code, finding.severity, finding.hint) == (code, severity, hint)


def test_buffer_inside_band_is_silent() -> None:
    policy = make_policy(ACME_TEAMS, purchased=23)  # 3 free of 23 = 13%
    assert not [f for f in _plan(policy, live_from(policy)).findings
                if f.code.startswith("buffer")]


def test_invite_outside_allowed_domains_is_an_error() -> None:
    teams = {"core": ("C-1", [("ann@evil.example", "developer", None),
                              ("bob", "developer", None)])}
    policy = make_policy(teams, seats={"core": 2}, purchased=2)
    live = live_from(policy)
    members = {e: m for e, m in live.members.items() if not e.endswith("evil.example")}
    plan = _plan(policy, replace(live, members=MappingProxyType(members)))
    assert "domain_not_allowed" in _codes(plan, "error")


def test_role_the_api_cannot_assign_is_an_error() -> None:
    policy, live = in_sync()
    desired = dict(policy.desired.members)
    desired[email("bob.martin")] = replace(desired[email("bob.martin")], role="developer")
    policy = replace(policy, desired=replace(policy.desired, members=MappingProxyType(desired)))
    plan = _plan(policy, live)
    assert "role_not_assignable" in _codes(plan, "error")


def test_missing_workspace_is_an_error() -> None:
    import scenarios

    policy, live = scenarios.console_workspaces()
    plan = _plan(policy, replace(live, workspaces=MappingProxyType({})))
    assert "workspace_missing" in _codes(plan, "error")


def test_a_planned_write_to_a_scim_group_is_refused() -> None:
    from reconciler.plan.changes import make_change
    from reconciler.plan.desired import desired_at
    from reconciler.plan.guards import GuardInput, guard_scim_groups

    policy, live = in_sync()
    groups = dict(live.groups)
    groups["team-backend"] = replace(groups["team-backend"], source="scim")
    live = replace(live, groups=MappingProxyType(groups))
    bad = make_change("add_group_member", f"team-backend/{email('bob.martin')}",
                      data={"group": "team-backend", "email": email("bob.martin")})
    found = guard_scim_groups(GuardInput(policy, live, desired_at(policy, AT), [bad], live))
    assert [f.code for f in found if f.severity == "error"] == ["scim_write"]
