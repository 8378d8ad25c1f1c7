"""Done-when (issue 20, last bullet): two organizations in one policy repository.

A repository made by `seatctl init`, its policy split into ``orgs/eu`` and ``orgs/us``
(an org.yaml each, each pointing at its own sandbox served by this test on
127.0.0.1 and accepting only its own key). The steps are the `run:` scripts of
seatctl's reusable workflows, run as GitHub runs them (the harness of
test_gitops_e2e: seatctl from a wheel in its own venv, a fake GitHub API), one matrix
leg per organization.

- PR #1 touches both: two plan legs, each with its own key from the ``read-keys``
  map; the comment job posts ONE comment with two sections.
- PR #2 touches only ``us``: one leg, one section, and "not touched: eu".
- The merge of PR #1 checks and applies each organization in its own leg, the two
  apply legs at the same time: each under its own lock (the lock is keyed by the
  organization's name), each with its own audit chain on the state branch
  (``eu/audit.jsonl``, ``us/audit.jsonl``), both landing and both verifying with
  ``seatctl audit verify``; the report job posts ONE apply comment with two sections.

The sandboxes are seeded on the demo day (``DEMO_DATE``) and serve on it; the plans are
made at the runner's date, and every assertion holds whatever that date is (the
change is a seat count, which does not depend on it).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest
from conftest import serve_sandbox
from fake_github import FakeGitHub, serve
from gitops_builders import commit_all, repo_with_remote
from test_gitops_e2e import TOOL, Runner, matrix_ctx, matrix_rows, seatctl_bin  # noqa: F401

from reconciler.apply.lock import lock_path
from reconciler.gitops.ci import MARKER

pytestmark = [pytest.mark.slow, pytest.mark.network]

KEYS = {"eu": "sk-ant-admin01-eu-test-key", "us": "sk-ant-admin01-us-test-key"}
NAMES = {"eu": "Acme EU", "us": "Acme US"}


@contextmanager
def served_sandbox(db: pathlib.Path, key: str) -> Iterator[str]:
    """``seatctl sandbox serve`` on 127.0.0.1 accepting ``key``; yields its base URL."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("SEATCTL_")},
           "SEATCTL_TEST_ORG_KEY": key}
    with serve_sandbox(db, "--accept-key-env", "SEATCTL_TEST_ORG_KEY", env=env) as (url, _):
        yield url


def _set_org(org_yaml: pathlib.Path, name: str, url: str) -> None:
    text = org_yaml.read_text()
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("name:"))
    indent = line.split("name:")[0]
    text = text.replace(line, f"{indent}name: {name}\n{indent}base_url: {url}", 1)
    text = re.sub(r"\n\s*provider:\s*sandbox\s*\n", "\n", text)
    org_yaml.write_text(text)


def _more_seats(policy: pathlib.Path) -> None:
    team = policy / "teams" / "platform.yaml"
    team.write_text(team.read_text().replace("allocated_seats: 8", "allocated_seats: 10"))
    org = policy / "org.yaml"
    org.write_text(org.read_text().replace("name: platform\n    allocated_seats: 8",
                                           "name: platform\n    allocated_seats: 10"))


def _git(path: pathlib.Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=path, check=True, capture_output=True,
                          text=True).stdout.strip()


def test_two_orgs_one_comment_two_sections_and_each_applied_under_its_own_lock(
        tmp_path: pathlib.Path, seatctl_bin: pathlib.Path) -> None:  # noqa: F811
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.demo import DEMO_DATE
    from reconciler.sandbox.store import SandboxStore

    dev_dir = tmp_path / "dev"
    subprocess.run([str(seatctl_bin / "seatctl"), "init", str(dev_dir), "--tool-repo", TOOL,
                    "--tool-ref", "0" * 40], check=True, capture_output=True, timeout=60)
    for key in KEYS:  # one folder per organization, each seeded into its own sandbox
        shutil.copytree(dev_dir / "policies", dev_dir / "orgs" / key)
        store = SandboxStore(str(tmp_path / f"{key}.db"))
        try:
            seed_demo_org(store, DEMO_DATE, dev_dir / "orgs" / key)
        finally:
            store.close()
    shutil.rmtree(dev_dir / "policies")

    with served_sandbox(tmp_path / "eu.db", KEYS["eu"]) as eu_url, \
            served_sandbox(tmp_path / "us.db", KEYS["us"]) as us_url, \
            serve(FakeGitHub()) as fake:
        for key, url in (("eu", eu_url), ("us", us_url)):
            _set_org(dev_dir / "orgs" / key / "org.yaml", NAMES[key], url)
        remote = tmp_path / "remote.git"
        dev = repo_with_remote(dev_dir, remote)

        def commit(msg: str) -> str:
            return commit_all(dev, msg)

        base = commit("two organizations")
        dev.git.push("-q", "origin", "main")
        locks = tmp_path / "locks"
        secrets = {"secrets.read-keys": json.dumps(KEYS),
                   "secrets.SEATCTL_ADMIN_KEYS": json.dumps(KEYS),
                   "inputs.policy-dir": "orgs"}

        def runner(name: str) -> Runner:
            (tmp_path / name).mkdir(exist_ok=True)
            return Runner(seatctl_bin, fake, tmp_path / name, None, remote,
                          extra_env={"SEATCTL_LOCK_DIR": str(locks)})

        run = runner("main")

        def plan_workflow(number: int, head: str) -> dict[str, str]:
            event = {"pull_request": fake.pulls[number]}
            cwd = run.checkout(head)
            _, orgs, _ = run.step("seatctl-plan.yml", "orgs", "orgs", cwd, event=event,
                                  sha=head, ctx=secrets)
            assert orgs["multi"] == "true"
            sections = run.tmp / "sections"
            shutil.rmtree(sections, ignore_errors=True)
            for row in matrix_rows(orgs):
                _, outs, _ = run.step("seatctl-plan.yml", "plan", "plan", cwd, event=event,
                                      sha=head, ctx={**secrets, **matrix_ctx(row)})
                assert outs["outcome"] == "changes", outs
                plan_dir = run.last_temp / "seatctl-plan"
                shutil.copytree(plan_dir, tmp_path / "artifacts" / row["artifact"])
                (sections / row["section"]).mkdir(parents=True)
                shutil.copy(plan_dir / "section.md", sections / row["section"])
            assert fake.sticky(number) == ""  # no leg posts on its own
            ctx = {**secrets, **{f"needs.orgs.outputs.{k}": v for k, v in orgs.items()}}
            run.step("seatctl-plan.yml", "comment", "comment", cwd, event=event, sha=head,
                     ctx=ctx)
            fake.plan_run(head)
            return orgs

        # -- PR #1 touches both organizations: one comment, two sections ----------------
        dev.git.checkout("-q", "-b", "both")
        for key in KEYS:
            _more_seats(dev_dir / "orgs" / key)
        head1 = commit("platform: two more seats in both organizations")
        dev.git.push("-q", "origin", "both")
        fake.open_pr(1, head1, base)
        orgs1 = plan_workflow(1, head1)
        assert [r["org"] for r in matrix_rows(orgs1)] == ["eu", "us"]
        assert [r["artifact"] for r in matrix_rows(orgs1)] == [
            f"seatctl-plan-eu-{head1}", f"seatctl-plan-us-{head1}"]
        assert len({r["lock"] for r in matrix_rows(orgs1)}) == 2
        comment = fake.sticky(1)
        assert comment.count(MARKER) == 1 and len(fake.comments[1]) == 1
        assert comment.count("### Acme EU (<code>eu</code>)") == 1
        assert comment.count("### Acme US (<code>us</code>)") == 1
        assert comment.count("📝 **Changes**") == 2 and "Not touched" not in comment
        assert comment.count("platform 8 → 10 seats") == 2
        assert not any(k in comment for k in KEYS.values())

        # -- PR #2 touches only us: one section, eu named as not touched ----------------
        dev.git.checkout("-q", "main")
        dev.git.checkout("-q", "-b", "us-only")
        team = dev_dir / "orgs" / "us" / "teams" / "backend.yaml"
        text = team.read_text()
        seats = int(re.search(r"allocated_seats: (\d+)", text)[1])  # type: ignore[index]
        team.write_text(text.replace(f"allocated_seats: {seats}",
                                     f"allocated_seats: {seats + 1}"))
        org = dev_dir / "orgs" / "us" / "org.yaml"
        org.write_text(re.sub(r"(name: backend\n    allocated_seats: )\d+",
                              rf"\g<1>{seats + 1}", org.read_text()))
        head2 = commit("us backend: one more seat")
        dev.git.push("-q", "origin", "us-only")
        fake.open_pr(2, head2, base)
        orgs2 = plan_workflow(2, head2)
        assert [r["org"] for r in matrix_rows(orgs2)] == ["us"]
        comment2 = fake.sticky(2)
        assert "### Acme US (<code>us</code>)" in comment2 and "Acme EU" not in comment2
        assert "Not touched (no live read): <code>eu</code>" in comment2

        # -- merge PR #1: each organization checked and applied in its own leg ----------
        dev.git.checkout("-q", "main")
        dev.git.merge("-q", "--no-ff", "both", "-m", "Merge pull request #1")
        dev.git.push("-q", "origin", "main")
        merge1 = str(dev.head.commit.hexsha)
        fake.merge(1, merge1)
        cwd = run.checkout(merge1)
        _, found, _ = run.step("seatctl-apply.yml", "find", "find", cwd, event={}, sha=merge1,
                               ctx=secrets)
        assert found["found"] == "true" and found["base-sha"] == base
        _, orgs, _ = run.step("seatctl-apply.yml", "find", "orgs", cwd, event={}, sha=merge1,
                              ctx={**secrets,
                                   **{f"steps.find.outputs.{k}": v for k, v in found.items()}})
        rows = matrix_rows(orgs)
        assert [r["org"] for r in rows] == ["eu", "us"]
        needs = {**secrets, "needs.find.outputs.pr": "1",
                 "needs.find.outputs.head-sha": head1}
        legs: dict[str, Runner] = {}
        for row in rows:  # job `plan`, one leg each: check the reviewed plan
            leg = legs[row["org"]] = runner(f"leg-{row['org']}")
            shutil.copytree(tmp_path / "artifacts" / row["artifact"], leg.tmp / "reviewed")
            _, checked, summary = leg.step("seatctl-apply.yml", "plan", "check",
                                           leg.checkout(merge1), event={}, sha=merge1,
                                           ctx={**needs, **matrix_ctx(row)})
            assert checked["outcome"] == "ready", summary
        assert fake.sticky(1) == comment  # the checks post nothing on their own

        errors: list[BaseException] = []
        start = threading.Barrier(len(rows))

        def apply_leg(row: Mapping[str, str]) -> None:  # job `apply`, at the same time
            try:
                leg = legs[row["org"]]
                ctx = {**needs, **matrix_ctx(row)}
                where = leg.checkout(merge1)
                start.wait(timeout=60)
                for step in ("pull", "apply", "commit the audit log"):
                    leg.step("seatctl-apply.yml", "apply", step, where, event={}, sha=merge1,
                             ctx=ctx)
                (leg.tmp / "result").mkdir()
                shutil.copy(leg.last_temp.parent / f"runner-temp-{leg.count - 1}" / "section"
                            / "section.md", leg.tmp / "result")
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=apply_leg, args=(row,)) for row in rows]
        for t in threads:
            t.start()
        for t in threads:
            t.join(240)
        assert not errors, errors

        sections = run.tmp / "sections"
        shutil.rmtree(sections)
        for row in rows:
            shutil.copytree(legs[row["org"]].tmp / "result", sections / row["section"])
        run.step("seatctl-apply.yml", "report", "report", cwd, event={}, sha=merge1,
                 ctx={**needs, **{f"needs.find.outputs.{k}": v for k, v in orgs.items()}})
        applied = fake.sticky(1)
        assert applied.count("✅ **Applied**") == 2 and "## seatctl apply" in applied
        assert "### Acme EU (<code>eu</code>)" in applied
        assert "### Acme US (<code>us</code>)" in applied
        assert not any(k in applied for k in KEYS.values())

        # each organization: its own lock file, its own audit chain, both landed
        assert lock_path(NAMES["eu"], locks) != lock_path(NAMES["us"], locks)
        tree = _git(remote, "ls-tree", "-r", "--name-only", "seatctl-state").splitlines()
        assert {"eu/audit.jsonl", "us/audit.jsonl", "eu/last-apply.json",
                "us/last-apply.json"} <= set(tree)
        assert "audit.jsonl" not in tree  # nothing shared between the organizations
        lock_ids: dict[str, set[str]] = {}
        for key in KEYS:
            reviewed = json.loads((tmp_path / "artifacts" / f"seatctl-plan-{key}-{head1}"
                                   / "plan.json").read_text())
            log = _git(remote, "show", f"seatctl-state:{key}/audit.jsonl")
            records = [json.loads(x) for x in log.splitlines()]
            assert {r["plan_hash"] for r in records if "plan_hash" in r} == \
                {reviewed["checksum"]}
            assert {r.get("org") for r in records if r.get("org")} <= {NAMES[key]}
            lock_ids[key] = {r["lock_id"] for r in records if r.get("lock_id")}
            assert lock_ids[key], records  # applied under a lock
            copy = tmp_path / f"{key}-audit.jsonl"
            copy.write_text(log + "\n")
            ok = subprocess.run([str(seatctl_bin / "seatctl"), "audit", "verify", "--log",
                                 str(copy)], capture_output=True, text=True, check=False)
            assert ok.returncode == 0, ok.stderr
        assert not lock_ids["eu"] & lock_ids["us"]  # two locks, one per organization
        assert not list(locks.glob("*.lock"))  # both released
