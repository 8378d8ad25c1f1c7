"""Faults that need a real socket: dropped connections and a write applied whose answer
never arrives (timeout), against the sandbox under uvicorn on 127.0.0.1."""

from __future__ import annotations

import pathlib

import pytest
from apply_fixtures import Org, generated_org, generated_policy, make_plan, provider_for, run_apply

from reconciler.apply import audit as audit_mod
from reconciler.apply.executor import ApplyIncomplete
from reconciler.sandbox.server import running_server

pytestmark = pytest.mark.network


def served(members: int, groups: int, **kw: object):
    org = generated_org(members, groups, **kw)  # type: ignore[arg-type]
    return org, running_server(org.app)


def over_http(org: Org, url: str) -> Org:
    org.provider = provider_for(None, org.limiter, base_url=url)
    return org


def converge(org: Org, policy, tmp_path: pathlib.Path, plan) -> int:
    """Apply (tolerating an incomplete run), then finish with fresh plans; returns runs."""
    runs = 0
    while plan.changes and runs < 4:
        runs += 1
        try:
            run_apply(plan, policy, org, tmp_path)
        except ApplyIncomplete:
            pass
        org.fault()
        plan = make_plan(policy, org)
    assert plan.changes == ()
    return runs


@pytest.mark.parametrize("mode", ["drop", "timeout"])
def test_write_applied_then_answer_lost_is_not_duplicated(tmp_path: pathlib.Path,
                                                           mode: str) -> None:
    org, server = served(30, 3, drift_pct=10)
    with server as url:
        over_http(org, url)
        policy = generated_policy(30, 3, extra=8, move=[2])
        plan = make_plan(policy, org)
        org.fault(lose_writes=4, lose_mode=mode, timeout_s=0.3)
        report = run_apply(plan, policy, org, tmp_path)
        assert report.complete
        assert report.count("already_done") >= 1
        org.fault()
        assert make_plan(policy, org).changes == ()
    invites = org.pending_invites()
    assert len(invites) == 8 and set(invites.values()) == {1}
    assert audit_mod.verify(tmp_path / "audit.jsonl").ok


def test_dropped_connections_mid_apply_converge_without_duplicates(
    tmp_path: pathlib.Path,
) -> None:
    org, server = served(40, 4, drift_pct=10)
    with server as url:
        over_http(org, url)
        policy = generated_policy(40, 4, extra=10, move=[5, 6])
        plan = make_plan(policy, org)
        org.fault(drop_every=5)
        runs = converge(org, policy, tmp_path, plan)
        assert runs <= 2
    assert set(org.pending_invites().values()) == {1}
    assert len(org.pending_invites()) == 10
    records = list(audit_mod.iter_records(tmp_path / "audit.jsonl"))
    outcomes = [r for r in records if r["kind"] == "outcome"]
    done = {(r["change"]["kind"], r["change"]["target"]) for r in outcomes
            if r["outcome"] in ("done", "already_done")}
    assert done == {(c.kind, c.target) for c in plan.changes}


def test_5xx_storm_mid_apply_reports_and_next_apply_converges(tmp_path: pathlib.Path) -> None:
    org, server = served(30, 3)
    with server as url:
        over_http(org, url)
        policy = generated_policy(30, 3, extra=6, managed=[1, 2, 3])
        plan = make_plan(policy, org)
        org.fault(status=503, every=1, retry_after="0.01", paths=("/v1/organizations/users/",))
        with pytest.raises(ApplyIncomplete) as err:
            run_apply(plan, policy, org, tmp_path, concurrency=2)
        report = err.value.report
        assert report.failed >= 1
        assert report.done + report.failed + report.not_started == len(plan.changes)
        assert "503" in report.outcomes[[o.status for o in report.outcomes].index("failed")].error
        org.fault()
        rest = make_plan(policy, org)
        assert len(rest.changes) == len(plan.changes) - report.done
        run_apply(rest, policy, org, tmp_path)
        assert make_plan(policy, org).changes == ()
    assert set(org.pending_invites().values()) == {1}
