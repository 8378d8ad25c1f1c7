"""``seatctl plan`` end to end: example policy, sandbox org through the official SDK."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import shutil

import jsonschema
import pytest
from conftest import EXAMPLE_POLICIES, ROOT, run_cli

from reconciler.plan import Plan
from reconciler.sandbox.demo import DEMO_DATE

SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
TODAY = DEMO_DATE  # the example policy and the demo org are written for this day


@pytest.fixture(autouse=True)
def _state_in_tmp(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``plan`` keeps its full read as ``./.seatctl/snapshot.json``: here that is under
    tmp_path, never in the checkout (every path below is absolute)."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.store import SandboxStore

    path = str(tmp_path_factory.mktemp("plan-demo") / "demo.db")
    store = SandboxStore(path)
    try:
        seed_demo_org(store, TODAY, EXAMPLE_POLICIES)
    finally:
        store.close()
    return path


def test_demo_plan_shows_exactly_the_seeded_drift_with_reasons() -> None:
    res = run_cli("plan", str(EXAMPLE_POLICIES), "--demo")
    assert res.exit_code == 2, res.stderr
    changes = [line.strip() for line in res.stdout.splitlines()
               if line.startswith(("  + ", "  ~ ", "  - "))]
    assert [c.split("  ")[0] for c in changes] == [
        "+ invite kate.silva@acme.example",
        "+ invite sam.obi@acme.example",
        "~ update_role quinn.taylor@acme.example",
    ]
    assert "invite expired on" in res.stdout and "teams/frontend.yaml:" in res.stdout
    assert "policy asks for managed: " in res.stdout
    assert "! unlisted_member: zoe.unlisted@acme.example (user)" in res.stdout
    assert "Plan: 2 to add, 1 to change, 0 to remove." in res.stdout
    assert "\x1b[" not in res.stdout  # not a terminal: no colour


def test_json_plan_validates_against_the_schema_and_out_file_round_trips(
    demo_db: str, tmp_path: pathlib.Path
) -> None:
    out = tmp_path / "plan.json"
    res = run_cli("plan", str(EXAMPLE_POLICIES), "--sandbox", demo_db, "--format", "json",
                  "--out", str(out))
    assert res.exit_code == 2, res.stderr
    doc = json.loads(res.stdout)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert out.read_text() == res.stdout
    plan = Plan.from_json(out.read_text())
    assert plan.to_json() == res.stdout
    assert [c.kind for c in plan.changes] == ["invite", "invite", "update_role"]
    assert plan.policy_commit and len(plan.policy_commit) == 40
    assert plan.live_fingerprint.startswith("sha256:")
    assert doc["summary"]["total"]["seats_after"] == 21


def test_markdown_plan_is_a_pr_comment(demo_db: str) -> None:
    res = run_cli("plan", str(EXAMPLE_POLICIES), "--sandbox", demo_db, "--format", "markdown")
    assert res.exit_code == 2
    assert res.stdout.startswith("<!-- seatctl-plan -->")
    assert res.stdout.index("| change | count |") < res.stdout.index("<details>")


def test_plan_after_the_changes_are_made_shows_no_changes(tmp_path: pathlib.Path) -> None:
    from reconciler.cli.demo import seed_demo_org
    from reconciler.connect import open_provider
    from reconciler.policy import load_policy
    from reconciler.sandbox.store import SandboxStore

    db = str(tmp_path / "org.db")
    store = SandboxStore(db)
    seed_demo_org(store, TODAY, EXAMPLE_POLICIES)
    store.close()
    out = tmp_path / "plan.json"
    assert run_cli("plan", str(EXAMPLE_POLICIES), "--sandbox", db, "--out",
                   str(out)).exit_code == 2
    plan = Plan.from_json(out.read_text())
    provider = open_provider(load_policy(EXAMPLE_POLICIES), sandbox=db)
    live = provider.fetch()
    for change in plan.changes:  # the two kinds the demo needs, as apply would call them
        d = change.data
        if change.kind == "invite":
            provider.invite(str(d["email"]), str(d["role"]), frozenset(d["group_ids"]))
        else:
            assert change.kind == "update_role"
            provider.update_role(live.members[str(d["email"])], str(d["role"]))
    res = run_cli("plan", str(EXAMPLE_POLICIES), "--sandbox", db)
    assert res.exit_code == 0, res.stdout + res.stderr
    assert "No changes: the live organization matches the policy" in res.stdout
    assert "zoe.unlisted@acme.example" in res.stdout  # still reported, never removed


def test_at_date_plans_removal_after_expiry(demo_db: str) -> None:
    res = run_cli("plan", str(EXAMPLE_POLICIES), "--sandbox", demo_db, "--at", "2027-02-01")
    assert res.exit_code == 2
    assert "- remove_member jack.brown@acme.example" in res.stdout
    assert "expired on 2027-01-31 (" in res.stdout


def test_blocking_guard_exits_1_and_still_shows_why(demo_db: str, tmp_path: pathlib.Path) -> None:
    policy_dir = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, policy_dir)
    org = policy_dir / "org.yaml"
    org.write_text(org.read_text().replace("max_removals: 5", "max_removals: 1"))
    args = ("plan", str(policy_dir), "--sandbox", demo_db, "--at", "2027-07-01")
    res = run_cli(*args)
    assert res.exit_code == 1
    assert ("x removal_cap: 3 removals (16% of 19 members) exceed the limit of 1 and 25%"
            in res.stdout)
    assert "blocked" in res.stderr
    approved = run_cli(*args, "--allow-large-removal", "--approver", "cto@acme.example")
    assert approved.exit_code == 2
    assert "approved by cto@acme.example" in approved.stdout


def test_missing_policy_dir_is_a_clear_error_not_a_traceback(tmp_path: pathlib.Path) -> None:
    res = run_cli("plan", str(tmp_path / "nope"), "--demo")
    assert res.exit_code == 1
    assert "does not exist" in res.stderr and "Traceback" not in res.stderr


def test_sandbox_and_demo_exclude_each_other(demo_db: str) -> None:
    res = run_cli("plan", str(EXAMPLE_POLICIES), "--sandbox", demo_db, "--demo")
    assert res.exit_code == 1 and "exclude each other" in res.stderr


def test_team_allocation_follows_sprint_seating_as_of_the_date(demo_db: str) -> None:
    from reconciler.policy import allocated_seats_at, load_policy

    policy = load_policy(EXAMPLE_POLICIES)
    backend = policy.teams["backend"]
    seen = {}
    for day in ("2026-11-20", "2026-11-28"):
        res = run_cli("plan", str(EXAMPLE_POLICIES), "--sandbox", demo_db, "--format", "json",
                      "--at", day)
        teams = {t["name"]: t for t in json.loads(res.stdout)["summary"]["teams"]}
        expected = allocated_seats_at(backend, policy.budget, dt.date.fromisoformat(day))
        assert teams["backend"]["allocated"] == expected
        seen[day] = expected
    assert seen["2026-11-28"] > seen["2026-11-20"]  # +10 seats two days before the sprint


def test_plan_pauses_the_collector_only_while_it_runs(demo_db: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from reconciler.cli import plan as plan_cli

    seen: list[bool] = []
    make_plan = plan_cli.make_plan

    def spy(*args: object, **kwargs: object) -> Plan:
        seen.append(gc.isenabled())
        return make_plan(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(plan_cli, "make_plan", spy)
    assert run_cli("plan", str(EXAMPLE_POLICIES), "--sandbox", demo_db).exit_code == 2
    assert seen == [False] and gc.isenabled()
