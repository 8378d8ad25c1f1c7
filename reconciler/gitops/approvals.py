"""Overrides approved through review: a label counts only when a named approver added it.

Why: ``--approve-overflow`` and ``--allow-large-removal`` are exactly the switches a
careless or hostile pull request would flip, so in CI they come from a PR label, and
the label counts only when the GitHub API's label history says it was added (and not
removed since) by someone the policy names as an approver: ``approvers:`` in
``org.yaml``, else the individual owners of ``/policies/`` in CODEOWNERS. Teams in
CODEOWNERS cannot be checked with the workflow's token (it has no org scope), so
they are reported as ignored rather than trusted.
"""

from __future__ import annotations

import fnmatch
import pathlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

#: label → the flag it stands for on `seatctl plan` / `seatctl apply`.
LABELS: Mapping[str, str] = {
    "seatctl:approve-overflow": "--approve-overflow",
    "seatctl:allow-large-removal": "--allow-large-removal",
}
CODEOWNERS_PLACES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


@dataclass(frozen=True, slots=True)
class Approval:
    """One override label that counts: the flag it maps to and who added it."""

    label: str
    flag: str
    login: str


@dataclass(frozen=True, slots=True)
class Approvals:
    """What counts and what was ignored (with why), for the comment and the audit log."""

    granted: tuple[Approval, ...]
    ignored: tuple[str, ...]

    @property
    def approver(self) -> str:
        """One login for ``--approver`` (several approvers are joined with commas)."""
        return ",".join(sorted({a.login for a in self.granted}))

    def flags(self) -> list[str]:
        out = [a.flag for a in self.granted]
        return [*out, "--approver", self.approver] if out else []

    def has(self, flag: str) -> bool:
        return any(a.flag == flag for a in self.granted)


def _login(text: str) -> str:
    return text.strip().lstrip("@").lower()


def approvers_from_org(policy_dir: pathlib.Path) -> list[str]:
    """``approvers:`` in org.yaml (GitHub logins, with or without ``@``)."""
    try:
        doc = yaml.safe_load((policy_dir / "org.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    raw = doc.get("approvers") if isinstance(doc, dict) else None
    return [_login(str(x)) for x in raw] if isinstance(raw, list) else []


def approvers_from_codeowners(repo_root: pathlib.Path, path: str = "policies/org.yaml"
                              ) -> tuple[list[str], list[str]]:
    """(users, teams) owning ``path`` by the last matching CODEOWNERS line."""
    for place in CODEOWNERS_PLACES:
        file = repo_root / place
        if file.is_file():
            owners: list[str] = []
            for line in file.read_text(encoding="utf-8").splitlines():
                parts = line.split("#", 1)[0].split()
                if len(parts) >= 2 and _matches(parts[0], path):
                    owners = parts[1:]  # later lines win
            users = [_login(o) for o in owners if o.startswith("@") and "/" not in o]
            teams = [o for o in owners if o.startswith("@") and "/" in o]
            return users, teams
    return [], []


def _matches(pattern: str, path: str) -> bool:
    """The subset of CODEOWNERS patterns a scaffold uses: ``*``, dirs, globs."""
    if pattern == "*":
        return True
    anchored = pattern.startswith("/")
    pat = pattern.strip("/")
    if pattern.endswith("/"):
        return path.startswith(pat + "/") if anchored else f"/{pat}/" in f"/{path}"
    return fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, pat + "/*") or \
        (not anchored and fnmatch.fnmatch(path.rsplit("/", 1)[-1], pat))


def named_approvers(repo_root: pathlib.Path, policy_dir: pathlib.Path
                    ) -> tuple[list[str], list[str]]:
    """(approver logins, notes): org.yaml's list wins; CODEOWNERS users otherwise."""
    listed = approvers_from_org(policy_dir)
    if listed:
        return listed, []
    users, teams = approvers_from_codeowners(repo_root)
    notes = [f"CODEOWNERS team {t} is not checked (the workflow token cannot read team "
             "membership); list its members under `approvers:` in org.yaml" for t in teams]
    return users, notes


def decide(events: Iterable[Mapping[str, Any]], labels_now: Sequence[str],
           approvers: Sequence[str]) -> Approvals:
    """Which override labels count, from the label history (oldest first).

    A label counts when it is on the PR now and its latest ``labeled`` event was by a
    named approver; a later re-add by someone else replaces the approver's.
    """
    allowed = {_login(a) for a in approvers}
    latest: dict[str, str] = {}
    for ev in events:
        label = str((ev.get("label") or {}).get("name", ""))
        if label not in LABELS:
            continue
        actor = _login(str((ev.get("actor") or {}).get("login", "")))
        if ev.get("event") == "labeled":
            latest[label] = actor
        elif ev.get("event") == "unlabeled":
            latest.pop(label, None)
    granted, ignored = [], []
    for label in sorted(set(labels_now) & set(LABELS)):
        who = latest.get(label, "")
        if who and who in allowed:
            granted.append(Approval(label, LABELS[label], who))
        else:
            shown = f"@{who}" if who else "an unknown actor"
            ignored.append(f"label {label} was added by {shown}, who is not a named approver "
                           "(org.yaml `approvers:` or CODEOWNERS of policies/)")
    return Approvals(tuple(granted), tuple(ignored))
