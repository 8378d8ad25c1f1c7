"""``seatctl apply | audit | lock`` end to end on the Acme demo org in a sandbox file."""

from __future__ import annotations

import base64
import datetime as dt
import json
import pathlib
import re
import shutil
import threading
import urllib.parse

import pytest
from conftest import EXAMPLE_POLICIES, run_cli

from reconciler.apply import audit as audit_mod
from reconciler.apply.lock import acquire, lock_path, read_lock
from reconciler.cli.demo import seed_demo_org
from reconciler.sandbox.demo import DEMO_DATE
from reconciler.sandbox.store import SandboxStore


@pytest.fixture
def demo(tmp_path: pathlib.Path) -> dict[str, str]:
    return demo_dirs(tmp_path)


def demo_dirs(tmp_path: pathlib.Path) -> dict[str, str]:
    """A copy of the example policy (its own client limits: 90/min, a bucket of 8; 100/min
    would get no bucket and be slower here) and a seeded demo sandbox."""
    policies = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, policies)
    db = tmp_path / "sandbox.db"
    store = SandboxStore(str(db))
    seed_demo_org(store, DEMO_DATE, EXAMPLE_POLICIES)
    store.close()
    return {"policies": str(policies), "db": str(db), "state": str(tmp_path / "state"),
            "plan": str(tmp_path / "plan.json"), "tmp": str(tmp_path),
            "plan_state": str(tmp_path / "plan-state")}


def plan(d: dict[str, str], *extra: str):
    # the plan's snapshot goes under tmp_path, not ./.seatctl in the checkout
    return run_cli("plan", d["policies"], "--sandbox", d["db"], "--out", d["plan"],
                   "--state-dir", d["plan_state"], *extra)


def apply(d: dict[str, str], *extra: str, env: dict[str, str] | None = None):
    return run_cli("apply", d["plan"], "--policy-dir", d["policies"], "--sandbox", d["db"],
                   "--state-dir", d["state"], *extra, env=env)


def live_members(d: dict[str, str]) -> dict[str, str]:
    store = SandboxStore(d["db"])
    try:
        return {r["email"]: r["role"] for r in
                store.query("SELECT email, role FROM users WHERE deleted = 0")}
    finally:
        store.close()


def test_without_plan_or_auto_approve_nothing_is_written(demo) -> None:
    result = run_cli("apply", "--state-dir", demo["state"])
    assert result.exit_code == 1
    assert "nothing was applied" in result.stderr and "seatctl plan --out" in result.stderr
    assert not pathlib.Path(demo["state"]).exists()


def test_demo_plan_apply_plan_shows_no_changes(demo) -> None:
    assert plan(demo).exit_code == 2
    result = apply(demo)
    assert result.exit_code == 0, result.stderr
    assert "Apply complete: 3 done" in result.stdout
    again = run_cli("plan", demo["policies"], "--sandbox", demo["db"],
                    "--state-dir", demo["plan_state"])
    assert again.exit_code == 0, again.stdout
    # the unlisted member is reported, not removed
    assert "zoe.unlisted@acme.example" in again.stdout
    assert live_members(demo)["zoe.unlisted@acme.example"] == "user"
    assert live_members(demo)["quinn.taylor@acme.example"] == "managed"
    state = pathlib.Path(demo["state"])
    assert run_cli("audit", "verify", "--log", str(state / "audit.jsonl")).exit_code == 0
    shown = run_cli("audit", "show", "--log", str(state / "audit.jsonl"),
                    "--member", "quinn.taylor@acme.example")
    assert shown.exit_code == 0
    assert [line.split()[1] for line in shown.stdout.splitlines()] == ["intent", "outcome"]
    assert (state / "last-apply.json").is_file()
    assert read_lock(lock_path("Acme Corp")) is None


def test_reapplying_a_used_plan_is_refused_as_stale(demo) -> None:
    plan(demo)
    assert apply(demo).exit_code == 0
    second = apply(demo)
    assert second.exit_code == 1
    assert "plan is stale (live fingerprint changed" in second.stderr
    assert "no longer needed: update_role quinn.taylor@acme.example" in second.stderr


def test_manual_change_after_plan_is_refused_and_nothing_written(demo) -> None:
    plan(demo)
    store = SandboxStore(demo["db"])
    store.execute("UPDATE users SET role = 'managed' WHERE email = ?",
                  ("zoe.unlisted@acme.example",))
    store.reset_stats()
    store.close()
    result = apply(demo)
    assert result.exit_code == 1 and "plan is stale" in result.stderr
    assert "seatctl plan --out plan.json" in result.stderr
    assert live_members(demo)["quinn.taylor@acme.example"] == "user"


def test_auto_approve_plans_and_applies(demo) -> None:
    result = run_cli("apply", "--auto-approve", demo["policies"], "--sandbox", demo["db"],
                     "--state-dir", demo["state"])
    assert result.exit_code == 0, result.stderr
    assert "Plan: 2 to add, 1 to change" in result.stdout
    assert "Apply complete: 3 done" in result.stdout
    assert run_cli("plan", demo["policies"], "--sandbox", demo["db"],
                   "--state-dir", demo["plan_state"]).exit_code == 0


def test_held_lock_fails_naming_holder_and_force_unlock_needs_exact_id(demo) -> None:
    plan(demo)
    state = pathlib.Path(demo["state"])
    crashed = acquire(lock_path("Acme Corp"), org="Acme Corp", owner="ci-bot",
                      run_id="4711")
    result = apply(demo)
    assert result.exit_code == 1
    assert "is locked" in result.stderr and "held by ci-bot" in result.stderr
    assert "run 4711" in result.stderr and re.search(r"age \d+s", result.stderr)
    shown = run_cli("lock", "show")
    assert shown.exit_code == 2 and crashed.info.id in shown.stdout
    wrong = run_cli("lock", "force-unlock", "0" * 32, "--state-dir", str(state))
    assert wrong.exit_code == 1 and "no lock has id" in wrong.stderr
    assert read_lock(crashed.path) is not None
    right = run_cli("lock", "force-unlock", crashed.info.id, "--state-dir", str(state))
    assert right.exit_code == 0
    (event,) = [r for r in audit_mod.iter_records(state / "audit.jsonl")
                if r.get("event") == "force_unlock"]
    assert event["lock"]["run_id"] == "4711"
    assert apply(demo).exit_code == 0


def test_lock_timeout_waits_for_the_other_apply(demo) -> None:
    plan(demo)
    other = acquire(lock_path("Acme Corp"), org="Acme Corp", owner="other",
                    run_id="1")
    threading.Timer(0.5, other.release).start()
    result = apply(demo, "--lock-timeout", "10")
    assert result.exit_code == 0, result.stderr


def test_incomplete_apply_exits_3_with_the_report(demo) -> None:
    plan(demo)
    store = SandboxStore(demo["db"])
    store.configure_org(seat_tiers=[("standard", 1), ("restricted", 1), ("learning", 1)])
    store.close()
    result = apply(demo, "--concurrency", "1")
    assert result.exit_code == 3
    assert "x failed" in result.stdout and "invite kate.silva@acme.example" in result.stdout
    assert ". not_started" in result.stdout
    assert "Apply INCOMPLETE: 0 done" in result.stdout
    assert "apply incomplete" in result.stderr and "seatctl plan" in result.stderr
    outcomes = [r for r in audit_mod.iter_records(pathlib.Path(demo["state"]) / "audit.jsonl")
                if r["kind"] == "outcome"]
    assert [o["outcome"] for o in outcomes] == ["failed"]


def test_json_report(demo) -> None:
    plan(demo)
    result = apply(demo, "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["complete"] and doc["done"] == 3 and doc["write_requests"] == 3
    assert {o["status"] for o in doc["outcomes"]} == {"done"}


def test_audit_prune_then_verify_and_tamper_detection(demo) -> None:
    plan(demo)
    apply(demo)
    log = pathlib.Path(demo["state"]) / "audit.jsonl"
    # age every record by two years, re-chaining as if written then
    old = [json.loads(x) for x in log.read_text().splitlines()]
    rewritten = audit_mod.AuditLog(log.with_name("old.jsonl"))
    for rec in old[:4]:
        rewritten.clock = lambda t=rec["time"]: audit_mod.parse_time(t) - dt.timedelta(days=730)
        rewritten._clock = rewritten.clock
        fields = {k: v for k, v in rec.items() if k not in ("kind", "seq", "prev", "time")}
        rewritten.append(rec["kind"], **fields)
    fresh = audit_mod.AuditLog(log.with_name("old.jsonl"))
    for rec in old[4:]:
        fields = {k: v for k, v in rec.items() if k not in ("kind", "seq", "prev", "time")}
        fresh.append(rec["kind"], **fields)
    target = str(log.with_name("old.jsonl"))
    result = run_cli("audit", "prune", "--log", target, "--policy-dir", demo["policies"])
    assert result.exit_code == 0 and "removed 4 entries older than 365 days" in result.stdout
    assert run_cli("audit", "verify", "--log", target).exit_code == 0
    lines = pathlib.Path(target).read_text().splitlines()
    pathlib.Path(target).write_text("\n".join([lines[0], *lines[2:]]) + "\n")
    broken = run_cli("audit", "verify", "--log", target)
    assert broken.exit_code == 1 and "does not verify: entry 0" in broken.stderr


def test_audit_show_escapes_control_characters(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "audit.jsonl"
    audit_mod.AuditLog(log).outcome({"kind": "invite", "target": "e\x1b[31mvil\n@x.example"},
                                    "done")
    shown = run_cli("audit", "show", "--log", str(log))
    assert "\x1b" not in shown.stdout and "\\u001b" in shown.stdout
    assert len(shown.stdout.splitlines()) == 1


def test_canary_key_never_appears_anywhere(demo, tmp_path: pathlib.Path) -> None:
    canary = "sk-ant-admin01-CANARY-cli-93b1c7d2e5"
    env = {"SEATCTL_ADMIN_KEY": canary, "GITHUB_ACTOR": "octo", "GITHUB_RUN_ID": "77"}
    outputs = [plan(demo), apply(demo, env=env), apply(demo, env=env),  # second is refused
               run_cli("audit", "show", "--log", str(pathlib.Path(demo["state"]) /
                                                     "audit.jsonl"), env=env)]
    texts = [o.stdout + o.stderr for o in outputs]
    texts += [p.read_text(errors="replace") for p in pathlib.Path(demo["tmp"]).rglob("*")
              if p.is_file() and p.suffix in (".json", ".jsonl", ".head")]
    forms = [canary, base64.b64encode(canary.encode()).decode(), urllib.parse.quote(canary),
             "CANARY"]
    for text in texts:
        for form in forms:
            assert form not in text
    records = list(audit_mod.iter_records(pathlib.Path(demo["state"]) / "audit.jsonl"))
    assert {r["actor"] for r in records} == {"octo"} and {r["run_id"] for r in records} == {"77"}


def test_the_policy_directory_given_relative_or_absolute_is_one_plan(
        demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """Demo org at DEMO_DATE: `plan policies` then `apply plan.json $PWD/policies` is the
    same plan (sources are named relative to the working directory); applied from
    another directory, the refusal says only the files' spelling differs."""
    tmp = pathlib.Path(demo["tmp"])
    monkeypatch.chdir(tmp)
    assert run_cli("plan", "policies", "--sandbox", demo["db"], "--out", "plan.json"
                   ).exit_code == 2
    before = live_members(demo)
    monkeypatch.chdir(tmp / "policies")
    refused = run_cli("apply", "../plan.json", ".", "--sandbox", demo["db"],
                      "--state-dir", demo["state"])
    assert refused.exit_code == 1
    assert "only where the policy files are differs" in refused.stderr
    assert "'policies/teams/" in refused.stderr and "'teams/" in refused.stderr
    assert live_members(demo) == before
    monkeypatch.chdir(tmp)
    done = run_cli("apply", "plan.json", str(tmp / "policies"), "--sandbox", demo["db"],
                   "--state-dir", demo["state"])
    assert done.exit_code == 0, done.stderr
    assert "Apply complete: 3 done" in done.stdout
