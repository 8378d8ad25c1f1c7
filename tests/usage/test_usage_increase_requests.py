"""Spend-limit increase requests decided by policy: the pure decision, its rules, and the
plan keeping what a rule granted.

Every decision is evaluated at ``AT`` (2026-11-25, the demo day) on the example policy,
whose contractor role (cap $100) auto-approves up to $150 and whose intern role (cap
$50) has no rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from types import MappingProxyType

import pytest
from conftest import EXAMPLE_POLICIES

from reconciler.model import (
    Assignment,
    OrgState,
    OrgType,
    Policy,
    SpendIncreaseRequest,
    SpendLimit,
    SpendLimitKey,
    SpendSummary,
)
from reconciler.plan.spend_limits import granted_within_rule
from reconciler.policy import load_policy
from reconciler.usage.increase_requests import decide_requests, step_cents

AT = dt.date(2026, 11, 25)
ERIN, FARID, ZOE = ("erin.kim@acme.example", "farid.haddad@acme.example",
                    "zoe.unlisted@acme.example")


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(EXAMPLE_POLICIES)


def request(email: str | None, *, limit: int | None = None, spend: float = 0.0,
            period: str = "monthly", status: str = "pending") -> SpendIncreaseRequest:
    summary = SpendSummary(limit, spend, "USD", "user") if limit is not None else None
    return SpendIncreaseRequest(
        id=f"slir_{(email or 'gone').split('@')[0]}", user_id="user_x", email=email,
        name=None, period=period, status=status,  # type: ignore[arg-type]
        created_at=dt.datetime(2026, 11, 24, 9, tzinfo=dt.UTC), summary=summary)


def one(policy: Policy, req: SpendIncreaseRequest, **kw: object):
    (decision,) = decide_requests(policy, [req], at=AT, **kw).decisions  # type: ignore[arg-type]
    return decision


def test_within_the_rule_is_approved_at_the_ceiling(policy: Policy) -> None:
    d = one(policy, request(ERIN, limit=10000, spend=9950.5))
    assert (d.decision, d.amount_cents, d.cap_cents, d.current_cents) == ("approve", 15000,
                                                                           10000, 10000)
    assert (d.team, d.role, d.spend_cents) == ("platform", "contractor", 9950)
    assert "policies/roles.yaml:39" in d.reason and d.edit is None


def test_at_the_ceiling_proposes_raising_it(policy: Policy) -> None:
    d = one(policy, request(ERIN, limit=15000))
    assert d.decision == "propose"
    assert d.amount_cents == 15000 + step_cents(10000) == 20000
    assert d.edit is not None and d.edit.endswith(
        "policies/roles.yaml:39: raise roles.contractor.spend_increases.auto_approve_up_to to 200")


def test_no_rule_proposes_adding_one(policy: Policy) -> None:
    d = one(policy, request(FARID, limit=5000))
    assert (d.decision, d.amount_cents) == ("propose", 7500)
    assert d.edit is not None and "policies/roles.yaml:21" in d.edit
    assert "spend_increases: {auto_approve_up_to: 75}" in d.edit


def test_a_role_without_a_cap_proposes_one(policy: Policy) -> None:
    d = one(policy, request("alice.nguyen@acme.example", limit=20000))
    assert (d.decision, d.amount_cents, d.cap_cents) == ("propose", None, None)
    assert "no monthly_spend_cap" in d.reason


@pytest.mark.parametrize(("req", "why"), [
    (request(ZOE), "not in the policy"),
    (request(None), "no longer a member"),
    (request(ERIN, limit=10000, period="daily"), "monthly caps only"),
])
def test_what_the_policy_does_not_manage_is_skipped(policy: Policy, req, why: str) -> None:
    d = one(policy, req)
    assert d.decision == "skip" and why in d.reason and d.amount_cents is None


def test_an_expired_assignment_is_skipped(policy: Policy) -> None:
    a = policy.assignments[ERIN]
    expired = dataclasses.replace(policy, assignments=MappingProxyType(
        {**policy.assignments, ERIN: Assignment(a.email, a.team, a.role,
                                                AT - dt.timedelta(days=1), a.source)}))
    d = one(expired, request(ERIN, limit=10000))
    assert d.decision == "skip" and "expired on 2026-11-24" in d.reason


def test_resolved_requests_are_left_out(policy: Policy) -> None:
    report = decide_requests(policy, [request(ERIN, status="approved"), request(ZOE)], at=AT)
    assert [d.request.email for d in report.decisions] == [ZOE]


def test_limit_and_spend_fall_back_to_live_state_and_the_store(policy: Policy) -> None:
    key = SpendLimitKey("user", ERIN, "monthly")
    live = OrgState(org_type=OrgType.ENTERPRISE, members=MappingProxyType({}),
                    spend_limits=MappingProxyType({key: SpendLimit(key, 12000)}))
    d = one(policy, request(ERIN), live=live, spend={ERIN: 11999})
    assert (d.current_cents, d.spend_cents, d.decision) == (12000, 11999, "approve")
    unknown = one(policy, request(ERIN))
    assert (unknown.current_cents, unknown.spend_cents) == (None, None)
    assert unknown.decision == "approve"  # an unknown limit is still the rule's to grant
    zero = one(policy, request(ERIN, limit=10000, spend=0.0))
    assert zero.spend_cents is None  # the API reads "0" when spend is unavailable


def test_the_plan_keeps_a_limit_granted_within_the_rule(policy: Policy) -> None:
    key = SpendLimitKey("user", ERIN, "monthly")
    want = SpendLimit(key, 10000)
    assert granted_within_rule(policy, ERIN, SpendLimit(key, 15000), want)
    assert not granted_within_rule(policy, ERIN, SpendLimit(key, 15001), want)
    assert not granted_within_rule(policy, ERIN, SpendLimit(key, 9000), want)
    farid = SpendLimitKey("user", FARID, "monthly")
    assert not granted_within_rule(policy, FARID, SpendLimit(farid, 7500),
                                   SpendLimit(farid, 5000))


def test_step_is_half_the_cap_in_whole_dollars_at_least_ten() -> None:
    assert [step_cents(c) for c in (5000, 1000, 10101, 0)] == [2500, 1000, 5100, 1000]


def test_a_console_org_is_refused_before_any_request(policy: Policy) -> None:
    from reconciler.errors import ConfigError
    from reconciler.providers.base import Capabilities
    from reconciler.usage.increase_run import read_and_decide

    class Console:
        capabilities = Capabilities(rbac_groups=False, workspaces=True, spend_limits=False,
                                    analytics=False)

        def list_increase_requests(self, status: str | None = "pending") -> list[object]:
            raise AssertionError("no request may be sent")

    console = dataclasses.replace(policy, org_type=OrgType.CONSOLE)
    with pytest.raises(ConfigError, match="Claude Enterprise only"):
        read_and_decide(console, Console(), at=AT, db="/nonexistent")  # type: ignore[arg-type]


def test_a_failed_approval_stops_the_rest_and_is_audited(policy: Policy,
                                                         tmp_path: pathlib.Path) -> None:
    from reconciler.apply.audit import AuditLog
    from reconciler.errors import ApiRejectedError
    from reconciler.providers.base import WriteResult
    from reconciler.usage.increase_run import RequestsRun, apply_approvals

    sent: list[str] = []

    class Refusing:
        def approve_increase_request(self, request_id: str, amount_cents: int,
                                     period: str) -> WriteResult:
            sent.append(request_id)
            raise ApiRejectedError("The requesting member is no longer in the organization.")

    second = dataclasses.replace(request(ERIN, limit=10000), id="slir_second")
    report = decide_requests(policy, [request(ERIN, limit=10000), second, request(ZOE)], at=AT)
    log = AuditLog(tmp_path / "audit.jsonl")
    done = apply_approvals(RequestsRun(report, 1), Refusing(), log)  # type: ignore[arg-type]
    assert sent == ["slir_erin.kim"]
    assert done.applied is not None
    assert [(a.decision.request.id, a.outcome) for a in done.applied] == [
        ("slir_erin.kim", "failed"), ("slir_second", "not sent")]
    records = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(records) == 2 and '"outcome":"failed"' in records[1]
