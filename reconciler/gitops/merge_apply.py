"""On merge: find the plan reviewed on the pull request, check it still holds, apply it.

Why three steps: the protected ``apply`` environment's reviewer must see the exact
plan before approving, so a job ahead of the gated one finds the reviewed plan
(``find_reviewed``: the merged PR behind the main commit, its head commit, the
latest successful plan run of that head) and checks it (``check_reviewed``: the
policy on main is the reviewed tree, the approvals still stand, and a fresh plan of
the live org is the same plan). The gated job then applies the reviewed plan with
``seatctl apply PLAN`` from a checkout of the reviewed commit (``apply_reviewed``),
which refuses again if the org moved while the reviewer was deciding, and posts the
result (done / failed / refused with what moved / not started) on the pull request.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import git

from reconciler import escape
from reconciler.errors import ConfigError, SeatctlError
from reconciler.gitops import ghenv
from reconciler.gitops.approvals import decide, named_approvers
from reconciler.gitops.ci import MARKER, build_comment, build_section
from reconciler.gitops.github_api import GitHubApi
from reconciler.gitops.org_keys import org_env, org_key
from reconciler.gitops.targeted import was_targeted
from reconciler.gitops.touched import artifact_name
from reconciler.gitops.wiring import Wiring
from reconciler.plan import Plan

PLAN_WORKFLOW = "seatctl-plan.yml"
#: What a reviewer and the PR read for each apply outcome.
APPLY_STATUS = {
    "done": "✅ **Applied**: the reviewed plan is live.",
    "incomplete": "⚠️ **Apply incomplete**: some changes failed or did not start; the next "
                  "run resumes (see below).",
    "refused": "⛔ **Refused**: the reviewed plan no longer holds; nothing was applied.",
    "not-started": "⏸️ **Not started**: nothing was applied.",
    "failed": "❌ **Apply failed**: see the run log.",
}


@dataclass(frozen=True, slots=True)
class Reviewed:
    """The merged pull request and the plan run that reviewed its head commit."""

    pr: ghenv.PullRequest | None
    run_id: str
    reason: str = ""

    def outputs(self) -> dict[str, str]:
        pr = self.pr
        return {"pr": str(pr.number) if pr else "", "head-sha": pr.head_sha if pr else "",
                "base-sha": pr.base_sha if pr else "",
                "run-id": self.run_id,
                "artifact": artifact_name(pr.head_sha) if pr else "",
                "found": "true" if pr and self.run_id else "false"}


def _api(env: Mapping[str, str]) -> GitHubApi:
    api = GitHubApi.from_env(env)
    if api is None:
        raise SeatctlError("GITHUB_TOKEN and GITHUB_REPOSITORY are needed to find the "
                           "reviewed plan", hint="pass `GITHUB_TOKEN: ${{ github.token }}` "
                           "to the step")
    return api


def find_reviewed(env: Mapping[str, str], plan_workflow: str = PLAN_WORKFLOW) -> Reviewed:
    """The merged PR behind ``GITHUB_SHA`` and the latest successful plan run of its head."""
    api, sha = _api(env), env.get("GITHUB_SHA", "")
    pulls = api.pulls_for_commit(sha)
    merged = [p for p in pulls if p.get("merge_commit_sha") == sha] or \
        [p for p in pulls if p.get("merged_at")]
    if not merged:
        return Reviewed(None, "", f"commit {sha[:12]} did not come from a merged pull request")
    pr = ghenv.PullRequest.from_payload(merged[0])
    runs = [r for r in api.runs_for_head(pr.head_sha)
            if str(r.get("path", "")).endswith(plan_workflow) and r.get("conclusion")]
    if not runs:
        return Reviewed(pr, "", f"no finished plan run for head {pr.head_sha[:12]}")
    # the latest verdict counts: a plan that succeeded before a label was removed and
    # then failed is not the reviewed plan
    latest = max(runs, key=lambda r: (str(r.get("created_at", "")), int(r.get("id", 0))))
    if latest.get("conclusion") != "success":
        return Reviewed(pr, "", f"the latest plan run for head {pr.head_sha[:12]} ended "
                        f"{latest.get('conclusion')}")
    return Reviewed(pr, str(latest["id"]))


def _tree(repo: git.Repo, rev: str, rel: str) -> str:
    try:
        return str(repo.git.rev_parse(f"{rev}:{rel}"))
    except git.exc.GitCommandError:
        return ""


def policy_moved(repo_root: pathlib.Path, policy_dir: pathlib.Path, head_sha: str) -> list[str]:
    """Files of the policy that differ between the reviewed head and the checkout."""
    repo = git.Repo(repo_root, search_parent_directories=True)
    rel = policy_dir.resolve().relative_to(pathlib.Path(str(repo.working_tree_dir)).resolve())
    if _tree(repo, head_sha, rel.as_posix()) == _tree(repo, "HEAD", rel.as_posix()) != "":
        return []
    if not _tree(repo, head_sha, rel.as_posix()):
        return [f"the reviewed commit {head_sha[:12]} is not in this checkout"]
    names = repo.git.diff("--name-only", head_sha, "HEAD", "--", rel.as_posix()).split()
    return [f"policy file changed on main since the review: {n}" for n in names]


def review_base(repo_root: pathlib.Path, head_sha: str) -> str | None:
    """The commit the reviewed change starts from: where the reviewed head and main before
    the merge (the merge commit's first parent) meet, or None when it cannot be found.

    Why: when the pull request's plan read only a slice over the snapshot
    (``targeted.was_targeted``), the check and the apply re-read the same slice, what the
    policy change since this commit can touch (``plan --base`` / ``apply --base``),
    instead of the whole organization; a plan made from a full read is checked and
    applied with a full read. It holds for merge commits, squashes and rebases alike
    (a rebased commit is not an ancestor of the head).
    """
    repo = git.Repo(repo_root, search_parent_directories=True)
    try:
        return str(repo.git.merge_base("HEAD^1", head_sha)).strip() or None
    except git.exc.GitCommandError:
        return None


def plan_moved(reviewed: Plan, fresh: Plan, limit: int = 8) -> list[str]:
    """How a fresh plan differs from the reviewed one, in words a PR reader follows."""
    old = {(c.kind, c.target) for c in reviewed.changes}
    new = {(c.kind, c.target) for c in fresh.changes}
    lines = [f"now also needed: {k} {t}" for k, t in sorted(new - old)]
    lines += [f"no longer needed: {k} {t}" for k, t in sorted(old - new)]
    if not lines and reviewed.live_fingerprint != fresh.live_fingerprint:
        lines = ["the live organization changed (ids, roles or memberships the plan relies "
                 "on), though the same changes are still needed"]
    if not lines and reviewed.desired_fingerprint != fresh.desired_fingerprint:
        lines = [f"the desired state moved (evaluated {reviewed.evaluated_on} at review, "
                 f"{fresh.evaluated_on} now)"]
    return lines[:limit] + ([f"… and {len(lines) - limit} more"] if len(lines) > limit else [])


@dataclass(frozen=True, slots=True)
class OrgSection:
    """One organization of several: its folder, the section heading, where the section goes.

    Why: on merge each organization is checked and applied in its own matrix job; the
    jobs write sections that the workflow's report job posts as ONE comment (as the
    plan comment was), instead of each job overwriting the sticky comment.
    """

    org: str
    heading: str
    out_dir: pathlib.Path

    @classmethod
    def of(cls, org: str, policy_dir: pathlib.Path,
           out_dir: pathlib.Path | None) -> OrgSection | None:
        """The section of ``org`` (None for the single-organization layout: no ``org``)."""
        from reconciler.gitops.pr_plan import org_heading, org_name

        if not org:
            return None
        if out_dir is None:
            raise ConfigError("--org needs --section-out (where its section is written)",
                              hint="pass --section-out DIR; the workflow uploads it")
        return cls(org, org_heading(org, org_name(policy_dir, org)), out_dir)


def _comment(status: str, body: str, pr: ghenv.PullRequest | None, title: str,
             lines: Sequence[str] = (), heading: str = "",
             section: OrgSection | None = None) -> str:
    listed = "".join(f"- {escape.markdown(x)}\n" for x in lines)
    if listed and heading:
        listed = f"**{heading}**\n\n{listed}"
    text = listed + ("\n" if listed and body else "") + body
    if section is not None:
        return build_section(section.heading, text, exit_code=0, blocked=False, status=status)
    return build_comment(text, exit_code=0, blocked=False, status=status, title=title,
                         head_sha=pr.head_sha if pr else "")


def _post(env: Mapping[str, str], pr: ghenv.PullRequest | None, body: str,
          section: OrgSection | None = None) -> None:
    if section is not None:  # the report job posts every organization's section at once
        section.out_dir.mkdir(parents=True, exist_ok=True)
        (section.out_dir / "section.md").write_text(body, encoding="utf-8")
        return
    api = GitHubApi.from_env(env)
    if api is not None and pr is not None:
        api.upsert_comment(pr.number, MARKER, body)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One merge-apply step's verdict: the word for outputs, the comment, the exit code."""

    outcome: str
    comment: str
    exit_code: int


def check_reviewed(repo_root: pathlib.Path, policy_dir: pathlib.Path,
                   reviewed_dir: pathlib.Path, env: Mapping[str, str], wiring: Wiring, *,
                   pr_number: int, sandbox: str | None = None,
                   section: OrgSection | None = None,
                   state_dir: pathlib.Path | None = None) -> Outcome:
    """Refuse before the gate when the reviewed plan no longer describes this merge.

    With ``section`` (one organization of several) the verdict is that organization's
    section, its live read uses that organization's key only. With ``state_dir`` (the
    state branch's snapshot) only what the reviewed change can touch is read live
    (``review_base``); without one, or with an old one, the organization is read in full.
    """
    api = _api(env)
    pulls = [p for p in api.pulls_for_commit(env.get("GITHUB_SHA", ""))
             if int(p.get("number", 0)) == pr_number]
    pr = ghenv.PullRequest.from_payload(pulls[0]) if pulls else None
    title = "seatctl apply"
    plan_file = reviewed_dir / "plan.json"
    if pr is None or not plan_file.is_file():
        why = ["no reviewed plan was found for this merge (the plan artifact expired, or the "
               "pull request's plan did not succeed); re-run the plan workflow on a new PR"]
        return _finish(env, pr, Outcome("not-started", _comment(
            APPLY_STATUS["not-started"], "", pr, title, why, section=section), 1), section)
    reviewed = Plan.from_json(plan_file.read_text(encoding="utf-8"))
    shown = (reviewed_dir / "plan.md").read_text(encoding="utf-8") \
        if (reviewed_dir / "plan.md").is_file() else ""
    moved = policy_moved(repo_root, policy_dir, pr.head_sha)
    approvers, _ = named_approvers(repo_root, policy_dir)
    now = decide(api.issue_events(pr.number), pr.labels, approvers)
    if reviewed.approve_overflow and not now.has("--approve-overflow"):
        moved.append("the overflow approval label is gone or not by a named approver")
    if reviewed.overrides.allow_large_removal and not now.has("--allow-large-removal"):
        moved.append("the large-removal approval label is gone or not by a named approver")
    if not moved:
        base = review_base(repo_root, pr.head_sha) \
            if state_dir is not None and was_targeted(reviewed) else None
        targeted: dict[str, Any] = {"base": base, "state_dir": state_dir} if base else {}
        with org_key(section.org if section else "", policy_dir):
            fresh = wiring.make_plan(policy_dir, at=None, sandbox=sandbox, demo=False,
                                     approve_overflow=reviewed.approve_overflow,
                                     overrides=reviewed.overrides, **targeted)
        moved = plan_moved(reviewed, fresh)
    if moved:
        return _finish(env, pr, Outcome("refused", _comment(
            APPLY_STATUS["refused"], "\n### The reviewed plan\n\n" + shown, pr, title,
            moved, "What moved:", section), 1), section)
    body = _comment("🔎 **Awaiting approval**: this exact plan is applied once the `apply` "
                    "environment is approved.", shown, pr, title, section=section)
    ghenv.write_outputs(env, {"outcome": "ready"}, body)
    return Outcome("ready", body, 0)


def _finish(env: Mapping[str, str], pr: ghenv.PullRequest | None, out: Outcome,
            section: OrgSection | None = None) -> Outcome:
    _post(env, pr, out.comment, section)
    ghenv.write_outputs(env, {"outcome": out.outcome}, out.comment)
    return out


@contextlib.contextmanager
def reviewed_checkout(repo_root: pathlib.Path, sha: str) -> Iterator[pathlib.Path]:
    """A detached worktree of the reviewed commit: the checkout the plan was made from."""
    repo = git.Repo(repo_root, search_parent_directories=True)
    with tempfile.TemporaryDirectory(prefix="seatctl-reviewed-") as tmp:
        path = pathlib.Path(tmp) / "tree"
        try:
            repo.git.worktree("add", "--detach", "--quiet", str(path), sha)
        except git.exc.GitCommandError:
            raise SeatctlError(f"the reviewed commit {sha[:12]} is not in this checkout",
                               hint="check out with `fetch-depth: 0` so the merged pull "
                               "request's head commit is present") from None
        try:
            yield path
        finally:
            repo.git.worktree("remove", "--force", str(path))


def _apply_flags(plan: Plan, have: frozenset[str]) -> list[str]:
    """The override flags ``seatctl apply`` takes (where this version has them)."""
    want = []
    if plan.approve_overflow:
        want.append("--approve-overflow")
    if plan.overrides.allow_large_removal:
        want.append("--allow-large-removal")
    flags = [f for f in want if f in have]
    if want and plan.overrides.approver and "--approver" in have:
        flags += ["--approver", plan.overrides.approver]
    return flags


def _refusal(stderr: str) -> bool:
    """``seatctl apply`` refused the plan (it moved, aged, or is blocked), not an error."""
    return any(s in stderr for s in ("Error: plan ", "Error: policy files changed",
                                     "what moved", "moved since"))


def apply_reviewed(repo_root: pathlib.Path, policy_dir: pathlib.Path, plan_file: pathlib.Path,
                   state_dir: pathlib.Path, env: Mapping[str, str], wiring: Wiring, *,
                   pr_number: int,
                   head_sha: str, sandbox: str | None = None,
                   run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run,
                   section: OrgSection | None = None) -> Outcome:
    """Verify the audit chain, record the approvals, apply the reviewed plan, report.

    With ``section`` the child ``seatctl apply`` gets that organization's key only and
    the result is that organization's section of the one apply comment.
    """
    pr = ghenv.PullRequest(pr_number, head_sha, "", False, ())
    title = "seatctl apply"
    plan = Plan.from_json(plan_file.read_text(encoding="utf-8"))
    log_path = state_dir / "audit.jsonl"
    problem = wiring.verify_audit(log_path) if log_path.exists() else ""
    if problem:
        return _finish(env, pr, Outcome("not-started", _comment(
            APPLY_STATUS["not-started"], "", pr, title,
            [f"the audit log on the state branch does not verify: {problem}"],
            section=section), 1), section)
    if plan.approve_overflow or plan.overrides.allow_large_removal:
        wiring.record(log_path, env, "approval", {
            "pr": pr_number, "head_sha": head_sha, "approver": plan.overrides.approver,
            "approve_overflow": plan.approve_overflow,
            "allow_large_removal": plan.overrides.allow_large_removal,
            "plan_hash": plan.checksum})
    rel = policy_dir.resolve().relative_to(repo_root.resolve())
    with reviewed_checkout(repo_root, head_sha) as tree:
        # run in the reviewed tree with the policy directory as the PR's plan step named it
        # (relative to the repository root), so file:line sources in the re-derived plan
        # equal the reviewed plan's; every other path is absolute.
        # -P: the tree's own files never shadow the installed seatctl (safe_path)
        cmd = [sys.executable, "-P", "-m", "reconciler.cli.main", "apply", str(plan_file.resolve()),
               str(rel), "--state-dir", str(state_dir.resolve()),
               *_apply_flags(plan, wiring.apply_options)]
        base = review_base(repo_root, head_sha) if was_targeted(plan) else None
        if base and "--base" in wiring.apply_options:
            cmd += ["--base", base]  # what the change can touch, live; the rest: the snapshot
        if sandbox:
            cmd += ["--sandbox", str(pathlib.Path(sandbox).resolve())]
        child_env = {**org_env({**os.environ, **env}, section.org if section else "", policy_dir),
                     "SEATCTL_APPROVER": plan.overrides.approver}
        proc = run(cmd, cwd=tree, env=child_env, capture_output=True, text=True, check=False)
    sys.stderr.write(proc.stderr)
    sys.stdout.write(proc.stdout)
    kind = {0: "done", 3: "incomplete", 1: "refused"}.get(proc.returncode, "failed")
    if kind == "refused" and not _refusal(proc.stderr):
        kind = "failed"  # an error that is not apply's refusal of a moved plan
    text = proc.stdout if kind in ("done", "incomplete") else proc.stderr
    fenced = text.strip()[-6000:].replace("```", "'''")
    block = f"```text\n{fenced}\n```\n" if fenced else ""
    shown = plan_file.with_name("plan.md")
    if shown.is_file():
        block += "\n### The reviewed plan\n\n" + shown.read_text(encoding="utf-8")
    out = Outcome(kind, _comment(APPLY_STATUS[kind], block, pr, title, section=section),
                  proc.returncode or 0)
    return _finish(env, pr, out, section)


def not_applied(env: Mapping[str, str], *, pr_number: int, head_sha: str,
                result: str) -> Outcome:
    """The apply job ended before its apply step reported: say so on the PR.

    ``result`` is the job's result as GitHub gives it (``failure`` when the environment's
    reviewer rejected the deployment, ``cancelled`` when a newer run displaced it).
    """
    pr = ghenv.PullRequest(pr_number, head_sha, "", False, ())
    link = ghenv.run_url(env)
    why = [f"the apply job ended ({result}) before the apply started: the deployment was "
           "rejected, cancelled or displaced by a newer merge"]
    body = f"[The run]({link}) has the details.\n" if link else ""
    return _finish(env, pr, Outcome("not-started", _comment(
        APPLY_STATUS["not-started"], body, pr, "seatctl apply", why), 0))
