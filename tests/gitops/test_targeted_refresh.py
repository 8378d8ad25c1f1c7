"""``plan --base``: read live only the slice a pull request can change, the rest from
the kept snapshot, and say so; fall back to a full read (saying why) when unsafe.

Why: a full read of a 100,000-member org costs ~5,200 requests. The scenario: a
generated sandbox org on the demo day (``DEMO_DATE``; its clock stays there), a
policy imported from it and committed, a full-read plan that keeps the snapshot;
then the org changes *outside* the slice and the branch adds one person to team
0001 and raises its seats. The targeted plan must plan the slice exactly as a full
read would, leave the outside change alone (it is not in the slice), and say how
old the rest is.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import re

import git
import pytest
from conftest import run_cli

from reconciler.cli.importer import _bootstrap_policy
from reconciler.connect import open_provider
from reconciler.gitops.importer import import_policy
from reconciler.model import OrgType
from reconciler.policy import write_policy
from reconciler.sandbox.demo import DEMO_DATE, seed_generated
from reconciler.sandbox.invites import insert_invite
from reconciler.sandbox.store import SandboxStore

NEW = "newcomer@gen.example"


@pytest.fixture()
def repo(tmp_path: pathlib.Path) -> tuple[pathlib.Path, str, pathlib.Path]:
    db = tmp_path / "sb.db"
    store = SandboxStore(str(db))
    seed_generated(store, 300, 6, today=DEMO_DATE)
    store.set_date(DEMO_DATE)
    store.close()
    live = open_provider(_bootstrap_policy(OrgType.ENTERPRISE, "K"), sandbox=str(db)).fetch()
    policies = tmp_path / "repo" / "policies"
    write_policy(import_policy(live).policy, policies)
    r = git.Repo.init(tmp_path / "repo")
    r.index.add([str(p) for p in policies.rglob("*") if p.is_file()])
    r.index.commit("policy as imported")
    return policies, str(db), tmp_path / "state"


def _branch_change(policies: pathlib.Path) -> None:
    team = policies / "teams" / "0001.yaml"
    team.write_text(team.read_text() + f"- email: {NEW}\n  name: Newcomer\n  role: user\n")
    org = policies / "org.yaml"
    text = org.read_text()
    head, _, tail = text.partition("- name: '0001'\n  allocated_seats: ")
    seats, _, rest = tail.partition("\n")
    org.write_text(f"{head}- name: '0001'\n  allocated_seats: {int(seats) + 5}\n{rest}")


def _plan(*args: str) -> dict[str, object]:
    result = run_cli("plan", *args, "--format", "json")
    assert result.exit_code in (0, 2), result.stderr + result.stdout
    return json.loads(result.stdout)


def _changes(doc: dict[str, object], emails: set[str] | None = None) -> set[tuple[str, str]]:
    out = set()
    for c in doc["changes"]:  # type: ignore[attr-defined]
        target = str(c["target"])
        if emails is None or any(e in target for e in emails):
            out.add((str(c["kind"]), target))
    return out


def _notes(doc: dict[str, object]) -> list[str]:
    return [f["message"] for f in doc["findings"] if f["code"] == "live_read"]  # type: ignore[attr-defined]


def test_targeted_plan_is_right_for_the_slice_and_says_how_old_the_rest_is(repo) -> None:
    policies, db, state = repo
    first = _plan(str(policies), "--sandbox", db, "--state-dir", str(state))
    assert (state / "snapshot.json").is_file() and _changes(first) == set()
    # changed outside the slice after the snapshot: someone's role, in team 0002
    store = SandboxStore(db)
    store.execute("UPDATE users SET role = 'managed' WHERE email = 'member000002@gen.example'")
    store.close()
    _branch_change(policies)

    targeted = _plan(str(policies), "--sandbox", db, "--state-dir", str(state),
                     "--base", "HEAD")
    notes = _notes(targeted)
    assert notes and notes[0].startswith("targeted read: 1 member(s)"), notes
    requests = int(notes[0].rsplit(" in ", 1)[1].split(" ")[0])
    assert requests <= 10
    assert "from the snapshot of 2026-11-25" in notes[1] and "old" in notes[1]

    full = _plan(str(policies), "--sandbox", db, "--state-dir", str(state / "full"))
    slice_emails = {NEW, "team-0001"}
    assert _changes(targeted, slice_emails) == _changes(full, slice_emails)
    assert ("invite", NEW) in {(k, t.split(" ")[0]) for k, t in _changes(targeted)}
    # the outside change is the full read's business, not the slice's
    assert any("member000002" in t for _, t in _changes(full))
    assert not any("member000002" in t for _, t in _changes(targeted))


def test_falls_back_to_a_full_read_and_says_why(repo) -> None:
    policies, db, state = repo
    no_snapshot = _plan(str(policies), "--sandbox", db, "--state-dir", str(state),
                        "--base", "HEAD")
    assert _notes(no_snapshot) == [f"full read of the organization: no snapshot in {state} yet"]
    _branch_change(policies)
    store = SandboxStore(db)
    store.advance(dt.timedelta(hours=30))  # the org's clock: the snapshot is 30 h old now
    store.close()
    too_old = _plan(str(policies), "--sandbox", db, "--state-dir", str(state), "--base", "HEAD")
    assert _notes(too_old) == ["full read of the organization: the snapshot is 30 h 00 min "
                               "old, more than --max-snapshot-age 24 h 00 min"]
    org = policies / "org.yaml"
    org.write_text(re.sub(r"purchased: (\d+)", lambda m: f"purchased: {int(m[1]) + 10}",
                          org.read_text()))
    widened = _plan(str(policies), "--sandbox", db, "--state-dir", str(state), "--base", "HEAD")
    assert _notes(widened) == ["full read of the organization: org-wide settings changed "
                               "(budget)"]


def test_a_change_inside_the_slice_after_the_plan_makes_apply_refuse(repo) -> None:
    policies, db, state = repo
    _plan(str(policies), "--sandbox", db, "--state-dir", str(state))
    _branch_change(policies)
    out = state / "plan.json"
    result = run_cli("plan", str(policies), "--sandbox", db, "--state-dir", str(state),
                     "--base", "HEAD", "--out", str(out), "--format", "json")
    assert result.exit_code == 2 and "targeted read" in result.stdout
    store = SandboxStore(db)
    insert_invite(store, NEW, "user", invited_at=dt.datetime.combine(DEMO_DATE, dt.time(9),
                                                                     tzinfo=dt.UTC))
    store.close()
    applied = run_cli("apply", str(out), "--policy-dir", str(policies), "--sandbox", db,
                      "--state-dir", str(state))
    assert applied.exit_code == 1 and "stale" in applied.stderr


def test_drift_keeps_its_full_read_for_the_next_targeted_plan(repo) -> None:
    policies, db, state = repo
    result = run_cli("drift", str(policies), "--sandbox", db, "--state",
                     str(state / "last-apply.json"), "--format", "json")
    assert result.exit_code in (0, 2), result.stderr
    doc = json.loads((state / "snapshot.json").read_text())
    assert doc["read_at"].startswith(DEMO_DATE.isoformat())  # the sandbox org's clock
    _branch_change(policies)
    targeted = _plan(str(policies), "--sandbox", db, "--state-dir", str(state), "--base", "HEAD")
    assert _notes(targeted)[0].startswith("targeted read")


def test_apply_with_base_rereads_only_the_slice_and_refuses_when_it_moved(repo) -> None:
    policies, db, state = repo
    _plan(str(policies), "--sandbox", db, "--state-dir", str(state))
    _branch_change(policies)
    out = state / "plan.json"
    made = run_cli("plan", str(policies), "--sandbox", db, "--state-dir", str(state),
                   "--base", "HEAD", "--out", str(out), "--format", "json")
    assert made.exit_code == 2
    # outside the slice after the plan: not what this apply reads or changes
    store = SandboxStore(db)
    store.execute("UPDATE users SET role = 'managed' WHERE email = 'member000002@gen.example'")
    store.close()
    applied = run_cli("apply", str(out), "--policy-dir", str(policies), "--sandbox", db,
                      "--state-dir", str(state), "--base", "HEAD")
    assert applied.exit_code == 0, applied.stderr
    assert "info: targeted read: 1 member(s)" in applied.stderr
    store = SandboxStore(db)
    assert store.scalar("SELECT COUNT(*) FROM invites WHERE email = ?", (NEW,)) == 1
    store.close()

    # a second branch change, planned, then the slice moves before apply: refused
    team = policies / "teams" / "0001.yaml"
    team.write_text(team.read_text() + "- email: late@gen.example\n  name: Late\n  role: user\n")
    made = run_cli("plan", str(policies), "--sandbox", db, "--state-dir", str(state),
                   "--base", "HEAD", "--out", str(out), "--format", "json")
    assert made.exit_code == 2 and "targeted read" in made.stdout
    store = SandboxStore(db)
    insert_invite(store, "late@gen.example", "user",
                  invited_at=dt.datetime.combine(DEMO_DATE, dt.time(9), tzinfo=dt.UTC))
    store.close()
    refused = run_cli("apply", str(out), "--policy-dir", str(policies), "--sandbox", db,
                      "--state-dir", str(state), "--base", "HEAD")
    assert refused.exit_code == 1 and "stale" in refused.stderr
    assert "late@gen.example" in refused.stderr


def test_the_merge_check_rereads_only_the_reviewed_slice_and_refuses_when_it_moved(
        repo, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the demo day: the PR's plan read the slice over the snapshot; at merge the check
    (``ci check-reviewed --state-dir``) re-reads the same slice, from the commit the
    change started at, not the whole organization; a move inside the slice refuses."""
    from fake_github import TOKEN, FakeGitHub, serve

    from reconciler.cli.gitops import _wiring
    from reconciler.escape import markdown
    from reconciler.gitops.merge_apply import check_reviewed
    from reconciler.gitops.wiring import Wiring

    policies, db, state = repo
    root = policies.parent
    monkeypatch.chdir(root)
    _plan("policies", "--sandbox", db, "--state-dir", str(state))  # the kept snapshot
    dev = git.Repo(root)
    base = dev.head.commit.hexsha
    main = dev.active_branch.name
    dev.git.checkout("-q", "-b", "change")
    _branch_change(policies)
    dev.git.add("-A")
    dev.index.commit("team 0001: a newcomer and five seats")
    head = dev.head.commit.hexsha
    reviewed = root.parent / "reviewed"
    reviewed.mkdir()
    made = run_cli("plan", "policies", "--sandbox", db, "--state-dir", str(state),
                   "--base", base, "--out", str(reviewed / "plan.json"))
    assert made.exit_code == 2, made.stderr
    dev.git.checkout("-q", main)
    dev.git.merge("--no-ff", "-q", "-m", "Merge pull request #1", "change")
    merged = dev.head.commit.hexsha

    seen: list[object] = []
    real = _wiring()

    def make_plan(*args: object, **kwargs: object) -> object:
        plan = real.make_plan(*args, **kwargs)
        seen.append(plan)
        return plan

    wiring = Wiring(make_plan=make_plan, extra_checks=real.extra_checks,
                    apply_options=real.apply_options, verify_audit=real.verify_audit,
                    record=real.record)
    with serve(FakeGitHub()) as fake:
        fake.open_pr(1, head, base)
        fake.merge(1, merged)
        env = {"GITHUB_REPOSITORY": fake.repo, "GITHUB_API_URL": fake.url,
               "GITHUB_TOKEN": TOKEN, "GITHUB_SHA": merged,
               "GITHUB_OUTPUT": str(root.parent / "out"),
               "GITHUB_STEP_SUMMARY": str(root.parent / "summary")}
        ready = check_reviewed(root, pathlib.Path("policies"), reviewed, env, wiring,
                               pr_number=1, sandbox=db, state_dir=state)
        assert ready.outcome == "ready", ready.comment
        notes = [f.message for f in seen[-1].findings if f.code == "live_read"]  # type: ignore[attr-defined]
        assert notes[0].startswith("targeted read: 1 member(s)"), notes
        assert int(notes[0].rsplit(" in ", 1)[1].split(" ")[0]) <= 10
        # inside the slice, after the review: the newcomer was invited in the console
        store = SandboxStore(db)
        insert_invite(store, NEW, "user", invited_at=dt.datetime.combine(
            DEMO_DATE, dt.time(9), tzinfo=dt.UTC))
        store.close()
        refused = check_reviewed(root, pathlib.Path("policies"), reviewed, env, wiring,
                                 pr_number=1, sandbox=db, state_dir=state)
    assert refused.outcome == "refused"
    assert f"no longer needed: invite {markdown(NEW)}" in refused.comment
