"""Roles compile to complete, deterministic managed-settings documents."""

from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from settings_fixtures import ACME_ROLES, ORG_UUID, make_policy, vendored_validator

from reconciler.model import Role
from reconciler.settings.compile import (
    FEATURES,
    RISKY_BASH,
    UNRESTRICTED_SHELL,
    WRITE_TOOLS,
    SettingsContext,
    compile_policy_settings,
    compile_role_settings,
    pretty_json,
)
from reconciler.settings.schema import settings_errors

GOLDEN = pathlib.Path(__file__).parent / "golden"
CTX = SettingsContext("Acme Corp", org_uuid=ORG_UUID)
VENDORED = vendored_validator()


@pytest.mark.parametrize("key", sorted(ACME_ROLES))
def test_example_role_document_matches_golden(key: str, update_golden: bool) -> None:
    text = pretty_json(compile_role_settings(ACME_ROLES[key], CTX))
    golden = GOLDEN / f"{key}.json"
    if update_golden:
        golden.write_text(text)
    assert text == golden.read_text(), f"rerun with --update-golden and review {golden}"


@pytest.mark.parametrize("key", sorted(ACME_ROLES))
def test_example_role_document_passes_vendored_and_own_schema(key: str) -> None:
    doc = compile_role_settings(ACME_ROLES[key], CTX)
    assert [e.message for e in VENDORED.iter_errors(doc)] == []
    assert settings_errors(doc) == []


def test_compiled_output_is_deterministic_whatever_the_feature_order() -> None:
    a = ACME_ROLES["senior_developer"]
    b = Role(a.key, a.display_name, a.org_role, a.seat_tier, None, ("audit", "full_code_edit"),
             None, a.priority, a.group)  # fmt: skip
    assert pretty_json(compile_role_settings(a, CTX)) == pretty_json(compile_role_settings(b, CTX))


def test_every_role_gets_login_telemetry_and_no_bypass() -> None:
    docs = compile_policy_settings(make_policy())
    assert sorted(docs) == sorted(ACME_ROLES)
    for key, doc in docs.items():
        assert doc["forceLoginMethod"] == "claudeai"
        assert doc["forceLoginOrgUUID"] == ORG_UUID
        assert doc["permissions"]["disableBypassPermissionsMode"] == "disable"
        assert doc["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1"
        assert doc["env"]["OTEL_RESOURCE_ATTRIBUTES"] == f"seatctl.role={key}"
        assert "acceptable-use policy" in doc["companyAnnouncements"][0]


def test_contractor_is_read_only_in_plan_mode_and_intern_is_mentored() -> None:
    contractor = compile_role_settings(ACME_ROLES["contractor"], CTX)
    assert contractor["permissions"]["defaultMode"] == "plan"
    assert set(WRITE_TOOLS) <= set(contractor["permissions"]["deny"])
    assert contractor["allowManagedPermissionRulesOnly"] is True
    assert "4 hours a day, monitored" in contractor["companyAnnouncements"][0]
    intern = compile_role_settings(ACME_ROLES["intern"], CTX)
    assert intern["permissions"]["defaultMode"] == "default"
    assert "Bash(git commit *)" in intern["permissions"]["ask"]
    assert intern["outputStyle"] == "Learning"


def test_raw_settings_merge_over_compiled_ones() -> None:
    base = ACME_ROLES["developer"]
    role = Role(base.key, base.display_name, base.org_role, base.seat_tier, None, base.features,
                None, base.priority, base.group,
                settings={"model": "sonnet", "env": {"HTTPS_PROXY": "http://proxy:3128"},
                          "permissions": {"deny": ["WebFetch"]}})  # fmt: skip
    doc = compile_role_settings(role, CTX)
    assert doc["model"] == "sonnet"
    assert doc["env"]["HTTPS_PROXY"] == "http://proxy:3128"
    assert doc["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1"
    assert "WebFetch" in doc["permissions"]["deny"] and "Read(./.env)" in doc["permissions"]["deny"]


def _is_edit_or_write(rule: str) -> bool:
    return rule.split("(", 1)[0] in WRITE_TOOLS or rule in RISKY_BASH or rule in UNRESTRICTED_SHELL


_RULES = st.sampled_from(
    ["Edit", "Write", "MultiEdit", "NotebookEdit", "Bash", "Bash(*)", "Bash(rm *)",
     "Edit(/src/**)", "Write(./x)", "Read", "Grep", "WebFetch", "Bash(git push *)"]
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    features=st.lists(st.sampled_from(FEATURES), unique=True),
    allow=st.lists(_RULES, unique=True, max_size=5),
    ask=st.lists(_RULES, unique=True, max_size=5),
    mode=st.sampled_from(["acceptEdits", "default", "dontAsk", "plan", None]),
)
def test_no_feature_combination_gives_a_read_only_role_edit_or_write(
    features: list[str], allow: list[str], ask: list[str], mode: str | None
) -> None:
    raw: dict[str, object] = {"permissions": {"allow": allow, "ask": ask}}
    if mode:
        raw["permissions"]["defaultMode"] = mode  # type: ignore[index]
    role = Role("r", "R", "user", "standard", features=tuple({*features, "read_only"}),
                settings=raw, group="g")  # fmt: skip
    doc = compile_role_settings(role, CTX)
    perms = doc["permissions"]
    granted = [*perms.get("allow", []), *perms.get("ask", [])]
    assert not [r for r in granted if _is_edit_or_write(r)]
    assert set(WRITE_TOOLS) <= set(perms["deny"])
    assert perms["defaultMode"] == "plan"
    assert perms["disableBypassPermissionsMode"] == "disable"
    assert [e.message for e in VENDORED.iter_errors(doc)] == []


def test_pretty_json_is_sorted_and_ends_with_newline() -> None:
    text = pretty_json(compile_role_settings(ACME_ROLES["developer"], CTX))
    assert text.endswith("}\n")
    assert list(json.loads(text)) == sorted(json.loads(text))
