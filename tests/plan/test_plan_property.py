"""Property (B26): for random desired/live pairs, applying the plan to a model of the
org yields the desired state, and planning again finds nothing left to do."""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
from dataclasses import replace
from types import MappingProxyType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "golden"))

from scenarios import AT, ROLES, make_policy  # noqa: E402

from reconciler.model import (  # noqa: E402
    PROTECTED_ROLES,
    Group,
    Invite,
    Member,
    OrgState,
    Policy,
    Safety,
    SpendLimit,
    SpendLimitKey,
)
from reconciler.plan import accept_invites, apply_to_state, diff  # noqa: E402
from reconciler.plan.desired import desired_at  # noqa: E402

PEOPLE = [f"p{i}@acme.example" for i in range(8)]
EXPIRY = st.sampled_from([None, None, AT - dt.timedelta(days=3), AT, AT + dt.timedelta(days=9)])


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    chosen = draw(st.lists(st.sampled_from(PEOPLE), unique=True, min_size=1, max_size=8))
    teams: dict[str, tuple[str, list[tuple[str, str, dt.date | None]]]] = {"a": ("A-1", []),
                                                                           "b": ("B-1", [])}
    for addr in chosen:
        team = draw(st.sampled_from(["a", "b"]))
        teams[team][1].append((addr, draw(st.sampled_from(sorted(ROLES))), draw(EXPIRY)))
    unmanaged = draw(st.sampled_from(["remove", "report"]))
    return make_policy(teams, seats={"a": 8, "b": 8}, purchased=20,
                       safety=Safety(99, 100.0, 99, 100.0, frozenset(), unmanaged))


@st.composite
def lives(draw: st.DrawFn, policy: Policy) -> OrgState:
    roles = st.sampled_from(["user", "managed", "user", "owner"])
    members = {e: Member(e, draw(roles), id=f"u-{e}")
               for e in draw(st.lists(st.sampled_from(PEOPLE), unique=True, max_size=8))}
    invites = {}
    for e in PEOPLE:
        if e not in members and draw(st.booleans()):
            invites[e] = Invite(e, draw(st.sampled_from(["user", "managed"])),
                                draw(st.sampled_from(["pending", "expired", "accepted"])),
                                id=f"i-{e}")
    names = sorted(policy.desired.groups) + ["stray-1", "stray-2"]
    groups = {}
    for name in draw(st.lists(st.sampled_from(names), unique=True)):
        who = draw(st.lists(st.sampled_from(sorted(members) or ["none"]), unique=True))
        source = draw(st.sampled_from(["direct", "direct", "direct", "scim"]))
        groups[name] = Group(name, frozenset(w for w in who if w in members), f"g-{name}",
                             source)
    limits = {}
    for e in members:
        if draw(st.booleans()):
            key = SpendLimitKey("user", e)
            limits[key] = SpendLimit(key, draw(st.sampled_from([5000, 10000, 1])), id=f"l-{e}")
    return OrgState(policy.org_type, MappingProxyType(members), MappingProxyType(invites),
                    MappingProxyType(groups), MappingProxyType(limits))


@st.composite
def pairs(draw: st.DrawFn) -> tuple[Policy, OrgState]:
    policy = draw(policies())
    return policy, draw(lives(policy))


SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(pairs())
def test_planning_again_after_applying_finds_nothing(pair: tuple[Policy, OrgState]) -> None:
    policy, live = pair
    changes = diff(policy, live, AT)
    after = apply_to_state(live, changes)
    assert diff(policy, after, AT) == []
    assert apply_to_state(after, diff(policy, after, AT)) == after  # applying twice: no-op


@SETTINGS
@given(pairs())
def test_applied_state_is_the_desired_state(pair: tuple[Policy, OrgState]) -> None:
    policy, live = pair
    want = desired_at(policy, AT).state
    after = apply_to_state(live, diff(policy, live, AT))
    pending = {e for e, i in after.invites.items() if i.status == "pending"}
    protected = {e for e, m in live.members.items() if m.role in PROTECTED_ROLES}
    # everyone the policy wants holds a seat (member or invited), in the right role
    assert set(want.members) <= set(after.members) | pending
    for e, m in want.members.items():
        holder = after.members.get(e) or after.invites[e]
        assert holder.role == m.role or e in protected
    # nobody else is left, unless kept by policy (report) or protected
    extra = set(after.members) | pending
    extra -= set(want.members)
    if policy.safety.unmanaged == "remove":
        assert extra <= protected
    # managed, writable groups hold exactly their desired members who are members now
    for name, group in want.groups.items():
        live_group = after.groups[name]
        if live_group.source == "scim":
            continue
        expected = group.members & set(after.members)
        if policy.safety.unmanaged == "report":
            assert live_group.members - group.members <= set()
        assert live_group.members == expected


@SETTINGS
@given(pairs())
def test_after_invites_are_accepted_only_their_spend_limits_remain(
    pair: tuple[Policy, OrgState],
) -> None:
    """Invites the plan sends carry every group, so accepting them needs no group adds;
    per-user limits need a user id and follow. (An older pending invite with the right
    role is kept as it is, so its groups may need adding after acceptance.)"""
    policy, live = pair
    first = diff(policy, live, AT)
    sent = {c.target for c in first if c.kind == "invite"}
    after = accept_invites(apply_to_state(live, first))
    second = diff(policy, after, AT)
    for c in second:
        assert c.kind == "set_spend_limit" or (
            c.kind == "add_group_member" and c.data["email"] not in sent
        ), c
    final = apply_to_state(after, second)
    assert diff(policy, final, AT) == []


@SETTINGS
@given(pairs())
def test_changes_come_in_phase_order_grants_before_revocations(
    pair: tuple[Policy, OrgState],
) -> None:
    policy, live = pair
    changes = diff(policy, live, AT)
    phases = [c.phase for c in changes]
    assert phases == sorted(phases)
    seen_revocation_phase = False
    for c in changes:
        if c.phase >= 4:
            seen_revocation_phase = True
        if seen_revocation_phase:
            assert c.spec.revokes, c


def test_policy_case_never_yields_a_plan_the_model_rejects() -> None:
    # a deterministic corner: everyone expired, live full of strays, all groups SCIM
    policy = make_policy({"a": ("A-1", [(PEOPLE[0], "developer", AT - dt.timedelta(days=1))])},
                         seats={"a": 1}, purchased=5,
                         safety=Safety(99, 100.0, 99, 100.0, frozenset(), "remove"))
    live = OrgState(policy.org_type, MappingProxyType({e: Member(e, "user", id=e)
                                                      for e in PEOPLE[:3]}),
                    groups=MappingProxyType({"team-a": Group("team-a", frozenset(PEOPLE[:3]),
                                                             "g", "scim")}))
    after = apply_to_state(live, diff(policy, live, AT))
    assert after.members == {} and diff(policy, replace(after), AT) == []
