"""The guide's tracking block and usage policy compile into every role's managed settings.

Policies are the example policy with a ``usage.tracking`` block added; the sandbox is the
demo org seeded with the compiled settings, on the demo day (DEMO_DATE), so plans and
validation evaluate on that date whatever day the suite runs.
"""

from __future__ import annotations

import json
import pathlib
import shutil
from types import MappingProxyType

import pytest
from conftest import EXAMPLE_POLICIES, run_cli
from settings_fixtures import ACME_ROLES, vendored_validator

from reconciler.model import TelemetryQuery, Tracking
from reconciler.policy import load_policy
from reconciler.policy.rules import looks_secret
from reconciler.sandbox.demo import DEMO_DATE
from reconciler.settings.compile import (
    SettingsContext,
    compile_policy_settings,
    compile_role_settings,
)
from reconciler.settings.desired import desired_managed_settings
from reconciler.settings.diff import SETTINGS_KINDS

AT = DEMO_DATE.isoformat()

TRACKING = Tracking(
    endpoint="https://otel.acme.example:4318",
    protocol="grpc",
    headers=MappingProxyType({"X-Tenant": "acme"}),
    headers_helper="/usr/local/bin/otel-headers",
    export_interval_ms=60000,
    resource_attributes=MappingProxyType({"deployment.environment": "prod"}),
    query=TelemetryQuery("https://prometheus.acme.example"),
)


@pytest.fixture(autouse=True)
def _state_in_tmp(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``plan`` keeps its full read as ``./.seatctl/snapshot.json``: here that is under
    tmp_path, never in the checkout (every path below is absolute)."""
    monkeypatch.chdir(tmp_path)


def tracking_block(endpoint: str, extra: str = "") -> str:
    return (
        "  tracking:\n"
        "    enabled: true\n"
        f"    endpoint: {endpoint}\n"
        "    protocol: http/protobuf\n"
        "    headers_helper: /usr/local/bin/otel-headers\n"
        f"{extra}"
    )


def policy_with(tmp: pathlib.Path, block: str) -> pathlib.Path:
    """The example policy with ``block`` added under ``usage:`` in org.yaml."""
    root = tmp / "policies"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(EXAMPLE_POLICIES, root)
    org = root / "org.yaml"
    text = org.read_text()
    assert "\nusage:\n" in text
    org.write_text(text.replace("\nusage:\n", "\nusage:\n" + block, 1))
    return root


def test_tracking_env_is_valid_managed_settings_for_every_role() -> None:
    ctx = SettingsContext("Acme Corp", tracking=TRACKING)
    validator = vendored_validator()
    for role in ACME_ROLES.values():
        doc = compile_role_settings(role, ctx)
        assert list(validator.iter_errors(doc)) == [], role.key
        env = doc["env"]
        assert env["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1"
        assert env["OTEL_METRICS_EXPORTER"] == "otlp" and env["OTEL_LOGS_EXPORTER"] == "otlp"
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "https://otel.acme.example:4318"
        assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "grpc"
        assert env["OTEL_EXPORTER_OTLP_HEADERS"] == "X-Tenant=acme"
        assert env["OTEL_METRIC_EXPORT_INTERVAL"] == "60000"
        assert env["OTEL_RESOURCE_ATTRIBUTES"] == (
            f"deployment.environment=prod,seatctl.role={role.key}")
        assert doc["otelHeadersHelper"] == "/usr/local/bin/otel-headers"


def test_disabled_tracking_switches_the_export_off() -> None:
    ctx = SettingsContext("Acme Corp", tracking=Tracking(enabled=False))
    doc = compile_role_settings(ACME_ROLES["developer"], ctx)
    assert doc["env"] == {"CLAUDE_CODE_ENABLE_TELEMETRY": "0"}
    assert "otelHeadersHelper" not in doc


def test_usage_policy_and_role_lines_reach_company_announcements(
        tmp_path: pathlib.Path) -> None:
    root = policy_with(tmp_path, "  policy:\n    text: Claude Code use is logged.\n"
                                 "    url: https://intranet.acme.example/ai-policy\n")
    roles = root / "roles.yaml"
    anchor = "    group: claude-interns\n"
    assert anchor in roles.read_text()
    roles.write_text(roles.read_text().replace(
        anchor, anchor + "    announcements: [Ask your mentor before merging.]\n"))
    docs = compile_policy_settings(load_policy(root))
    for key, doc in docs.items():
        lines = doc["companyAnnouncements"]
        assert "https://intranet.acme.example/ai-policy" in lines[0]
        assert lines[1] == "Claude Code use is logged."
        assert ("Ask your mentor before merging." in lines) == (key == "intern")


@pytest.mark.parametrize(("name", "value"), [
    ("Authorization", "Bearer abc123"),
    ("X-Api-Key", "anything"),
    ("X-Tenant", "Basic dXNlcjpwYXNz"),
    ("X-Scope", "sk-ant-admin01-abcdefgh"),
])
def test_secret_looking_headers_are_recognised(name: str, value: str) -> None:
    assert looks_secret(name, value)


def test_plain_headers_are_not_secrets() -> None:
    assert not looks_secret("X-Tenant", "acme")


def test_validate_refuses_a_secret_header_at_its_line(tmp_path: pathlib.Path) -> None:
    root = policy_with(tmp_path, tracking_block(
        "https://otel.acme.example", "    headers:\n      Authorization: Bearer-abc\n"))
    result = run_cli("validate", str(root), "--at", AT)
    assert result.exit_code == 1, result.stdout
    out = result.stdout + result.stderr
    line = next(i for i, t in enumerate((root / "org.yaml").read_text().splitlines(), 1)
                if "Authorization" in t)
    assert f"org.yaml:{line}" in out
    assert "headers_helper" in out


def test_validate_refuses_plain_http_off_this_machine(tmp_path: pathlib.Path) -> None:
    root = policy_with(tmp_path, tracking_block("http://otel.acme.example:4318"))
    result = run_cli("validate", str(root), "--at", AT)
    assert result.exit_code == 1
    assert "plain http" in result.stdout + result.stderr
    local = policy_with(tmp_path, tracking_block("http://127.0.0.1:4318"))
    assert run_cli("validate", str(local), "--at", AT).exit_code == 0


def test_changing_the_endpoint_plans_one_settings_change_per_group(
        tmp_path: pathlib.Path) -> None:
    root = policy_with(tmp_path, tracking_block("https://otel-a.acme.example"))
    db = str(tmp_path / "sandbox.db")
    seeded = run_cli("sandbox", "seed", "--demo", "--db", db, "--policy", str(root))
    assert seeded.exit_code == 0, seeded.stderr
    plan = tmp_path / "plan.json"

    def settings_changes() -> list[dict[str, object]]:
        result = run_cli("plan", str(root), "--sandbox", db, "--format", "json",
                         "--out", str(plan))
        assert result.exit_code in (0, 2), result.stderr
        return [c for c in json.loads(plan.read_text())["changes"]
                if c["kind"] in SETTINGS_KINDS]

    assert settings_changes() == []
    org = root / "org.yaml"
    org.write_text(org.read_text().replace("otel-a.acme", "otel-b.acme"))
    changes = settings_changes()
    desired = desired_managed_settings(load_policy(root))
    # One change per group that carries a document, plus the org default (baseline role).
    assert len(changes) == len(desired.groups) + (desired.default is not None)
    assert len({c["target"] for c in changes}) == len(changes)
    for change in changes:
        assert change["after"] == {"env.OTEL_EXPORTER_OTLP_ENDPOINT":
                                   "https://otel-b.acme.example"}
