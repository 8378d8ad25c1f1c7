"""Many organizations in one repository: ``seatctl orgs list`` and separate state.

Why: CI runs one job per organization (a matrix); each must have its own lock,
snapshot and audit chain so one organization's apply never waits for, or writes
into, another's. No dates are evaluated here.
"""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest
from conftest import EXAMPLE_POLICIES, run_cli

from reconciler.apply.lock import acquire, lock_path
from reconciler.errors import ConfigError
from reconciler.gitops.orgs import find_orgs


def _two_orgs(tmp_path: pathlib.Path) -> pathlib.Path:
    root = tmp_path / "orgs"
    for key, name in (("eu", "Acme EU"), ("us", "Acme US")):
        shutil.copytree(EXAMPLE_POLICIES, root / key)
        org = root / key / "org.yaml"
        text = org.read_text()
        line = next(ln for ln in text.splitlines() if ln.strip().startswith("name:"))
        org.write_text(text.replace(line, line.split("name:")[0] + f"name: {name}", 1))
    return root


def test_orgs_list_gives_a_matrix_with_one_state_folder_each(tmp_path: pathlib.Path) -> None:
    root = _two_orgs(tmp_path)
    result = run_cli("orgs", "list", str(root), "--state-root", str(tmp_path / "st"),
                     "--format", "json")
    assert result.exit_code == 0, result.stderr
    matrix = json.loads(result.stdout)["include"]
    assert [(m["org"], m["name"]) for m in matrix] == [("eu", "Acme EU"), ("us", "Acme US")]
    assert [m["state_dir"] for m in matrix] == [str(tmp_path / "st" / "eu"),
                                                 str(tmp_path / "st" / "us")]
    single = run_cli("orgs", "list", str(EXAMPLE_POLICIES), "--state-root", "st")
    assert single.exit_code == 0 and single.stdout.startswith("default\t")


def test_each_org_applies_under_its_own_lock(tmp_path: pathlib.Path) -> None:
    eu, us = find_orgs(_two_orgs(tmp_path), tmp_path / "st")
    with acquire(lock_path(eu.org_name, eu.state_dir), org=eu.org_name, owner="ci",
                 run_id="1"):
        # the other organization's apply is not blocked by this one's lock
        with acquire(lock_path(us.org_name, us.state_dir), org=us.org_name, owner="ci",
                     run_id="2") as held:
            assert not held.released
    assert lock_path(eu.org_name, eu.state_dir) != lock_path(us.org_name, us.state_dir)


def test_two_folders_for_one_organization_are_refused(tmp_path: pathlib.Path) -> None:
    root = _two_orgs(tmp_path)
    shutil.copy(root / "eu" / "org.yaml", root / "us" / "org.yaml")
    with pytest.raises(ConfigError, match="also"):
        find_orgs(root, tmp_path / "st")
    missing = run_cli("orgs", "list", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and "does not exist" in missing.stderr
