"""Apply does only what was reviewed, as properties over random small orgs and policies
(issue 16): any edit to a saved plan's JSON is refused (with no write), and any plan
apply accepts equals the one it re-derives. Plus the per-organization lock.

Everything evaluates at ``NOW`` (the demo day, 2026-11-25, noon UTC): the plans are made
with it and apply's clock is pinned to it.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest
from apply_fixtures import Hook, Org, generated_org, generated_policy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.apply.audit import AuditLog
from reconciler.apply.executor import apply_plan
from reconciler.apply.lock import acquire, lock_path
from reconciler.apply.rederive import NO_GRANT, check_rederived
from reconciler.apply.session import ApplyOptions, run_apply
from reconciler.errors import LockError, PlanError
from reconciler.model import Policy, Safety
from reconciler.plan import Plan
from reconciler.plan.build import build_plan
from reconciler.plan.model import compute_checksum
from reconciler.sandbox.demo import DEMO_DATE

NOW = dt.datetime.combine(DEMO_DATE, dt.time(12), tzinfo=dt.UTC)
#: ``created_at`` is the file's word, not derivable: it is bounded (age window, not in
#: the future, evaluation day) but an edit inside those bounds cannot be told from the
#: original without a signature (docs/apply.md, threat model). Every other field is.
UNDERIVABLE = frozenset({"created_at", "checksum"})

Path = tuple[str | int, ...]


def leaves(value: Any, path: Path = ()) -> Iterator[Path]:
    """Every place in the document an attacker could edit: leaves, lists and objects."""
    if path and path[0] in UNDERIVABLE:
        return
    if path:
        yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, (*path, i))


def edited(value: Any, how: int) -> Any:
    """A different JSON value: changed in content, or only in type (3 → 3.0)."""
    if isinstance(value, bool):
        return [not value, int(value)][how % 2]
    if isinstance(value, int | float):
        return [value + 1, float(value) if isinstance(value, int) else int(value) + 1][how % 2]
    if isinstance(value, str):
        return [value + "x", value.upper() if value != value.upper() else value + " "][how % 2]
    if value is None:
        return ["x", 0][how % 2]
    if isinstance(value, list):
        return [value[:-1] if value else [{}], [*value, value[0]] if value else [0]][how % 2]
    return {**value, "x": 1} if how % 2 else {k: v for k, v in list(value.items())[1:]}


def set_at(doc: Any, path: Path, new: Any) -> None:
    for step in path[:-1]:
        doc = doc[step]
    doc[path[-1]] = new


def get_at(doc: Any, path: Path) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def random_case(data: st.DataObject) -> tuple[Org, Policy, Plan]:
    members = data.draw(st.integers(4, 10), "members")
    groups = data.draw(st.integers(1, 3), "groups")
    extra = data.draw(st.integers(0, 3), "extra")
    move = data.draw(st.sets(st.integers(0, members - 1), max_size=2), "move")
    managed = data.draw(st.sets(st.integers(0, members + extra - 1), max_size=2), "managed")
    cap = data.draw(st.sampled_from([1, 100]), "max role changes")  # 1: some plans blocked
    org = generated_org(members, groups, drift_pct=data.draw(st.sampled_from([0.0, 30.0])))
    policy = generated_policy(members, groups, extra=extra, move=move, managed=managed,
                              safety=Safety(max_removals=100, max_removals_pct=100.0,
                                            max_role_changes=cap, max_role_changes_pct=100.0))
    plan = build_plan(policy, org.provider.fetch(), at=NOW.date(), created_at=NOW,
                       commit=policy.commit)
    return org, policy, plan


def try_apply(text: str, policy: Policy, org: Org, state: pathlib.Path) -> None:
    plan = Plan.from_json(text)
    audit = AuditLog(state / "audit.jsonl", context={"actor": "t", "run_id": "r"})
    with acquire(lock_path(policy.org_name, state), org=policy.org_name, owner="t",
                 run_id="r") as held:
        apply_plan(plan, org.provider, policy=policy, audit=audit, limiter=org.limiter,
                   lock=held, now=lambda: NOW)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_edit_to_a_saved_plan_is_refused_and_nothing_is_written(data) -> None:
    org, policy, plan = random_case(data)
    doc = json.loads(plan.to_json())
    path = data.draw(st.sampled_from(sorted(leaves(doc), key=repr)), "edited path")
    new = edited(get_at(doc, path), data.draw(st.integers(0, 1), "how"))
    set_at(doc, path, new)
    if data.draw(st.booleans(), "attacker recomputes the checksum"):
        doc["checksum"] = compute_checksum(doc)
    with tempfile.TemporaryDirectory() as state, pytest.raises(PlanError):
        try_apply(json.dumps(doc), policy, org, pathlib.Path(state))
    assert org.writes() == 0


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_plan_apply_accepts_equals_the_one_it_derives(data) -> None:
    org, policy, plan = random_case(data)
    live = org.provider.fetch()
    if plan.blocked:
        with pytest.raises(PlanError):
            check_rederived(plan, policy, live, NO_GRANT)
        return
    derived = check_rederived(plan, policy, live, NO_GRANT)
    assert derived.to_json() == plan.to_json() and derived.checksum == plan.checksum
    with tempfile.TemporaryDirectory() as state:
        try_apply(plan.to_json(), policy, org, pathlib.Path(state))
    assert org.writes() >= len(plan.changes) > 0 or not plan.changes


def test_two_applies_to_one_org_with_different_state_dirs_exclude_each_other(
        tmp_path: pathlib.Path) -> None:
    """The lock is the organization's, not the state directory's (defect 10)."""
    org = generated_org(12, 2)
    policy = generated_policy(12, 2, extra=4)
    plan = build_plan(policy, org.provider.fetch(), at=NOW.date(), created_at=NOW,
                       commit=policy.commit)
    second: list[BaseException] = []

    def start_second_apply() -> None:
        try:
            run_apply(plan, policy, org.provider, options=ApplyOptions(
                state_dir=tmp_path / "b", record_last_apply=False), progress=Hook(0, None),
                limiter=org.limiter, now=lambda: NOW)
        except LockError as exc:
            second.append(exc)

    writes_before = org.writes()
    report, _ = run_apply(plan, policy, org.provider, options=ApplyOptions(
        state_dir=tmp_path / "a", record_last_apply=False), progress=Hook(1, start_second_apply),
        limiter=org.limiter, now=lambda: NOW)
    assert report.complete and len(second) == 1
    assert "organization 'Generated Org' is locked" in str(second[0])
    assert org.writes() - writes_before == len(plan.changes)  # no write twice
    assert not (tmp_path / "b" / "audit.jsonl").exists()


@pytest.mark.parametrize("path, value", [
    (("changes", 0, "phase"), 9), (("summary", "change_count"), 99),
    (("changes", 0, "x"), 1), (("org", "x"), 1), (("created_at",), "2026-11-25T12:00:00+00:00"),
])
def test_fields_the_reader_derives_or_normalises_cannot_be_edited(path: Path, value: Any) -> None:
    org = generated_org(6, 2)
    policy = generated_policy(6, 2, extra=2)
    plan = build_plan(policy, org.provider.fetch(), at=NOW.date(), created_at=NOW,
                       commit=policy.commit)
    doc = json.loads(plan.to_json())
    set_at(doc, path, value)
    doc["checksum"] = compute_checksum(doc)
    with pytest.raises(PlanError, match="malformed"):
        Plan.from_json(json.dumps(doc))
