"""Acme example compiles to exactly docs/acme-demo.md; write_policy round-trips."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from conftest import run_cli
from policy_testkit import EXAMPLE, TODAY

from reconciler.model import OrgType, Policy, SpendLimitKey
from reconciler.policy import load_policy, validate_policy, write_policy


def test_example_policy_is_clean_and_is_the_acme_org() -> None:
    result = validate_policy(EXAMPLE, today=TODAY)
    assert result.findings == []
    p = result.policy
    assert p is not None
    assert (p.org_name, p.org_type, p.provider, p.admin_key_env) == (
        "Acme Corp", OrgType.ENTERPRISE, "anthropic", "SEATCTL_ADMIN_KEY")
    assert p.allowed_domains == {"acme.example"}
    b = p.budget
    assert b.purchased_seats == 50
    assert {k: t.monthly_price_cents for k, t in b.tiers.items()} == {
        "standard": 3000, "restricted": 2000, "learning": 2000}
    assert (b.overflow_allowed, b.overflow_threshold_pct, b.approval_required) == (True, 80, True)
    assert (b.growth_buffer_min_pct, b.growth_buffer_max_pct) == (10, 15)
    assert (p.contract_start, p.contract_end) == (dt.date(2026, 7, 1), dt.date(2027, 6, 30))
    s = p.safety
    assert (s.max_removals, s.max_removals_pct, s.max_role_changes, s.max_role_changes_pct) == (
        5, 25, 10, 25)
    assert s.protected == {"dana.owner@acme.example"} and s.unmanaged == "report"
    assert (p.usage.inactive_after_days, p.usage.retention_days) == (14, 90)
    assert (p.usage.low_utilization.threshold_pct, p.usage.high_usage.threshold_pct) == (20, 90)
    assert p.audit.retention_days == 365
    assert (p.apply.requests_per_minute, p.apply.invites_per_hour, p.apply.concurrency,
            p.apply.max_plan_age_hours) == (90, 1100, 4, 24)
    assert {k: (r.org_role, r.seat_tier, r.max_daily_hours, r.monthly_spend_cap_cents, r.priority,
                r.group) for k, r in p.roles.items()} == {
        "senior_developer": ("user", "standard", None, None, 10, "claude-senior-developers"),
        "developer": ("user", "standard", None, None, 20, "claude-developers"),
        "intern": ("user", "learning", 6, 5000, 30, "claude-interns"),
        "contractor": ("managed", "restricted", 4, 10000, 40, "claude-contractors")}
    assert {t.name: (t.cost_center, t.allocated_seats, t.group, len(t.members))
            for t in p.teams.values()} == {
        "platform": ("PLAT-001", 8, "team-platform", 7),
        "frontend": ("FE-001", 6, "team-frontend", 5),
        "backend": ("BE-001", 10, "team-backend", 8)}
    d = p.desired
    assert len(d.members) == 20
    assert d.members["quinn.taylor@acme.example"].role == "managed"
    assert d.members["erin.kim@acme.example"].expires_on == dt.date(2027, 3, 31)
    assert d.members["jack.brown@acme.example"].expires_on == dt.date(2027, 1, 31)
    assert d.members["alice.nguyen@acme.example"].name == "Alice Nguyen"
    assert sorted(d.groups) == ["claude-contractors", "claude-developers", "claude-interns",
                                "claude-senior-developers", "team-backend", "team-frontend",
                                "team-platform"]
    assert d.groups["claude-interns"].members == {
        "farid.haddad@acme.example", "kate.silva@acme.example", "sam.obi@acme.example"}
    assert {k.key: v.amount_cents for k, v in d.spend_limits.items()} == {
        "erin.kim@acme.example": 10000, "jack.brown@acme.example": 10000,
        "quinn.taylor@acme.example": 10000, "farid.haddad@acme.example": 5000,
        "kate.silva@acme.example": 5000, "sam.obi@acme.example": 5000}
    assert all(k == SpendLimitKey("user", k.key, "monthly") for k in d.spend_limits)
    a = p.assignments["carol.diaz@acme.example"]
    assert (a.team, a.role, a.source.file.endswith("teams/platform.yaml"), a.source.line) == (
        "platform", "developer", True, 17)


def test_validate_cli_on_example_exits_zero_with_summary() -> None:
    res = run_cli("validate", str(EXAMPLE))
    assert res.exit_code == 0
    assert "valid — 20 members, 3 teams, 4 roles, 50 purchased seats" in res.stdout


def _without_sources(value: Any) -> Any:
    """The policy minus where things were declared (source refs, root)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _without_sources(getattr(value, f.name))
                   for f in dataclasses.fields(value)}
        for key in ("source", "sources", "root"):
            if key in changes:
                changes[key] = None
        return dataclasses.replace(value, **changes)
    if hasattr(value, "items") and not isinstance(value, str):
        return {k: _without_sources(v) for k, v in value.items()}
    return value


def test_write_policy_round_trips_acme(tmp_path: Path) -> None:
    policy = load_policy(EXAMPLE, today=TODAY)
    paths = write_policy(policy, tmp_path / "policies")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in paths) == [
        "policies/org.yaml", "policies/roles.yaml", "policies/teams/backend.yaml",
        "policies/teams/frontend.yaml", "policies/teams/platform.yaml",
        "schemas/org.schema.json", "schemas/roles.schema.json", "schemas/team.schema.json"]
    for path in (p for p in paths if p.suffix == ".yaml"):
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=../")
        target = (path.parent / first.split("$schema=", 1)[1]).resolve()
        assert target.is_file(), f"{path}'s $schema points at {target}, which was not written"
    again = validate_policy(tmp_path / "policies", today=TODAY)
    assert again.findings == []
    assert isinstance(again.policy, Policy)
    assert _without_sources(again.policy) == _without_sources(policy)


def test_write_policy_quotes_text_that_yaml_would_convert(tmp_path: Path) -> None:
    policy = load_policy(EXAMPLE, today=TODAY)
    team = policy.teams["backend"]
    odd = dataclasses.replace(team, cost_center="no", group="2024-01-02")
    policy = dataclasses.replace(policy, teams={**policy.teams, "backend": odd})
    write_policy(policy, tmp_path / "p")
    again = load_policy(tmp_path / "p", today=TODAY)
    assert (again.teams["backend"].cost_center, again.teams["backend"].group) == (
        "no", "2024-01-02")
