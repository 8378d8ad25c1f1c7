"""roles.yaml ``spend_increases``: compiled to the role's rule with its line, refused at
file:line when it could never grant anything, and written back by the writer. No date
matters here (validate runs at 2026-11-25 where it takes ``--at``)."""

from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLE_POLICIES, run_cli
from policy_testkit import acme_copy, check, only

from reconciler.policy import load_policy
from reconciler.policy.writer import roles_document

CONTRACTOR_RULE = "    spend_increases: {auto_approve_up_to: 150.00}\n"


def _roles_with(rule: str, *, drop_cap: bool = False) -> str:
    text = (EXAMPLE_POLICIES / "roles.yaml").read_text(encoding="utf-8")
    assert CONTRACTOR_RULE in text
    text = text.replace(CONTRACTOR_RULE, rule)
    return text.replace("    monthly_spend_cap: 100.00\n", "") if drop_cap else text


def test_the_example_rule_compiles_with_its_line() -> None:
    policy = load_policy(EXAMPLE_POLICIES)
    rule = policy.roles["contractor"].spend_increases
    assert rule is not None and rule.auto_approve_up_to_cents == 15000
    assert rule.source is not None and rule.source.line == 39
    assert rule.source.file.endswith("roles.yaml")
    assert policy.roles["intern"].spend_increases is None
    assert roles_document(policy)["roles"]["contractor"]["spend_increases"] == {
        "auto_approve_up_to": 150}


def test_a_ceiling_not_above_the_cap_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"roles.yaml": _roles_with(
        "    spend_increases: {auto_approve_up_to: 100}\n")})
    (finding,) = only(check(root), "role.spend-increases")
    assert finding.line == 39 and finding.severity == "error"
    res = run_cli("validate", str(root), "--at", "2026-11-25")
    assert res.exit_code == 1 and "Traceback" not in res.stdout + res.stderr
    assert "roles.yaml:39:" in res.stdout and "is not above monthly_spend_cap $100.00" in res.stdout


def test_a_rule_without_a_cap_is_an_error(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"roles.yaml": _roles_with(CONTRACTOR_RULE, drop_cap=True)})
    (finding,) = only(check(root), "role.spend-increases")
    assert "needs a monthly_spend_cap" in finding.message


def test_unknown_keys_in_the_rule_are_refused_by_the_schema(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"roles.yaml": _roles_with(
        "    spend_increases: {auto_approve_to: 150}\n")})
    res = run_cli("validate", str(root), "--at", "2026-11-25")
    assert res.exit_code == 1 and "auto_approve_to" in res.stdout


def test_no_ceiling_means_never_auto_approve(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"roles.yaml": _roles_with("    spend_increases: {}\n")})
    assert not only(check(root), "role.spend-increases")
    rule = load_policy(root).roles["contractor"].spend_increases
    assert rule is not None and rule.auto_approve_up_to_cents is None
