"""``seatctl import`` against the demo org, all at DEMO_DATE (2026-11-25): the org name,
invitees with their invite's role group, the managed settings reported, the schemas the
``$schema`` lines point at, and a plan of the import that shows no changes.
"""

from __future__ import annotations

import json
import pathlib

from conftest import run_cli

from reconciler.sandbox.demo import DEMO_DATE

EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "policies"
AT = DEMO_DATE.isoformat()


def _in_sync_demo(tmp_path: pathlib.Path) -> pathlib.Path:
    """The demo org with the example policy applied: pending invites into role groups."""
    db = tmp_path / "sandbox.db"
    seeded = run_cli("sandbox", "seed", "--demo", str(EXAMPLE), "--sandbox", str(db), "--at", AT)
    assert seeded.exit_code == 0, seeded.stderr
    applied = run_cli("apply", "--auto-approve", str(EXAMPLE), "--sandbox", str(db),
                      "--state-dir", str(tmp_path / "state"))
    assert applied.exit_code == 0, applied.stderr
    return db


def test_import_of_the_demo_org_plans_no_changes(tmp_path: pathlib.Path) -> None:
    db = _in_sync_demo(tmp_path)
    out = tmp_path / "repo" / "policies"
    imported = run_cli("import", "--sandbox", str(db), "--out", str(out))
    assert imported.exit_code == 0, imported.stderr

    org = (out / "org.yaml").read_text()
    assert "name: Acme Corp\n" in org and "Imported organization" not in org
    # kate's invite expired and sam was missing: apply invited both into claude-interns
    for team, email in (("frontend", "kate.silva"), ("backend", "sam.obi")):
        text = (out / "teams" / f"{team}.yaml").read_text()
        assert f"- email: {email}@acme.example\n  role: claude_interns\n" in text
    # every $schema line points at a file that exists
    for path in [out / "org.yaml", out / "roles.yaml", *sorted((out / "teams").glob("*.yaml"))]:
        ref = path.read_text().splitlines()[0].split("$schema=", 1)[1]
        assert (path.parent / ref).is_file(), (path, ref)
    # the live managed settings are reported, one document per group and the default
    settings = out / "managed-settings"
    assert sorted(p.name for p in settings.iterdir()) == [
        "default.json", "group-claude-contractors.json", "group-claude-developers.json",
        "group-claude-interns.json", "group-claude-senior-developers.json"]
    assert "companyAnnouncements" in json.loads((settings / "default.json").read_text())
    assert "managed settings are in" in imported.stderr

    planned = run_cli("plan", str(out), "--sandbox", str(db), "--at", AT,
                      "--state-dir", str(tmp_path / "state"))
    assert planned.exit_code == 0, planned.stdout + planned.stderr
    assert "No changes" in planned.stdout
    assert run_cli("validate", str(out), "--at", AT).exit_code == 0


def test_import_of_the_seeded_demo_names_what_it_cannot_express(tmp_path: pathlib.Path) -> None:
    """The seeded drift: quinn holds user inside the managed role group; one group, one role."""
    db = tmp_path / "sandbox.db"
    assert run_cli("sandbox", "seed", "--demo", str(EXAMPLE), "--sandbox", str(db),
                   "--at", AT).exit_code == 0
    out = tmp_path / "policies"
    imported = run_cli("import", "--sandbox", str(db), "--out", str(out))
    assert imported.exit_code == 0, imported.stderr
    assert "quinn.taylor@acme.example holds user but the role group claude-contractors " \
        "holds managed" in imported.stderr
    planned = run_cli("plan", str(out), "--sandbox", str(db), "--at", AT,
                      "--state-dir", str(tmp_path / "state"))
    assert planned.exit_code == 2
    assert "Plan: 0 to add, 1 to change, 0 to remove." in planned.stdout
    assert "update_role quinn.taylor@acme.example  user → managed" in planned.stdout
