"""Semantic rules across files (issue 2, RELIABILITY.md B2, B3, B15–B20)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli
from policy_testkit import acme_copy, check, only, team_yaml

from reconciler.errors import PolicyError
from reconciler.policy import load_policy, validate_policy

BAD_EMAILS = [
    ("at-only", "'@'", "email.format", "nothing before the @"),
    ("space-inside", "'a b@acme.example'", "email.char", "U+0020 SPACE"),
    ("no-dot", "'a@acme'", "email.format", "no dot"),
    ("trailing-dot", "'a@acme.example.'", "email.format", "ends with a dot"),
    ("nbsp", "'al\u00a0ice@acme.example'", "email.char", "U+00A0 NO-BREAK SPACE"),
    ("zero-width", "'al\u200bice@acme.example'", "email.char", "U+200B ZERO WIDTH SPACE"),
    ("kelvin", "'\u212aate@acme.example'", "email.char", "U+212A KELVIN SIGN"),
    ("dotless-i", "'\u0131sla@acme.example'", "email.char", "U+0131"),
    ("cyrillic-a", "'\u0430lice@acme.example'", "email.char", "U+0430 CYRILLIC SMALL LETTER A"),
    ("fullwidth", "'\uff21lice@acme.example'", "email.char", "U+FF21"),
    ("sharp-s", "'stra\u00dfe@acme.example'", "email.char", "U+00DF"),
    ("punycode", "'x@xn--acme-9na.example'", "email.idn", "punycode"),
    ("other-domain", "'mallory@evil.example'", "email.domain", "not allowed"),
    ("subdomain", "'a@eu.acme.example'", "email.domain", "not allowed"),
]


@pytest.mark.parametrize("email, code, text", [c[1:] for c in BAD_EMAILS],
                         ids=[c[0] for c in BAD_EMAILS])
def test_bad_email_is_refused_naming_the_problem(tmp_path: Path, email: str, code: str,
                                                 text: str) -> None:
    root = acme_copy(tmp_path, {"teams/extra.yaml": team_yaml("extra", [f"{email}|developer"])})
    res = run_cli("validate", str(root), "--at", "2026-11-25")
    assert res.exit_code == 1
    lines = [ln for ln in res.stdout.splitlines() if f"[{code}]" in ln or text in ln]
    assert any("teams/extra.yaml:5:12: error:" in ln and text in ln for ln in lines), res.stdout
    assert only(check(root), code)


def test_upper_case_and_spaces_are_normalised_with_a_warning(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"teams/extra.yaml": team_yaml(
        "extra", ["'  Zed.Upper@ACME.example '|developer"])})
    result = validate_policy(root)
    assert result.ok
    warns = only(result.findings, "email.normalized")
    assert len(warns) == 1 and warns[0].severity == "warning" and warns[0].line == 5
    assert result.policy is not None
    assert "zed.upper@acme.example" in result.policy.desired.members
    res = run_cli("validate", str(root))
    assert res.exit_code == 0
    assert "warning: email '  Zed.Upper@ACME.example ' is compared as" in res.stdout


def test_same_email_twice_in_a_team_after_normalising(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"teams/extra.yaml": team_yaml(
        "extra", ["zed@acme.example|developer", "ZED@acme.example|developer"])})
    [dup] = only(check(root), "member.duplicate")
    assert (dup.line, dup.col) == (7, 12)
    assert "also at line 5" in dup.message


def test_member_in_two_teams_with_conflicting_roles(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"teams/extra.yaml": team_yaml(
        "extra", ["bob.martin@acme.example|contractor"])})
    [conflict] = only(check(root), "member.role-conflict")
    assert conflict.file.endswith("teams/platform.yaml") or conflict.file.endswith("extra.yaml")
    assert "'contractor'" in conflict.message and "'developer'" in conflict.message
    assert run_cli("validate", str(root)).exit_code == 1


def test_plus_alias_beside_base_address_warns(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"teams/extra.yaml": team_yaml(
        "extra", ["bob.martin+ai@acme.example|developer"])})
    [warn] = only(check(root), "email.plus-alias")
    assert warn.severity == "warning"
    assert "bob.martin@acme.example" in warn.message


@pytest.mark.parametrize("role, suggestion", [("Developer", "did you mean 'developer'?"),
                                              ("owner", ""), ("admin", ""),
                                              ("senior developer", "senior_developer")])
def test_unknown_role_lists_allowed_values(tmp_path: Path, role: str, suggestion: str) -> None:
    root = acme_copy(tmp_path, {"teams/extra.yaml": team_yaml("extra", ["zed@acme.example|x"])
                                .replace("role: x", f"role: {role}")})
    [bad] = only(check(root), "role.unknown")
    assert "contractor, developer, intern, senior_developer" in bad.hint
    assert suggestion in bad.hint
    assert (bad.line, bad.col) == (6, 11)


def test_org_role_owner_is_refused_with_allowed_values(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    text = (root / "roles.yaml").read_text().replace("org_role: managed", "org_role: owner")
    (root / "roles.yaml").write_text(text)
    [bad] = only(check(root), "schema.enum")
    assert "user" in bad.hint and "managed" in bad.hint
    text = text.replace("org_role: owner", "org_role: developer")
    (root / "roles.yaml").write_text(text)
    [bad] = only(check(root), "role.org-role")
    assert "enterprise" in bad.message and bad.hint == "allowed org roles: managed, user"


def test_duplicate_team_names_point_at_both_files(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"teams/zz-copy.yaml": team_yaml("backend", [])})
    [dup] = only(check(root), "team.duplicate")
    assert dup.file.endswith("teams/zz-copy.yaml")
    assert "teams/backend.yaml:2" in dup.message


def test_team_over_allocation_without_overflow_is_an_error(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    org = (root / "org.yaml").read_text().replace("overflow_allowed: true",
                                                  "overflow_allowed: false")
    (root / "org.yaml").write_text(org)
    (root / "teams/frontend.yaml").write_text(
        (root / "teams/frontend.yaml").read_text().replace("allocated_seats: 6",
                                                           "allocated_seats: 4"))
    found = check(root)
    [over] = only(found, "team.over-allocation")
    assert "5 members but 4 allocated seats" in over.message
    [conflict] = only(found, "team.conflict")
    assert "allocated_seats is 4 here but 6 in org.yaml" in conflict.message


def test_overflow_allowed_warns_and_asks_for_approval(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"teams/extra.yaml": team_yaml(
        "extra", ["zed@acme.example|developer", "yan@acme.example|developer"], seats=1)})
    [warn] = only(check(root), "team.overflow")
    assert warn.severity == "warning" and "--approve-overflow" in warn.hint


def test_total_allocation_above_purchased(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"teams/extra.yaml": team_yaml("extra", [], seats=40)})
    [bad] = only(check(root), "seats.allocated")
    assert "64 seats but only 50" in bad.message and bad.file.endswith("org.yaml")


def test_protected_member_must_be_listed(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    text = (root / "teams/platform.yaml").read_text()
    start = text.index("  - email: dana.owner")
    end = text.index("  - email: alice.nguyen")
    (root / "teams/platform.yaml").write_text(text[:start] + text[end:])
    [bad] = only(check(root), "safety.protected")
    assert "dana.owner@acme.example" in bad.message and bad.file.endswith("org.yaml")


def test_expiry_in_the_past_warns_relative_to_injected_today(tmp_path: Path) -> None:
    root = acme_copy(tmp_path)
    import datetime as dt
    before = validate_policy(root, today=dt.date(2027, 1, 31)).findings
    after = validate_policy(root, today=dt.date(2027, 2, 1)).findings
    assert not only(before, "member.expired")
    [expired] = only(after, "member.expired")
    assert "jack.brown@acme.example" in expired.message and expired.severity == "warning"
    res = run_cli("validate", str(root), "--at", "2027-02-01")
    assert res.exit_code == 0 and "expired on 2027-01-31" in res.stdout


def test_invalid_calendar_date_is_an_error(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"teams/extra.yaml": team_yaml(
        "extra", ["zed@acme.example|developer|2027-02-30"])})
    [bad] = only(check(root), "value.date")
    assert (bad.line, bad.col) == (7, 14)


def test_load_policy_raises_with_every_finding(tmp_path: Path) -> None:
    root = acme_copy(tmp_path, {"teams/extra.yaml": team_yaml(
        "extra", ["'@'|developer", "mallory@evil.example|developer"])})
    with pytest.raises(PolicyError) as info:
        load_policy(root)
    codes = {f.code for f in info.value.findings}  # type: ignore[attr-defined]
    assert {"email.format", "email.domain"} <= codes
    assert info.value.exit_code == 1


def test_missing_files_and_directory(tmp_path: Path) -> None:
    assert [f.code for f in check(tmp_path / "nope")] == ["file.missing"]
    (tmp_path / "empty").mkdir()
    assert {f.code for f in check(tmp_path / "empty")} == {"file.missing"}


def test_size_and_file_count_limits_checked_before_parsing(tmp_path: Path) -> None:
    big = b"name: big\nnote: '" + b"x" * 6_000_000 + b"'\n"
    root = acme_copy(tmp_path, {"teams/big.yaml": big})
    res = run_cli("validate", str(root))
    assert res.exit_code == 1 and "over the limit of 5,242,880 bytes; not parsed" in res.stdout
    res = run_cli("validate", str(root), "--max-files", "3")
    assert res.exit_code == 1 and "4 team files, over the limit of 3" in res.stdout
