"""What a GitHub Actions step knows about its run: the event, the PR, and where to write.

Why a module: the PR plan, the merge apply and the schedule all read the same few
facts from the runner's environment (``GITHUB_EVENT_PATH``, ``GITHUB_SHA``,
``GITHUB_SERVER_URL``...) and write the same three channels (step outputs, job
summary, ``::error`` annotations). Reading them in one place keeps the steps thin
and lets a test run them with a hand-written environment.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import ConfigError

#: GitHub shows 10 error annotations per step; more are dropped, so we say so instead.
MAX_ANNOTATIONS = 10


@dataclass(frozen=True, slots=True)
class PullRequest:
    """The pull request a run is about, as the event payload or the API describes it."""

    number: int
    head_sha: str
    base_sha: str
    from_fork: bool
    labels: tuple[str, ...]

    @classmethod
    def from_payload(cls, pr: Mapping[str, Any]) -> PullRequest:
        head, base = pr.get("head") or {}, pr.get("base") or {}
        head_repo = (head.get("repo") or {}).get("full_name")
        base_repo = (base.get("repo") or {}).get("full_name")
        return cls(number=int(pr["number"]), head_sha=str(head.get("sha", "")),
                   base_sha=str(base.get("sha", "")),
                   from_fork=bool(head_repo and base_repo and head_repo != base_repo),
                   labels=tuple(str(lb.get("name", "")) for lb in pr.get("labels") or ()
                                if isinstance(lb, dict)))


def event(env: Mapping[str, str]) -> dict[str, Any]:
    """The event payload (``{}`` outside Actions)."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        doc = json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read the event payload {path}: {exc}",
                          hint="run this inside a GitHub Actions step") from None
    return doc if isinstance(doc, dict) else {}


def pull_request(env: Mapping[str, str]) -> PullRequest:
    pr = event(env).get("pull_request")
    if not isinstance(pr, dict):
        raise ConfigError("this step needs a pull_request event",
                          hint="call it from a workflow triggered by `pull_request`")
    return PullRequest.from_payload(pr)


def run_url(env: Mapping[str, str]) -> str:
    server, repo, run = (env.get("GITHUB_SERVER_URL", ""), env.get("GITHUB_REPOSITORY", ""),
                         env.get("GITHUB_RUN_ID", ""))
    return f"{server}/{repo}/actions/runs/{run}" if server and repo and run else ""


def _prop(value: object) -> str:
    """A workflow-command property value, escaped as the runner expects."""
    return (str(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            .replace(":", "%3A").replace(",", "%2C"))


def _data(value: object) -> str:
    return str(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def error_annotations(findings: Iterable[tuple[str, int, str]], repo_root: pathlib.Path,
                limit: int = MAX_ANNOTATIONS) -> list[str]:
    """``::error file=…,line=…::message`` lines for (file, line, message), repo-relative."""
    out: list[str] = []
    items = list(findings)
    for file, line, message in items[:limit]:
        p = pathlib.Path(file)
        try:
            rel = p.resolve().relative_to(repo_root.resolve()).as_posix()
        except ValueError:
            rel = p.as_posix()
        out.append(f"::error file={_prop(rel)},line={max(1, int(line))}::{_data(message)}")
    if len(items) > limit:
        out.append(f"::error::{len(items) - limit} more errors; see the comment or the log")
    return out


def write_outputs(env: Mapping[str, str], outputs: Mapping[str, str], summary: str) -> None:
    """Step outputs and the job summary (each skipped when the runner did not set it)."""
    from reconciler.gitops.ci import write_outputs as _write

    _write(env, outputs, summary)
