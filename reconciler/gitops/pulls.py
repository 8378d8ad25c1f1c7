"""Pull requests by head branch: find the one open PR, open it, update it, close it.

Why: the month's proposals live in one pull request per organization; a later run of
the same month must find it (``GET /pulls?head=owner:branch&state=open``) and edit it,
never open a second one. Calls go through ``GitHubApi.request`` (token never shown).
"""

from __future__ import annotations

from typing import Any

from reconciler.gitops.github_api import GitHubApi, GitHubApiError


def pulls_for(api: GitHubApi, branch: str, state: str = "open") -> list[dict[str, Any]]:
    """PRs whose head is ``branch`` of this repository (``state``: open, closed, all)."""
    owner = api.repo.split("/", 1)[0]
    items = api.paged(f"/repos/{api.repo}/pulls", {"state": state, "head": f"{owner}:{branch}"})
    return sorted((p for p in items if isinstance(p, dict)
                   and str((p.get("head") or {}).get("ref")) == branch
                   and (state == "all" or str(p.get("state")) == state)),
                  key=lambda p: int(p["number"]))


def open_pull_for(api: GitHubApi, branch: str) -> dict[str, Any] | None:
    """The open PR whose head is ``branch`` (the oldest if several)."""
    found = pulls_for(api, branch)
    return found[0] if found else None


def create_pull(api: GitHubApi, *, title: str, head: str, base: str, body: str) -> int:
    """Open the PR; a refusal names the repository setting GitHub checks first."""
    try:
        made = api.request("POST", f"/repos/{api.repo}/pulls",
                           {"title": title, "head": head, "base": base, "body": body})
    except GitHubApiError as exc:
        if exc.status not in (403, 422):
            raise
        raise GitHubApiError(
            f"{exc.message}: GitHub refused to open the pull request for {head}",
            status=exc.status,
            hint="allow GitHub Actions to create pull requests (Settings → Actions → "
                 "General), grant the job `pull-requests: write`, and check that the base "
                 f"branch {base!r} exists") from None
    return int(made["number"])


def update_pull(api: GitHubApi, number: int, *, title: str, body: str) -> None:
    api.request("PATCH", f"/repos/{api.repo}/pulls/{number}", {"title": title, "body": body})


def close_pull(api: GitHubApi, number: int, comment: str) -> None:
    """Say why on the PR, then close it (the branch is left for its history)."""
    api.comment(number, comment)
    api.request("PATCH", f"/repos/{api.repo}/pulls/{number}", {"state": "closed"})
