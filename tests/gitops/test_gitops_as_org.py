"""``seatctl ci as-org``: a scheduled job's command gets its organization's key only.

No date is involved: the command passes an environment on.
"""

from __future__ import annotations

import json
import pathlib
import sys

from conftest import run_cli

SHOW_ENV = ("import json, os; print(json.dumps({k: os.environ.get(k) for k in "
            "('SEATCTL_ADMIN_KEY', 'EU_KEY', 'SEATCTL_ADMIN_KEYS')}))")


def _org(root: pathlib.Path, key_env: str | None) -> pathlib.Path:
    folder = root / "eu"
    folder.mkdir(parents=True)
    extra = f"\n  admin_key_env: {key_env}" if key_env else ""
    (folder / "org.yaml").write_text(f"organization:\n  name: EU{extra}\n")
    return folder


def test_the_command_gets_its_organizations_key_under_the_name_org_yaml_gives(
        tmp_path: pathlib.Path, capfd) -> None:
    folder = _org(tmp_path, "EU_KEY")
    keys = json.dumps({"eu": "sk-eu-only", "us": "sk-us-secret"})
    result = run_cli("ci", "as-org", str(folder), "--org", "eu", "--", sys.executable, "-c",
                     SHOW_ENV, env={"SEATCTL_ADMIN_KEYS": keys, "SEATCTL_ADMIN_KEY": "sk-fallback"})
    assert result.exit_code == 0, result.stderr
    seen = json.loads(capfd.readouterr().out.strip().splitlines()[-1])
    assert seen == {"SEATCTL_ADMIN_KEY": "sk-fallback", "EU_KEY": "sk-eu-only",
                    "SEATCTL_ADMIN_KEYS": None}
    assert "sk-us-secret" not in result.stdout + result.stderr


def test_a_missing_key_fails_before_the_command_runs_and_names_no_key(
        tmp_path: pathlib.Path, capfd) -> None:
    folder = _org(tmp_path, None)
    keys = json.dumps({"us": "sk-us-secret"})
    result = run_cli("ci", "as-org", str(folder), "--org", "eu", "--", sys.executable, "-c",
                     "print('ran')", env={"SEATCTL_ADMIN_KEYS": keys})
    assert result.exit_code == 1
    assert "holds no key for organization folder 'eu'" in result.stderr
    assert "ran" not in capfd.readouterr().out
    assert "sk-us-secret" not in result.stdout + result.stderr


def test_the_single_organization_layout_and_the_exit_code_pass_through(
        tmp_path: pathlib.Path) -> None:
    folder = _org(tmp_path, None)
    result = run_cli("ci", "as-org", str(folder), "--org", "default", "--", sys.executable,
                     "-c", "import sys; sys.exit(2)", env={"SEATCTL_ADMIN_KEY": "sk-one"})
    assert result.exit_code == 2
