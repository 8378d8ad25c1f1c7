"""Control characters that YAML escapes put into text, refused with the value's place.

The byte scan (``loader.scan_bytes``) refuses raw control bytes, but a double-quoted
scalar can still write them as escapes (``"\\e]8;;…\\a"``, ``"\\x1b"``, ``"\\u202e"``), and
a block scalar (``|``) puts a newline into a name. Names, emails and cost centers are
printed in terminals, chat and files, so a control character there could forge a line
or a hyperlink: it is an error, never repaired. Newlines stay allowed only in the
free-text fields people write paragraphs in (``description``, ``note``).
"""

from __future__ import annotations

from typing import Any

from reconciler.escape import first_control
from reconciler.policy import messages as M
from reconciler.policy.findings import Finding
from reconciler.policy.schema import where

#: Free text where a paragraph break is fine.
PARAGRAPH_KEYS = frozenset({"description", "note"})
#: Bytes without which no such character can reach a value: an escape, a block scalar,
#: or a literal U+2028/U+2029/bidi control (UTF-8 E2 80 xx / E2 81 xx).
_TRIGGERS = (b"\\", b"|", b">", b"\xe2\x80", b"\xe2\x81")


def may_hold_controls(raw: bytes) -> bool:
    """Cheap pre-check: only files containing a trigger byte need the walk."""
    return any(t in raw for t in _TRIGGERS)


def control_findings(data: Any, doc: str) -> list[Finding]:
    """One error per text value (or key) holding a control character, with its pointer
    (the line is found later, like schema findings')."""
    out: list[Finding] = []
    _walk(data, [], doc, out, paragraph=False)
    return out


def _walk(value: Any, path: list[Any], doc: str, out: list[Finding], *,
          paragraph: bool) -> None:
    if isinstance(value, str):
        char = first_control(value, newline_ok=paragraph)
        if char is not None:
            out.append(_finding(doc, path, char))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (char := first_control(key)) is not None:
                out.append(_finding(doc, [*path, key], char))
                continue
            _walk(item, [*path, key], doc, out, paragraph=key in PARAGRAPH_KEYS)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, [*path, i], doc, out, paragraph=paragraph)


def _finding(doc: str, path: list[Any], char: str) -> Finding:
    f = M.CONTROL_ESCAPE
    pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
    fields = {"where": where(path), "char": f"U+{ord(char):04X}"}
    return Finding.at(doc, 0, 0, "error", f.code, f.message.format(**fields),
                   f.hint.format(**fields), pointer)
