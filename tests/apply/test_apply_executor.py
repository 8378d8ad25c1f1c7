"""apply_plan against the sandbox through the official SDK: converge, refuse, survive faults.

Each test seeds a generated org in-process (no socket) and plans with a policy that
differs from it in known ways; faults that need a real socket live in
``test_apply_faults_server.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import pathlib
import shutil
import tempfile

import pytest
from apply_fixtures import (
    Hook,
    generated_org,
    generated_policy,
    make_plan,
    run_apply,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply import audit as audit_mod
from reconciler.apply.audit import AuditLog
from reconciler.apply.executor import ApplyIncomplete, apply_plan, steps_of
from reconciler.apply.limiter import RateLimiter, RateLimits
from reconciler.apply.lock import acquire, lock_path
from reconciler.errors import AuditError, LockError, PlanError
from reconciler.model import Safety
from reconciler.sandbox.demo import generated_email


def outcome_records(path: pathlib.Path) -> list[dict]:
    return [r for r in audit_mod.iter_records(path) if r["kind"] == "outcome"]


def test_plan_apply_plan_converges_with_one_request_per_change(tmp_path: pathlib.Path) -> None:
    org = generated_org(60, 6, drift_pct=10)
    policy = generated_policy(60, 6, extra=12, move=[1, 2, 3])
    plan = make_plan(policy, org)
    kinds = {c.kind for c in plan.changes}
    assert kinds == {"invite", "update_role", "add_group_member", "remove_group_member"}
    org.store.reset_stats()
    report = run_apply(plan, policy, org, tmp_path)
    assert report.complete and report.done == len(plan.changes)
    assert report.write_requests == len(plan.changes)  # invites carry their groups
    assert org.writes() == len(plan.changes)
    again = make_plan(policy, org)
    assert again.changes == ()
    assert all(n == 1 for n in org.pending_invites().values())


def test_converged_org_gets_zero_writes(tmp_path: pathlib.Path) -> None:
    org = generated_org(30, 3)
    policy = generated_policy(30, 3)
    plan = make_plan(policy, org)
    assert plan.changes == ()
    org.store.reset_stats()
    report = run_apply(plan, policy, org, tmp_path)
    assert report.complete and report.outcomes == ()
    assert org.writes() == 0


def test_audit_has_intent_before_every_outcome_and_matches_server_writes(
    tmp_path: pathlib.Path,
) -> None:
    org = generated_org(40, 4, drift_pct=10)
    policy = generated_policy(40, 4, extra=5, move=[7])
    plan = make_plan(policy, org)
    org.store.reset_stats()
    run_apply(plan, policy, org, tmp_path)
    log = tmp_path / "audit.jsonl"
    assert audit_mod.verify(log).ok
    records = list(audit_mod.iter_records(log))
    outcomes = [r for r in records if r["kind"] == "outcome"]
    assert len(outcomes) == org.writes() == len(plan.changes)
    intents_seen: set[str] = set()
    for r in records:
        key = json.dumps(r.get("change"), sort_keys=True)
        if r["kind"] == "intent":
            intents_seen.add(key)
        elif r["kind"] == "outcome":
            assert key in intents_seen, "outcome without an earlier intent"
            assert r["outcome"] == "done" and r["request_id"]
        if r["kind"] in ("intent", "outcome"):
            assert r["policy_commit"] == policy.commit and r["run_id"] == "run-1"
            assert r["actor"] == "tester" and r["plan_hash"] == plan.checksum
    events = [r["event"] for r in records if r["kind"] == "event"]
    assert events == ["apply_start", "apply_end"]


def test_steps_keep_phase_order_and_group_by_kind(tmp_path: pathlib.Path) -> None:
    org = generated_org(30, 3, drift_pct=10)
    plan = make_plan(generated_policy(30, 3, extra=3, move=[4]), org)
    steps = steps_of(plan.changes)
    flat = [c for s in steps for c in s]
    assert flat == list(plan.changes)
    assert all(len({(c.phase, c.spec.rank) for c in s}) == 1 for s in steps)
    phases = [s[0].phase for s in steps]
    assert phases == sorted(phases)


def test_stale_plan_is_refused_naming_what_moved(tmp_path: pathlib.Path) -> None:
    org = generated_org(20, 2)
    policy = generated_policy(20, 2, extra=2)
    plan = make_plan(policy, org)
    # someone invites a new person by hand after the plan was made
    org.provider.invite(generated_email(20), "user", frozenset())
    org.store.reset_stats()
    with pytest.raises(PlanError) as err:
        run_apply(plan, policy, org, tmp_path)
    text = str(err.value)
    assert "plan is stale (live fingerprint changed" in text
    assert f"no longer needed: invite {generated_email(20)}" in text
    assert "seatctl plan" in text
    assert org.writes() == 0
    assert not (tmp_path / "audit.jsonl").exists()


@pytest.mark.parametrize(
    "mutate, message",
    [
        pytest.param(lambda p, pol: dataclasses.replace(p, live_fingerprint=""),
                     "no live fingerprint", id="empty-fingerprint"),
        pytest.param(lambda p, pol: p, "plan was made from policy commit", id="other-commit"),
        pytest.param(lambda p, pol: dataclasses.replace(
            p, created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=30)),
            "hours old; the limit is 24", id="too-old"),
    ],
)
def test_refusals_before_any_write(tmp_path: pathlib.Path, mutate, message) -> None:
    org = generated_org(20, 2)
    policy = generated_policy(20, 2, extra=2)
    plan = mutate(make_plan(policy, org), policy)
    if "commit" in message:
        policy = dataclasses.replace(policy, commit="f" * 40)
    org.store.reset_stats()
    with pytest.raises(PlanError, match=message):
        run_apply(plan, policy, org, tmp_path)
    assert org.writes() == 0


def test_policy_edited_after_planning_is_refused(tmp_path: pathlib.Path) -> None:
    org = generated_org(20, 2)
    plan = make_plan(generated_policy(20, 2, extra=2), org)
    edited = generated_policy(20, 2, extra=3)  # same commit, different desired state
    with pytest.raises(PlanError, match="policy files changed since the plan was made"):
        run_apply(plan, edited, org, tmp_path)
    assert org.writes() == 0


def test_blocked_plan_is_refused(tmp_path: pathlib.Path) -> None:
    org = generated_org(20, 2)
    strict = Safety(max_removals=1, max_removals_pct=5.0, max_role_changes=1,
                    max_role_changes_pct=5.0)
    policy = generated_policy(20, 2, managed=range(10), safety=strict)
    plan = make_plan(policy, org)
    assert plan.blocked
    with pytest.raises(PlanError, match="plan is blocked by .* failed guard"):
        run_apply(plan, policy, org, tmp_path)
    assert org.writes() == 0


def test_apply_without_a_held_lock_is_refused(tmp_path: pathlib.Path) -> None:
    org = generated_org(10, 1)
    policy = generated_policy(10, 1, extra=1)
    plan = make_plan(policy, org)
    held = acquire(lock_path("x", tmp_path), org="x", owner="t", run_id="1")
    held.release()
    with pytest.raises(LockError, match="needs the organization lock"):
        apply_plan(plan, org.provider, policy=policy, audit=AuditLog(tmp_path / "a.jsonl"),
                   limiter=RateLimiter(RateLimits(None, None)), lock=held)
    assert org.writes() == 0


def test_failed_add_stops_new_changes_and_never_starts_removals(tmp_path: pathlib.Path) -> None:
    # 20 seats, 20 members: every invite fails for lack of a seat; moves need removals.
    org = generated_org(20, 2, seats=[("standard", 20)])
    policy = generated_policy(20, 2, extra=3, move=[0, 1])
    plan = make_plan(policy, org)
    org.store.reset_stats()
    with pytest.raises(ApplyIncomplete) as err:
        run_apply(plan, policy, org, tmp_path, concurrency=1)
    report = err.value.report
    assert err.value.exit_code == 3
    assert report.failed == 1 and report.done == 0
    assert report.not_started == len(plan.changes) - 1
    removals = [o for o in report.outcomes if o.change.kind == "remove_group_member"]
    assert removals and all(o.status == "not_started" for o in removals)
    assert "first failure: invite" in str(err.value)
    outcomes = outcome_records(tmp_path / "audit.jsonl")
    assert [o["outcome"] for o in outcomes] == ["failed"]
    assert outcomes[0]["error_code"]
    # more seats bought: the next plan holds exactly what is left and converges
    org.store.configure_org(seat_tiers=[("standard", 100)])
    rest = make_plan(policy, org)
    assert {(c.kind, c.target) for c in rest.changes} == {
        (c.kind, c.target) for c in plan.changes}
    run_apply(rest, policy, org, tmp_path)
    assert make_plan(policy, org).changes == ()


def test_partial_failure_keeps_done_work_and_next_plan_is_the_rest(
    tmp_path: pathlib.Path,
) -> None:
    # 22 seats for 20 members: two invites fit, the third fails.
    org = generated_org(20, 2, seats=[("standard", 22)])
    policy = generated_policy(20, 2, extra=5, move=[3])
    plan = make_plan(policy, org)
    with pytest.raises(ApplyIncomplete) as err:
        run_apply(plan, policy, org, tmp_path, concurrency=1)
    report = err.value.report
    assert report.done == 2 and report.failed == 1
    assert report.done + report.failed + report.not_started == len(plan.changes)
    org.store.configure_org(seat_tiers=[("standard", 100)])
    rest = make_plan(policy, org)
    assert len(rest.changes) == len(plan.changes) - 2
    run_apply(rest, policy, org, tmp_path)
    assert make_plan(policy, org).changes == ()
    assert all(n == 1 for n in org.pending_invites().values())
    assert audit_mod.verify(tmp_path / "audit.jsonl").ok


def test_key_revoked_mid_apply_stops_before_the_next_change(tmp_path: pathlib.Path) -> None:
    org = generated_org(20, 2, drift_pct=20)
    policy = generated_policy(20, 2, extra=4)
    plan = make_plan(policy, org)
    revoke = Hook(3, lambda: org.app.state.keys.clear())
    with pytest.raises(ApplyIncomplete) as err:
        run_apply(plan, policy, org, tmp_path, concurrency=1, progress=revoke)
    report = err.value.report
    assert report.done == 3 and report.failed == 1
    assert report.not_started == len(plan.changes) - 4
    assert "authentication" in report.outcomes[3].error.lower()
    assert len(outcome_records(tmp_path / "audit.jsonl")) == 4


def test_audit_failure_stops_the_apply_and_nothing_unrecorded_is_done(
    tmp_path: pathlib.Path,
) -> None:
    org = generated_org(20, 2)
    policy = generated_policy(20, 2, extra=6)
    plan = make_plan(policy, org)
    log = tmp_path / "audit.jsonl"

    def break_log() -> None:
        shutil.move(log, tmp_path / "moved.jsonl")
        log.mkdir()  # the log path is now a directory: appends fail

    org.store.reset_stats()
    with pytest.raises(AuditError, match="apply stopped: 2 done"):
        run_apply(plan, policy, org, tmp_path, concurrency=1, progress=Hook(2, break_log))
    assert org.writes() == 2
    assert len(outcome_records(tmp_path / "moved.jsonl")) == 2


def test_write_applied_but_answer_lost_is_counted_done_not_resent(
    tmp_path: pathlib.Path,
) -> None:
    org = generated_org(20, 2, drift_pct=10)
    policy = generated_policy(20, 2, extra=6)
    plan = make_plan(policy, org)
    org.fault(lose_writes=3, lose_mode="drop")
    report = run_apply(plan, policy, org, tmp_path)
    assert report.complete
    assert report.count("already_done") == 3
    assert all(n == 1 for n in org.pending_invites().values())
    assert len(org.pending_invites()) == 6
    org.fault()
    assert make_plan(policy, org).changes == ()


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(dict(status=500, every=4), id="5xx-every-4th"),
        pytest.param(dict(status=503, every=3, retry_after="0.05"), id="503-retry-after"),
        pytest.param(dict(status=429, burst=4, retry_after="0.05"), id="429-storm"),
        pytest.param(dict(status=429, every=2, retry_after="0.02"), id="429-every-other"),
        pytest.param(dict(conflict=4), id="409-concurrent-change"),
    ],
)
def test_transient_faults_neither_lose_nor_duplicate_changes(
    tmp_path: pathlib.Path, fault: dict
) -> None:
    org = generated_org(30, 3, drift_pct=10)
    policy = generated_policy(30, 3, extra=6, move=[4, 5])
    plan = make_plan(policy, org)
    mid_apply = Hook(1, lambda: org.fault(**fault))  # faults start after the first change
    try:
        report = run_apply(plan, policy, org, tmp_path, progress=mid_apply)
    except ApplyIncomplete as exc:  # a budget ran out: the next apply finishes the rest
        report = exc.report
        assert report.failed >= 1
    org.fault()
    rest = make_plan(policy, org)
    assert len(rest.changes) == len(plan.changes) - report.done
    if rest.changes:
        run_apply(rest, policy, org, tmp_path)
    assert make_plan(policy, org).changes == ()
    assert all(n == 1 for n in org.pending_invites().values())
    assert audit_mod.verify(tmp_path / "audit.jsonl").ok


def test_retry_after_pauses_every_worker(tmp_path: pathlib.Path) -> None:
    org = generated_org(20, 2)
    policy = generated_policy(20, 2, extra=8)
    plan = make_plan(policy, org)
    storm = Hook(1, lambda: org.fault(status=429, burst=1, retry_after="0.3"))
    report = run_apply(plan, policy, org, tmp_path, concurrency=4, progress=storm)
    assert report.complete
    assert 0.3 in org.limiter.stats.pauses
    assert report.elapsed_s >= 0.3


def test_admin_key_never_reaches_the_audit_log(tmp_path: pathlib.Path) -> None:
    canary = "sk-ant-admin01-CANARY-apply-7f3e9a"
    from apply_fixtures import provider_for

    org = generated_org(20, 2, seats=[("standard", 21)])
    org.app.state.keys[canary] = None
    org.provider = provider_for(org.app, org.limiter, key=canary)
    policy = generated_policy(20, 2, extra=3)
    plan = make_plan(policy, org)
    audit = AuditLog(tmp_path / "audit.jsonl", secrets=[canary])
    with pytest.raises(ApplyIncomplete) as err:
        run_apply(plan, policy, org, tmp_path, audit=audit)
    text = (tmp_path / "audit.jsonl").read_text() + str(err.value)
    for form in (canary, "CANARY"):
        assert form not in text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=st.integers(4, 16),
    groups=st.integers(1, 3),
    extra=st.integers(0, 4),
    drift=st.sampled_from([0.0, 25.0]),
    data=st.data(),
)
def test_random_generated_orgs_converge_in_one_apply(members: int, groups: int, extra: int,
                                                     drift: float, data) -> None:
    move = data.draw(st.sets(st.integers(0, members - 1), max_size=3))
    managed = data.draw(st.sets(st.integers(0, members + extra - 1), max_size=3))
    org = generated_org(members, groups, drift_pct=drift)
    policy = generated_policy(members, groups, extra=extra, move=move, managed=managed)
    plan = make_plan(policy, org)
    with tempfile.TemporaryDirectory() as tmp:
        report = run_apply(plan, policy, org, pathlib.Path(tmp))
        assert report.complete
        assert make_plan(policy, org).changes == ()
        assert audit_mod.verify(pathlib.Path(tmp) / "audit.jsonl").ok
