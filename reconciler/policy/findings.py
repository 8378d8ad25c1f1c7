"""Findings: one problem (or warning) in a policy file, with where it is and what to do.

Every layer of validation (strict YAML, JSON Schema, semantic rules) reports through
this one type so ``seatctl validate`` can print everything at once, sorted by file and
line, as text or JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding. ``line``/``col`` are 1-based; ``pointer`` is the JSON pointer of the
    value inside the file (``/members/3/email``) when known, for tools and editors."""

    file: str
    line: int
    col: int
    severity: Severity
    code: str
    message: str
    hint: str = ""
    pointer: str = ""

    def __str__(self) -> str:
        text = f"{self.file}:{self.line}:{self.col}: {self.severity}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """File, then line, then column; errors before warnings at the same place."""
    return sorted(
        findings,
        key=lambda f: (f.file, f.line, f.col, f.severity != "error", f.code, f.message),
    )
