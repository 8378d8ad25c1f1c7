"""`seatctl status` and `seatctl drift` against a sandbox seeded with the Acme demo org.

Figures are recomputed independently from the sandbox's own tables and the usage
store's SQLite rows, not from seatctl's code paths.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import pathlib
import shutil
import sqlite3
import threading
from collections.abc import Iterator

import jsonschema
import pytest
from conftest import EXAMPLE_POLICIES, ROOT, run_cli

from reconciler.gitops.state import record_last_apply
from reconciler.model import OrgState
from reconciler.sandbox.demo import DEMO_DATE


@pytest.fixture
def demo(tmp_path: pathlib.Path) -> dict[str, pathlib.Path]:
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.store import SandboxStore

    policies = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, policies)
    org = policies / "org.yaml"
    text = org.read_text()
    start = text.index("  active:\n")
    end = text.index("\n", text.index("metrics:", start))
    # "active" = at least one session on a day: a definition the test can recompute
    org.write_text(text[:start] + "  active:\n    products: [claude_code]\n"
                   "    metrics: [sessions]" + text[end:])
    store = SandboxStore(str(tmp_path / "sandbox.db"))
    try:
        seed_demo_org(store, DEMO_DATE, EXAMPLE_POLICIES)
    finally:
        store.close()
    return {"policies": policies, "sandbox": tmp_path / "sandbox.db",
            "usage": tmp_path / "usage.db", "state": tmp_path / "last-apply.json"}


def _sandbox_counts(db: pathlib.Path) -> tuple[int, int]:
    with sqlite3.connect(db) as con:
        members = con.execute("SELECT count(*) FROM users").fetchone()[0]
        # a stored "pending" invite past its expiry reads back as expired (API rule)
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        pending = con.execute("SELECT count(*) FROM invites WHERE status = 'pending' "
                              "AND expires_at > ?", (now,)).fetchone()[0]
    return int(members), int(pending)


def _active_from_store(usage: pathlib.Path, sandbox: pathlib.Path, today: dt.date) -> int:
    end = today - dt.timedelta(days=1)
    start = end - dt.timedelta(days=29)
    with sqlite3.connect(sandbox) as con:
        members = {r[0].lower() for r in con.execute("SELECT email FROM users")}
    with sqlite3.connect(usage) as con:
        rows = con.execute("SELECT DISTINCT email FROM activity WHERE day BETWEEN ? AND ? "
                           "AND sessions > 0", (start.isoformat(), end.isoformat()))
        return len({r[0] for r in rows} & members)


def test_status_figures_match_the_seeded_data(demo: dict[str, pathlib.Path]) -> None:
    p = demo
    sync = run_cli("usage", "sync", "--policy", str(p["policies"]), "--sandbox",
                   str(p["sandbox"]), "--db", str(p["usage"]))
    assert sync.exit_code == 0, sync.stderr
    res = run_cli("status", str(p["policies"]), "--sandbox", str(p["sandbox"]), "--db",
                  str(p["usage"]), "--state", str(p["state"]), "--format", "json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    schema = json.loads((ROOT / "schemas" / "status.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)

    today = dt.date.fromisoformat(doc["as_of"])
    members, pending = _sandbox_counts(p["sandbox"])
    assert (doc["seats"]["members"], doc["seats"]["pending_invites"]) == (members, pending)
    assert members == 19  # 20 in the policy − kate (expired invite) − sam (missing) + zoe
    assert doc["seats"]["purchased"] == 50
    assert doc["seats"]["free"] == 50 - members - pending
    assert doc["buffer"] == {"min_pct": 10.0, "max_pct": 15.0, "min_free_seats": 5,
                             "max_free_seats": 7, "state": "above"}
    assert doc["active"]["active_members"] == _active_from_store(p["usage"], p["sandbox"],
                                                                 today)
    assert doc["active"]["active_members"] <= members - 3  # carol, olivia, jack are idle
    assert doc["contract"]["end"] == "2027-06-30"
    assert doc["contract"]["days_left"] == (dt.date(2027, 6, 30) - today).days
    tiers = {t["name"]: (t["monthly_price_cents"], t["assigned"]) for t in doc["seats"]["tiers"]}
    assert tiers == {"standard": (3000, 14), "restricted": (2000, 3), "learning": (2000, 3)}
    assert doc["sync"]["state"] == "drift"
    assert doc["sync"]["counts"]["unknown"] == 3 and doc["sync"]["counts"]["unmanaged"] == 1

    text = run_cli("status", str(p["policies"]), "--sandbox", str(p["sandbox"]), "--db",
                   str(p["usage"] / "missing.db"), "--state", str(p["state"]))
    assert text.exit_code == 0 and "no usage data; run `seatctl usage sync`" in text.stdout


def test_status_is_an_error_when_the_org_cannot_be_read(
        demo: dict[str, pathlib.Path]) -> None:
    res = run_cli("status", str(demo["policies"]), "--sandbox",
                  str(demo["sandbox"].parent / "nope" / "x.db"))
    assert res.exit_code == 1 and "Traceback" not in res.stderr


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("content-length", "0"))
        _Receiver.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_drift_reports_causes_and_notifies_a_webhook(demo: dict[str, pathlib.Path],
                                                     receiver: str) -> None:
    res = run_cli("drift", str(demo["policies"]), "--sandbox", str(demo["sandbox"]),
                  "--state", str(demo["state"]), "--format", "json", "--notify", receiver)
    assert res.exit_code == 2, res.stderr
    doc = json.loads(res.stdout)
    assert {(i["cause"], i["target"]) for i in doc["items"]} == {
        ("unknown", "kate.silva@acme.example"), ("unknown", "quinn.taylor@acme.example"),
        ("unknown", "sam.obi@acme.example"), ("unmanaged", "zoe.unlisted@acme.example")}
    assert "notified webhook drift" in res.stderr
    (payload,) = _Receiver.received
    assert "drift found" in json.dumps(payload)


def test_drift_after_a_recorded_apply_splits_console_edits_from_unapplied_merges(
        demo: dict[str, pathlib.Path]) -> None:
    from reconciler.connect import open_provider
    from reconciler.policy import load_policy
    from reconciler.sandbox.store import SandboxStore

    policy = load_policy(demo["policies"])
    live: OrgState = open_provider(policy, sandbox=str(demo["sandbox"])).fetch()
    # pretend the last apply left quinn as `managed` (as the policy says): her live
    # `user` is then a console edit, while kate and sam were never applied
    import dataclasses
    from types import MappingProxyType

    quinn = "quinn.taylor@acme.example"
    applied = dataclasses.replace(live, members=MappingProxyType(
        {**live.members, quinn: dataclasses.replace(live.members[quinn], role="managed")}))
    record_last_apply(applied, commit="c0ffee", applied_at=dt.datetime.now(dt.UTC),
                      fingerprint="sha256:x", path=demo["state"])
    res = run_cli("drift", str(demo["policies"]), "--sandbox", str(demo["sandbox"]),
                  "--state", str(demo["state"]), "--format", "json")
    assert res.exit_code == 2
    causes = {i["target"]: i["cause"] for i in json.loads(res.stdout)["items"]}
    assert causes[quinn] == "changed_outside"
    assert causes["sam.obi@acme.example"] == "not_applied"
    assert causes["zoe.unlisted@acme.example"] == "unmanaged"
    _ = SandboxStore  # the sandbox is read only: nothing above writes to it


def test_drift_with_an_unreachable_webhook_still_prints_and_keeps_exit_code(
        demo: dict[str, pathlib.Path]) -> None:
    res = run_cli("drift", str(demo["policies"]), "--sandbox", str(demo["sandbox"]),
                  "--state", str(demo["state"]), "--notify", "http://127.0.0.1:9/hook")
    assert res.exit_code == 2
    assert "drift found" in res.stdout
    assert "warning: could not notify" in res.stderr


def test_drift_never_writes_to_the_org(demo: dict[str, pathlib.Path]) -> None:
    before = sqlite3.connect(demo["sandbox"]).execute(
        "SELECT count(*), group_concat(role) FROM users").fetchone()
    for _ in range(2):
        assert run_cli("drift", str(demo["policies"]), "--sandbox", str(demo["sandbox"]),
                       "--state", str(demo["state"])).exit_code == 2
    after = sqlite3.connect(demo["sandbox"]).execute(
        "SELECT count(*), group_concat(role) FROM users").fetchone()
    assert before == after
