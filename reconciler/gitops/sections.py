"""ONE sticky comment for a several-organization pull request, from its matrix jobs.

Why a separate job: each organization's plan (and, on merge, its apply) runs in its
own matrix job; GitHub keeps only the last leg's job outputs, so every leg uploads
its section as an artifact (``seatctl-section-<org>-<head sha>``) and a final job
collects them here and posts them as one comment, one section per organization the
change touched plus a line naming those it did not. A leg that stopped before it
wrote its section is shown as such, never silently dropped.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.errors import ConfigError
from reconciler.gitops import ghenv
from reconciler.gitops.ci import MARKER, build_section, compose_comment
from reconciler.gitops.github_api import GitHubApi, GitHubApiError

#: What a section says when its leg left nothing (failed before writing, rejected, cancelled).
MISSING = {
    "plan": "❌ **Error**: this organization's plan job stopped before it could plan "
            "(see the run log).",
    "apply": "⏸️ **Not started**: nothing was applied to this organization (the deployment "
             "was rejected, cancelled, or its job failed before the apply; see the run).",
}
TITLES = {"plan": "seatctl plan", "apply": "seatctl apply"}


def _rows(matrix: str) -> list[dict[str, Any]]:
    try:
        doc = json.loads(matrix)
    except ValueError:
        doc = None
    rows = doc.get("include") if isinstance(doc, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ConfigError("--matrix is not the `include` matrix `seatctl ci orgs-touched` wrote",
                          hint="pass `needs.<orgs job>.outputs.matrix` unchanged")
    return rows


def _untouched(untouched: str) -> list[str]:
    try:
        names = json.loads(untouched or "[]")
    except ValueError:
        names = None
    if not isinstance(names, list):
        raise ConfigError("--untouched is not a JSON list of organization folders",
                          hint="pass `needs.<orgs job>.outputs.untouched` unchanged")
    return [str(n) for n in names]


def collect(sections_dir: pathlib.Path, matrix: str, untouched: str, *, stage: str,
            head_sha: str) -> str:
    """The one comment: each touched organization's section, in matrix order."""
    from reconciler.gitops.pr_plan import org_heading

    parts = []
    for row in _rows(matrix):
        found = sections_dir / str(row.get("section", "")) / "section.md"
        if row.get("section") and found.is_file():
            parts.append(found.read_text(encoding="utf-8"))
        else:
            parts.append(build_section(org_heading(str(row.get("org", "")),
                                                   str(row.get("name", ""))), "",
                                       exit_code=1, blocked=False, status=MISSING[stage]))
    return compose_comment(parts, untouched=_untouched(untouched), head_sha=head_sha,
                           title=TITLES[stage])


def post_sections(env: Mapping[str, str], sections_dir: pathlib.Path, matrix: str,
                  untouched: str, *, stage: str, pr_number: int = 0,
                  head_sha: str = "") -> str:
    """Compose, post (update the sticky comment) and put it in the job summary."""
    if not pr_number:
        pr = ghenv.pull_request(env)
        pr_number, head_sha = pr.number, pr.head_sha
    body = collect(sections_dir, matrix, untouched, stage=stage, head_sha=head_sha)
    api = GitHubApi.from_env(env)
    try:
        if api is not None:
            api.upsert_comment(pr_number, MARKER, body)
    except GitHubApiError as exc:
        if exc.status not in (403, 404):
            raise
        # a fork pull request's read-only token: the comment stays in the job summary
    ghenv.write_outputs(env, {}, body)
    return body


__all__: Sequence[str] = ("collect", "post_sections")
