"""``seatctl init DIR``: a complete policy repository that works outside seatctl's own.

Why: a policy repository holds policy, not seatctl. Copying seatctl's own workflows
gave every step a ``pip install .`` that fails in a policy-only repository. The
scaffold's workflows are thin callers of seatctl's reusable workflows pinned to a
release (``uses: OWNER/seatctl/.github/workflows/seatctl-plan.yml@REF``); those check
out and install seatctl from the pinned commit. The JSON Schemas sit where the
policies' ``$schema`` lines point (``schemas/``), so editors validate offline.
"""

from __future__ import annotations

import importlib.resources
import pathlib
import re
from collections.abc import Iterator

from reconciler import __version__
from reconciler.errors import ConfigError

DEFAULT_TOOL_REPO = "seatctl/seatctl"
SCHEMAS = ("org.schema.json", "roles.schema.json", "team.schema.json")
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,38}/[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_./-]{0,199}$")


def default_ref() -> str:
    """The release tag of this seatctl (pin a commit SHA for the strongest guarantee)."""
    return f"v{__version__}"


def _templates() -> pathlib.Path:
    return pathlib.Path(str(importlib.resources.files("reconciler.gitops") / "templates"))


def _schemas() -> pathlib.Path:
    return pathlib.Path(str(importlib.resources.files("reconciler") / "schemas"))


def scaffold_files(tool_repo: str, tool_ref: str) -> Iterator[tuple[str, bytes]]:
    """(repository path, content) of every file the scaffold writes."""
    tpl = _templates()
    for f in sorted((tpl / "policies").rglob("*.yaml")):
        yield f"policies/{f.relative_to(tpl / 'policies').as_posix()}", f.read_bytes()
    for name in SCHEMAS:
        yield f"schemas/{name}", (_schemas() / name).read_bytes()
    for f in sorted((tpl / "workflows").glob("*.yml")):
        text = f.read_text(encoding="utf-8").replace("__TOOL__", tool_repo) \
            .replace("__REF__", tool_ref)
        yield f".github/workflows/{f.name}", text.encode()
    yield ".github/CODEOWNERS", (tpl / "CODEOWNERS").read_bytes()
    yield ".gitignore", (tpl / "gitignore").read_bytes()


def write_scaffold(dest: pathlib.Path, *, tool_repo: str = DEFAULT_TOOL_REPO,
                   tool_ref: str | None = None, force: bool = False) -> list[pathlib.Path]:
    """Write the scaffold; refuses (writing nothing) when a file exists, unless ``force``."""
    ref = tool_ref or default_ref()
    if not _REPO.match(tool_repo):
        raise ConfigError(f"--tool-repo {tool_repo!r} is not OWNER/NAME",
                          hint="for example --tool-repo your-org/seatctl")
    if not _REF.match(ref) or ".." in ref or ref.startswith("refs/"):
        raise ConfigError(f"--tool-ref {ref!r} is not a tag, branch or commit",
                          hint="pass a release tag (v1.2.0) or a commit SHA, without refs/")
    files = list(scaffold_files(tool_repo, ref))
    if dest.exists() and not dest.is_dir():
        raise ConfigError(f"{dest} is a file", hint="pass a directory for the new repository")
    clash = [p for p, _ in files if (dest / p).exists()]
    if clash and not force:
        shown = ", ".join(clash[:5]) + (f" and {len(clash) - 5} more" if len(clash) > 5 else "")
        raise ConfigError(f"{dest} already has {shown}; nothing was written",
                          hint="choose an empty directory, or pass --force to overwrite")
    written = []
    for rel, data in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written
