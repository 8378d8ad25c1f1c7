"""Strict YAML: bytes → plain Python data, refusing everything YAML can hide.

Fast path (every file): size check before reading, one byte-regex pre-scan (tabs,
control characters, a stray BOM), strict UTF-8 decode, libyaml composes the node tree
(``CSafeLoader``'s parser: C speed, nesting capped at 1000 by libyaml itself), then one
small recursive walk turns nodes into dicts/lists/scalars while refusing duplicate keys,
non-text keys, merge keys, explicit tags and nesting deeper than ``MAX_DEPTH``. Files
containing ``&`` or ``*`` get an extra event scan that refuses anchors and aliases
before anything is expanded, so a billion-laughs file costs one linear pass.

Scalars resolve as YAML 1.1 says (``no`` → false, ``3.10`` → 3.1, ``0123`` → 83,
``2024-01-02`` → a date), so the schema refuses them in text fields with a quoting hint
instead of silently keeping the converted value. The one exception: an unquoted date
under a date key (``DATE_KEYS``: ``expires``, ``start``, ``end``) stays its text, which
the schema checks for shape and the rules parse.

Line numbers of top-level keys and of their direct children (team members, roles)
are collected on the way; anything deeper is located on demand by ``locate``, which
re-reads only the one file that has a finding.

The parts live in ``byte_scan`` (the pre-scan), ``yaml_nodes`` (loaders, event scan,
node → data) and ``locate`` (the slow path); every name stays importable from here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from reconciler.policy import fastyaml
from reconciler.policy import messages as M
from reconciler.policy.byte_scan import _BAD_BYTES as _BAD_BYTES
from reconciler.policy.byte_scan import _BOM, scan_bytes
from reconciler.policy.controls import control_findings, may_hold_controls
from reconciler.policy.document import Document, Pos
from reconciler.policy.locate import Location, locate
from reconciler.policy.yaml11 import T
from reconciler.policy.yaml_nodes import (
    _at,
    _Converter,
    _finding,
    _lazy_tag,
    _Reject,
    _scan_events,
    _syntax_finding,
    compose,
)

__all__ = [
    "MAX_FILE_BYTES", "Document", "Location", "compose", "locate", "parse_document",
    "read_document", "scan_bytes",
]

MAX_FILE_BYTES = 5 * 1024 * 1024


def parse_document(raw: bytes, doc: str, fs_path: str = "", what: str = "policy") -> Document:
    """Strictly parse one file's bytes (already size-checked); then refuse control
    characters that escapes put into text (either path: the check is on the data)."""
    return _with_controls(_parse(raw, doc, fs_path, what, b"!" not in raw), raw)


def _parse(raw: bytes, doc: str, fs_path: str, what: str, lazy: bool) -> Document:
    bad = scan_bytes(raw, doc)
    if bad:
        return Document(doc, fs_path, None, findings=tuple(bad))
    if lazy and fastyaml.ENABLED:
        fast = fastyaml.fast_document(raw, doc, fs_path)
        if fast is not None:
            return fast
    if raw.startswith(_BOM):
        raw = raw[len(_BOM):]
    try:
        if b"&" in raw or b"*" in raw or b"!" in raw:
            _scan_events(raw, doc)
        root = compose(raw, lazy)
    except _Reject as rej:
        return Document(doc, fs_path, None, findings=(rej.finding,))
    except yaml.YAMLError as exc:
        return Document(doc, fs_path, None, findings=(_syntax_finding(doc, exc),))
    except RecursionError:  # pure-Python fallback parser only; libyaml caps nesting itself
        deep = _finding(doc, M.TOO_DEEP, 1, 1, limit=1000)
        return Document(doc, fs_path, None, findings=(deep,))
    if root is None or (isinstance(root, ScalarNode)
                        and (_lazy_tag(root) if lazy else root.tag) == T + "null"):
        return Document(doc, fs_path, None, findings=(_finding(doc, M.EMPTY, 1, 1, what=what),))
    if not isinstance(root, MappingNode):
        kind = "list" if isinstance(root, SequenceNode) else "single value"
        top = _finding(doc, M.NOT_MAPPING, *_at(root), kind=kind)
        return Document(doc, fs_path, None, findings=(top,))
    conv = _Converter(doc, lazy)
    try:
        data = conv.convert(root)
    except _Reject as rej:
        return Document(doc, fs_path, None, findings=(*conv.findings, rej.finding))
    positions, children = _positions(root)
    return Document(doc, fs_path, data, positions, children, tuple(conv.findings))


def _with_controls(document: Document, raw: bytes) -> Document:
    """The document with an error for each text value holding a control character
    that a YAML escape or block scalar put there (``controls``)."""
    if document.data is None or not may_hold_controls(raw):
        return document
    found = control_findings(document.data, document.path)
    if not found:
        return document
    return Document(document.path, document.fs_path, document.data, document.positions,
                    document.children, (*document.findings, *found))


def _positions(root: MappingNode) -> tuple[dict[str, Pos], dict[str, Any]]:
    positions: dict[str, Pos] = {}
    children: dict[str, Any] = {}
    for key_node, value_node in root.value:
        key = key_node.value
        positions[key] = _at(key_node)
        if value_node.__class__ is SequenceNode:
            children[key] = [_at(item) for item in value_node.value]
        elif value_node.__class__ is MappingNode:
            children[key] = {k.value: _at(k) for k, _ in value_node.value}
    return positions, children


def read_document(path: str | Path, doc: str, *, max_bytes: int = MAX_FILE_BYTES,
                  what: str = "policy") -> Document:
    """Size check (before reading), then ``parse_document``."""
    try:
        size, raw = _read_capped(path, max_bytes)
    except OSError as exc:
        return Document(doc, str(path), None, findings=(
            _finding(doc, M.FILE_UNREADABLE, 1, 1, reason=exc.strerror or str(exc)),))
    if raw is None:
        return Document(doc, str(path), None, findings=(
            _finding(doc, M.FILE_TOO_LARGE, 1, 1, size=size, limit=max_bytes),))
    return parse_document(raw, doc, str(path), what)


def _read_capped(path: str | Path, max_bytes: int) -> tuple[int, bytes | None]:
    """(size, bytes), or (size, ``None``) for a file over ``max_bytes``, checked before
    reading anything (and again while reading, should it grow). Raw ``os`` calls: a
    policy can be thousands of small files, and a buffered file object doubles the
    time the reads take."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            return size, None
        raw = os.read(fd, size + 1)
        if len(raw) == size:  # all of it (one byte more means it grew meanwhile)
            return size, raw
        chunks = [raw]
        total = len(raw)
        while total <= max_bytes and (block := os.read(fd, 1 << 16)):
            chunks.append(block)
            total += len(block)
        return total, (b"".join(chunks) if total <= max_bytes else None)
    finally:
        os.close(fd)
