"""Policy input that used to pass but must not (issue 16, defect 9).

Each case is an error with file, line and a hint, and ``seatctl validate`` exits 1
without a traceback. Evaluated at ``TODAY`` (2026-11-25, the demo day) via
``policy_testkit.check``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_cli
from policy_testkit import TODAY, acme_copy, check, only

from reconciler.policy import validate_policy


def _edit(root: Path, rel: str, pattern: str, new: str) -> None:
    path = root / rel
    text, n = re.subn(pattern, lambda _: new, path.read_text(), count=1)
    assert n == 1, pattern
    path.write_text(text)


def _errors(root: Path, code: str) -> list:  # type: ignore[type-arg]
    found = only(check(root), code)
    assert found, [f"{f.code} {f.message}" for f in check(root)]
    assert all(f.severity == "error" and f.line >= 1 and f.hint for f in found)
    return found


def test_symlink_to_a_file_outside_is_refused_and_not_read(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    secret = tmp_path / "secret.yaml"
    secret.write_text("name: secret\nmembers: [TOPSECRET-CONTENT]\n")
    (root / "teams" / "evil.yaml").symlink_to(secret)
    (f,) = _errors(root, "file.symlink")
    assert f.file.endswith("evil.yaml") and "outside the policy directory" in f.message
    res = run_cli("validate", str(root), "--at", TODAY.isoformat())
    assert res.exit_code == 1 and "Traceback" not in res.stderr
    assert "TOPSECRET" not in res.stdout + res.stderr


def test_symlink_inside_the_policy_directory_is_read(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    (root / "shared").mkdir()
    (root / "teams" / "backend.yaml").rename(root / "shared" / "backend.yaml")
    (root / "teams" / "backend.yaml").symlink_to(root / "shared" / "backend.yaml")
    assert validate_policy(root, today=TODAY).ok


def test_org_yaml_linked_outside_is_refused(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    (root / "org.yaml").rename(tmp_path / "org.yaml")
    (root / "org.yaml").symlink_to(tmp_path / "org.yaml")
    (f,) = _errors(root, "file.symlink")
    assert f.file.endswith("org.yaml")


@pytest.mark.parametrize(("rel", "pattern", "new", "limit"), [
    ("teams/platform.yaml", r"name: Alice Nguyen", "name: " + "a" * 1_000_000, "200"),
    ("teams/platform.yaml", r"cost_center: PLAT-001", "cost_center: " + "C" * 65, "64"),
    ("org.yaml", r"purchased: \d+", "purchased: 1000000000000000000000000000000", "1,000,000"),
    ("org.yaml", r"monthly_price: [\d.]+", "monthly_price: 99999999", "10,000"),
])
def test_values_over_their_documented_limit(tmp_path: Path, rel: str, pattern: str,
                                            new: str, limit: str) -> None:
    root = acme_copy(tmp_path)
    _edit(root, rel, pattern, new)
    found = [f for f in check(root) if f.code in ("schema.too-long", "schema.too-big")]
    assert len(found) == 1 and limit in found[0].message and "Limits" in found[0].hint
    assert len(found[0].message) < 200  # the value is never echoed back
    assert found[0].file.endswith(rel) and found[0].line > 1


def test_overflow_threshold_over_100_percent(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    _edit(root, "org.yaml", r"overflow_threshold: .*", "overflow_threshold: 800%")
    (f,) = _errors(root, "schema.invalid")
    assert "overflow_threshold" in f.message and "at most 100%" in f.message


@pytest.mark.parametrize("value", [r'"Alice\e]8;;http://evil\aN"', r'"Al\x1bice"',
                                   r'"Alice\u202eevil"', r'"Alice\rNo changes"',
                                   "|\n      Alice\n      No changes"])
def test_control_characters_from_yaml_escapes_in_names(tmp_path: Path, value: str) -> None:
    root = acme_copy(tmp_path)
    _edit(root, "teams/platform.yaml", r"name: Alice Nguyen", f"name: {value}")
    (f,) = _errors(root, "yaml.control-escape")
    assert f.file.endswith("platform.yaml") and f.pointer == "/members/1/name"
    text = (root / "teams" / "platform.yaml").read_text().splitlines()
    assert text[f.line - 1].lstrip().startswith("name:")


def test_newline_in_a_description_is_fine(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    _edit(root, "teams/platform.yaml", r"cost_center: PLAT-001",
          'cost_center: PLAT-001\ndescription: "two\\nlines"')
    assert not only(check(root), "yaml.control-escape")


@pytest.mark.parametrize("tagged", ["!!str Alice", "! Alice", "!!binary QUxJQ0U="])
def test_yaml_tags_are_errors_with_a_line(tmp_path: Path, tagged: str) -> None:
    root = acme_copy(tmp_path)
    _edit(root, "teams/platform.yaml", r"name: Alice Nguyen", f"name: {tagged}")
    (f,) = _errors(root, "yaml.tag")
    assert f.file.endswith("platform.yaml") and "no tags" in f.hint


def test_upper_case_extension_is_an_error_not_skipped(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    (root / "teams" / "backend.yaml").rename(root / "teams" / "backend.YAML")
    (f,) = _errors(root, "file.suffix")
    assert f.file.endswith("backend.YAML") and "'backend.yaml'" in f.hint
    assert run_cli("validate", str(root), "--at", TODAY.isoformat()).exit_code == 1


def test_team_file_in_a_subdirectory_is_an_error_not_skipped(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    (root / "teams" / "sub").mkdir()
    (root / "teams" / "backend.yaml").rename(root / "teams" / "sub" / "backend.yaml")
    (f,) = _errors(root, "file.subdirectory")
    assert "teams/sub/" in f.message and "move them up" in f.hint


def test_an_empty_policy_is_an_error(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    for path in (root / "teams").iterdir():
        path.write_text(re.sub(r"members:.*", "members: []\n", path.read_text(), flags=re.S))
    _edit(root, "org.yaml", r"protected:\n(\s+- .*\n)+", "protected: []\n")
    (f,) = _errors(root, "policy.empty")
    assert "remove everyone" in f.hint
    res = run_cli("validate", str(root), "--at", TODAY.isoformat())
    assert res.exit_code == 1 and "0 members" not in res.stdout


def test_both_schema_copies_state_the_same_limits() -> None:
    from conftest import ROOT

    for kind in ("org", "roles", "team"):
        repo = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text())
        packaged = json.loads((ROOT / "reconciler" / "schemas" / f"{kind}.schema.json")
                              .read_text())
        assert repo == packaged


def test_validate_shows_a_hostile_file_name_without_running_it(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    (root / "teams" / "evil\x1b]8;;x\x07\r.yaml").write_text("name: [\n")
    res = run_cli("validate", str(root), "--at", TODAY.isoformat())
    assert res.exit_code == 1
    assert not any(c in res.stdout for c in "\x1b\x07\r")
    assert "evil\\u001b]8;;x\\u0007\\u000d.yaml" in res.stdout


def test_teams_directory_linked_outside_is_refused(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    (root / "teams").rename(tmp_path / "elsewhere")
    (root / "teams").symlink_to(tmp_path / "elsewhere")
    (f,) = _errors(root, "file.symlink")
    assert f.file.endswith("teams") and "teams/" in f.message
