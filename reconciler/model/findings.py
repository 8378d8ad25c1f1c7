"""``Finding``: one problem, warning or note that seatctl reports, wherever it was found.

Why one type: policy validation (a file, line and column) and the plan's guards (a
member, group or team) both report "severity, stable code, message, what to do";
renderers, CI and tests read the same fields. A finding about a file carries its
location (``Finding.at``); a guard's carries the ``target`` it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: ``code`` is stable (for CI and tests), ``message`` and ``hint`` are
    for people, ``target`` names the member, group or team it is about; ``file``,
    ``line``/``col`` (1-based) and ``pointer`` (the JSON pointer of the value inside the
    file, ``/members/3/email``) say where in the policy it was found, when it was."""

    severity: Severity
    code: str
    message: str
    hint: str = ""
    target: str = ""
    file: str = ""
    line: int = 0
    col: int = 0
    pointer: str = ""

    @classmethod
    def at(cls, file: str, line: int, col: int, severity: Severity, code: str, message: str,
           hint: str = "", pointer: str = "") -> Finding:
        """A finding at a place in a policy file."""
        return cls(severity, code, message, hint, file=file, line=line, col=col,
                   pointer=pointer)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}: " if self.file else ""
        text = f"{where}{self.severity}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, object]:
        """The JSON form: a file finding's location fields, or a guard finding's target."""
        if self.file:
            return {"file": self.file, "line": self.line, "col": self.col,
                    "severity": self.severity, "code": self.code, "message": self.message,
                    "hint": self.hint, "pointer": self.pointer}
        return {"severity": self.severity, "code": self.code, "message": self.message,
                "hint": self.hint, "target": self.target}
