"""State that lasts: the state directory kept as commits on a branch of the policy repo.

Why: a workflow artifact expires (90 days by default, 400 at most), and with it the
audit chain, its head and the last-apply record; the chain would then silently
restart, against ``audit.retention_days``. A branch (``seatctl-state``) never expires,
its history is itself a second record, and a write needs only ``contents: write``.

``pull`` copies the branch's files into the state directory and remembers the commit
it came from; ``push`` commits the directory on top of that commit and pushes without
force. When another run pushed in between (a rejected, non-fast-forward push), it
fetches again and retries on the new tip, but only if the new tip's audit log is a
prefix of ours: records we do not have are never overwritten.

Lock files are not kept: a lock lives for one run (the workflow's concurrency group
serialises runs), so a killed run cannot leave one that blocks the next.
"""

from __future__ import annotations

import os
import pathlib
import tempfile
import time
from dataclasses import dataclass

import git

from reconciler.errors import SeatctlError

BRANCH = "seatctl-state"
BASE_FILE = ".state-base"
#: Never committed: per-run scratch and the per-run lock.
SKIP_PARTS = frozenset({"locks", BASE_FILE})
AUDIT = "audit.jsonl"


class StateBranchError(SeatctlError):
    """The state branch could not be read or written."""


@dataclass(frozen=True, slots=True)
class PushResult:
    """What ``push`` did: the commit now at the branch tip, and the attempts it took."""

    commit: str
    attempts: int
    changed: bool


def _repo(path: pathlib.Path) -> git.Repo:
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        raise StateBranchError(f"{path} is not inside a git repository",
                               hint="run this in the policy repository's checkout") from None


def _fetch(repo: git.Repo, remote: str, branch: str) -> str | None:
    """The remote branch's tip after fetching it, or None when it does not exist yet."""
    try:
        out = str(repo.git.ls_remote(remote, f"refs/heads/{branch}"))
    except git.exc.GitCommandError as exc:
        raise StateBranchError(f"cannot reach remote {remote!r}: {str(exc.stderr).strip()}",
                               hint="check the checkout's remote and credentials") from None
    if not out.strip():
        return None
    repo.git.fetch("--quiet", remote, f"+refs/heads/{branch}:refs/seatctl/{branch}")
    return str(repo.git.rev_parse(f"refs/seatctl/{branch}"))


def pull(repo_path: pathlib.Path, state_dir: pathlib.Path, *, remote: str = "origin",
         branch: str = BRANCH) -> str | None:
    """Copy the branch's files into ``state_dir``; returns the commit (None: no branch yet)."""
    repo = _repo(repo_path)
    tip = _fetch(repo, remote, branch)
    state_dir.mkdir(parents=True, exist_ok=True)
    if tip is None:
        (state_dir / BASE_FILE).write_text("\n", encoding="utf-8")
        return None
    for blob in repo.commit(tip).tree.traverse():
        if not isinstance(blob, git.Blob):
            continue
        target = state_dir / blob.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(blob.data_stream.read())
    (state_dir / BASE_FILE).write_text(tip + "\n", encoding="utf-8")
    return tip


def _files(state_dir: pathlib.Path) -> list[pathlib.Path]:
    out = []
    for p in sorted(state_dir.rglob("*")):
        rel = p.relative_to(state_dir)
        if p.is_file() and not (set(rel.parts) & SKIP_PARTS) and not rel.name.startswith(
                (".last-apply-", ".tmp")):
            out.append(p)
    return out


def _commit_tree(repo: git.Repo, state_dir: pathlib.Path, parent: str | None,
                 message: str) -> tuple[str, bool]:
    """A commit of the directory's files on ``parent``; (sha, whether the tree changed)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(pathlib.Path(tmp) / "index")}
        g = repo.git
        g.read_tree("--empty", env=env)
        for f in _files(state_dir):
            sha = g.hash_object("-w", str(f))
            rel = f.relative_to(state_dir).as_posix()
            g.update_index("--add", "--cacheinfo", f"100644,{sha},{rel}", env=env)
        tree = g.write_tree(env=env)
    if parent and str(repo.commit(parent).tree.hexsha) == tree:
        return parent, False
    args = ["-m", message] + (["-p", parent] if parent else [])
    env_id = {"GIT_AUTHOR_NAME": "seatctl", "GIT_AUTHOR_EMAIL": "seatctl@users.noreply",
              "GIT_COMMITTER_NAME": "seatctl", "GIT_COMMITTER_EMAIL": "seatctl@users.noreply"}
    return str(repo.git.commit_tree(tree, *args, env={**os.environ, **env_id})), True


def _audit_extends(repo: git.Repo, tip: str, state_dir: pathlib.Path,
                   base: str | None = None) -> bool:
    """True when we lose none of the branch tip's audit records: every audit log there (the
    root's, and each organization's ``<key>/audit.jsonl`` in a several-organization
    repository, whose matrix jobs push in parallel) is a prefix of ours, or one this run
    did not touch (the rebase then takes the tip's copy)."""
    before = _blobs(repo, base)
    for path, theirs in _blobs(repo, tip).items():
        if pathlib.PurePosixPath(path).name != AUDIT:
            continue
        mine = (state_dir / path).read_bytes() if (state_dir / path).exists() else b""
        untouched = mine == before.get(path, b"")
        if not mine.startswith(theirs) and not untouched:
            return False
    return True


def _blobs(repo: git.Repo, commit: str | None) -> dict[str, bytes]:
    if not commit:
        return {}
    return {str(b.path): b.data_stream.read() for b in repo.commit(commit).tree.traverse()
            if isinstance(b, git.Blob)}


def _take_theirs(repo: git.Repo, base: str | None, tip: str, state_dir: pathlib.Path) -> None:
    """The rebase: files the other run changed and this run did not are taken from it."""
    before = _blobs(repo, base)
    for path, theirs in _blobs(repo, tip).items():
        mine_path = state_dir / path
        mine = mine_path.read_bytes() if mine_path.exists() else None
        if theirs != before.get(path) and mine == before.get(path):
            mine_path.parent.mkdir(parents=True, exist_ok=True)
            mine_path.write_bytes(theirs)


def push(repo_path: pathlib.Path, state_dir: pathlib.Path, *, message: str,
         remote: str = "origin", branch: str = BRANCH, attempts: int = 5,
         pause_s: float = 1.0) -> PushResult:
    """Commit ``state_dir`` on the branch and push; on a concurrent push, rebase and retry."""
    repo = _repo(repo_path)
    base_file = state_dir / BASE_FILE
    if not base_file.exists():
        raise StateBranchError(f"{state_dir} was not pulled from the state branch",
                               hint="run `seatctl state pull` before the apply, so the push "
                               "continues the branch's history")
    parent = base_file.read_text(encoding="utf-8").strip() or None
    for attempt in range(1, attempts + 1):
        commit, changed = _commit_tree(repo, state_dir, parent, message)
        if not changed:
            return PushResult(commit, attempt, False)
        try:
            repo.git.push("--quiet", remote, f"{commit}:refs/heads/{branch}")
        except git.exc.GitCommandError:
            tip = _fetch(repo, remote, branch)
            if tip is None or tip == parent:
                raise StateBranchError(f"pushing the state to {remote}/{branch} failed",
                                       hint="the job needs `contents: write`; check branch "
                                       "rules on the state branch") from None
            if not _audit_extends(repo, tip, state_dir, parent):
                raise StateBranchError(
                    f"{remote}/{branch} moved during this run and holds audit records this "
                    "run does not have", hint="nothing was overwritten; run `seatctl state "
                    "pull` into a fresh directory and compare the two audit logs") from None
            _take_theirs(repo, parent, tip, state_dir)
            parent = tip
            time.sleep(pause_s * attempt)
            continue
        base_file.write_text(commit + "\n", encoding="utf-8")
        return PushResult(commit, attempt, True)
    raise StateBranchError(f"{remote}/{branch} kept moving; gave up after {attempts} attempts",
                           hint="re-run the job; the state directory is unchanged")
