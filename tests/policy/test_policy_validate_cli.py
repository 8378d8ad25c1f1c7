"""``seatctl validate``: all findings at once, text and JSON, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli
from policy_testkit import EXAMPLE, TODAY, acme_copy, team_yaml


def test_all_findings_at_once_sorted_by_file_and_line(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {
        "teams/a.yaml": b"name: a\nname: b\n",
        "teams/b.yaml": team_yaml("b", ["'x@evil.example'|developer", "'y@acme.example'|ghost"]),
        "roles.yaml": (EXAMPLE / "roles.yaml").read_text().replace("group: claude-interns",
                                                                   "grup: claude-interns"),
    })
    res = run_cli("validate", str(root), "--format", "json")
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    codes = [f["code"] for f in doc["findings"]]
    assert {"yaml.duplicate-key", "schema.unknown-key"} <= set(codes)
    assert doc["ok"] is False and doc["errors"] == len([c for c in doc["findings"]
                                                        if c["severity"] == "error"])
    keys = [(f["file"], f["line"], f["col"]) for f in doc["findings"]]
    assert keys == sorted(keys)
    text = run_cli("validate", str(root))
    assert text.exit_code == 1
    assert text.stdout.splitlines()[-1].endswith("warning(s)")


def test_warnings_only_exit_zero_and_json_summary(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"teams/x.yaml": team_yaml("x", ["'Zed@acme.example'|developer"])})
    res = run_cli("validate", str(root), "--format", "json", "--at", TODAY.isoformat())
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["ok"] is True and doc["warnings"] == 1 and doc["summary"]["members"] == 21


def test_missing_directory_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    res = run_cli("validate", str(tmp_path / "nowhere"))
    assert res.exit_code == 1
    assert "policy directory not found" in res.stdout
    assert "Traceback" not in res.stdout + res.stderr


def test_pre_commit_hook_runs_validate() -> None:
    import yaml

    hooks = yaml.safe_load((Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml")
                           .read_text())
    [hook] = hooks
    assert hook["id"] == "seatctl-validate"
    assert hook["entry"].startswith("seatctl validate")
    assert hook["pass_filenames"] is False
