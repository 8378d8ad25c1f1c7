"""The few GitHub REST calls the workflows need, over the standard library.

Why not actions/github-script: the logic (which comment is ours, which label counts,
which run holds the reviewed plan) must be testable without GitHub, so it lives in
Python and talks to ``$GITHUB_API_URL`` (set on every runner; a test points it at a
local fake). The token comes from ``GITHUB_TOKEN`` and is never printed or stored.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import SeatctlError

DEFAULT_API = "https://api.github.com"
PAGE = 100
#: Stop paginating here: 1,000 items is GitHub's own cap for run listings.
MAX_PAGES = 10


class GitHubApiError(SeatctlError):
    """A GitHub API call failed; ``status`` is the HTTP status (0: no response)."""

    def __init__(self, message: str, *, status: int = 0, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.status = status


@dataclass(frozen=True, slots=True)
class GitHubApi:
    """One repository's API endpoint and token (from the runner's environment)."""

    base_url: str
    token: str
    repo: str
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> GitHubApi | None:
        """None when the environment has no repository or token (nothing to call)."""
        repo, token = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_TOKEN", "")
        if not repo or not token:
            return None
        return cls(env.get("GITHUB_API_URL") or DEFAULT_API, token, repo)

    # -- transport -----------------------------------------------------------------

    def request(self, method: str, path: str, body: Any = None,
                query: Mapping[str, str | int] | None = None) -> Any:
        """One call; JSON in, JSON out; errors name the method and path, never the token."""
        url = self.base_url.rstrip("/") + path
        if query:
            url += "?" + urllib.parse.urlencode({k: str(v) for k, v in query.items()})
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "Content-Type": "application/json",
            "User-Agent": "seatctl",
        })
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:  # noqa: S310
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise GitHubApiError(f"GitHub API {method} {path} failed: HTTP {exc.code}",
                                 status=exc.code,
                                 hint="check the job's `permissions:` and the token") from None
        except (urllib.error.URLError, OSError) as exc:
            raise GitHubApiError(f"GitHub API {method} {path} failed: {exc}",
                                 hint="check GITHUB_API_URL and the network") from None
        return json.loads(raw) if raw.strip() else None

    def paged(self, path: str, query: Mapping[str, str | int] | None = None,
              key: str | None = None) -> list[Any]:
        """Every item of a listing (``key`` names the list inside an object answer)."""
        out: list[Any] = []
        for page in range(1, MAX_PAGES + 1):
            got = self.request("GET", path, query={**(query or {}), "per_page": PAGE,
                                                   "page": page})
            items = got.get(key, []) if key and isinstance(got, dict) else got
            if not isinstance(items, list):
                break
            out.extend(items)
            if len(items) < PAGE:
                break
        return out

    # -- issues and comments -------------------------------------------------------

    def upsert_comment(self, number: int, marker: str, body: str) -> int:
        """The ONE comment carrying ``marker`` on issue/PR ``number``: edit it, else create."""
        base = f"/repos/{self.repo}/issues"
        for c in self.paged(f"{base}/{number}/comments"):
            if isinstance(c, dict) and marker in str(c.get("body") or ""):
                self.request("PATCH", f"{base}/comments/{c['id']}", {"body": body})
                return int(c["id"])
        made = self.request("POST", f"{base}/{number}/comments", {"body": body})
        return int(made["id"])

    def comment(self, number: int, body: str) -> None:
        self.request("POST", f"/repos/{self.repo}/issues/{number}/comments", {"body": body})

    def issue_events(self, number: int) -> list[dict[str, Any]]:
        """Label history of an issue/PR: who added or removed which label, oldest first."""
        return [e for e in self.paged(f"/repos/{self.repo}/issues/{number}/events")
                if isinstance(e, dict)]

    def open_issues(self, label: str) -> list[dict[str, Any]]:
        items = self.paged(f"/repos/{self.repo}/issues", {"state": "open", "labels": label})
        return [i for i in items if isinstance(i, dict) and "pull_request" not in i]

    def create_issue(self, title: str, body: str, labels: list[str]) -> int:
        made = self.request("POST", f"/repos/{self.repo}/issues",
                            {"title": title, "body": body, "labels": labels})
        return int(made["number"])

    def close_issue(self, number: int) -> None:
        self.request("PATCH", f"/repos/{self.repo}/issues/{number}", {"state": "closed"})

    # -- pull requests and runs ----------------------------------------------------

    def pulls_for_commit(self, sha: str) -> list[dict[str, Any]]:
        """The pull requests a commit belongs to (the merged PR behind a main commit)."""
        return [p for p in self.paged(f"/repos/{self.repo}/commits/{sha}/pulls")
                if isinstance(p, dict)]

    def runs_for_head(self, head_sha: str, workflow_event: str = "pull_request"
                      ) -> list[dict[str, Any]]:
        return [r for r in self.paged(f"/repos/{self.repo}/actions/runs",
                                      {"head_sha": head_sha, "event": workflow_event},
                                      key="workflow_runs") if isinstance(r, dict)]
