"""The proposals branch: one bot commit on top of the base, pushed without clobbering anyone.

The rule (docs/gitops.md, "The month's proposals as a pull request"):

- The branch holds exactly one commit by the bot identity on top of the base commit
  (the default branch's tip the run checked out). Each run rebuilds that commit from
  the current base and pushes it with ``--force-with-lease`` naming the tip it saw, so
  a push that raced with someone else's is rejected by the remote, never overwrites it.
- When the branch carries any commit the bot did not author (a person fixed a line, or
  pressed "Update branch"), the run refuses and changes nothing: rewriting would drop
  their work, and a new commit on top cannot be computed (a proposal already written
  cannot be told from a person's edit). Merge or close the PR, delete the branch, and
  the next run starts a fresh one.

The commit is made in a temporary ``git worktree`` (detached at the base), so the
checkout the command runs in is never modified.
"""

from __future__ import annotations

import pathlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

import git

from reconciler.errors import SeatctlError

#: The identity GitHub gives ``GITHUB_TOKEN`` writes; its commits are the bot's own.
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


class ProposalsBranchError(SeatctlError):
    """The proposals branch could not be read, written or pushed."""


@dataclass(frozen=True, slots=True)
class RemoteBranch:
    """The branch as the remote has it: its tip (None: absent) and foreign commit authors."""

    tip: str | None
    foreign: tuple[str, ...] = ()


def _git_error(what: str, exc: git.GitCommandError) -> ProposalsBranchError:
    return ProposalsBranchError(f"{what} failed (git exit {exc.status}): "
                                f"{str(exc.stderr).strip()[:300]}",
                                hint="check the checkout's remote and the job's "
                                     "`contents: write` permission")


def read_remote(repo: git.Repo, remote: str, branch: str, base: str) -> RemoteBranch:
    """Fetch ``branch`` (if it exists) and list who, other than the bot, committed on it."""
    try:
        out = str(repo.git.ls_remote(remote, f"refs/heads/{branch}"))
        if not out.strip():
            return RemoteBranch(None)
        local = f"refs/seatctl/{branch}"
        repo.git.fetch("--quiet", remote, f"+refs/heads/{branch}:{local}")
        tip = str(repo.git.rev_parse(local))
    except git.GitCommandError as exc:
        raise _git_error(f"reading {remote}/{branch}", exc) from None
    foreign: list[str] = []
    for c in repo.iter_commits(f"{base}..{tip}"):
        if str(c.author.email) != BOT_EMAIL or str(c.committer.email) != BOT_EMAIL:
            who = f"{c.author.name} ({c.hexsha[:7]})"
            if who not in foreign:
                foreign.append(who)
    return RemoteBranch(tip, tuple(foreign))


def commit_on_base(repo: git.Repo, base: str, policy_rel: str, message: str,
                   write: Callable[[pathlib.Path], object]) -> str | None:
    """The bot's commit of ``write``'s edits under ``policy_rel`` on ``base``; None if none.

    ``write`` gets the policy folder inside a temporary worktree detached at ``base``.
    """
    with tempfile.TemporaryDirectory(prefix="seatctl-proposals-") as tmp:
        work = pathlib.Path(tmp) / "wt"
        try:
            repo.git.worktree("add", "--quiet", "--detach", str(work), base)
        except git.GitCommandError as exc:
            raise _git_error("git worktree add", exc) from None
        try:
            wt = git.Repo(work)
            write(work / policy_rel)
            wt.git.add("--all", "--", policy_rel)
            if not wt.index.diff("HEAD"):
                return None
            bot = git.Actor(BOT_NAME, BOT_EMAIL)
            return str(wt.index.commit(message, author=bot, committer=bot).hexsha)
        finally:
            repo.git.worktree("remove", "--force", str(work))


def same_tree(repo: git.Repo, a: str, b: str) -> bool:
    return bool(repo.commit(a).tree.hexsha == repo.commit(b).tree.hexsha)


def push_branch(repo: git.Repo, remote: str, branch: str, sha: str, expected: str | None) -> None:
    """Point ``branch`` at ``sha``, only if the remote still has ``expected`` (None: absent)."""
    lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
    try:
        repo.git.push("--quiet", lease, remote, f"{sha}:refs/heads/{branch}")
    except git.GitCommandError as exc:
        raise ProposalsBranchError(
            f"pushing {branch} was refused: it moved since this run read it "
            f"(git exit {exc.status})",
            hint="someone pushed to the branch meanwhile; nothing was overwritten. "
                 "Re-run the job to see whether the branch is still the bot's alone") from None
