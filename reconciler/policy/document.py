"""One parsed policy file and where its keys are: what every later layer reads.

Both YAML paths (``loader``'s strict libyaml walk and ``fastyaml``'s verified Rust
parse) produce this, and must produce the same one for the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.policy import messages as M
from reconciler.policy.findings import Finding

Pos = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Document:
    """One parsed policy file. ``data`` is ``None`` when the file could not be read at
    all; ``positions`` maps top-level keys, ``children`` the items of top-level
    collections (a list of positions for a sequence, a dict for a mapping)."""

    path: str
    fs_path: str
    data: dict[str, Any] | None
    positions: Mapping[str, Pos] = field(default_factory=dict)
    children: Mapping[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    def position(self, *parts: str | int) -> Pos:
        """Best known (line, col) of a top-level key or one of its direct children."""
        if not parts:
            return (1, 1)
        top = str(parts[0])
        if len(parts) > 1:
            kids = self.children.get(top)
            try:
                return kids[parts[1]]  # type: ignore[no-any-return, index]
            except (KeyError, IndexError, TypeError):
                pass
        return self.positions.get(top, (1, 1))


def at(doc: Document, pointer: str, msg: M.Msg, severity: str = "error", **fields: Any) -> Finding:
    """A finding located later (line 0) by re-reading ``doc`` at ``pointer``."""
    return Finding.at(doc.path, 0, 0, severity, msg.code,  # type: ignore[arg-type]
                   msg.message.format(**fields), msg.hint.format(**fields), pointer)
