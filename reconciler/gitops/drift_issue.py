"""The drift issue: one open issue while the live org drifts, closed when it no longer does.

Why: an issue opened on drift and never closed teaches people to ignore it. The
scheduled job calls ``sync_drift_issue`` with ``seatctl drift``'s exit code: 2 opens
the issue (or updates the open one, found by label and hidden marker), 0 closes the
open one with a comment saying drift is gone, anything else touches nothing (a
failed read is not evidence either way).

Several organizations (``seatctl orgs list``) each get their own issue: the marker
and title name the organization's folder key, so one organization's clean check
never closes another's drift issue. The single-organization layout (key ``default``)
keeps the original marker and title.
"""

from __future__ import annotations

from reconciler.gitops.github_api import GitHubApi

LABEL = "seatctl-drift"
MARKER = "<!-- seatctl-drift -->"
TITLE = "seatctl: live org drifted from policy"
LIMIT = 60_000


def marker_and_title(org_key: str = "default") -> tuple[str, str]:
    """The hidden marker and the title of one organization's drift issue."""
    if org_key == "default":
        return MARKER, TITLE
    from reconciler.gitops.proposals import checked_key

    key = checked_key(org_key)
    return f"<!-- seatctl-drift {key} -->", f"{TITLE} ({key})"


def sync_drift_issue(api: GitHubApi, report: str, exit_code: int,
                     org_key: str = "default") -> str:
    """Open, update or close the drift issue; returns one line saying which."""
    marker, title = marker_and_title(org_key)
    mine = [i for i in api.open_issues(LABEL) if marker in str(i.get("body") or "")]
    if exit_code == 2:
        body = f"{marker}\n{report[:LIMIT]}"
        if mine:
            api.request("PATCH", f"/repos/{api.repo}/issues/{mine[0]['number']}",
                        {"body": body})
            return f"drift: updated issue #{mine[0]['number']}"
        return f"drift: opened issue #{api.create_issue(title, body, [LABEL])}"
    if exit_code == 0:
        for issue in mine:
            api.comment(int(issue["number"]), "✅ Drift is gone: the live organization matches "
                        "the policy again (scheduled drift check). Closing.")
            api.close_issue(int(issue["number"]))
        return f"drift: none; closed {len(mine)} issue(s)" if mine else "drift: none"
    return f"drift: the check failed (exit {exit_code}); the issue is left as it is"
