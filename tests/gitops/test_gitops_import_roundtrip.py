"""Import round trip: import a live org, plan the imported policy against it → no changes."""

from __future__ import annotations

import datetime as dt
import pathlib
import time

import pytest
from conftest import run_cli


def _seed(path: pathlib.Path, generated: int | None = None) -> None:
    from reconciler.sandbox.demo import seed_demo, seed_generated
    from reconciler.sandbox.store import SandboxStore

    store = SandboxStore(str(path))
    try:
        if generated:
            seed_generated(store, generated, generated // 20)
        else:
            seed_demo(store, dt.datetime.now(dt.UTC).date())
    finally:
        store.close()


def _fix_demo_role_drift(db: pathlib.Path) -> None:
    """The demo seeds quinn as `user` inside the contractors' group; fix it as an admin
    would in the console, so the org is expressible as one team + one role each."""
    from conftest import EXAMPLE_POLICIES

    from reconciler.connect import open_provider
    from reconciler.policy import load_policy

    provider = open_provider(load_policy(EXAMPLE_POLICIES), sandbox=str(db))
    quinn = provider.fetch().members["quinn.taylor@acme.example"]
    provider.update_role(quinn, "managed")


def test_import_of_the_demo_org_plans_no_changes(tmp_path: pathlib.Path) -> None:
    db, out = tmp_path / "sandbox.db", tmp_path / "imported"
    _seed(db)
    _fix_demo_role_drift(db)
    res = run_cli("import", "--out", str(out), "--sandbox", str(db))
    assert res.exit_code == 0, res.stderr
    assert sorted(p.name for p in (out / "teams").iterdir()) == [
        "backend.yaml", "frontend.yaml", "platform.yaml"]
    assert "zoe.unlisted@acme.example is in no team group" in res.stderr
    plan = run_cli("plan", str(out), "--sandbox", str(db), "--format", "json",
                   "--state-dir", str(tmp_path / "state"))
    assert plan.exit_code == 0, plan.stdout + plan.stderr  # 0 = no changes
    assert run_cli("validate", str(out)).exit_code == 0


def test_import_reports_what_it_cannot_express(tmp_path: pathlib.Path) -> None:
    db, out = tmp_path / "sandbox.db", tmp_path / "imported"
    _seed(db)
    res = run_cli("import", "--out", str(out), "--sandbox", str(db))
    assert res.exit_code == 0
    assert "quinn.taylor@acme.example holds user but the role group claude-contractors" \
        in res.stderr
    again = run_cli("import", "--out", str(out), "--sandbox", str(db))
    assert again.exit_code == 1 and "already exists" in again.stderr


@pytest.mark.slow
def test_import_of_a_generated_10k_member_org_plans_no_changes(tmp_path: pathlib.Path) -> None:
    db, out = tmp_path / "sandbox.db", tmp_path / "imported"
    _seed(db, generated=10_000)
    t0 = time.perf_counter()
    res = run_cli("import", "--out", str(out), "--sandbox", str(db))
    assert res.exit_code == 0, res.stderr
    assert len(list((out / "teams").iterdir())) == 500
    plan = run_cli("plan", str(out), "--sandbox", str(db), "--format", "json",
                   "--state-dir", str(tmp_path / "state"))
    assert plan.exit_code == 0, plan.stderr
    assert time.perf_counter() - t0 < 120


def test_import_builds_a_policy_that_write_policy_round_trips(tmp_path: pathlib.Path) -> None:
    """One writer: import's Policy, written by ``write_policy``, loads back equal."""
    from dataclasses import replace

    from reconciler.cli.importer import _bootstrap_policy
    from reconciler.connect import open_provider
    from reconciler.gitops.importer import import_policy
    from reconciler.model import OrgType
    from reconciler.policy import load_policy, write_policy

    db, out = tmp_path / "sandbox.db", tmp_path / "imported"
    _seed(db)
    _fix_demo_role_drift(db)
    live = open_provider(_bootstrap_policy(OrgType.ENTERPRISE, "K"), sandbox=str(db)).fetch()
    imported = import_policy(live).policy
    write_policy(imported, out)
    loaded = load_policy(out)
    assert loaded.desired == imported.desired
    assert loaded.budget == imported.budget and loaded.safety == imported.safety
    assert {k: replace(r, source=None) for k, r in loaded.roles.items()} == dict(imported.roles)
    assert {k: replace(t, source=None) for k, t in loaded.teams.items()} == dict(imported.teams)
    assert {k: replace(a, source=None) for k, a in loaded.assignments.items()} == \
        dict(imported.assignments)
    assert imported.budget.tiers["standard"].monthly_price_cents == 0  # placeholder


def test_import_says_which_values_are_placeholders(tmp_path: pathlib.Path) -> None:
    db, out = tmp_path / "sandbox.db", tmp_path / "imported"
    _seed(db)
    res = run_cli("import", "--out", str(out), "--sandbox", str(db))
    assert res.exit_code == 0
    assert "placeholders" in res.stderr and "seat tier prices are 0" in res.stderr
