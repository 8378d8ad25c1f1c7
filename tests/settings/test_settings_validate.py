"""Invalid raw Claude Code settings in roles.yaml are reported at their file:line."""

from __future__ import annotations

import pathlib

from settings_fixtures import ACME_ROLES

from reconciler.model import Role
from reconciler.settings.validate import check_role_settings, check_roles

ROLES_YAML = """\
roles:
  developer:
    display_name: Developer
    features: [full_code_edit]
    claude_code_settings:
      model: sonnet
      permissions:
        defaultMode: yolo
        allow:
          - Edit
          - Teleport(*)
      colour: blue
  contractor:
    display_name: Contractor
    features: [read_only, suggestions]
    claude_code_settings:
      permissions:
        allow: [Write]
  intern:
    display_name: Intern
    claude_code_settings: 42
"""


def test_schema_errors_carry_the_line_of_the_bad_value(tmp_path: pathlib.Path) -> None:
    (tmp_path / "roles.yaml").write_text(ROLES_YAML)
    findings = check_role_settings(tmp_path)
    by_code = [(f.line, f.code) for f in findings]
    assert (8, "settings_schema") in by_code  # defaultMode: yolo
    assert (11, "settings_schema") in by_code  # Teleport(*)
    assert (12, "settings_schema") in by_code  # colour: unknown key, at the key itself
    mode = next(f for f in findings if f.line == 8)
    assert "'yolo' is not one of" in mode.message and mode.file.endswith("roles.yaml")
    assert mode.pointer == "/roles/developer/claude_code_settings/permissions/defaultMode"
    assert any(f.code == "settings_read_only_write" and "'Write'" in f.message for f in findings)
    assert any(f.code == "settings_not_object" and f.line == 21 for f in findings)
    assert all(f.is_error for f in findings)


def test_valid_settings_and_missing_file_give_no_findings(tmp_path: pathlib.Path) -> None:
    assert check_role_settings(tmp_path) == []
    (tmp_path / "roles.yaml").write_text(
        "roles:\n  dev:\n    claude_code_settings:\n      model: sonnet\n"
    )
    assert check_role_settings(tmp_path) == []


def test_priority_ties_and_two_baselines_are_errors() -> None:
    roles = dict(ACME_ROLES)
    roles["twin"] = Role("twin", "Twin", "user", "standard", features=("audit",), priority=20,
                         group="claude-twins")  # fmt: skip
    roles["b1"] = Role("b1", "B1", "user", "standard", features=("read_only",), baseline=True)
    roles["b2"] = Role("b2", "B2", "user", "standard", features=("read_only",), baseline=True)
    codes = {f.code for f in check_roles(roles)}
    assert {"settings_priority_tie", "settings_two_baselines"} <= codes
    assert check_roles(ACME_ROLES) == []
