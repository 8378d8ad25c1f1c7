"""Done-when: a policy repository made by `seatctl init`, outside this repository, run as
GitHub runs it.

seatctl is installed from a wheel built once per session into a separate venv; the
policy repository lives in tmp_path with a bare git remote. Each step is the `run:`
script of seatctl's reusable workflows (the ones the scaffold's workflows call),
with its `env:` expressions resolved and the GITHUB_* environment set, against a
fake GitHub API on 127.0.0.1 and a sandbox org seeded on the demo day
(``DEMO_DATE``; every command evaluates at the sandbox's date).

Story: PR #1 is planned, merged and applied from the reviewed plan; the audit record
lands on the `seatctl-state` branch. PR #2 is planned, then the live org moves: the
merge is refused and the PR says what moved. PR #3 needs an overflow approval: a
label by someone not named is ignored (the plan stays blocked), the same label by a
named approver is honoured and applied, and the approval is in the audit log.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import git
import pytest
import yaml
from conftest import ROOT
from fake_github import TOKEN, FakeGitHub, serve
from gitops_builders import commit_all, repo_with_remote

WORKFLOWS = ROOT / ".github" / "workflows"
TOOL, REF = "acme-tools/seatctl", "0123456789abcdef0123456789abcdef01234567"
EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")

pytestmark = [pytest.mark.slow, pytest.mark.network]


@pytest.fixture(scope="session")
def seatctl_bin(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    """A venv with seatctl installed from a wheel of this checkout (built once)."""
    root = tmp_path_factory.mktemp("seatctl-wheel")
    # built from a copy: an in-tree build writes build/ into the checkout, and two suites
    # at once (CI's calendar runs) would build in the same folder
    source = root / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".seatctl", "build", "*.egg-info", "__pycache__", ".hypothesis",
        "node_modules", ".mypy_cache", ".ruff_cache", ".pytest_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(root / "dist"), str(source)], check=True, timeout=300,
                   capture_output=True)
    (wheel,) = (root / "dist").glob("seatctl-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300,
                   capture_output=True)
    # dependencies come from this interpreter's site-packages (no network here); a .pth
    # appends them after the venv's own, so `reconciler` is the wheel's copy
    site = next((venv / "lib").glob("python3*/site-packages"))
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "zz_deps.pth").write_text("\n".join(deps) + "\n")
    where = subprocess.run([str(py), "-c", "import reconciler; print(reconciler.__file__)"],
                           check=True, capture_output=True, text=True, cwd=root).stdout
    assert str(ROOT) not in where and str(site) in where, where
    return venv / "bin"


@dataclass
class Runner:
    """Runs one step of a reusable workflow the way GitHub does."""

    bin: pathlib.Path
    fake: FakeGitHub
    tmp: pathlib.Path
    sandbox: pathlib.Path | None  # None: the policy's base_url (a served sandbox)
    remote: pathlib.Path
    count: int = 0
    extra_env: Mapping[str, str] = field(default_factory=dict)

    def checkout(self, sha: str) -> pathlib.Path:
        """actions/checkout with fetch-depth 0: a fresh clone at ``sha``."""
        self.count += 1
        path = self.tmp / f"run-{self.count}"
        repo = git.Repo.clone_from(str(self.remote), str(path))
        repo.git.checkout("-q", "--detach", sha)
        return path

    def step(self, workflow: str, job: str, key: str, cwd: pathlib.Path, *,
             event: Mapping[str, Any], sha: str, ctx: Mapping[str, str],
             expect_rc: int | None = 0) -> tuple[subprocess.CompletedProcess[str],
                                                 dict[str, str], str]:
        doc = yaml.safe_load((WORKFLOWS / workflow).read_text())
        (step,) = [s for s in doc["jobs"][job]["steps"]
                   if s.get("id") == key or str(s.get("name", "")).startswith(key)]
        script = str(step["run"])
        assert "${{" not in script, "inputs reach the shell only through env:"
        known = {"github.token": TOKEN, "secrets.read-key": "", "secrets.SEATCTL_ADMIN_KEY": "",
                 "secrets.read-keys": "", "secrets.SEATCTL_ADMIN_KEYS": "",
                 "inputs.policy-dir": "policies", "inputs.plan-workflow": "seatctl-plan.yml",
                 **ctx}
        self.count += 1
        temp = self.tmp / f"runner-temp-{self.count}"
        temp.mkdir(exist_ok=True)
        for name in ("reviewed", "sections"):  # what download-artifact put there
            if (self.tmp / name).exists():
                shutil.copytree(self.tmp / name, temp / name, dirs_exist_ok=True)
        ev = temp / "event.json"
        ev.write_text(json.dumps(event))
        out, summary = temp / "output", temp / "summary"
        # PYTHONPATH stays only for CI's calendar runs (tests/timeshift): every process,
        # the sandbox's clock included, must live on the same shifted calendar
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("GITHUB_", "SEATCTL_", "VIRTUAL_ENV", "PYTHON"))}
        if os.environ.get("CLOCK_SHIFT_DAYS"):
            env["PYTHONPATH"] = str(ROOT / "tests" / "timeshift")
        # apply locks live per machine user: this run's own folder, so another suite on
        # the same machine (CI's calendar runs) never holds this org's lock
        env["SEATCTL_LOCK_DIR"] = str(self.tmp / "locks")
        env.update(PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}", RUNNER_TEMP=str(temp),
                   GITHUB_EVENT_PATH=str(ev), GITHUB_OUTPUT=str(out),
                   GITHUB_STEP_SUMMARY=str(summary), GITHUB_SHA=sha, GITHUB_ACTIONS="true",
                   CI="true", GITHUB_REPOSITORY=self.fake.repo, GITHUB_API_URL=self.fake.url,
                   GITHUB_SERVER_URL="https://github.invalid", GITHUB_RUN_ID=str(self.count),
                   GITHUB_ACTOR="merge-bot", NO_COLOR="1", **self.extra_env)
        if self.sandbox is not None:
            env["SEATCTL_SANDBOX"] = str(self.sandbox)
        for k, v in (step.get("env") or {}).items():
            env[k] = EXPR.sub(lambda m: known[m[1]], str(v))
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", script], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=240, check=False)
        if expect_rc is not None:
            assert proc.returncode == expect_rc, proc.stdout + proc.stderr
        outputs = dict(ln.split("=", 1) for ln in out.read_text().splitlines()) \
            if out.exists() else {}
        self.last_temp = temp
        return proc, outputs, summary.read_text() if summary.exists() else ""


def matrix_rows(outputs: Mapping[str, str]) -> list[dict[str, str]]:
    """The matrix legs `seatctl ci orgs-touched` wrote (GitHub runs one job per row)."""
    return list(json.loads(outputs["matrix"])["include"])


def matrix_ctx(row: Mapping[str, str]) -> dict[str, str]:
    """``${{ matrix.* }}`` of one leg."""
    return {f"matrix.{k}": v for k, v in row.items()}


def _git(path: pathlib.Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, check=True, capture_output=True,
                          text=True).stdout.strip()


def _pr_event(fake: FakeGitHub, number: int) -> dict[str, Any]:
    return {"pull_request": fake.pulls[number]}


def test_init_repo_plan_merge_apply_refuse_and_approve(tmp_path: pathlib.Path,
                                                       seatctl_bin: pathlib.Path) -> None:
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.demo import DEMO_DATE
    from reconciler.sandbox.store import SandboxStore

    # -- seatctl init, outside this repository, with the wheel's seatctl -----------------
    dev_dir = tmp_path / "dev"
    subprocess.run([str(seatctl_bin / "seatctl"), "init", str(dev_dir), "--tool-repo", TOOL,
                    "--tool-ref", REF], check=True, capture_output=True, timeout=60)
    for name in ("seatctl-plan.yml", "seatctl-apply.yml", "seatctl-scheduled.yml"):
        caller = (dev_dir / ".github" / "workflows" / name).read_text()
        assert "pip install" not in caller
        (job,) = yaml.safe_load(caller)["jobs"].values()
        assert job["uses"] == f"{TOOL}/.github/workflows/{name}@{REF}"
        assert "workflow_call" in yaml.safe_load((WORKFLOWS / name).read_text())[True]
    assert (dev_dir / "schemas" / "org.schema.json").is_file()
    org = dev_dir / "policies" / "org.yaml"
    org.write_text(org.read_text() + "\napprovers: [alice]\n")

    remote = tmp_path / "remote.git"
    dev = repo_with_remote(dev_dir, remote)

    def commit(msg: str) -> str:
        return commit_all(dev, msg)

    base1 = commit("policy: scaffold from seatctl init")
    dev.git.push("-q", "origin", "main")

    sandbox = tmp_path / "sandbox.db"
    store = SandboxStore(str(sandbox))
    try:
        seed_demo_org(store, DEMO_DATE, dev_dir / "policies")
    finally:
        store.close()

    with serve(FakeGitHub()) as fake:
        run = Runner(seatctl_bin, fake, tmp_path, sandbox, remote)

        def pr_plan(number: int, head: str, expect_rc: int = 0) -> dict[str, str]:
            cwd = run.checkout(head)
            _, orgs, _ = run.step("seatctl-plan.yml", "orgs", "orgs", cwd,
                                  event=_pr_event(fake, number), sha=head, ctx={})
            (row,) = matrix_rows(orgs)  # one organization: one leg, as before
            assert (row["org"], row["artifact"], orgs["multi"]) == \
                ("", f"seatctl-plan-{head}", "false")
            _, outs, summary = run.step("seatctl-plan.yml", "plan", "plan", cwd,
                                        event=_pr_event(fake, number), sha=head,
                                        ctx=matrix_ctx(row), expect_rc=expect_rc)
            assert summary == fake.sticky(number)
            fake.plan_run(head, "success" if expect_rc == 0 else "failure")
            if outs["outcome"] in ("changes", "no-changes"):  # the artifact: the plan dir
                art = tmp_path / "artifacts" / head
                shutil.copytree(run.last_temp / "seatctl-plan", art, dirs_exist_ok=True)
            return outs

        def merge(number: int, branch: str) -> str:
            dev.git.checkout("-q", "main")
            dev.git.merge("-q", "--no-ff", branch, "-m", f"Merge pull request #{number}")
            dev.git.push("-q", "origin", "main")
            sha = str(dev.head.commit.hexsha)
            fake.merge(number, sha)
            return sha

        def apply_plan_job(sha: str, expect_rc: int = 0) -> tuple[dict[str, str], str]:
            cwd = run.checkout(sha)
            _, found, _ = run.step("seatctl-apply.yml", "find", "find", cwd, event={},
                                   sha=sha, ctx={})
            _, orgs, _ = run.step("seatctl-apply.yml", "find", "orgs", cwd, event={}, sha=sha,
                                  ctx={f"steps.find.outputs.{k}": v for k, v in found.items()})
            (row,) = matrix_rows(orgs)
            shutil.rmtree(tmp_path / "reviewed", ignore_errors=True)
            if found["found"] == "true":  # actions/download-artifact of that run
                shutil.copytree(tmp_path / "artifacts" / found["head-sha"],
                                tmp_path / "reviewed")
            _, checked, summary = run.step(
                "seatctl-apply.yml", "plan", "check", cwd, event={}, sha=sha,
                ctx={"needs.find.outputs.pr": found["pr"], **matrix_ctx(row)},
                expect_rc=expect_rc)
            return {**found, **checked, **matrix_ctx(row)}, summary

        def apply_job(sha: str, needs: Mapping[str, str], expect_rc: int = 0) -> str:
            cwd = run.checkout(sha)
            ctx = {"needs.find.outputs.pr": needs["pr"],
                   "needs.find.outputs.head-sha": needs["head-sha"],
                   **{k: v for k, v in needs.items() if k.startswith("matrix.")}}
            run.step("seatctl-apply.yml", "apply", "pull", cwd, event={}, sha=sha, ctx=ctx)
            proc, _, _ = run.step("seatctl-apply.yml", "apply", "apply", cwd, event={}, sha=sha,
                                  ctx=ctx, expect_rc=expect_rc)
            run.step("seatctl-apply.yml", "apply", "commit the audit log", cwd, event={},
                     sha=sha, ctx=ctx)
            return proc.stdout + proc.stderr

        # -- PR #1: two more platform seats; plan → merge → apply of that plan ------------
        dev.git.checkout("-q", "-b", "platform-seats")
        team = dev_dir / "policies" / "teams" / "platform.yaml"
        team.write_text(team.read_text().replace("allocated_seats: 8", "allocated_seats: 10"))
        org.write_text(org.read_text().replace("name: platform\n    allocated_seats: 8",
                                               "name: platform\n    allocated_seats: 10"))
        head1 = commit("platform: two more seats")
        dev.git.push("-q", "origin", "platform-seats")
        fake.open_pr(1, head1, base1)
        assert pr_plan(1, head1)["outcome"] == "changes"
        comment = fake.sticky(1)
        assert "📝 **Changes**" in comment and "platform 8 → 10 seats" in comment
        reviewed = json.loads((tmp_path / "artifacts" / head1 / "plan.json").read_text())
        assert reviewed["policy_commit"] == head1

        merge1 = merge(1, "platform-seats")
        needs, summary = apply_plan_job(merge1)
        assert needs["outcome"] == "ready" and needs["pr"] == "1"
        assert "Awaiting approval" in summary and "platform" in summary  # reviewer sees it
        apply_job(merge1, needs)
        assert "✅ **Applied**" in fake.sticky(1)

        log = _git(remote, "show", "seatctl-state:audit.jsonl").splitlines()
        records = [json.loads(x) for x in log]
        assert records and {r.get("plan_hash") for r in records if "plan_hash" in r} == \
            {reviewed["checksum"]}
        assert {r.get("policy_commit") for r in records if "policy_commit" in r} == {head1}
        assert "last-apply.json" in _git(remote, "ls-tree", "--name-only", "seatctl-state")
        first_state = _git(remote, "rev-parse", "seatctl-state")

        # -- PR #2: planned, then the live org moves under it: refused, PR told what ------
        dev.git.checkout("-q", "-b", "backend-seats")
        team = dev_dir / "policies" / "teams" / "backend.yaml"
        text = team.read_text()
        seats = int(re.search(r"allocated_seats: (\d+)", text)[1])  # type: ignore[index]
        team.write_text(text.replace(f"allocated_seats: {seats}", f"allocated_seats: {seats + 1}"))
        org.write_text(re.sub(r"(name: backend\n    allocated_seats: )\d+",
                              rf"\g<1>{seats + 1}", org.read_text()))
        head2 = commit("backend: one more seat")
        dev.git.push("-q", "origin", "backend-seats")
        fake.open_pr(2, head2, merge1)
        assert pr_plan(2, head2)["outcome"] in ("changes", "no-changes")
        store = SandboxStore(str(sandbox))
        try:  # someone removes a member in the console
            store.execute("UPDATE users SET deleted = 1 WHERE email = ?",
                          ("grace.lee@acme.example",))
        finally:
            store.close()
        merge2 = merge(2, "backend-seats")
        needs2, _ = apply_plan_job(merge2, expect_rc=1)
        assert needs2["outcome"] == "refused"
        refused = fake.sticky(2)
        assert "⛔ **Refused**" in refused and "grace.lee" in refused, refused
        assert _git(remote, "rev-parse", "seatctl-state") == first_state  # nothing applied

        # -- PR #3: frontend over its allocation; approvals by label -----------------------
        dev.git.checkout("-q", "-b", "frontend-growth")
        team = dev_dir / "policies" / "teams" / "frontend.yaml"
        team.write_text(team.read_text().rstrip("\n") + "\n" + "".join(
            f"  - email: new{i}@acme.example\n    name: New Hire {i}\n    role: developer\n"
            for i in (1, 2)))
        head3 = commit("frontend: two new hires")
        dev.git.push("-q", "origin", "frontend-growth")
        fake.open_pr(3, head3, merge2)
        assert pr_plan(3, head3, expect_rc=1)["outcome"] == "blocked"
        fake.label(3, "seatctl:approve-overflow", "mallory")
        assert pr_plan(3, head3, expect_rc=1)["outcome"] == "blocked"
        blocked = fake.sticky(3)
        assert "⛔ **Blocked**" in blocked and "ignored" in blocked and "mallory" in blocked
        fake.label(3, "seatctl:approve-overflow", "alice")
        assert pr_plan(3, head3)["outcome"] == "changes"
        assert "approved by" in fake.sticky(3) and "alice" in fake.sticky(3)
        merge3 = merge(3, "frontend-growth")
        needs3, _ = apply_plan_job(merge3)
        assert needs3["outcome"] == "ready"
        apply_job(merge3, needs3)
        assert "✅ **Applied**" in fake.sticky(3)
        records = [json.loads(x) for x in
                   _git(remote, "show", "seatctl-state:audit.jsonl").splitlines()]
        approvals = [r for r in records if r.get("kind") == "approval"]
        assert [(a["approver"], a["pr"], a["approve_overflow"]) for a in approvals] == \
            [("alice", 3, True)]
        assert any("new1@acme.example" in json.dumps(r) for r in records)
        audit_copy = tmp_path / "audit-copy.jsonl"
        audit_copy.write_text(_git(remote, "show", "seatctl-state:audit.jsonl") + "\n")
        ok = subprocess.run([str(seatctl_bin / "seatctl"), "audit", "verify", "--log",
                             str(audit_copy)], capture_output=True, text=True, check=False)
        assert ok.returncode == 0, ok.stderr
