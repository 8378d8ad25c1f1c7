"""``seatctl usage requests`` end to end: a golden of the demo's table, and a run against
``seatctl sandbox serve`` on 127.0.0.1 through the official SDK (the test starts and
stops the server).

Evaluated at ``DEMO_DATE`` (2026-11-25): the served sandbox pins its clock to it, and
every command passes ``--at``. The demo org holds three pending requests: erin.kim
(contractor: within the example's $150 rule), farid.haddad (intern: no rule) and
zoe.unlisted (not in the policy).
"""

from __future__ import annotations

import json
import pathlib
import shutil
from collections.abc import Iterator

import anthropic
import pytest
from conftest import EXAMPLE_POLICIES, ROOT, run_cli, serve_sandbox

from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.store import SandboxStore, make_id

GOLDEN = ROOT / "tests" / "golden" / "usage_requests"
AT = DEMO_DATE.isoformat()
ERIN_ID = make_id("user", "erin.kim@acme.example")


def _check(name: str, text: str, update: bool) -> None:
    path = GOLDEN / name
    if update:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.fixture
def demo_db(tmp_path: pathlib.Path) -> str:
    db = str(tmp_path / "sandbox.db")
    store = SandboxStore(db)
    seed_demo(store, DEMO_DATE)
    store.set_date(DEMO_DATE)  # the org's clock on the demo day, as `sandbox seed --demo`
    store.close()
    return db


def test_table_golden_on_the_demo_org(demo_db: str, tmp_path: pathlib.Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      update_golden: bool) -> None:
    monkeypatch.chdir(ROOT)  # the policy edits name policies/roles.yaml:LINE as given
    res = run_cli("usage", "requests", "policies", "--sandbox", demo_db, "--at", AT,
                  "--db", str(tmp_path / "usage.db"))
    assert res.exit_code == 0, res.stderr
    _check("demo.txt", res.stdout, update_golden)
    assert "dry run: nothing was changed (--apply approves 1)" in res.stdout
    # dry run: nothing changed in the org
    assert SandboxStore(demo_db).scalar(
        "SELECT count(*) FROM spend_increase_requests WHERE status = 'pending'") == 3


def test_formats_carry_every_decision(demo_db: str, tmp_path: pathlib.Path) -> None:
    args = ("usage", "requests", str(EXAMPLE_POLICIES), "--sandbox", demo_db, "--at", AT,
            "--db", str(tmp_path / "usage.db"))
    doc = json.loads(run_cli(*args, "--format", "json").stdout)
    rows = {r["email"]: r for r in doc["tables"]["requests"]}
    assert {e: r["decision"] for e, r in rows.items()} == {
        "erin.kim@acme.example": "approve", "farid.haddad@acme.example": "propose",
        "zoe.unlisted@acme.example": "skip"}
    assert rows["erin.kim@acme.example"]["grant_cents"] == 15000
    assert rows["farid.haddad@acme.example"]["cap_cents"] == 5000
    csv_out = run_cli(*args, "--format", "csv").stdout
    assert csv_out.splitlines()[0].startswith("request_id,asked,email,team,role,cap_usd")
    md = run_cli(*args, "--format", "markdown").stdout
    assert "| slir" in md and "### Policy edits that would allow the proposals" in md


def test_hostile_emails_are_escaped(tmp_path: pathlib.Path) -> None:
    """A live email is untrusted: no formula in CSV, no forged row in Markdown."""
    db = str(tmp_path / "sandbox.db")
    store = SandboxStore(db)
    seed_demo(store, DEMO_DATE)
    uid = make_id("user", "zoe.unlisted@acme.example")
    store.execute("UPDATE users SET email = ? WHERE id = ?", ("=cmd|x@acme.example", uid))
    store.close()
    args = ("usage", "requests", str(EXAMPLE_POLICIES), "--sandbox", db, "--at", AT,
            "--db", str(tmp_path / "u.db"))
    csv_out = run_cli(*args, "--format", "csv")
    assert csv_out.exit_code == 0, csv_out.stderr
    assert ",=cmd" not in csv_out.stdout and "=cmd|x@acme.example" in csv_out.stdout
    md = run_cli(*args, "--format", "markdown").stdout
    assert "=cmd|x" not in md


@pytest.fixture
def served(tmp_path: pathlib.Path) -> Iterator[str]:
    """``seatctl sandbox serve --seed-demo`` on 127.0.0.1 (a free port); its URL."""
    with serve_sandbox(tmp_path / "served.db", "--seed-demo") as (url, _):
        yield url


def _policy_at(url: str, tmp_path: pathlib.Path) -> pathlib.Path:
    """The example policy, pointed at the served sandbox (``base_url`` on loopback)."""
    root = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, root)
    org = root / "org.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace(
        "  admin_key_env: SEATCTL_ADMIN_KEY\n",
        f"  admin_key_env: SEATCTL_ADMIN_KEY\n  base_url: {url}\n"), encoding="utf-8")
    return root


def test_apply_through_the_served_sandbox(served: str, tmp_path: pathlib.Path) -> None:
    client = anthropic.Anthropic(api_key=SANDBOX_KEY, base_url=served, max_retries=0)
    requests = client.organization.spend_limits.increase_requests
    assert len(list(requests.list(status=["pending"]))) == 3
    policy = _policy_at(served, tmp_path)
    state = tmp_path / "state"
    args = ("usage", "requests", str(policy), "--at", AT, "--db", str(tmp_path / "u.db"),
            "--state-dir", str(state))
    env = {"SEATCTL_ADMIN_KEY": SANDBOX_KEY}

    res = run_cli(*args, "--apply", env=env)
    assert res.exit_code == 0, res.stderr
    assert "applied: 1 approved" in res.stdout
    assert SANDBOX_KEY not in res.stdout + res.stderr
    pending = {r.actor.email_address: r for r in requests.list(status=["pending"])}
    assert set(pending) == {"farid.haddad@acme.example", "zoe.unlisted@acme.example"}
    approved = list(requests.list(status=["approved"]))
    assert [r.actor.email_address for r in approved] == ["erin.kim@acme.example"]
    limits = client.organization.spend_limits.effective.list(user_ids=[ERIN_ID])
    assert [(row.amount, row.period) for row in limits if row.period == "monthly"] == [
        ("15000", "monthly")]

    audit = [json.loads(line) for line in (state / "audit.jsonl").read_text().splitlines()]
    assert [(r["kind"], r["change"]["kind"]) for r in audit] == [
        ("intent", "approve_increase_request"), ("outcome", "approve_increase_request")]
    assert audit[1]["outcome"] == "ok" and audit[1]["change"]["data"]["amount_cents"] == 15000
    assert SANDBOX_KEY not in (state / "audit.jsonl").read_text()

    again = run_cli(*args, "--apply", env=env)
    assert again.exit_code == 0, again.stderr
    assert "mode: nothing pending to act on" in again.stdout
    assert "decisions: approve 0 · propose 1 · skip 1" in again.stdout
    assert len((state / "audit.jsonl").read_text().splitlines()) == 2  # nothing new sent


def test_propose_writes_the_rule_then_apply_approves_and_plan_keeps_it(
        demo_db: str, tmp_path: pathlib.Path) -> None:
    """--propose raises the intern ceiling in roles.yaml (validated, comments kept); the
    next --apply approves both members' requests; plan then changes neither limit."""
    root = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, root)
    args = ("usage", "requests", str(root), "--sandbox", demo_db, "--at", AT,
            "--db", str(tmp_path / "u.db"), "--state-dir", str(tmp_path / "state"))
    res = run_cli(*args, "--propose")
    assert res.exit_code == 0, res.stderr
    assert "proposed: roles.intern.spend_increases.auto_approve_up_to: $75.00" in res.stderr
    assert "skipped: zoe" not in res.stderr  # skips are not proposals
    text = (root / "roles.yaml").read_text(encoding="utf-8")
    assert "    spend_increases:\n      auto_approve_up_to: 75\n" in text
    assert "# Increase requests up to $150 a month" in text  # comments kept
    assert run_cli("validate", str(root), "--at", AT).exit_code == 0
    again = run_cli(*args, "--propose")
    assert "files changed: none" in again.stderr  # the ceiling is already there

    applied = run_cli(*args, "--apply")
    assert applied.exit_code == 0, applied.stderr
    assert "applied: 2 approved" in applied.stdout
    plan = run_cli("plan", str(root), "--sandbox", demo_db, "--at", AT,
                   "--state-dir", str(tmp_path / "state"))
    assert plan.exit_code in (0, 2), plan.stderr
    assert "spend_limit" not in plan.stdout  # $150 and $75 are within the roles' rules


def test_month_to_date_spend_comes_from_the_synced_store(demo_db: str,
                                                         tmp_path: pathlib.Path) -> None:
    """After ``usage sync`` (the 90 days up to 2026-11-24), spend is the synced cost of
    2026-11-01..2026-11-25 per member."""
    from reconciler.usage.store import UsageStore

    usage_db = str(tmp_path / "u.db")
    synced = run_cli("usage", "sync", str(EXAMPLE_POLICIES), "--sandbox", demo_db, "--at", AT,
                     "--db", usage_db)
    assert synced.exit_code == 0, synced.stderr
    with UsageStore(usage_db) as store:
        want = store.metered_cents(DEMO_DATE.replace(day=1), DEMO_DATE)
    assert want
    res = run_cli("usage", "requests", str(EXAMPLE_POLICIES), "--sandbox", demo_db, "--at", AT,
                  "--db", usage_db, "--format", "json")
    doc = json.loads(res.stdout)
    assert doc["meta"]["month-to-date spend"] == "the usage store (synced cost)"
    got = {r["email"]: r["month_to_date_cents"] for r in doc["tables"]["requests"]}
    assert got == {email: want.get(email, 0) for email in got}
    assert all(v > 0 for v in got.values())


def test_apply_waits_for_no_one_when_the_org_is_locked(demo_db: str,
                                                       tmp_path: pathlib.Path) -> None:
    """Approvals take the org's apply lock: held elsewhere, nothing is sent or audited."""
    from reconciler.apply.lock import acquire, lock_path

    with acquire(lock_path("Acme Corp"), org="Acme Corp", owner="other", run_id="r1"):
        res = run_cli("usage", "requests", str(EXAMPLE_POLICIES), "--sandbox", demo_db,
                      "--at", AT, "--db", str(tmp_path / "u.db"), "--state-dir",
                      str(tmp_path / "state"), "--apply")
    assert res.exit_code == 1 and "is locked" in res.stderr and "Traceback" not in res.stderr
    assert SandboxStore(demo_db).scalar(
        "SELECT count(*) FROM spend_increase_requests WHERE status = 'pending'") == 3
    assert not (tmp_path / "state" / "audit.jsonl").exists()
