"""Several organizations: which ones a change touches, each one's key, one comment.

Fast, in-process checks of the pieces the two-organization workflow test runs end to
end (tests/gitops/test_gitops_multiorg.py). No dates are evaluated here.
"""

from __future__ import annotations

import json
import pathlib
import shutil

import pytest
from conftest import EXAMPLE_POLICIES
from gitops_builders import commit_all, init_repo

from reconciler.errors import ConfigError
from reconciler.gitops.ci import COMMENT_LIMIT, MARKER, build_section, compose_comment
from reconciler.gitops.org_keys import KEYS_ENV, org_env
from reconciler.gitops.sections import collect
from reconciler.gitops.touched import touched_orgs


def _repo(tmp_path: pathlib.Path) -> tuple[pathlib.Path, str]:
    root = tmp_path / "repo"
    for key, name in (("eu", "Acme EU"), ("us", "Acme US")):
        shutil.copytree(EXAMPLE_POLICIES, root / "orgs" / key)
        org = root / "orgs" / key / "org.yaml"
        text = org.read_text()
        line = next(ln for ln in text.splitlines() if ln.strip().startswith("name:"))
        org.write_text(text.replace(line, line.split("name:")[0] + f"name: {name}", 1))
    repo = init_repo(root)
    return root, commit_all(repo, "two orgs")


def test_only_the_changed_folder_is_touched_and_named_in_the_matrix(
        tmp_path: pathlib.Path) -> None:
    root, base = _repo(tmp_path)
    team = next((root / "orgs" / "us" / "teams").glob("*.yaml"))
    team.write_text(team.read_text() + "\n")
    head = commit_all(init_repo(root), "us only")
    got = touched_orgs(root, root / "orgs", base=base, head=head)
    assert [o.key for o in got.touched] == ["us"] and [o.key for o in got.untouched] == ["eu"]
    outs = got.outputs(root, head)
    (row,) = json.loads(outs["matrix"])["include"]
    assert row == {"org": "us", "name": "Acme US", "policy_dir": "orgs/us", "state": "us",
                   "artifact": f"seatctl-plan-us-{head}",
                   "section": f"seatctl-section-us-{head}", "lock": "seatctl-live-org-us"}
    assert json.loads(outs["untouched"]) == ["eu"] and outs["multi"] == "true"
    # a base that cannot be read plans everything (over-planning is safe)
    assert len(touched_orgs(root, root / "orgs", base="0" * 40, head=head).touched) == 2


def test_the_single_org_layout_is_one_leg_named_as_before(tmp_path: pathlib.Path) -> None:
    root, base = _repo(tmp_path)
    got = touched_orgs(root, root / "orgs" / "eu", base=base, head=base)
    (row,) = got.matrix(root, base)["include"]
    assert (row["org"], row["artifact"], row["lock"], row["state"]) == \
        ("", f"seatctl-plan-{base}", "seatctl-live-org", "")
    assert got.outputs(root, base)["multi"] == "false"


def test_a_folder_name_that_cannot_name_a_job_is_refused(tmp_path: pathlib.Path) -> None:
    root, base = _repo(tmp_path)
    shutil.move(root / "orgs" / "us", root / "orgs" / "us east")
    with pytest.raises(ConfigError, match="cannot name"):
        touched_orgs(root, root / "orgs", base=base)


def test_each_org_gets_its_own_key_and_never_the_map(tmp_path: pathlib.Path) -> None:
    keys = {"eu": "sk-eu-secret", "us": "sk-us-secret"}
    env = {KEYS_ENV: json.dumps(keys), "PATH": "/bin"}
    got = org_env(env, "eu", EXAMPLE_POLICIES)
    assert got["SEATCTL_ADMIN_KEY"] == "sk-eu-secret" and KEYS_ENV not in got
    assert "sk-us-secret" not in json.dumps(got)
    assert org_env({"SEATCTL_ADMIN_KEY": "one"}, "eu", EXAMPLE_POLICIES) == \
        {"SEATCTL_ADMIN_KEY": "one"}  # no map: one key for every organization
    with pytest.raises(ConfigError, match="no key for organization folder 'asia'") as missing:
        org_env(env, "asia", EXAMPLE_POLICIES)
    assert "sk-" not in str(missing.value) + missing.value.hint
    with pytest.raises(ConfigError, match="not a JSON object") as bad:
        org_env({KEYS_ENV: "sk-raw-key-pasted"}, "eu", EXAMPLE_POLICIES)
    assert "sk-raw" not in str(bad.value)


def test_one_comment_holds_every_section_under_the_limit(tmp_path: pathlib.Path) -> None:
    huge = "\n".join(f"| + | user{i}@acme.example | invite |" for i in range(50_000))
    parts = [build_section(f"Org {k}", huge, exit_code=2, blocked=False) for k in "ab"]
    body = compose_comment(parts, untouched=["c|`x"], head_sha="f" * 40)
    assert len(body) <= COMMENT_LIMIT and body.count(MARKER) == 1
    assert body.count("### Org ") == 2 and body.count("📝 **Changes**") == 2
    assert "Not touched (no live read): " in body and "c|`x" not in body  # escaped


def test_a_leg_that_left_no_section_is_shown_not_dropped(tmp_path: pathlib.Path) -> None:
    matrix = json.dumps({"include": [
        {"org": "eu", "name": "Acme EU", "section": "seatctl-section-eu-abc"},
        {"org": "us", "name": "Acme US", "section": "seatctl-section-us-abc"}]})
    (tmp_path / "seatctl-section-eu-abc").mkdir()
    (tmp_path / "seatctl-section-eu-abc" / "section.md").write_text(
        build_section("Acme EU", "plan", exit_code=0, blocked=False))
    body = collect(tmp_path, matrix, "[]", stage="apply", head_sha="abc")
    assert "No changes" in body and "Acme US" in body and "Not started" in body
    with pytest.raises(ConfigError, match="matrix"):
        collect(tmp_path, "not json", "[]", stage="plan", head_sha="abc")
