"""Honest feedback on the pull request: every outcome updates the ONE sticky comment.

Invalid policy → file:line in the comment and ``::error file=…,line=…::`` annotations;
a fork PR → "live plan skipped", never "No changes"; approvals by label only from a
named approver. The steps run in-process against the fake GitHub API; no live read is
needed (validation fails first, and forks never plan live).
"""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest
from conftest import EXAMPLE_POLICIES, ROOT
from fake_github import TOKEN, FakeGitHub, serve
from gitops_builders import commit_all, init_repo

from reconciler.cli.gitops import _wiring
from reconciler.gitops.approvals import approvers_from_codeowners, decide, named_approvers
from reconciler.gitops.pr_plan import SKIPPED, run_pr_plan

WIRING = _wiring()


def _repo(tmp: pathlib.Path) -> tuple[pathlib.Path, str, str]:
    root = tmp / "repo"
    shutil.copytree(EXAMPLE_POLICIES, root / "policies")
    repo = init_repo(root)
    base = commit_all(repo, "policy", "2026-10-01T09:00:00Z")
    repo.git.checkout("-q", "-b", "change")
    team = root / "policies" / "teams" / "platform.yaml"
    team.write_text(team.read_text().replace("allocated_seats: 8", "allocated_seats: 10"))
    org = root / "policies" / "org.yaml"
    org.write_text(org.read_text().replace("name: platform\n    allocated_seats: 8",
                                           "name: platform\n    allocated_seats: 10"))
    head = commit_all(repo, "change", "2026-10-02T09:00:00Z")
    return root, base, head


def _env(tmp: pathlib.Path, fake: FakeGitHub, pr: dict[str, object]) -> dict[str, str]:
    ev = tmp / "event.json"
    ev.write_text(json.dumps({"pull_request": pr}))
    return {"GITHUB_EVENT_PATH": str(ev), "GITHUB_OUTPUT": str(tmp / "out"),
            "GITHUB_STEP_SUMMARY": str(tmp / "summary"), "GITHUB_REPOSITORY": fake.repo,
            "GITHUB_API_URL": fake.url, "GITHUB_TOKEN": TOKEN}


def test_invalid_policy_gives_file_line_and_annotations_and_replaces_the_old_comment(
        tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, base, head = _repo(tmp_path)
    monkeypatch.chdir(root)
    team = root / "policies" / "teams" / "platform.yaml"
    team.write_text(team.read_text().replace("allocated_seats: 10", "allocated_seats: many"))
    lines: list[str] = []
    with serve(FakeGitHub()) as fake:
        pr = fake.open_pr(5, head, base)
        fake.comments[5] = [{"id": 1, "body": "<!-- seatctl-plan -->\n📝 **Changes**: old"}]
        step = run_pr_plan(root, pathlib.Path("policies"), tmp_path / "out-dir",
                           _env(tmp_path, fake, pr), WIRING, emit=lines.append)
        comment = fake.sticky(5)
    assert step.outcome == "invalid" and step.exit_code == 1
    assert len(fake.comments[5]) == 1 and "old" not in comment  # the same comment, updated
    assert "❌ **Invalid policy**" in comment and "policies/teams/platform.yaml:" in comment
    errors = [ln for ln in lines if ln.startswith("::error ")]
    assert "::error file=policies/teams/platform.yaml,line=4::allocated_seats: expected a " \
        "whole number, got text" in errors
    outputs = dict(x.split("=", 1) for x in (tmp_path / "out").read_text().splitlines())
    assert outputs["outcome"] == "invalid"


def test_fork_pr_says_the_live_plan_was_skipped_never_no_changes(
        tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root, base, head = _repo(tmp_path)
    monkeypatch.chdir(root)
    with serve(FakeGitHub()) as fake:
        pr = fake.open_pr(6, head, base)
        pr["head"] = {"sha": head, "repo": {"full_name": "someone/fork"}}  # type: ignore[index]
        step = run_pr_plan(root, pathlib.Path("policies"), tmp_path / "out-dir",
                           _env(tmp_path, fake, pr), WIRING, emit=lambda _: None)
        comment = fake.sticky(6)
    assert step.outcome == "skipped" and step.exit_code == 0
    assert SKIPPED in comment and "No changes" not in comment
    assert "platform" in comment  # the policy diff is still shown
    assert not (tmp_path / "out-dir" / "plan.json").exists()  # nothing to apply from a fork


def test_a_label_counts_only_from_a_named_approver_and_until_removed() -> None:
    ev = [{"event": "labeled", "label": {"name": "seatctl:approve-overflow"},
           "actor": {"login": "Alice"}}]
    got = decide(ev, ["seatctl:approve-overflow"], ["@alice"])
    assert got.flags() == ["--approve-overflow", "--approver", "alice"]
    # re-added by someone else: theirs is the latest, and it does not count
    ev2 = ev + [{"event": "unlabeled", "label": {"name": "seatctl:approve-overflow"},
                 "actor": {"login": "alice"}},
                {"event": "labeled", "label": {"name": "seatctl:approve-overflow"},
                 "actor": {"login": "mallory"}}]
    got2 = decide(ev2, ["seatctl:approve-overflow"], ["alice"])
    assert got2.flags() == [] and "@mallory" in got2.ignored[0]
    # the label is no longer on the PR: nothing counts, whatever the history says
    assert decide(ev, [], ["alice"]).flags() == []
    # an unrelated label is never an approval
    assert decide([{"event": "labeled", "label": {"name": "bug"}, "actor": {"login": "alice"}}],
                  ["bug"], ["alice"]).flags() == []


def test_approvers_come_from_org_yaml_else_codeowners_users(tmp_path: pathlib.Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "org.yaml").write_text("organization: {}\n")
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "CODEOWNERS").write_text(
        "* @someone\n/policies/ @bob @acme/seat-admins  # owners\n")
    assert approvers_from_codeowners(tmp_path) == (["bob"], ["@acme/seat-admins"])
    users, notes = named_approvers(tmp_path, tmp_path / "policies")
    assert users == ["bob"] and "@acme/seat-admins" in notes[0]
    (tmp_path / "policies" / "org.yaml").write_text("approvers: ['@carol']\n")
    assert named_approvers(tmp_path, tmp_path / "policies") == (["carol"], [])


def test_both_schema_copies_know_approvers() -> None:
    a = (ROOT / "schemas" / "org.schema.json").read_text()
    b = (ROOT / "reconciler" / "schemas" / "org.schema.json").read_text()
    assert a == b and '"approvers"' in a


def test_a_rejected_or_displaced_apply_still_tells_the_pr(tmp_path: pathlib.Path) -> None:
    from reconciler.gitops.merge_apply import not_applied

    with serve(FakeGitHub()) as fake:
        fake.open_pr(9, "a" * 40, "b" * 40)
        fake.comments[9] = [{"id": 1, "body": "<!-- seatctl-plan -->\n🔎 Awaiting approval"}]
        env = {"GITHUB_REPOSITORY": fake.repo, "GITHUB_API_URL": fake.url,
               "GITHUB_TOKEN": TOKEN, "GITHUB_OUTPUT": str(tmp_path / "out")}
        got = not_applied(env, pr_number=9, head_sha="a" * 40, result="cancelled")
        comment = fake.sticky(9)
    assert got.outcome == "not-started" and len(fake.comments[9]) == 1
    assert "⏸️ **Not started**" in comment and "cancelled" in comment


def test_the_reviewed_plan_is_the_latest_plan_run_of_the_head_and_only_if_it_passed() -> None:
    from reconciler.gitops.merge_apply import find_reviewed

    with serve(FakeGitHub()) as fake:
        fake.open_pr(4, "a" * 40, "b" * 40)
        fake.merge(4, "c" * 40)
        env = {"GITHUB_REPOSITORY": fake.repo, "GITHUB_API_URL": fake.url,
               "GITHUB_TOKEN": TOKEN, "GITHUB_SHA": "c" * 40}
        assert find_reviewed(env).run_id == ""  # no plan ran: nothing to apply
        good = fake.plan_run("a" * 40)
        got = find_reviewed(env)
        assert got.run_id == str(good) and got.outputs()["artifact"] == "seatctl-plan-" + "a" * 40
        fake.plan_run("a" * 40, "failure")  # e.g. the approval label was removed since
        got = find_reviewed(env)
        assert got.run_id == "" and "ended failure" in got.reason
        assert got.outputs()["found"] == "false" and got.outputs()["pr"] == "4"
        env["GITHUB_SHA"] = "d" * 40  # a push that no pull request merged
        assert find_reviewed(env).pr is None


@pytest.mark.parametrize(("rc", "stderr", "outcome", "shown"), [
    (0, "", "done", "✅ **Applied**"),
    (3, "Error: 1 change failed\n", "incomplete", "⚠️ **Apply incomplete**"),
    (1, "Error: plan is stale (live fingerprint changed since it was made); what moved: "
        "now also needed: invite eve@acme.example\n", "refused", "now also needed"),
    (2, "Usage: seatctl apply\nError: No such option '--x'.\n", "failed", "❌ **Apply failed**"),
    (1, "Error: the admin key is missing: environment variable SEATCTL_ADMIN_KEY is not "
        "set\n", "failed", "SEATCTL_ADMIN_KEY is not set"),
])
def test_every_apply_result_reaches_the_pr(tmp_path: pathlib.Path, rc: int, stderr: str,
                                           outcome: str, shown: str) -> None:
    """The classification of `seatctl apply`'s exit (0 done, 3 incomplete, 1 refused or
    error with its message; anything else, such as a usage error, failed), on the
    demo day; the apply itself is replaced by its result."""
    import dataclasses
    import datetime as dt
    import subprocess

    from gitops_builders import make_policy

    from reconciler.gitops.merge_apply import apply_reviewed
    from reconciler.model import OrgState, OrgType
    from reconciler.plan.build import build_plan
    from reconciler.sandbox.demo import DEMO_DATE

    root, _base, head = _repo(tmp_path)
    policy = make_policy({"platform": (8, {"eve@acme.example": "developer"})})
    plan = build_plan(policy, OrgState(OrgType.ENTERPRISE, {}), at=DEMO_DATE, commit=head,
                       created_at=dt.datetime.combine(DEMO_DATE, dt.time(12), tzinfo=dt.UTC),
                       approve_overflow=True)
    plan_file = tmp_path / "reviewed" / "plan.json"
    plan_file.parent.mkdir()
    plan_file.write_text(plan.to_json())
    recorded: list[tuple[str, dict[str, object]]] = []
    wiring = dataclasses.replace(
        WIRING, record=lambda _p, _e, kind, fields: recorded.append((kind, dict(fields))))
    calls: list[list[str]] = []

    def fake_apply(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        assert pathlib.Path(str(kw["cwd"])).joinpath("policies", "org.yaml").is_file()
        return subprocess.CompletedProcess(cmd, rc, "Apply complete: 1 done\n", stderr)

    with serve(FakeGitHub()) as fake:
        fake.open_pr(3, head, _base)
        env = {"GITHUB_REPOSITORY": fake.repo, "GITHUB_API_URL": fake.url,
               "GITHUB_TOKEN": TOKEN, "GITHUB_OUTPUT": str(tmp_path / "out")}
        got = apply_reviewed(root, root / "policies", plan_file, tmp_path / "state", env,
                             wiring, pr_number=3, head_sha=head, run=fake_apply)
        comment = fake.sticky(3)
    assert got.outcome == outcome and shown in comment
    assert calls and calls[0][calls[0].index("apply") + 1] == str(plan_file.resolve())
    assert [k for k, _ in recorded] == ["approval"] and recorded[0][1]["pr"] == 3
    assert (root / ".git" / "worktrees").exists() is False or \
        not any((root / ".git" / "worktrees").iterdir())  # the reviewed tree is removed


def test_an_audit_log_that_does_not_verify_stops_the_apply(tmp_path: pathlib.Path) -> None:
    import dataclasses
    import datetime as dt

    from gitops_builders import make_policy

    from reconciler.gitops.merge_apply import apply_reviewed
    from reconciler.model import OrgState, OrgType
    from reconciler.plan.build import build_plan
    from reconciler.sandbox.demo import DEMO_DATE

    root, _base, head = _repo(tmp_path)
    state = tmp_path / "state"
    state.mkdir()
    (state / "audit.jsonl").write_text('{"edited": true}\n')
    wiring = dataclasses.replace(WIRING, verify_audit=lambda _p: "entry 0: hash mismatch")
    plan = build_plan(make_policy({"platform": (8, {})}), OrgState(OrgType.ENTERPRISE, {}),
                       at=DEMO_DATE, commit=head,
                       created_at=dt.datetime.combine(DEMO_DATE, dt.time(12), tzinfo=dt.UTC))
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(plan.to_json())

    def never(*_a: object, **_k: object) -> object:
        raise AssertionError("apply must not run")

    with serve(FakeGitHub()) as fake:
        fake.open_pr(3, head, _base)
        env = {"GITHUB_REPOSITORY": fake.repo, "GITHUB_API_URL": fake.url,
               "GITHUB_TOKEN": TOKEN}
        got = apply_reviewed(root, root / "policies", plan_file, state, env, wiring,
                             pr_number=3, head_sha=head, run=never)  # type: ignore[arg-type]
        comment = fake.sticky(3)
    assert got.outcome == "not-started" and got.exit_code == 1
    assert "does not verify" in comment and "hash mismatch" in comment


@pytest.mark.parametrize("how", ["merge", "squash", "rebase"])
def test_the_merge_rereads_from_the_commit_the_reviewed_change_starts_at(
        tmp_path: pathlib.Path, how: str) -> None:
    """Commits dated 2026-10 (no evaluation day involved): whichever way the pull request
    is merged, ``review_base`` is the commit its change starts from, so the merge's check
    and apply re-read what the PR's plan re-read (``--base`` over the snapshot)."""
    import git

    from reconciler.gitops.merge_apply import review_base

    root, base, head = _repo(tmp_path)
    repo = git.Repo(root)
    repo.git.checkout("-q", "main" if "main" in repo.heads else "master")
    main = repo.active_branch.name
    other = root / "README.md"
    other.write_text("main moved on, outside the policy\n")
    commit_all(repo, "unrelated", "2026-10-03T09:00:00Z")
    if how == "merge":
        repo.git.merge("--no-ff", "-q", "-m", "merge", "change")
    elif how == "squash":
        repo.git.merge("--squash", "-q", "change")
        commit_all(repo, "squashed", "2026-10-04T09:00:00Z")
    else:
        repo.git.checkout("-q", "-b", "rebased", "change")
        repo.git.rebase("-q", main)
        repo.git.checkout("-q", main)
        repo.git.merge("--ff-only", "-q", "rebased")
    assert review_base(root, head) == base
    assert review_base(root, "0" * 40) is None  # a head not in the checkout: a full read


@pytest.mark.parametrize("targeted", [True, False])
def test_the_merge_applies_with_base_only_a_plan_that_read_a_slice(
        tmp_path: pathlib.Path, targeted: bool) -> None:
    """On the demo day: a reviewed plan that read a slice over the snapshot is applied
    with ``--base`` (the commit the change starts at), so apply re-reads the same slice;
    a plan made from a full read is applied with a full read (their live fingerprints
    could never compare equal otherwise). The apply itself is replaced by its result."""
    import dataclasses
    import datetime as dt
    import subprocess

    from gitops_builders import make_policy

    from reconciler.gitops.merge_apply import apply_reviewed
    from reconciler.model import OrgState, OrgType
    from reconciler.plan.build import build_plan
    from reconciler.plan.guards import LIVE_READ, Finding
    from reconciler.sandbox.demo import DEMO_DATE

    root, base, head = _repo(tmp_path)
    policy = make_policy({"platform": (8, {"eve@acme.example": "developer"})})
    plan = build_plan(policy, OrgState(OrgType.ENTERPRISE, {}), at=DEMO_DATE, commit=head,
                      created_at=dt.datetime.combine(DEMO_DATE, dt.time(12), tzinfo=dt.UTC))
    note = ("targeted read: 1 member(s) and their invites, group(s) team-platform read live "
            "in 4 request(s)") if targeted else "full read of the organization: no snapshot"
    plan = dataclasses.replace(plan, findings=(*plan.findings, Finding("info", LIVE_READ, note)))
    plan = dataclasses.replace(plan, checksum=plan.content_checksum())
    plan_file = tmp_path / "reviewed" / "plan.json"
    plan_file.parent.mkdir()
    plan_file.write_text(plan.to_json())
    calls: list[list[str]] = []

    def fake_apply(cmd: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, "Apply complete: 1 done\n", "")

    with serve(FakeGitHub()) as fake:
        fake.open_pr(3, head, base)
        env = {"GITHUB_REPOSITORY": fake.repo, "GITHUB_API_URL": fake.url,
               "GITHUB_TOKEN": TOKEN, "GITHUB_OUTPUT": str(tmp_path / "out")}
        got = apply_reviewed(root, root / "policies", plan_file, tmp_path / "state", env,
                             WIRING, pr_number=3, head_sha=head, run=fake_apply)
    assert got.outcome == "done"
    (cmd,) = calls
    if targeted:  # the checkout is the PR head here: where it meets HEAD^1 is the base
        assert cmd[cmd.index("--base") + 1] == base
    else:
        assert "--base" not in cmd
