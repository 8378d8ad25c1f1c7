"""Many organizations in one policy repository: a folder per organization.

Why: a company with several Claude organizations keeps one repository; each
organization must still run alone — its own lock, snapshot, audit chain, last-apply
record and rate budget — so CI runs one job per organization (a matrix). A folder
holding ``org.yaml`` is one organization: either the given root itself (the
single-organization layout every command already takes) or each direct subfolder
that has one (``orgs/eu/org.yaml``, ``orgs/us/org.yaml``). Each gets its own state
folder, ``<state-root>/<folder name>``, so nothing is shared between organizations.
"""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

import yaml

from reconciler.errors import ConfigError

ORG_FILE = "org.yaml"


@dataclass(frozen=True, slots=True)
class OrgFolder:
    """One organization's policy folder, its name in ``org.yaml``, and its own state folder."""

    key: str
    policy_dir: pathlib.Path
    org_name: str
    state_dir: pathlib.Path


def _org_name(path: pathlib.Path) -> str:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot be read ({exc})",
                          hint="fix the file; `seatctl validate` shows the details") from None
    org = doc.get("organization") if isinstance(doc, dict) else None
    name = org.get("name") if isinstance(org, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{path}: `organization.name` is missing",
                          hint="every organization's org.yaml names it under `organization:`")
    return name.strip()


def find_orgs(root: pathlib.Path, state_root: pathlib.Path) -> tuple[OrgFolder, ...]:
    """The organizations under ``root`` (sorted by folder name); refuses duplicates."""
    if not root.is_dir():
        raise ConfigError(f"policy directory {root} does not exist",
                          hint="pass the folder holding org.yaml, or one folder per organization")
    if (root / ORG_FILE).is_file():
        folders = [root]
    else:
        folders = sorted(p for p in root.iterdir() if p.is_dir() and (p / ORG_FILE).is_file())
    if not folders:
        raise ConfigError(f"no organization under {root}: no {ORG_FILE} in it or its subfolders",
                          hint="one folder per organization, each with its org.yaml")
    found: list[OrgFolder] = []
    names: dict[str, pathlib.Path] = {}
    for folder in folders:
        name = _org_name(folder / ORG_FILE)
        if name in names:
            raise ConfigError(
                f"{folder / ORG_FILE}: organization {name!r} is also {names[name] / ORG_FILE}",
                hint="each organization has one folder; give each org.yaml its own name")
        names[name] = folder
        key = folder.name if folder != root else "default"
        state = state_root if folder == root else state_root / folder.name
        found.append(OrgFolder(key, folder, name, state))
    return tuple(found)
