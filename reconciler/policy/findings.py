"""Findings: one problem (or warning) in a policy file, with where it is and what to do.

Every layer of validation (strict YAML, JSON Schema, semantic rules) reports through
the one ``Finding`` type (``reconciler.model.findings``, shared with the plan's
guards), located with ``Finding.at(file, line, col, ...)``, so ``seatctl validate``
can print everything at once, sorted by file and line, as text or JSON.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.model.findings import Finding as Finding
from reconciler.model.findings import Severity as Severity


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """File, then line, then column; errors before warnings at the same place."""
    return sorted(
        findings,
        key=lambda f: (f.file, f.line, f.col, f.severity != "error", f.code, f.message),
    )
