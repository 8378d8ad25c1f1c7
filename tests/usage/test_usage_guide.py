"""The vendor guide's two usage commands, verbatim, as golden files.

Evaluated on the demo org at ``DEMO_DATE`` (2026-11-25, ``--at``): the sandbox is
seeded on that day, synced, and both commands read the 30 days ending 2026-11-24.
Rewrite the goldens with ``pytest --update-golden`` after an intended change.
"""

from __future__ import annotations

import csv
import io
import pathlib

import pytest
from conftest import EXAMPLE_POLICIES, ROOT, run_cli

from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.store import SandboxStore

GOLDEN = ROOT / "tests" / "golden" / "usage_guide"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    tmp = tmp_path_factory.mktemp("guide")
    sandbox = str(tmp / "sandbox.db")
    store = SandboxStore(sandbox)
    seed_demo(store, DEMO_DATE)
    store.close()
    common = ["--policy", str(EXAMPLE_POLICIES), "--db", str(tmp / "usage.db"),
              "--at", DEMO_DATE.isoformat()]
    res = run_cli("usage", "sync", *common, "--sandbox", sandbox)
    assert res.exit_code == 0, res.stderr
    return [*common, "--sandbox", sandbox]


def _check(name: str, text: str, update: bool) -> None:
    path: pathlib.Path = GOLDEN / name
    if update:
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_usage_period_30d_format_csv(demo, update_golden) -> None:
    res = run_cli("usage", "--period=30d", "--format=csv", *demo)
    assert res.exit_code == 0, res.stderr
    _check("period_30d.csv", res.stdout, update_golden)
    main, tools = res.stdout.split("\n\n")
    rows = list(csv.DictReader(io.StringIO(main)))
    assert list(rows[0]) == ["team", "period", "total_active_hours", "average_daily_users",
                             "top_commands", "suggestions_accepted_pct"]
    assert [r["team"] for r in rows] == ["backend", "frontend", "platform", "(unlisted)"]
    assert {r["period"] for r in rows} == {"2026-10-26..2026-11-24"}
    mix = list(csv.DictReader(io.StringIO(tools)))
    accepted = sum(int(r["accepted"]) for r in mix)
    decided = accepted + sum(int(r["rejected"]) for r in mix)
    assert decided and sum(float(r["share_pct"]) for r in mix) == pytest.approx(100, abs=0.2)
    assert "Total Active Hours: estimated: 1 h per Claude Code session" in res.stderr


def test_usage_team_platform_breakdown_developer(demo, update_golden) -> None:
    res = run_cli("usage", "--team=platform", "--breakdown=developer", *demo)
    assert res.exit_code == 0, res.stderr
    _check("platform_developer.txt", res.stdout, update_golden)
    for header in ("Team", "Period", "Total Active Hours", "Average Daily Users",
                   "Top Commands", "Suggestions Accepted"):
        assert header in res.stdout
    assert "estimated: 1 h per Claude Code session" in res.stdout
    assert "alice.nguyen@acme.example" in res.stdout
    assert "liam.jones@acme.example" not in res.stdout  # backend


def test_unknown_team_is_a_clear_error(demo) -> None:
    res = run_cli("usage", "--team=nope", *demo)
    assert res.exit_code == 1
    assert "--team 'nope' is not a team of the policy" in res.stderr
    assert "Traceback" not in res.stderr


def test_the_subcommands_still_work_beside_the_guide_report(demo) -> None:
    res = run_cli("usage", "report", "--by", "team", *demo)
    assert res.exit_code == 0, res.stderr
    assert res.stdout.startswith("Usage report")
