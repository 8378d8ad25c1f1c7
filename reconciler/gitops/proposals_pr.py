"""``seatctl ci proposals-pr``: the month's proposals as one pull request per organization.

Dry run by default: it says what it would write, push and open, and validates the
edits on a copy. With ``push`` it commits the edits on the month's branch (rules in
``proposals_branch``), pushes, and opens the one PR for that branch or updates the open
one. No proposals: no branch, no PR; an open PR of the month whose proposals are all
gone (members active again, or removed by hand) is closed with a comment saying so,
and its branch is left for its history.
"""

from __future__ import annotations

import pathlib
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reconciler import escape
from reconciler.errors import ConfigError
from reconciler.gitops import gitrepo, proposals_branch, pulls
from reconciler.gitops.github_api import GitHubApi
from reconciler.gitops.proposals import MonthProposals
from reconciler.gitops.render_policy_diff import money
from reconciler.gitops.render_proposals import render_commit_message, render_pr_body
from reconciler.usage.propose import ProposalResult, write_proposals

CLOSED_COMMENT = ("Nothing remains to propose for {month}: every member listed here is "
                  "active again, already removed, or protected. Closing (scheduled "
                  "`seatctl ci proposals-pr`).")


@dataclass(frozen=True, slots=True)
class ProposalsOutcome:
    """What the run did, in lines for the log and one word for the step output."""

    outcome: str
    lines: tuple[str, ...]
    branch: str
    pr_number: int | None = None
    commit: str | None = None

    def outputs(self) -> dict[str, str]:
        return {"outcome": self.outcome, "branch": self.branch,
                "pr": str(self.pr_number or ""), "commit": self.commit or ""}


def _writer(p: MonthProposals, validate: Callable[[pathlib.Path], None] | None
            ) -> Callable[[pathlib.Path], ProposalResult]:
    """Writes the month's removals (seats released) into a policy folder, validated."""
    def write(policy_dir: pathlib.Path) -> ProposalResult:
        extra = {} if validate is None else {"validate": validate}
        return write_proposals(policy_dir, [r.proposal for r in p.removals], p.skipped,
                               release_seats=True, **extra)
    return write


def _summary(p: MonthProposals) -> str:
    if p.empty:
        return f"nothing to propose for {p.month}"
    return (f"{len(p.removals)} removal(s), {money(p.monthly_cents)}/month from "
            f"{p.saves_from}")


def base_branch(env: Mapping[str, str], repo_root: pathlib.Path) -> str:
    """The PR's base: the branch the run checked out (``GITHUB_REF_NAME``), else HEAD's."""
    name = env.get("GITHUB_REF_NAME", "")
    if name:
        return name
    repo = gitrepo.open_repo(repo_root)
    try:
        return str(repo.active_branch.name)
    except TypeError:
        raise ConfigError("HEAD is detached and GITHUB_REF_NAME is not set: no base branch "
                          "for the pull request", hint="pass --base main") from None


def dry_run(p: MonthProposals, policy_dir: pathlib.Path,
            validate: Callable[[pathlib.Path], None] | None = None) -> ProposalsOutcome:
    """Say what ``--push`` would do; the edits are written and validated on a copy."""
    lines = [f"proposals {p.month} ({escape.terminal(p.org_name)}): {_summary(p)}"]
    if p.empty:
        lines.append(f"would push no branch and open no pull request; an open PR on "
                     f"{p.branch} would be closed with a comment")
        return ProposalsOutcome("dry-run", tuple(lines), p.branch)
    with tempfile.TemporaryDirectory(prefix="seatctl-proposals-dry-") as tmp:
        copy = pathlib.Path(tmp) / "policy"
        shutil.copytree(policy_dir, copy)
        done = _writer(p, validate)(copy)
        changed = [pathlib.Path(f).relative_to(copy).as_posix() for f in done.files_changed]
    lines += [escape.terminal(f"  remove {r.proposal.email} ({r.proposal.team}): "
                              f"{r.proposal.reason}") for r in p.removals]
    lines += [escape.terminal(f"  skipped {email}: {why}") for email, why in p.skipped]
    lines.append(f"would commit {', '.join(changed) or 'nothing'} as {proposals_branch.BOT_NAME} "
                 f"on {p.branch}, push it, and open or update its pull request "
                 f"({p.title!r}); pass --push to do it")
    return ProposalsOutcome("dry-run", tuple(lines), p.branch)


def publish(p: MonthProposals, repo_root: pathlib.Path, policy_dir: pathlib.Path, *,
            api: GitHubApi, base: str, remote: str = "origin",
            validate: Callable[[pathlib.Path], None] | None = None) -> ProposalsOutcome:
    """Write, commit, push, and open or update (or close) the month's one pull request."""
    repo = gitrepo.open_repo(repo_root)
    if not gitrepo.has_commits(repo):
        raise ConfigError(f"{repo_root} has no commits: nothing to branch from",
                          hint="commit the policy first")
    work_tree = pathlib.Path(repo.working_tree_dir or repo_root).resolve()
    try:
        rel = policy_dir.resolve().relative_to(work_tree).as_posix()
    except ValueError:
        raise ConfigError(f"{policy_dir} is not inside the repository {work_tree}",
                          hint="run from the policy repository's checkout") from None
    head = repo.head.commit.hexsha
    pr = pulls.open_pull_for(api, p.branch)
    number = int(pr["number"]) if pr else None
    lines = [f"proposals {p.month} ({escape.terminal(p.org_name)}): {_summary(p)}"]
    if p.empty:
        if number is None:
            lines.append("no branch pushed, no pull request opened")
            return ProposalsOutcome("none", tuple(lines), p.branch)
        pulls.update_pull(api, number, title=p.title, body=render_pr_body(p))
        pulls.close_pull(api, number, CLOSED_COMMENT.format(month=p.month))
        lines.append(f"closed pull request #{number} with a comment (nothing remains)")
        return ProposalsOutcome("closed", tuple(lines), p.branch, number)
    if number is None:
        done = pulls.pulls_for(api, p.branch, "closed")
        if done:  # one pull request per month: a closed or merged one is the answer
            how = "merged" if done[-1].get("merged_at") else "closed"
            lines.append(f"pull request #{done[-1]['number']} for {p.month} was {how}: "
                         "no second one this month; next month's run proposes again")
            return ProposalsOutcome("decided", tuple(lines), p.branch,
                                    int(done[-1]["number"]))
    remote_branch = proposals_branch.read_remote(repo, remote, p.branch, head)
    if remote_branch.foreign:
        raise proposals_branch.ProposalsBranchError(
            f"branch {p.branch} has commits seatctl did not make "
            f"({escape.terminal(', '.join(remote_branch.foreign))}); it will not rewrite them",
            hint=("merge or close pull request "
                  + (f"#{number}" if number else "on it")
                  + ", delete the branch, and the next run opens a fresh one"))
    sha = proposals_branch.commit_on_base(repo, head, rel, render_commit_message(p),
                                          _writer(p, validate))
    if sha is None:  # the base already holds every edit (merged meanwhile)
        lines.append("the base already holds these edits: nothing to push")
        return ProposalsOutcome("none", tuple(lines), p.branch, number)
    if remote_branch.tip and proposals_branch.same_tree(repo, sha, remote_branch.tip):
        sha = remote_branch.tip
        lines.append(f"{p.branch} already holds these edits at {sha[:12]}")
    else:
        proposals_branch.push_branch(repo, remote, p.branch, sha, remote_branch.tip)
        lines.append(f"pushed {p.branch} at {sha[:12]} (on {head[:12]})")
    body = render_pr_body(p)
    if number is None:
        number = pulls.create_pull(api, title=p.title, head=p.branch, base=base, body=body)
        lines.append(f"opened pull request #{number}")
        return ProposalsOutcome("opened", tuple(lines), p.branch, number, sha)
    pulls.update_pull(api, number, title=p.title, body=body)
    lines.append(f"updated pull request #{number}")
    return ProposalsOutcome("updated", tuple(lines), p.branch, number, sha)
