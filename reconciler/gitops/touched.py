"""Which organizations of a policy repository a change reaches: the CI matrix.

Why: a repository with several organizations (a folder each, ``gitops.orgs``) runs
one plan job and one apply job per organization, each with its own lock, state
folder and credentials. An organization whose folder the pull request did not
change gets no job and no live read (its rate budget is not spent on a change that
cannot reach it); the comment lists it as "not touched".

The single-organization layout (``org.yaml`` at the root) is always touched: it is
planned exactly as before, so its comment, artifact name and state folder stay the
same.
"""

from __future__ import annotations

import json
import pathlib
import re
from dataclasses import dataclass

import git

from reconciler.errors import ConfigError
from reconciler.gitops.orgs import OrgFolder, find_orgs

#: An organization's folder name becomes part of artifact names and concurrency groups.
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
PLAN_PREFIX = "seatctl-plan"
SECTION_PREFIX = "seatctl-section"


def artifact_name(head_sha: str, org: str = "", prefix: str = PLAN_PREFIX) -> str:
    """The artifact of one plan: ``seatctl-plan-<sha>`` alone, ``seatctl-plan-<org>-<sha>``
    for one organization of several (the merge looks it up by the same name)."""
    return f"{prefix}-{org}-{head_sha}" if org else f"{prefix}-{head_sha}"


@dataclass(frozen=True, slots=True)
class Touched:
    """The organizations a change reaches, and the ones it does not."""

    multi: bool
    touched: tuple[OrgFolder, ...]
    untouched: tuple[OrgFolder, ...]

    def matrix(self, repo_root: pathlib.Path, head_sha: str) -> dict[str, list[dict[str, str]]]:
        """A GitHub Actions matrix: one entry per touched organization.

        ``org`` is empty in the single-organization layout (the steps then keep their
        one-organization behaviour); ``state`` is the organization's folder inside
        the pulled state branch; ``lock`` names its concurrency group.
        """
        rows = []
        for o in self.touched:
            key = o.key if self.multi else ""
            rows.append({"org": key, "name": o.org_name,
                         "policy_dir": _rel(o.policy_dir, repo_root),
                         "state": key, "artifact": artifact_name(head_sha, key),
                         "section": artifact_name(head_sha, key, SECTION_PREFIX),
                         "lock": f"seatctl-live-org-{key}" if key else "seatctl-live-org"})
        return {"include": rows}

    def outputs(self, repo_root: pathlib.Path, head_sha: str) -> dict[str, str]:
        """Step outputs (one line each) for the workflow's later jobs."""
        return {"matrix": json.dumps(self.matrix(repo_root, head_sha), separators=(",", ":")),
                "any": "true" if self.touched else "false",
                "multi": "true" if self.multi else "false",
                "untouched": json.dumps([o.key for o in self.untouched])}


def _rel(path: pathlib.Path, root: pathlib.Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix() or "."
    except ValueError:
        return path.as_posix()


def resolve(repo_root: pathlib.Path, rev: str) -> str:
    """The full commit ``rev`` names (artifact names carry full SHAs)."""
    try:
        repo = git.Repo(repo_root, search_parent_directories=True)
        return str(repo.git.rev_parse("--verify", f"{rev}^{{commit}}"))
    except (git.exc.GitError, ValueError):
        raise ConfigError(f"cannot resolve commit {rev!r} in {repo_root}",
                          hint="check out with `fetch-depth: 0` so the commit is present") from None


def _changed(repo: git.Repo, base: str, head: str, rel: str) -> bool:
    """Did anything under ``rel`` change between the merge base of ``base`` and ``head``?"""
    try:
        out = str(repo.git.diff("--name-only", f"{base}...{head}", "--", rel))
    except git.exc.GitCommandError:
        return True  # a base we cannot read: plan it (over-planning is safe, skipping is not)
    return bool(out.strip())


def touched_orgs(repo_root: pathlib.Path, root: pathlib.Path, *, base: str,
                 head: str = "HEAD") -> Touched:
    """The organizations under ``root`` whose folder changed between ``base`` and ``head``."""
    found = find_orgs(root, pathlib.Path("."))
    multi = not (len(found) == 1 and found[0].policy_dir == root)
    if not multi:
        return Touched(False, found, ())
    for o in found:
        if not KEY_RE.match(o.key):
            raise ConfigError(f"{o.policy_dir}: the folder name {o.key!r} cannot name an "
                              "organization's CI jobs",
                              hint="use letters, digits, '.', '_' or '-' (e.g. `eu`, `us-east`)")
    try:
        repo = git.Repo(repo_root, search_parent_directories=True)
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        raise ConfigError(f"{repo_root} is not inside a git repository",
                          hint="run this in the policy repository's checkout") from None
    top = pathlib.Path(str(repo.working_tree_dir))
    hit = tuple(o for o in found
                if not base or _changed(repo, base, head, _rel(o.policy_dir, top)))
    return Touched(True, hit, tuple(o for o in found if o not in hit))
