"""Byte-level refusals before any YAML parser runs: tabs, control characters, a stray
BOM, text that is not UTF-8."""

from __future__ import annotations

import re

from reconciler.policy import messages as M
from reconciler.policy.document import Pos
from reconciler.policy.findings import Finding
from reconciler.policy.yaml_nodes import _finding

# Tab, C0 controls except LF/CR, DEL, C1 controls (UTF-8 encoded), a BOM after byte 0.
_BAD_BYTES = re.compile(rb"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xef\xbb\xbf")
_BOM = b"\xef\xbb\xbf"
_MAX_BYTE_FINDINGS = 20
#: The ASCII bytes ``_BAD_BYTES`` refuses (for the all-ASCII fast check).
_BAD_ASCII = bytes([*range(0x00, 0x0A), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _line_col(raw: bytes, offset: int) -> Pos:
    line_start = raw.rfind(b"\n", 0, offset) + 1
    col = len(raw[line_start:offset].decode("utf-8", "replace")) + 1
    return (raw.count(b"\n", 0, offset) + 1, col)


def scan_bytes(raw: bytes, doc: str) -> list[Finding]:
    """Byte-level refusals that YAML parsers would miss or report confusingly."""
    out: list[Finding] = []
    if raw.isascii() and len(raw.translate(None, _BAD_ASCII)) == len(raw):
        return out  # the common case, one C pass each
    start = 3 if raw.startswith(_BOM) else 0
    if _BAD_BYTES.search(raw, start) is None and raw.isascii():
        return out
    for m in _BAD_BYTES.finditer(raw, start):
        line, col = _line_col(raw, m.start())
        chunk = m.group()
        if chunk == b"\t":
            out.append(_finding(doc, M.TAB, line, col))
        elif chunk == _BOM:
            out.append(_finding(doc, M.BOM_INSIDE, line, col))
        else:
            char = f"U+{ord(chunk.decode('utf-8')):04X}"
            out.append(_finding(doc, M.CONTROL_CHAR, line, col, char=char))
        if len(out) >= _MAX_BYTE_FINDINGS:
            break
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = _line_col(raw, exc.start)
        out.append(_finding(doc, M.NOT_UTF8, line, col, byte=raw[exc.start]))
    return out
