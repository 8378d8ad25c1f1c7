"""Git mechanics for GitOps: find the base of a pull request, read the policy as it was.

Why a module of its own: CI checkouts are shallow, pull requests name their base in
an event file, and a brand-new policy repository has no commits at all. Every caller
(``plan --base``, drift, the monthly review) needs the same answers to "which commit
is the base?" and "what did ``policies/`` hold there?", with a message that says
exactly what is missing and how to fix it instead of a GitPython traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass

import git

from reconciler.errors import ConfigError

#: ``--base auto``: read the base from the CI environment, else try these refs.
AUTO = "auto"
_FALLBACK_BASES = ("origin/main", "origin/master", "main", "master")


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """One commit that touched the policy, for the review's "changes merged" list."""

    sha: str
    committed_at: dt.datetime
    author: str
    subject: str


def open_repo(path: str | os.PathLike[str]) -> git.Repo:
    """The repository holding ``path`` (searching parent folders), or a clear error."""
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise ConfigError(
            f"{path} is not inside a git repository",
            hint="run seatctl from your policy repository (git init; git add policies)",
        ) from exc


def has_commits(repo: git.Repo) -> bool:
    try:
        repo.head.commit  # noqa: B018 - resolving HEAD is the check
    except ValueError:
        return False
    return True


def head_sha(repo: git.Repo) -> str | None:
    return repo.head.commit.hexsha if has_commits(repo) else None


def base_from_env(env: Mapping[str, str]) -> str | None:
    """The pull request's base commit from ``GITHUB_EVENT_PATH``, else ``GITHUB_BASE_REF``."""
    event_path = env.get("GITHUB_EVENT_PATH")
    if event_path:
        try:
            event = json.loads(pathlib.Path(event_path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read the GitHub event file {event_path}: {exc}") from exc
        pr = event.get("pull_request") if isinstance(event, dict) else None
        sha = pr.get("base", {}).get("sha") if isinstance(pr, dict) else None
        if isinstance(sha, str) and sha:
            return sha
    base_ref = env.get("GITHUB_BASE_REF")
    return f"origin/{base_ref}" if base_ref else None


def resolve_base(repo: git.Repo, ref: str, env: Mapping[str, str] | None = None) -> str | None:
    """The base commit SHA for ``ref`` (``auto`` reads CI), or None when there is no base.

    None means "compare with an empty policy": the repository has no commits yet, or
    ``auto`` found nothing to compare with. A named ref that cannot be found, or a base
    commit missing from a shallow checkout, raises ``ConfigError`` naming the fix.
    """
    env = os.environ if env is None else env
    if not has_commits(repo):
        return None
    if ref == AUTO:
        wanted = base_from_env(env)
        if wanted is None:
            for candidate in _FALLBACK_BASES:
                sha = _try_resolve(repo, candidate)
                if sha:
                    return sha
            return None
        ref = wanted
    sha = _try_resolve(repo, ref)
    if sha:
        return sha
    if _looks_like_sha(ref):
        fetch_commit(repo, ref)
        sha = _try_resolve(repo, ref)
        if sha:
            return sha
    shallow = " (this checkout is shallow)" if is_shallow(repo) else ""
    raise ConfigError(
        f"base {ref!r} is not in this repository{shallow}",
        hint=f"fetch it (git fetch origin {ref}) or check out with full history "
        "(actions/checkout with fetch-depth: 0)",
    )


def is_shallow(repo: git.Repo) -> bool:
    return (pathlib.Path(repo.git_dir) / "shallow").exists()


def fetch_commit(repo: git.Repo, sha: str) -> None:
    """Fetch one missing commit from ``origin`` (depth 1); failures raise with the fix."""
    if "origin" not in [r.name for r in repo.remotes]:
        raise ConfigError(
            f"base commit {sha} is not in this checkout and there is no 'origin' to fetch it from",
            hint="check out with full history (actions/checkout with fetch-depth: 0)",
        )
    try:
        repo.git.fetch("--no-tags", "--depth=1", "origin", sha)
    except git.GitCommandError as exc:
        raise ConfigError(
            f"base commit {sha} is missing from this shallow checkout and fetching it failed "
            f"(git exit {exc.status})",
            hint="check out with full history (actions/checkout with fetch-depth: 0), or run "
            f"`git fetch --depth=1 origin {sha}` with credentials before seatctl",
        ) from exc


def extract_tree(repo: git.Repo, commit: str, subdir: str, dest: pathlib.Path) -> bool:
    """Write ``subdir`` as it was at ``commit`` into ``dest``; False if it did not exist.

    Reads blobs straight from the object store (no checkout, no change to the work
    tree or index), so it is safe in a CI job and on a dirty working copy.
    """
    tree = repo.commit(commit).tree
    try:
        sub = tree / subdir.strip("/") if subdir.strip("/") else tree
    except KeyError:
        return False
    if not isinstance(sub, git.Tree):
        return False
    for item in sub.traverse():
        if isinstance(item, git.Blob):
            rel = pathlib.PurePosixPath(item.path).relative_to(sub.path) if sub.path else \
                pathlib.PurePosixPath(item.path)
            target = dest.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.data_stream.read())
    return True


def commits_touching(
    repo: git.Repo, subdir: str, start: dt.date, end: dt.date, rev: str = "HEAD"
) -> list[CommitInfo]:
    """First-parent commits on ``rev`` that changed ``subdir`` with ``start <= date < end``.

    First parent: on main that is one entry per merged pull request (or direct push),
    which is what "policy changes merged this month" means.
    """
    if not has_commits(repo):
        return []
    out: list[CommitInfo] = []
    for c in repo.iter_commits(rev, paths=subdir, first_parent=True):
        when = c.committed_datetime.astimezone(dt.UTC)
        if start <= when.date() < end:
            subject = str(c.message).splitlines()[0] if c.message else ""
            out.append(CommitInfo(c.hexsha, when, str(c.author.name), subject))
    return out


def _try_resolve(repo: git.Repo, ref: str) -> str | None:
    try:
        return repo.commit(ref).hexsha
    except (git.BadName, git.BadObject, ValueError):
        return None


def _looks_like_sha(ref: str) -> bool:
    return 7 <= len(ref) <= 40 and all(ch in "0123456789abcdef" for ch in ref.lower())
