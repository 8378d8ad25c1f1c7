"""The opt-in scheduled reconcile applies what the calendar changed, and nothing else.

Dates: the sandbox org is seeded on ``DEMO_DATE`` (2026-11-25) and the first apply
happens then; the schedule then runs on 2027-02-01, after the contractor
jack.brown@acme.example's ``expires: 2027-01-31`` (written in the example policy).
"""

from __future__ import annotations

import datetime as dt
import pathlib
import shutil

import pytest
from conftest import EXAMPLE_POLICIES, run_cli

from reconciler.cli.gitops import _wiring
from reconciler.gitops.scheduled_apply import scheduled_apply

JACK = "jack.brown@acme.example"
AFTER_EXPIRY = dt.date(2027, 2, 1)


def _setup(tmp: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path, pathlib.Path]:
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.demo import DEMO_DATE
    from reconciler.sandbox.store import SandboxStore

    policies = tmp / "policies"
    shutil.copytree(EXAMPLE_POLICIES, policies)
    assert f"email: {JACK}" in (policies / "teams" / "frontend.yaml").read_text()
    assert "expires: 2027-01-31" in (policies / "teams" / "frontend.yaml").read_text()
    db = tmp / "sandbox.db"
    store = SandboxStore(str(db))
    try:
        seed_demo_org(store, DEMO_DATE, policies)
    finally:
        store.close()
    state = tmp / "state"
    res = run_cli("apply", "--auto-approve", str(policies), "--sandbox", str(db),
                  "--state-dir", str(state))
    assert res.exit_code == 0, res.stderr
    assert (state / "last-apply.json").is_file()
    return policies, db, state


def _members(db: pathlib.Path) -> set[str]:
    from reconciler.sandbox.store import SandboxStore

    store = SandboxStore(str(db))
    try:
        return {r["email"] for r in store.query("SELECT email FROM users WHERE deleted = 0")}
    finally:
        store.close()


def _move_to(db: pathlib.Path, day: dt.date) -> None:
    from reconciler.sandbox.store import SandboxStore

    store = SandboxStore(str(db))
    try:
        store.set_date(day)
    finally:
        store.close()


@pytest.mark.slow
def test_schedule_applies_an_expiry_on_its_day_and_skips_when_anything_else_differs(
        tmp_path: pathlib.Path) -> None:
    policies, db, state = _setup(tmp_path)
    wiring = _wiring()
    got = scheduled_apply(policies, state, {}, wiring, sandbox=str(db))
    assert got.outcome == "nothing-due", got.message

    _move_to(db, AFTER_EXPIRY)
    assert JACK in _members(db)
    got = scheduled_apply(policies, state, {}, wiring, sandbox=str(db))
    assert got.outcome == "applied", got.message
    assert JACK not in _members(db)
    log = (state / "audit.jsonl").read_text()
    assert JACK in log  # the same audit log as a merge's apply

    # a console edit (not the calendar) is left for a reviewed pull request
    from reconciler.sandbox.store import SandboxStore

    store = SandboxStore(str(db))
    try:
        store.execute("UPDATE users SET deleted = 1 WHERE email = ?",
                      ("grace.lee@acme.example",))
    finally:
        store.close()
    got = scheduled_apply(policies, state, {}, wiring, sandbox=str(db))
    assert got.outcome == "skipped" and "time did not cause" in got.message
    assert "member:grace.lee@acme.example" in got.message
    assert "grace.lee@acme.example" not in _members(db)


def test_schedule_waits_for_a_first_reviewed_apply(tmp_path: pathlib.Path) -> None:
    got = scheduled_apply(tmp_path, tmp_path / "state", {}, _wiring())
    assert got.outcome == "skipped" and "no apply is recorded" in got.message
