"""State that lasts: the state directory on the `seatctl-state` branch of a bare remote."""

from __future__ import annotations

import pathlib
import subprocess

import git
import pytest
from fake_github import FakeGitHub, serve

from reconciler.gitops.drift_issue import LABEL, MARKER, sync_drift_issue
from reconciler.gitops.github_api import GitHubApi
from reconciler.gitops.state_branch import StateBranchError, pull, push


def _clone(remote: pathlib.Path, path: pathlib.Path) -> pathlib.Path:
    git.Repo.clone_from(str(remote), str(path))
    return path


def _remote(tmp: pathlib.Path) -> pathlib.Path:
    remote = tmp / "remote.git"
    git.Repo.init(str(remote), bare=True, initial_branch="main")
    seed = git.Repo.init(str(tmp / "seed"), initial_branch="main")
    (tmp / "seed" / "README").write_text("policy\n")
    seed.git.add("-A")
    seed.git.commit("-q", "-m", "init", env={"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b",
                                              "GIT_COMMITTER_NAME": "a",
                                              "GIT_COMMITTER_EMAIL": "a@b"})
    seed.git.push("-q", str(remote), "main")
    return remote


def _show(remote: pathlib.Path, path: str) -> str:
    return subprocess.run(["git", "show", f"seatctl-state:{path}"], cwd=remote, check=True,
                          capture_output=True, text=True).stdout


def test_pull_push_round_trip_keeps_history_and_skips_locks(tmp_path: pathlib.Path) -> None:
    remote = _remote(tmp_path)
    a = _clone(remote, tmp_path / "a")
    state = a / ".seatctl"
    assert pull(a, state) is None  # no branch yet: start empty
    (state / "audit.jsonl").write_text('{"seq":0}\n')
    (state / "locks").mkdir()
    (state / "locks" / "acme.lock").write_text("held")
    first = push(a, state, message="first")
    assert first.changed and first.attempts == 1
    assert _show(remote, "audit.jsonl") == '{"seq":0}\n'
    tree = subprocess.run(["git", "ls-tree", "-r", "--name-only", "seatctl-state"], cwd=remote,
                          check=True, capture_output=True, text=True).stdout.split()
    assert tree == ["audit.jsonl"]  # a killed run's lock never reaches the next run
    assert push(a, state, message="again").changed is False

    b = _clone(remote, tmp_path / "b")
    assert pull(b, b / ".seatctl") == first.commit
    assert (b / ".seatctl" / "audit.jsonl").read_text() == '{"seq":0}\n'


def test_a_concurrent_push_is_rebased_when_our_log_extends_theirs(tmp_path: pathlib.Path
                                                                   ) -> None:
    remote = _remote(tmp_path)
    a, b = _clone(remote, tmp_path / "a"), _clone(remote, tmp_path / "b")
    pull(a, a / ".seatctl")
    (a / ".seatctl" / "audit.jsonl").write_text("1\n")
    push(a, a / ".seatctl", message="a")
    pull(b, b / ".seatctl")
    # a writes the usage store while b appends to the log it pulled
    (a / ".seatctl" / "usage.db").write_bytes(b"usage")
    push(a, a / ".seatctl", message="a2")
    (b / ".seatctl" / "audit.jsonl").write_text("1\n2\n")
    res = push(b, b / ".seatctl", message="b", pause_s=0)
    assert res.changed and res.attempts == 2
    assert _show(remote, "audit.jsonl") == "1\n2\n"
    assert _show(remote, "usage.db") == "usage"  # a's file, which b never touched, is kept
    log = subprocess.run(["git", "log", "--format=%s", "seatctl-state"], cwd=remote,
                         check=True, capture_output=True, text=True).stdout.split()
    assert log == ["b", "a2", "a"]  # history kept, nothing force-pushed


def test_a_concurrent_push_with_records_we_lack_is_refused_not_overwritten(
        tmp_path: pathlib.Path) -> None:
    remote = _remote(tmp_path)
    a, b = _clone(remote, tmp_path / "a"), _clone(remote, tmp_path / "b")
    pull(a, a / ".seatctl")
    pull(b, b / ".seatctl")
    (a / ".seatctl" / "audit.jsonl").write_text("from-a\n")
    push(a, a / ".seatctl", message="a")
    (b / ".seatctl" / "audit.jsonl").write_text("from-b\n")
    with pytest.raises(StateBranchError, match="audit records this run does not have"):
        push(b, b / ".seatctl", message="b", pause_s=0)
    assert _show(remote, "audit.jsonl") == "from-a\n"


def test_push_without_pull_is_refused(tmp_path: pathlib.Path) -> None:
    remote = _remote(tmp_path)
    a = _clone(remote, tmp_path / "a")
    (a / ".seatctl").mkdir()
    with pytest.raises(StateBranchError, match="was not pulled"):
        push(a, a / ".seatctl", message="x")


def test_the_drift_issue_is_opened_updated_and_closed_with_a_comment() -> None:
    with serve(FakeGitHub()) as fake:
        api = GitHubApi(fake.url, "ghs_fake_token_for_tests", fake.repo)
        assert "opened" in sync_drift_issue(api, "2 changes outside the policy", 2)
        (issue,) = fake.issues.values()
        assert issue["labels"] == [LABEL] and MARKER in issue["body"]
        assert "updated" in sync_drift_issue(api, "3 changes", 2)
        assert len(fake.issues) == 1 and "3 changes" in issue["body"]
        assert "failed" in sync_drift_issue(api, "", 1)  # an error is not "drift gone"
        assert issue["state"] == "open"
        assert "closed 1" in sync_drift_issue(api, "in sync", 0)
        assert issue["state"] == "closed"
        assert "Drift is gone" in fake.comments[issue["number"]][0]["body"]


def test_two_orgs_pushing_at_once_both_land(tmp_path: pathlib.Path) -> None:
    """Several organizations: the eu and us apply jobs pull the same tip, run in parallel
    and push; the second push rebases onto the first and neither audit chain loses a
    record. A run that rewrote the other organization's log is still refused. No dates."""
    import threading

    remote = _remote(tmp_path)
    first = _clone(remote, tmp_path / "first")
    seeded = first / ".seatctl"
    for org in ("eu", "us"):
        (seeded / org).mkdir(parents=True)
        (seeded / org / "audit.jsonl").write_text(f'{{"org": "{org}", "n": 1}}\n')
    pull(first, seeded)
    push(first, seeded, message="seed", pause_s=0)

    jobs = {org: _clone(remote, tmp_path / f"job-{org}") for org in ("eu", "us")}
    for org, repo in jobs.items():
        pull(repo, repo / ".seatctl")
        with (repo / ".seatctl" / org / "audit.jsonl").open("a") as fh:
            fh.write(f'{{"org": "{org}", "n": 2}}\n')
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def job(org: str) -> None:
        try:
            start.wait()
            push(jobs[org], jobs[org] / ".seatctl", message=f"apply {org}", pause_s=0.05)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=job, args=(org,)) for org in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    for org in ("eu", "us"):
        assert _show(remote, f"{org}/audit.jsonl").splitlines() == [
            f'{{"org": "{org}", "n": 1}}', f'{{"org": "{org}", "n": 2}}']

    # a stale run that drops the eu log's newest record is refused, nothing overwritten
    stale = _clone(remote, tmp_path / "stale")
    pull(stale, stale / ".seatctl")
    (stale / ".seatctl" / "eu" / "audit.jsonl").write_text('{"org": "eu", "n": 1}\n')
    (stale / ".seatctl" / "us" / "audit.jsonl").write_text("")
    (stale / ".seatctl" / ".state-base").write_text(
        subprocess.run(["git", "rev-parse", "seatctl-state~1"], cwd=remote, check=True,
                       capture_output=True, text=True).stdout)
    with pytest.raises(StateBranchError, match="audit records"):
        push(stale, stale / ".seatctl", message="stale", pause_s=0)
    assert len(_show(remote, "eu/audit.jsonl").splitlines()) == 2
