"""MDM bundle, effective-document resolution, and the ``seatctl settings`` commands."""

from __future__ import annotations

import json
import pathlib
from types import MappingProxyType

from conftest import run_cli
from settings_fixtures import ACME_ROLES, make_policy, vendored_validator

from reconciler.model import Assignment, Role
from reconciler.settings.desired import desired_managed_settings
from reconciler.settings.effective import effective_settings
from reconciler.settings.mdm import INSTALL_PATHS, build_mdm_bundle

BOTH = "grace.lee@acme.example"


def _policy():  # type: ignore[no-untyped-def]
    policy = make_policy(groups={"claude-developers": frozenset({BOTH, "bob.martin@acme.example"}),
                                 "claude-contractors": frozenset({BOTH})})  # fmt: skip
    assignments = {
        "bob.martin@acme.example": Assignment("bob.martin@acme.example", "platform", "developer"),
        "erin.kim@acme.example": Assignment("erin.kim@acme.example", "platform", "contractor"),
    }
    return type(policy)(**{**{f: getattr(policy, f) for f in policy.__dataclass_fields__},
                           "assignments": MappingProxyType(assignments)})  # fmt: skip


def test_bundle_has_one_valid_file_per_role_and_a_manifest_mapping_members() -> None:
    bundle = build_mdm_bundle(_policy())
    role_files = sorted(p for p in bundle if p != "manifest.json")
    assert role_files == sorted(f"roles/{k}/managed-settings.json" for k in ACME_ROLES)
    validator = vendored_validator()
    for path in role_files:
        assert list(validator.iter_errors(json.loads(bundle[path]))) == []
    manifest = json.loads(bundle["manifest.json"])
    assert manifest["members"]["erin.kim@acme.example"]["file"] == (
        "roles/contractor/managed-settings.json"
    )
    assert manifest["install_paths"] == INSTALL_PATHS
    assert build_mdm_bundle(_policy()) == bundle  # deterministic


def test_member_in_two_role_groups_gets_the_higher_priority_document_from_policy() -> None:
    policy = _policy()
    eff = effective_settings(BOTH, desired_managed_settings(policy), policy.desired.groups)
    assert eff.role == "developer" and eff.matched == ("claude-developers", "claude-contractors")
    assert "never merge" in eff.reason
    nobody = effective_settings("x@acme.example", desired_managed_settings(policy),
                                policy.desired.groups)  # fmt: skip
    assert nobody.source == "none"


def test_member_in_no_group_gets_the_baseline_default() -> None:
    roles = {**ACME_ROLES, "everyone": Role("everyone", "Everyone", "user", "standard",
                                            features=("read_only",), baseline=True)}
    policy = make_policy(roles)
    eff = effective_settings("x@acme.example", desired_managed_settings(policy),
                             policy.desired.groups)  # fmt: skip
    assert eff.source == "default" and eff.document is not None


def test_settings_check_cli_reports_file_line_and_fails(tmp_path: pathlib.Path) -> None:
    (tmp_path / "roles.yaml").write_text(
        "roles:\n  dev:\n    claude_code_settings:\n      permissions:\n        defaultMode: yolo\n"
    )
    result = run_cli("settings", "check", "--policy", str(tmp_path))
    assert result.exit_code == 1
    assert f"{tmp_path / 'roles.yaml'}:5:" in result.stderr and "yolo" in result.stderr


def test_settings_check_cli_passes_a_clean_file(tmp_path: pathlib.Path) -> None:
    (tmp_path / "roles.yaml").write_text("roles:\n  dev:\n    claude_code_settings: {model: x}\n")
    assert run_cli("settings", "check", "--policy", str(tmp_path)).exit_code == 0
