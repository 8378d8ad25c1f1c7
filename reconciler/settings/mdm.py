"""Managed-settings files for MDM: one ``managed-settings.json`` per role + a manifest.

Why: every organization (Team, Enterprise, Console) can deploy Claude Code managed
settings as a file; only Enterprise can set them per group through the API. The
bundle is pure data (relative path → text) so it can be tested byte for byte and
diffed in a pull request; the CLI writes it to disk.

Layout::

    roles/<role>/managed-settings.json   the role's complete document
    manifest.json                        members → role → file (+ sha256), install paths
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from reconciler.model import Policy, normalize_email
from reconciler.settings.compile import compile_policy_settings, pretty_json
from reconciler.settings.desired import baseline_role

#: Where Claude Code reads the system-wide managed settings file (docs/settings.md).
INSTALL_PATHS: dict[str, str] = {
    "macos": "/Library/Application Support/ClaudeCode/managed-settings.json",
    "linux": "/etc/claude-code/managed-settings.json",
    "windows": "C:\\Program Files\\ClaudeCode\\managed-settings.json",
}

MANIFEST_FORMAT = 1


def role_file(role_key: str) -> str:
    return f"roles/{role_key}/managed-settings.json"


def build_mdm_bundle(policy: Policy) -> dict[str, str]:
    """Relative path → file text for every role with settings, plus ``manifest.json``.

    A member whose role carries no settings gets the baseline role's file, or none.
    """
    docs = compile_policy_settings(policy)
    files = {role_file(key): pretty_json(doc) for key, doc in docs.items()}
    baseline = baseline_role(policy)
    fallback = role_file(baseline.key) if baseline and baseline.key in docs else None
    members: dict[str, dict[str, Any]] = {}
    for email, assignment in sorted(policy.assignments.items()):
        path = role_file(assignment.role) if assignment.role in docs else fallback
        members[normalize_email(email)] = {"role": assignment.role, "team": assignment.team,
                                           "file": path}  # fmt: skip
    manifest = {
        "format": MANIFEST_FORMAT,
        "organization": policy.org_name,
        "policy_commit": policy.commit,
        "install_paths": INSTALL_PATHS,
        "default_file": fallback,
        "roles": {
            key: {
                "file": role_file(key),
                "sha256": hashlib.sha256(files[role_file(key)].encode()).hexdigest(),
                "group": policy.roles[key].group,
                "priority": policy.roles[key].priority,
            }
            for key in sorted(docs)
        },
        "members": members,
    }
    files["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    return dict(sorted(files.items()))
