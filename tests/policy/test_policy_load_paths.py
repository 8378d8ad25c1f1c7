"""The fast paths of ``validate_policy`` give what the plain derivations give.

Members are indexed, checked and turned into desired members file by file as team
files are parsed; the result must equal ``compile_desired`` run afresh on the final
assignments.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reconciler.policy import compile_desired, validate_policy

TODAY = dt.date(2026, 11, 25)
REPO = Path(__file__).resolve().parents[2]


def _repo(tmp_path: Path) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(REPO))
        from bench.bench_validate import make_policy_repo
    root = make_policy_repo(tmp_path / "p", members=300, teams=12)
    team1 = root / "teams" / "team-00001.yaml"
    # user000003 (team 0, developer, expires 2099-12-31) again in team 1, later expiry;
    # user000013 (expires 2099-12-31) again with no expiry (none beats any).
    team1.write_text(team1.read_text() + "  - email: user000003@bench.example\n"
                     "    role: developer\n    expires: 2100-06-30\n"
                     "  - email: User000013@bench.example\n    role: developer\n"
                     "    name: Thirteen\n")
    return root


def test_prebuilt_desired_members_equal_compile_desired(tmp_path: Path) -> None:
    res = validate_policy(_repo(tmp_path), today=TODAY)
    assert res.ok, res.errors[:3]
    policy = res.policy
    assert policy is not None
    members = policy.desired.members
    assert members["user000003@bench.example"].expires_on == dt.date(2100, 6, 30)
    assert members["user000013@bench.example"].expires_on is None
    names = {email: m.name for email, m in members.items() if m.name}
    fresh = compile_desired(policy.org_type, policy.org_name, policy.roles, policy.teams,
                            policy.assignments, names)
    assert fresh == policy.desired
    assert list(fresh.members) == list(members)
    assert list(fresh.spend_limits) == list(policy.desired.spend_limits)


def test_team_declared_twice_counts_both_files_members(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    two = root / "teams" / "team-00002.yaml"
    two.write_text(two.read_text().replace("name: team-00002", "name: team-00001"))
    res = validate_policy(root, today=TODAY)
    codes = {(f.file.rsplit("/", 1)[-1], f.code) for f in res.errors}
    assert ("team-00002.yaml", "team.duplicate") in codes, codes
    over = [f for f in res.errors if f.code == "team.over-allocation"]
    assert [f.file.rsplit("/", 1)[-1] for f in over] == ["team-00001.yaml"], res.errors
    assert "has 52 members but 27 allocated seats" in over[0].message
