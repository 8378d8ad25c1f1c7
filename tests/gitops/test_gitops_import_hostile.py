"""``seatctl import`` with hostile live group names: files stay inside ``--out``.

A live RBAC group name is data. Names holding ``/`` or ``../`` neither crash the
import nor write outside the output directory; two names that fold to the same file
stem get distinct files, and the same org always gives the same files. (No date is
evaluated here: the org is built in memory and nothing expires.)
"""

from __future__ import annotations

import pathlib
from dataclasses import replace
from types import MappingProxyType

from reconciler.gitops.importer import import_policy
from reconciler.model import Group, Member, OrgState, OrgType
from reconciler.policy import write_policy
from reconciler.policy.writer import team_file_stems
from reconciler.sandbox.store import SandboxStore

HOSTILE = ("../../../x", "a/b", "team-../../etc/passwd", "A/B", "a-b", "..", "")


def _org(names: tuple[str, ...]) -> OrgState:
    members = {f"u{i}@acme.example": Member(f"u{i}@acme.example", "user")
               for i in range(len(names))}
    groups = {n: Group(n, frozenset({f"u{i}@acme.example"}), id=f"g{i}")
              for i, n in enumerate(names)}
    return OrgState(OrgType.ENTERPRISE, MappingProxyType(members),
                    groups=MappingProxyType(groups))


def _all_files(root: pathlib.Path) -> list[pathlib.Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_hostile_group_names_are_written_inside_out(tmp_path: pathlib.Path) -> None:
    out = tmp_path / "deep" / "out"
    result = import_policy(_org(HOSTILE))
    paths = write_policy(result.policy, out)
    written = _all_files(tmp_path)
    assert written == sorted(paths)
    # Everything derived from a live name is inside --out; beside it only the fixed-name
    # JSON Schemas the files' $schema lines point at (policy.writer.write_schemas).
    schemas = (out.parent / "schemas").resolve()
    outside = [p for p in written if out.resolve() not in p.resolve().parents]
    assert outside and all(p.resolve().parent == schemas for p in outside)
    assert {p.name for p in outside} == {"org.schema.json", "roles.schema.json",
                                         "team.schema.json"}
    teams = [p for p in written if p.parent.name == "teams"]
    assert len(teams) == len(HOSTILE)  # one file per group, none overwritten
    assert all(p.parent == (out / "teams").resolve() or p.parent == out / "teams"
               for p in teams)
    assert all(".." not in p.name and "/" not in p.stem for p in teams)
    for name in result.policy.teams:  # every team name is one the schema accepts
        assert name[0].isalnum() and set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789_-")
    assert any("'../../../x' has a name a policy cannot hold" in w for w in result.warnings)


def test_import_names_are_deterministic(tmp_path: pathlib.Path) -> None:
    first = sorted(import_policy(_org(HOSTILE)).policy.teams)
    second = sorted(import_policy(_org(tuple(reversed(HOSTILE)))).policy.teams)
    assert first == second
    assert len(set(first)) == len(HOSTILE)


def test_writer_gives_clashing_stems_distinct_files(tmp_path: pathlib.Path) -> None:
    """Even a Policy built by other code: names that fold to one stem get -2, -3."""
    policy = import_policy(_org(("team-one", "team-two"))).policy
    one, two = policy.teams["one"], policy.teams["two"]
    teams = {"../x": replace(one, name="../x"), "x": replace(two, name="x"),
             "X": replace(two, name="X")}
    stems = [stem for _, stem in team_file_stems(teams.values())]
    assert stems == ["x", "X-2", "x-3"]
    assert [t.name for t, _ in team_file_stems(teams.values())] == ["../x", "X", "x"]


def test_group_name_that_is_a_path_does_not_crash_the_cli(tmp_path: pathlib.Path) -> None:
    """End to end through the sandbox: a live group named ``../../../x`` and one named
    ``a/b``; import exits 0 and every file is under --out."""
    import datetime as dt

    from conftest import run_cli

    from reconciler.sandbox.demo import DEMO_DATE, seed_demo

    db, out = tmp_path / "sandbox.db", tmp_path / "work" / "imported"
    store = SandboxStore(str(db))
    try:
        seed_demo(store, DEMO_DATE)
        _rename_groups(store, {"team-backend": "../../../x", "team-frontend": "a/b",
                               "team-platform": "plat\x1b]8;;http://evil\x07form\r"})
    finally:
        store.close()
    res = run_cli("import", "--out", str(out), "--sandbox", str(db))
    assert res.exit_code == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert not any(c in res.stdout + res.stderr for c in "\x1b\x07\r")  # shown, not run
    assert "\\x1b" in res.stderr or "\\u001b" in res.stderr
    schemas = (out.parent / "schemas").resolve()  # the fixed-name schemas sit beside --out
    assert all(out.resolve() in p.resolve().parents or p.resolve().parent == schemas
               for p in _all_files(tmp_path / "work"))
    assert not (tmp_path / "x.yaml").exists() and not (tmp_path / "work" / "x.yaml").exists()
    assert len(list((out / "teams").iterdir())) == 3
    assert dt.date(2026, 11, 25) == DEMO_DATE  # the date the demo org is seeded on


def _rename_groups(store: SandboxStore, renames: dict[str, str]) -> None:
    """Rename live groups in the sandbox database, as an admin could in the console."""
    for old, new in renames.items():
        store.execute("UPDATE rbac_groups SET name = ? WHERE name = ?", (new, old))
