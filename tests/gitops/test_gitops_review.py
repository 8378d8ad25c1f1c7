"""The monthly review on a seeded month: figures recomputed from the raw data."""

from __future__ import annotations

import datetime as dt
import math
import pathlib
import shutil
import sqlite3

import yaml
from conftest import EXAMPLE_POLICIES, run_cli
from gitops_builders import commit_all, init_repo

MONTH = "2026-10"


def _setup(tmp: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.store import SandboxStore

    repo_dir = tmp / "repo"
    shutil.copytree(EXAMPLE_POLICIES, repo_dir / "policies")
    org = repo_dir / "policies" / "org.yaml"
    text = org.read_text()
    start = text.index("  active:\n")
    end = text.index("\n", text.index("metrics:", start))
    org.write_text(text[:start] + "  active:\n    products: [claude_code]\n"
                   "    metrics: [sessions]" + text[end:])
    repo = init_repo(repo_dir)
    commit_all(repo, "policy: initial", "2026-09-20T10:00:00Z")
    for f in (org, repo_dir / "policies" / "teams" / "frontend.yaml"):
        f.write_text(f.read_text().replace("allocated_seats: 6", "allocated_seats: 7"))
    commit_all(repo, "frontend: one more seat", "2026-10-20T10:00:00Z")
    sandbox, usage = tmp / "sandbox.db", tmp / "usage.db"
    store = SandboxStore(str(sandbox))
    try:  # 90 days of analytics ending 2026-11-24 cover October entirely
        seed_demo_org(store, dt.date(2026, 11, 25), EXAMPLE_POLICIES)
    finally:
        store.close()
    sync = run_cli("usage", "sync", "--policy", str(repo_dir / "policies"), "--sandbox",
                   str(sandbox), "--db", str(usage), "--today", "2026-11-25")
    assert sync.exit_code == 0, sync.stderr
    return repo_dir, usage


def _expected_team_rows(repo: pathlib.Path, usage: pathlib.Path) -> dict[str, tuple[int, ...]]:
    with sqlite3.connect(usage) as con:
        active = {r[0] for r in con.execute(
            "SELECT DISTINCT email FROM activity WHERE day BETWEEN '2026-10-01' AND "
            "'2026-10-31' AND sessions > 0")}
    # allocation as the plan computes it on the month's last day (sprint seats included)
    from reconciler.policy import load_policy
    from reconciler.policy.seating import allocated_seats_at

    policy = load_policy(repo / "policies")
    rows = {}
    for f in sorted((repo / "policies" / "teams").glob("*.yaml")):
        team = yaml.safe_load(f.read_text())
        emails = [m["email"] for m in team["members"]]
        allocated = allocated_seats_at(policy.teams[team["name"]], policy.budget,
                                       dt.date(2026, 10, 31))
        rows[team["name"]] = (len(emails), allocated, sum(1 for e in emails if e in active))
    return rows


def test_review_of_a_seeded_month(tmp_path: pathlib.Path) -> None:
    repo, usage = _setup(tmp_path)
    out = tmp_path / "review.md"
    res = run_cli("review", str(repo / "policies"), "--month", MONTH, "--db", str(usage),
                  "--out", str(out))
    assert res.exit_code == 0, res.stderr
    md = res.stdout
    assert out.read_text() == md
    for team, (held, allocated, active) in _expected_team_rows(repo, usage).items():
        pct = round(100 * active / allocated, 2)
        assert f"| <code>{team}</code> | {held} | {allocated} | {active} | {pct:g}% |" in md
    # only the October commit is "merged this month"
    assert "Policy changes merged (1)" in md and "frontend: one more seat" in md
    assert "policy: initial" not in md
    # forecast: 20 members at every commit (flat), contract end 2027-06-30
    needed = 20
    low, high = math.ceil(needed * 1.10), math.ceil(needed * 1.15)
    assert f"Seats needed at contract end 2027-06-30: **{needed}**" in md
    assert f"With the growth buffer: **{low}–{high}** seats" in md
    delta = (high - 50) * 30
    assert f"give back {50 - high} seats: **-${-delta}/month**" in md


def test_review_without_usage_data_is_a_clear_error(tmp_path: pathlib.Path) -> None:
    res = run_cli("review", str(EXAMPLE_POLICIES), "--month", MONTH, "--db",
                  str(tmp_path / "none.db"))
    assert res.exit_code == 1 and "seatctl usage sync" in res.stderr


def test_review_rejects_a_bad_month() -> None:
    res = run_cli("review", str(EXAMPLE_POLICIES), "--month", "October")
    assert res.exit_code == 1 and "YYYY-MM" in res.stderr
