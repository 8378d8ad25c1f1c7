"""Helpers for policy tests: a writable copy of the Acme example with files swapped in."""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path

from reconciler.policy import Finding, validate_policy

EXAMPLE = Path(__file__).resolve().parents[2] / "policies"
TODAY = dt.date(2026, 11, 25)


def acme_copy(tmp_path: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """The example policy copied to ``tmp_path/policies`` with ``files`` written over it
    (text is dedented; bytes are written as they are)."""
    root = tmp_path / "policies"
    shutil.copytree(EXAMPLE, root)
    for rel, content in (files or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def team_yaml(name: str, members: list[str], seats: int = 6, extra: str = "") -> str:
    """A team file; each member is ``email|role[|expires]`` (the email as YAML source)."""
    lines = [f"name: {name}", "cost_center: X-1", f"allocated_seats: {seats}",
             "members:" if members else "members: []"]
    for m in members:
        parts = m.split("|")
        lines += [f"  - email: {parts[0]}", f"    role: {parts[1]}"]
        if len(parts) > 2:
            lines.append(f"    expires: {parts[2]}")
    return "\n".join(lines) + "\n" + extra


def check(root: Path, **kw: object) -> list[Finding]:
    return validate_policy(root, today=TODAY, **kw).findings  # type: ignore[arg-type]


def only(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]
