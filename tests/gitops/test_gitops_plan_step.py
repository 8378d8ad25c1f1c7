"""Done-when: the plan step of seatctl-plan.yml (the reusable workflow plan.yml calls),
run as the workflow runs it, on a real git repo.

A base commit on main and a pull-request branch that gives platform two more seats;
the step's own `run:` script (read from plan.yml) runs under bash with the GitHub
environment set (GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP)
against a sandbox seeded with the Acme demo org. The sticky comment is asserted by
golden file (volatile dates and hashes normalised); the outputs and job summary too.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import EXAMPLE_POLICIES, ROOT
from gitops_builders import commit_all, init_repo

GOLDEN = pathlib.Path(__file__).parent / "golden" / "plan_comment_more_seats.md"
BIN = pathlib.Path(sys.executable).parent


def _plan_step() -> dict[str, object]:
    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "seatctl-plan.yml").read_text())
    (step,) = [s for s in doc["jobs"]["plan"]["steps"] if s.get("id") == "plan"]
    return dict(step)


def _normalise(text: str, today: dt.date, repo: pathlib.Path, base: str, head: str) -> str:
    """Dates, hashes and commit ids vary with the day and the example policy's bytes."""
    text = text.replace(today.isoformat(), "<TODAY>")
    text = text.replace(base[:12], "<BASE>").replace(head[:12], "<HEAD>")
    text = re.sub(r"sha256:[0-9a-f]{6,64}", "sha256:<HASH>", text)
    text = text.replace(str(repo), "<REPO>")
    # the runner's temp directory, as the Markdown-escaped path the live-read note names
    text = re.sub(r"\S*runner-temp/seatctl-state", "<RUNNER_TEMP>/seatctl-state", text)
    return re.sub(r"\b\d{4}-\d{2}-\d{2}\b", "<DATE>", text)


def _make_repo(tmp: pathlib.Path) -> tuple[pathlib.Path, str, str]:
    repo_dir = tmp / "policy-repo"
    shutil.copytree(EXAMPLE_POLICIES, repo_dir / "policies")
    org = repo_dir / "policies" / "org.yaml"
    org.write_text(org.read_text().replace("provider: anthropic", "provider: sandbox"))
    (repo_dir / ".gitignore").write_text("sandbox.db\n")
    repo = init_repo(repo_dir)
    base = commit_all(repo, "policy: Acme Corp", "2026-10-01T09:00:00Z")
    repo.git.checkout("-q", "-b", "platform-seats")
    old, new = "name: platform\n    allocated_seats: 8", "name: platform\n    allocated_seats: 10"
    org.write_text(org.read_text().replace(old, new))
    team = repo_dir / "policies" / "teams" / "platform.yaml"
    team.write_text(team.read_text().replace("allocated_seats: 8", "allocated_seats: 10"))
    head = commit_all(repo, "platform: two more seats", "2026-10-02T09:00:00Z")
    return repo_dir, base, head


@pytest.mark.slow
def test_plan_step_posts_the_policy_diff_and_live_plan(tmp_path: pathlib.Path,
                                                       update_golden: bool) -> None:
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.demo import DEMO_DATE
    from reconciler.sandbox.store import SandboxStore

    repo_dir, base, head = _make_repo(tmp_path)
    today = DEMO_DATE  # the sandbox org lives on the example policy's day; plan reads its clock
    store = SandboxStore(str(repo_dir / "sandbox.db"))
    try:
        seed_demo_org(store, today, EXAMPLE_POLICIES)
    finally:
        store.close()
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "base": {"sha": base},
                                                  "head": {"sha": head}}}))
    out, summary = tmp_path / "github_output", tmp_path / "step_summary"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SEATCTL_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", RUNNER_TEMP=str(runner_temp),
               GITHUB_EVENT_PATH=str(event), GITHUB_OUTPUT=str(out),
               GITHUB_STEP_SUMMARY=str(summary), GITHUB_SHA=head, GITHUB_ACTIONS="true",
               GITHUB_BASE_REF="main", NO_COLOR="1")
    step = _plan_step()
    assert step["env"] == {"SEATCTL_ADMIN_KEY": "${{ secrets.read-key }}",  # type: ignore
                           "SEATCTL_ADMIN_KEYS": "${{ secrets.read-keys }}",
                           "GITHUB_TOKEN": "${{ github.token }}",
                           "POLICY_DIR": "${{ matrix.policy_dir }}",
                           "ORG": "${{ matrix.org }}"}
    # one organization: the matrix leg's folder is the policy dir and `org` is empty;
    # no token: the comment goes to the job summary only
    env.update(POLICY_DIR="policies", ORG="", SEATCTL_ADMIN_KEYS="")
    proc = subprocess.run(["bash", "-e", "-c", str(step["run"])], cwd=repo_dir, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr

    outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
    assert outputs["outcome"] == "changes"  # never read from an exit code
    comment = pathlib.Path(outputs["comment-path"]).read_text()
    assert comment.startswith("<!-- seatctl-plan -->\n")
    assert comment.count("<!-- seatctl-plan -->") == 1
    assert "platform 8 → 10 seats, +$60/month to PLAT-001" in comment
    assert summary.read_text() == comment
    saved = runner_temp / "seatctl-plan"  # uploaded as the artifact seatctl-plan-<head>
    assert json.loads((saved / "plan.json").read_text())["policy_commit"] == head
    assert (saved / "plan.md").is_file()

    got = _normalise(comment, today, repo_dir, base, head)
    if update_golden or not GOLDEN.exists():
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(got)
    assert got == GOLDEN.read_text()
