"""The month's proposals pull request (`seatctl ci proposals-pr`).

Every test evaluates at the demo date ``DEMO_DATE`` (2026-11-25): the demo sandbox is
seeded for it and its clock is pinned to it, the usage store is synced ``--at`` it,
and the command runs ``--at`` it, so the month is 2026-11 and the idle members are
the three the demo org is built around, whatever the machine's clock says.

The policy repository is a temporary git repository outside this one with a bare
repository as its ``origin``; GitHub is ``fake_github`` on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import shutil
import subprocess

import git
import pytest
from conftest import EXAMPLE_POLICIES, run_cli
from fake_github import TOKEN, FakeGitHub, serve

from reconciler import escape
from reconciler.errors import ConfigError
from reconciler.gitops.proposals import MonthProposals, branch_name, month_proposals
from reconciler.gitops.proposals_branch import BOT_EMAIL
from reconciler.gitops.render_proposals import marker, render_pr_body
from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.store import SandboxStore

GOLDEN = pathlib.Path(__file__).parent / "golden" / "proposals_pr_body.md"
IDLE = {"carol.diaz@acme.example", "olivia.rossi@acme.example", "jack.brown@acme.example"}
BRANCH = "seatctl/proposals-2026-11"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    """The demo sandbox on DEMO_DATE and a usage store synced from it at DEMO_DATE."""
    tmp = tmp_path_factory.mktemp("proposals")
    sandbox = tmp / "sandbox.db"
    store = SandboxStore(str(sandbox))
    seed_demo(store, DEMO_DATE)
    store.set_date(DEMO_DATE)
    store.close()
    db = tmp / "usage.db"
    res = run_cli("usage", "sync", str(EXAMPLE_POLICIES), "--db", str(db), "--sandbox",
                  str(sandbox), "--at", DEMO_DATE.isoformat())
    assert res.exit_code == 0, res.stderr
    return {"sandbox": sandbox, "db": db}


def _git(cwd: pathlib.Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=Human", "-c", "user.email=h@acme.example",
                           *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: pathlib.Path, demo: dict[str, pathlib.Path]) -> pathlib.Path:
    """A policy repository (the example policy on main, pushed to a bare origin) with the
    state directory holding the synced usage store."""
    origin = tmp_path / "origin.git"
    _git(tmp_path, "init", "-q", "--bare", str(origin))
    work = tmp_path / "policy-repo"
    work.mkdir()
    _git(work, "init", "-q", "-b", "main")
    shutil.copytree(EXAMPLE_POLICIES, work / "policies")
    (work / ".gitignore").write_text(".seatctl/\n")  # as `seatctl init` writes it
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "policy")
    _git(work, "remote", "add", "origin", str(origin))
    _git(work, "push", "-q", "origin", "main")
    (work / ".seatctl").mkdir()
    shutil.copyfile(demo["db"], work / ".seatctl" / "usage.db")
    return work


def _run(repo: pathlib.Path, demo: dict[str, pathlib.Path], fake: FakeGitHub | None,
         *extra: str, at: dt.date = DEMO_DATE, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(repo)
    env = {"GITHUB_OUTPUT": str(repo.parent / "out"), "GITHUB_STEP_SUMMARY":
           str(repo.parent / "summary"), "GITHUB_REF_NAME": "main", "GITHUB_TOKEN": "",
           "GITHUB_REPOSITORY": ""}
    if fake is not None:
        env.update(GITHUB_TOKEN=TOKEN, GITHUB_REPOSITORY=fake.repo, GITHUB_API_URL=fake.url)
    return run_cli("ci", "proposals-pr", "policies", "--state-dir", ".seatctl", "--sandbox",
                   str(demo["sandbox"]), "--at", at.isoformat(), *extra, env=env)


def _month(demo: dict[str, pathlib.Path]) -> MonthProposals:
    from reconciler.connect import open_provider
    from reconciler.policy import load_policy
    from reconciler.usage.service import run_inactive
    from reconciler.usage.store import UsageStore

    policy = load_policy(EXAMPLE_POLICIES)
    live = open_provider(policy, sandbox=str(demo["sandbox"])).fetch()
    with UsageStore(str(demo["db"])) as store:
        inactive = run_inactive(policy, store, days=None, today=DEMO_DATE, live=live)
    return month_proposals(policy, inactive, today=DEMO_DATE, live=live)


# -- branch naming ------------------------------------------------------------------------


def test_branch_is_named_for_the_month_and_a_checked_folder_key() -> None:
    assert branch_name(DEMO_DATE) == BRANCH
    assert branch_name(dt.date(2027, 1, 31)) == "seatctl/proposals-2027-01"
    assert branch_name(DEMO_DATE, "eu-west") == "seatctl/proposals-2026-11-eu-west"
    for bad in ("../main", "EU", "a b", "x" * 41, "-lead", "a:b", ""):
        with pytest.raises(ConfigError, match="cannot be part of a branch name"):
            branch_name(DEMO_DATE, bad)


# -- the PR description ------------------------------------------------------------------


def test_pr_body_lists_each_proposal_and_the_savings_golden(
        demo: dict[str, pathlib.Path], update_golden: bool) -> None:
    """On DEMO_DATE the demo org's three idle members; savings from monthly_bill."""
    month = _month(demo)
    assert {r.proposal.email for r in month.removals} == IDLE
    assert month.saves_from == dt.date(2026, 12, 1)
    assert month.monthly_cents == 8000  # as `usage inactive --sandbox` says on DEMO_DATE
    assert month.to_contract_end_cents >= month.monthly_cents
    body = render_pr_body(month)
    assert body.startswith(marker(month))
    if update_golden or not GOLDEN.exists():
        GOLDEN.write_text(body)
    assert body == GOLDEN.read_text()


def test_to_the_contract_end_sums_each_remaining_cycles_bill(
        demo: dict[str, pathlib.Path]) -> None:
    """From the 2026-12-01 cycle through the one holding contract.end, each cycle's
    bill charges the three seats; one cycle's charges are the per-month figure."""
    from reconciler.policy import load_policy
    from reconciler.usage.billing import next_billing_date

    policy = load_policy(EXAMPLE_POLICIES)
    month = _month(demo)
    assert policy.contract_end is not None
    cycles, day = 0, month.saves_from
    while day <= policy.contract_end:
        cycles += 1
        day = next_billing_date(day, policy.contract_start)
    assert month.cycles_to_end == cycles
    assert month.to_contract_end_cents <= cycles * month.monthly_cents
    assert month.to_contract_end_cents > (cycles - 1) * month.monthly_cents


def test_pr_body_escapes_names_from_the_org_and_the_policy(
        demo: dict[str, pathlib.Path]) -> None:
    month = _month(demo)
    r = month.removals[0]
    evil = "x|y@evil.example <img src=x> [a](https://evil.example) @team\x1b]8;;\x07\r"
    hostile = dataclasses.replace(month, org_name="Acme | <b>Corp</b>", removals=(
        dataclasses.replace(r, proposal=dataclasses.replace(
            r.proposal, email=evil, team="t|`eam`", reason="**bold** <script> @here")),),
        skipped=((evil, "not in the policy | @ops"),))
    body = render_pr_body(hostile)
    assert escape.markdown_code(evil) in body and evil not in body
    assert "<script>" not in body and "<img" not in body and "@here" not in body
    assert "@team" not in body and "](https://" not in body
    assert "| <code>t&#124;&#96;eam&#96;</code> |" in body
    assert not any(ch in body for ch in "\x1b\x07\r")
    from reconciler.gitops.render_proposals import render_commit_message

    message = render_commit_message(hostile)
    assert not any(ch in message for ch in "\x1b\x07\r")


def test_no_proposals_says_so() -> None:
    empty = MonthProposals("Acme", "default", DEMO_DATE, "2026-11", 30, (), (),
                           dt.date(2026, 12, 1), None, 0, 50, 19, "rule")
    body = render_pr_body(empty)
    assert "Nothing to propose as of 2026-11-25" in body and "| member |" not in body


# -- git and GitHub: dry run, open, update not duplicate, human commits, close -------------


def test_dry_run_changes_nothing(repo: pathlib.Path, demo: dict[str, pathlib.Path],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(FakeGitHub()) as fake:
        res = _run(repo, demo, fake, monkeypatch=monkeypatch)
    assert res.exit_code == 0, res.stderr
    assert "3 removal(s), $80/month from 2026-12-01" in res.stdout
    assert "pass --push to do it" in res.stdout
    assert fake.calls == []
    assert _git(repo, "ls-remote", "origin", f"refs/heads/{BRANCH}") == ""
    assert _git(repo, "status", "--porcelain", "--", "policies") == ""


def test_push_opens_one_pr_then_updates_it_never_a_second(
        repo: pathlib.Path, demo: dict[str, pathlib.Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(FakeGitHub()) as fake:
        first = _run(repo, demo, fake, "--push", monkeypatch=monkeypatch)
        assert first.exit_code == 0, first.stderr
        assert "opened pull request #" in first.stdout
        tip = _git(repo, "ls-remote", "origin", f"refs/heads/{BRANCH}").split()[0]
        second = _run(repo, demo, fake, "--push", monkeypatch=monkeypatch)
        assert second.exit_code == 0, second.stderr
    opened = [p for p in fake.pulls.values() if p["head"]["ref"] == BRANCH]
    assert len(opened) == 1
    pr = opened[0]
    assert f"updated pull request #{pr['number']}" in second.stdout
    assert "already holds these edits" in second.stdout
    assert _git(repo, "ls-remote", "origin", f"refs/heads/{BRANCH}").split()[0] == tip
    assert pr["base"] == {"ref": "main"} and pr["state"] == "open"
    assert pr["body"].startswith("<!-- seatctl-proposals 2026-11 default -->")
    assert pr["title"] == "seatctl: 2026-11 proposals: remove 3 inactive seats"
    bare = git.Repo(repo.parent / "origin.git")
    commit = bare.commit(tip)
    assert commit.author.email == BOT_EMAIL and commit.committer.email == BOT_EMAIL
    assert commit.parents[0].hexsha == _git(repo, "rev-parse", "main")
    assert _git(repo, "status", "--porcelain", "--", "policies") == ""  # checkout untouched
    outputs = (repo.parent / "out").read_text()
    assert f"pr={pr['number']}" in outputs and "outcome=updated" in outputs


def test_branch_commit_planned_against_the_sandbox_removes_exactly_the_proposed(
        repo: pathlib.Path, demo: dict[str, pathlib.Path], tmp_path: pathlib.Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy on the pushed branch, planned at DEMO_DATE, removes the three idle
    members and nobody else, and each of their teams holds one seat fewer."""
    from reconciler.connect import open_provider
    from reconciler.gitops.gitrepo import extract_tree
    from reconciler.plan.diff import diff
    from reconciler.policy import load_policy

    with serve(FakeGitHub()) as fake:
        res = _run(repo, demo, fake, "--push", monkeypatch=monkeypatch)
    assert res.exit_code == 0, res.stderr
    bare = git.Repo(repo.parent / "origin.git")
    proposed = tmp_path / "proposed"
    assert extract_tree(bare, f"refs/heads/{BRANCH}", "policies", proposed)
    before, after = load_policy(EXAMPLE_POLICIES), load_policy(proposed)
    live = open_provider(after, sandbox=str(demo["sandbox"])).fetch()
    removed_after = {c.target for c in diff(after, live, DEMO_DATE) if c.kind == "remove_member"}
    removed_before = {c.target for c in diff(before, live, DEMO_DATE)
                      if c.kind == "remove_member"}
    assert removed_after - removed_before == IDLE
    for email in IDLE:
        team = before.assignments[email].team
        assert after.teams[team].allocated_seats == before.teams[team].allocated_seats - 1


def test_a_human_commit_on_the_branch_is_never_rewritten(
        repo: pathlib.Path, demo: dict[str, pathlib.Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(FakeGitHub()) as fake:
        assert _run(repo, demo, fake, "--push", monkeypatch=monkeypatch).exit_code == 0
        _git(repo, "fetch", "-q", "origin", BRANCH)
        _git(repo, "checkout", "-q", "-b", "mine", "FETCH_HEAD")
        (repo / "policies" / "NOTE.md").write_text("keep carol: she is back in January\n")
        _git(repo, "add", "-A")
        _git(repo, "commit", "-qm", "keep carol")
        _git(repo, "push", "-q", "origin", f"HEAD:refs/heads/{BRANCH}")
        human = _git(repo, "rev-parse", "HEAD")
        _git(repo, "checkout", "-q", "main")
        res = _run(repo, demo, fake, "--push", monkeypatch=monkeypatch)
    assert res.exit_code == 1
    assert "has commits seatctl did not make (Human (" in res.stderr
    assert "will not rewrite them" in res.stderr and "Traceback" not in res.stderr
    assert _git(repo, "ls-remote", "origin", f"refs/heads/{BRANCH}").split()[0] == human
    assert len([p for p in fake.pulls.values() if p["head"]["ref"] == BRANCH]) == 1


def test_nothing_left_closes_the_months_pr_with_a_comment(
        repo: pathlib.Path, demo: dict[str, pathlib.Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Opened on DEMO_DATE; then every idle member is protected (safety.protected) on
    main, so the re-run of the same day proposes nothing and closes the PR."""
    with serve(FakeGitHub()) as fake:
        assert _run(repo, demo, fake, "--push", monkeypatch=monkeypatch).exit_code == 0
        org = repo / "policies" / "org.yaml"
        text = org.read_text()
        assert "protected:" in text
        org.write_text(text.replace("protected:", "protected:\n" + "".join(
            f"    - {e}\n" for e in sorted(IDLE)), 1))
        _git(repo, "commit", "-qam", "protect them")
        res = _run(repo, demo, fake, "--push", monkeypatch=monkeypatch)
    assert res.exit_code == 0, res.stderr
    (pr,) = [p for p in fake.pulls.values() if p["head"]["ref"] == BRANCH]
    assert pr["state"] == "closed"
    assert f"closed pull request #{pr['number']}" in res.stdout
    (comment,) = fake.comments[pr["number"]]
    assert comment["body"].startswith("Nothing remains to propose for 2026-11")
    assert "Nothing to propose as of 2026-11-25" in pr["body"]


def test_a_closed_pr_of_the_month_is_the_answer_no_second_one(
        repo: pathlib.Path, demo: dict[str, pathlib.Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone closed the 2026-11 PR (declined): the next run of DEMO_DATE opens none."""
    with serve(FakeGitHub()) as fake:
        assert _run(repo, demo, fake, "--push", monkeypatch=monkeypatch).exit_code == 0
        (pr,) = fake.pulls.values()
        pr["state"] = "closed"
        res = _run(repo, demo, fake, "--push", monkeypatch=monkeypatch)
    assert res.exit_code == 0, res.stderr
    assert f"pull request #{pr['number']} for 2026-11 was closed: no second one" in res.stdout
    assert len(fake.pulls) == 1


def test_github_refusing_the_pr_names_the_setting(
        repo: pathlib.Path, demo: dict[str, pathlib.Path],
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGitHub()
    real = fake.handle

    def refuse(method: str, path: str, query: dict[str, str], body: object):
        if method == "POST" and path.endswith("/pulls"):
            return 403, {"message": "GitHub Actions is not permitted to create pull requests"}
        return real(method, path, query, body)

    fake.handle = refuse  # type: ignore[method-assign]
    with serve(fake):
        res = _run(repo, demo, fake, "--push", monkeypatch=monkeypatch)
    assert res.exit_code == 1
    assert "GitHub refused to open the pull request" in res.stderr
    assert "allow GitHub Actions to create pull requests" in res.stderr
    assert TOKEN not in res.stdout + res.stderr and "Traceback" not in res.stderr


def test_push_without_a_token_is_a_clear_error(repo: pathlib.Path,
                                               demo: dict[str, pathlib.Path],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    res = _run(repo, demo, None, "--push", monkeypatch=monkeypatch)
    assert res.exit_code == 1
    assert "GITHUB_TOKEN and GITHUB_REPOSITORY are needed" in res.stderr
    assert _git(repo, "ls-remote", "origin", f"refs/heads/{BRANCH}") == ""


# -- several organizations -------------------------------------------------------------


def test_each_organization_has_its_own_drift_issue() -> None:
    """`eu` drifting and `us` clean: the `us` check never closes `eu`'s issue."""
    from reconciler.gitops.drift_issue import sync_drift_issue
    from reconciler.gitops.github_api import GitHubApi

    with serve(FakeGitHub()) as fake:
        api = GitHubApi(fake.url, TOKEN, fake.repo)
        assert "opened" in sync_drift_issue(api, "eu drifted", 2, "eu")
        assert sync_drift_issue(api, "in sync", 0, "us") == "drift: none"
        assert "opened" in sync_drift_issue(api, "us drifted", 2, "us")
        assert "updated" in sync_drift_issue(api, "eu still drifted", 2, "eu")
    eu, us = sorted(fake.issues.values(), key=lambda i: i["number"])
    assert eu["title"].endswith("(eu)") and eu["state"] == "open"
    assert "eu still drifted" in eu["body"] and "us drifted" in us["body"]
    with pytest.raises(ConfigError):
        sync_drift_issue(GitHubApi("http://127.0.0.1:9", TOKEN, "a/b"), "x", 2, "x -->")


def test_the_workflow_steps_open_one_pr_per_organization(
        tmp_path: pathlib.Path, demo: dict[str, pathlib.Path]) -> None:
    """The scheduled workflow's own `run:` scripts, in bash as GitHub runs them, on a
    repository with two organization folders: `orgs` lists them (matrix, and the
    proposals flag from `proposals-now`), then the proposals step of each matrix leg
    opens that organization's PR on its own branch. DEMO_DATE: the sandbox's clock."""
    import json
    import os
    import sys

    import yaml
    from conftest import ROOT

    doc = yaml.safe_load((ROOT / ".github" / "workflows" / "seatctl-scheduled.yml")
                         .read_text())
    (list_step,) = [s for s in doc["jobs"]["orgs"]["steps"] if s.get("id") == "list"]
    (pr_step,) = [s for s in doc["jobs"]["proposals"]["steps"]
                  if "proposals-pr" in str(s.get("run", ""))]
    origin = tmp_path / "origin.git"
    _git(tmp_path, "init", "-q", "--bare", str(origin))
    work = tmp_path / "repo"
    work.mkdir()
    _git(work, "init", "-q", "-b", "main")
    for key in ("eu", "us"):
        shutil.copytree(EXAMPLE_POLICIES, work / "orgs" / key)
        org = work / "orgs" / key / "org.yaml"
        org.write_text(org.read_text().replace("name: Acme Corp", f"name: Acme {key}", 1))
        (work / ".seatctl" / key).mkdir(parents=True)
        shutil.copyfile(demo["db"], work / ".seatctl" / key / "usage.db")
    (work / ".gitignore").write_text(".seatctl/\n")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "two organizations")
    _git(work, "remote", "add", "origin", str(origin))
    _git(work, "push", "-q", "origin", "main")
    bin_dir = pathlib.Path(sys.executable).parent
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SEATCTL_"))}
    base.update(PATH=f"{bin_dir}{os.pathsep}{base.get('PATH', '')}",
                SEATCTL_SANDBOX=str(demo["sandbox"]), GITHUB_REF_NAME="main", NO_COLOR="1")

    def run(step: dict, env: dict[str, str]) -> dict[str, str]:
        out = tmp_path / f"out-{len(list(tmp_path.glob('out-*')))}"
        full = {**base, **env, "GITHUB_OUTPUT": str(out),
                "GITHUB_STEP_SUMMARY": str(tmp_path / "summary")}
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=work,
                              env=full, capture_output=True, text=True, timeout=240,
                              check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        text = out.read_text() if out.exists() else ""
        got: dict[str, str] = {}
        lines = iter(text.splitlines())
        for line in lines:  # `name<<DELIM` blocks and `name=value` lines
            if "<<" in line:
                name, delim = line.split("<<", 1)
                got[name] = "\n".join(iter(lambda: next(lines), delim))
            else:
                name, _, value = line.partition("=")
                got[name] = value
        return got

    listed = run(list_step, {"POLICY_DIR": "orgs", "PROPOSALS_DAY": "0",
                             "PROPOSALS_NOW": "true"})
    assert listed["proposals"] == "true"
    legs = json.loads(listed["matrix"])["include"]
    assert [(x["org"], x["state_dir"]) for x in legs] == [("eu", ".seatctl/eu"),
                                                          ("us", ".seatctl/us")]
    with serve(FakeGitHub()) as fake:
        for leg in legs:
            # the proposals run evaluates at the sandbox's clock: DEMO_DATE
            run(pr_step, {"POLICY_DIR": leg["policy_dir"], "STATE_DIR": leg["state_dir"],
                          "ORG": leg["org"], "GITHUB_TOKEN": TOKEN,
                          "GITHUB_REPOSITORY": fake.repo, "GITHUB_API_URL": fake.url,
                          "SEATCTL_ADMIN_KEY": ""})
    heads = sorted(p["head"]["ref"] for p in fake.pulls.values())
    assert heads == [f"{BRANCH}-eu", f"{BRANCH}-us"]
    for pr in fake.pulls.values():
        key = pr["head"]["ref"].rsplit("-", 1)[1]
        assert f"Acme {key}" in pr["body"] and f"({key})" in pr["title"]
    changed = _git(origin, "diff", "--name-only", "main", f"{BRANCH}-eu").split()
    assert changed and all(f.startswith("orgs/eu/") for f in changed)
