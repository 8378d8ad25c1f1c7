"""The fast paths of ``validate_policy`` give what the plain derivations give.

Members are indexed, checked and turned into desired members file by file as team
files arrive (from a process pool or in-process); the result must equal
``compile_desired`` run afresh on the final assignments, and the pool must give the
same findings and policy as one process.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reconciler.policy import api, compile_desired, validate_policy

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


@pytest.mark.parametrize("broken", [False, True])
def test_pool_and_one_process_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    broken: bool) -> None:
    root = _repo(tmp_path)
    if broken:
        (root / "teams" / "team-00004.yaml").write_text(
            "name: team-00004\ncost_center: X\nmembers:\n  - email: a@bench.example\n"
            "    role: no\n  - email: user000001@bench.example\n    role: intern\n")
        (root / "teams" / "team-00007.yaml").write_bytes(b"name: [oops\n")
    monkeypatch.setattr(api, "POOL_MIN_FILES", 1)
    one = validate_policy(root, today=TODAY, workers=1)
    pool = validate_policy(root, today=TODAY, workers=2)
    assert pool.findings == one.findings
    assert pool.policy == one.policy
    assert (one.policy is None) == broken


def test_team_declared_twice_counts_both_files_members(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    two = root / "teams" / "team-00002.yaml"
    two.write_text(two.read_text().replace("name: team-00002", "name: team-00001"))
    monkeypatch.setattr(api, "POOL_MIN_FILES", 1)
    for workers in (1, 2):
        res = validate_policy(root, today=TODAY, workers=workers)
        codes = {(f.file.rsplit("/", 1)[-1], f.code) for f in res.errors}
        assert ("team-00002.yaml", "team.duplicate") in codes, codes
        over = [f for f in res.errors if f.code == "team.over-allocation"]
        assert [f.file.rsplit("/", 1)[-1] for f in over] == ["team-00001.yaml"], res.errors
        assert "has 52 members but 27 allocated seats" in over[0].message


def test_fast_model_constructors_build_equal_objects() -> None:
    from reconciler.model import Assignment, Member, SourceRef
    from reconciler.policy import members as C

    src = C._new_source("teams/a.yaml", 7, 5)
    assert src == SourceRef("teams/a.yaml", 7, 5) and hash(src) == hash(SourceRef(
        "teams/a.yaml", 7, 5))
    day = dt.date(2030, 1, 2)
    assert C._new_assignment("a@x.example", "t", "dev", day, src) == Assignment(
        "a@x.example", "t", "dev", day, src)
    assert C._new_member("a@x.example", "user", "A", day) == Member(
        "a@x.example", "user", "A", expires_on=day)
    assert repr(C._new_member("b@x.example", "user", "", None)) == repr(
        Member("b@x.example", "user"))
    # the fast path is in use while the model classes look as expected
    assert C._new_member is not Member and C._slot_setters(Member, (
        "email", "role", "name", "id", "added_at", "expires_on")) is not None
    # ...and refused for any other shape
    assert C._slot_setters(Member, ("email", "role")) is None
    assert C._slot_setters(dict, ()) is None
