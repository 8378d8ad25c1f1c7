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
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.policy import fastyaml
from reconciler.policy import messages as M
from reconciler.policy.controls import control_findings, may_hold_controls
from reconciler.policy.document import Document, Pos
from reconciler.policy.findings import Finding
from reconciler.policy.yaml11 import (
    DATE_KEYS,
    FIRST,
    KIND,
    MAP,
    MAX_DEPTH,
    MERGE,
    SCALARS,
    SEQ,
    STR,
    TIMESTAMP,
    BaseLoader,
    T,
    plain_tag,
)

MAX_FILE_BYTES = 5 * 1024 * 1024


class _StrictLoader(BaseLoader):  # type: ignore[misc]
    """The safe loader's parser; construction is ours (``_Converter``).

    ``resolve`` gives the same tags as PyYAML's YAML 1.1 resolver (same regex table)
    without its path-resolver bookkeeping: libyaml calls it for every node, so on a
    100k-member policy the lean version saves a third of the parse time.
    """

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            return plain_tag(value) if implicit[0] else STR
        return SEQ if kind is SequenceNode else MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None


class _LazyLoader(_StrictLoader):
    """For text without any ``!`` (hence without tags): no tag is resolved while
    composing (libyaml calls ``resolve`` for each of the 575k nodes of a 100k-member
    policy; a constant costs a third of the regex table's time);
    ``_Converter.convert_lazy`` resolves only the plain scalars that can be anything but
    text, with the same YAML 1.1 table. ``node.tag`` of what this loader composes is
    meaningless: only ``convert_lazy`` and ``_lazy_tag`` read its nodes. (With a ``!``
    anywhere, e.g. ``! 12``, ``_StrictLoader`` is used.)"""

    def resolve(self, kind: type, value: str, implicit: tuple[bool, bool]) -> str:
        return "?"


# Tab, C0 controls except LF/CR, DEL, C1 controls (UTF-8 encoded), a BOM after byte 0.
_BAD_BYTES = re.compile(rb"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x9f]|\xef\xbb\xbf")
_BOM = b"\xef\xbb\xbf"
_MAX_BYTE_FINDINGS = 20
#: The ASCII bytes ``_BAD_BYTES`` refuses (for the all-ASCII fast check).
_BAD_ASCII = bytes([*range(0x00, 0x0A), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _lazy_tag(node: Any) -> str:
    """The tag ``_StrictLoader`` would have given a node ``_LazyLoader`` composed."""
    cls = node.__class__
    if cls is ScalarNode:
        value = node.value
        # text unless plain and starting with a character YAML 1.1 reads otherwise
        return STR if node.style or value[:1] not in FIRST else plain_tag(value)
    return SEQ if cls is SequenceNode else MAP


def _node_tag(node: Any) -> str:
    """The tag ``_StrictLoader`` resolved while composing."""
    return node.tag  # type: ignore[no-any-return]


class _Reject(Exception):
    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _finding(doc: str, msg: M.Msg, line: int, col: int, pointer: str = "", **kw: Any) -> Finding:
    if isinstance(kw.get("tag"), str) and kw["tag"].startswith(T):
        kw["tag"] = "!!" + kw["tag"][len(T):]
    return Finding.at(
        doc, line, col, "error", msg.code, msg.message.format(**kw), msg.hint.format(**kw), pointer
    )


def _at(node: Node) -> Pos:
    mark = node.start_mark
    return (mark.line + 1, mark.column + 1)


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


def _scan_events(raw: bytes, doc: str) -> None:
    """Event scan (linear, nothing expanded): refuse the first anchor, alias or explicit
    tag. Tags are refused here, where the parser still says a tag was *written*:
    ``!!str x`` composes to the same node as ``x``, and the docs promise no tags."""
    loader = _StrictLoader(raw)
    try:
        while loader.check_event():
            event = loader.get_event()
            mark = event.start_mark
            if isinstance(event, yaml.AliasEvent):
                what = f"alias *{event.anchor}"
            elif getattr(event, "anchor", None):
                what = f"anchor &{event.anchor}"
            elif getattr(event, "tag", None) is not None:
                raise _Reject(_finding(doc, M.TAG, mark.line + 1, mark.column + 1,
                                       tag=event.tag))
            else:
                continue
            raise _Reject(_finding(doc, M.ALIAS, mark.line + 1, mark.column + 1, what=what))
    finally:
        loader.dispose()


class _Converter:
    """Node tree → plain data. Recoverable problems (duplicate or non-text keys) are
    collected and the walk goes on; unsafe constructs raise ``_Reject``.

    One walk for both loaders: ``lazy`` (a tree ``_LazyLoader`` composed, tags left
    unresolved) reads each node's tag through ``_lazy_tag``, which resolves only a
    plain scalar that can be anything but text; otherwise the node's own tag."""

    def __init__(self, doc: str, lazy: bool = False) -> None:
        self.doc = doc
        self.findings: list[Finding] = []
        self.tag_of: Any = _lazy_tag if lazy else _node_tag

    def convert(self, node: Node, depth: int = 0) -> Any:
        tag_of = self.tag_of
        cls = node.__class__
        if cls is ScalarNode:
            tag = tag_of(node)
            if tag == STR:
                return node.value
            build = SCALARS.get(tag)
            if build is None:
                raise _Reject(_finding(self.doc, M.TAG, *_at(node), tag=tag))
            return build(node)
        if depth >= MAX_DEPTH:
            raise _Reject(_finding(self.doc, M.TOO_DEEP, *_at(node), limit=MAX_DEPTH))
        if cls is MappingNode:
            if tag_of(node) != MAP:
                raise _Reject(_finding(self.doc, M.TAG, *_at(node), tag=node.tag))
            out: dict[str, Any] = {}
            first: dict[str, Node] | None = None
            for key_node, value_node in node.value:
                key_tag = tag_of(key_node)
                if key_tag != STR or key_node.__class__ is not ScalarNode:
                    self._bad_key(key_node, key_tag)
                    continue
                key = key_node.value
                if key in out:
                    first = self._duplicate_key(node, key_node, first)
                    continue
                if value_node.__class__ is ScalarNode:  # hot: one per member field
                    tag = tag_of(value_node)
                    if tag == STR or (tag == TIMESTAMP and key in DATE_KEYS):
                        out[key] = value_node.value
                        continue
                out[key] = self.convert(value_node, depth + 1)
            return out
        if tag_of(node) != SEQ:
            raise _Reject(_finding(self.doc, M.TAG, *_at(node), tag=node.tag))
        return [self.convert(item, depth + 1) for item in node.value]

    def _duplicate_key(self, node: Any, key_node: Any,
                       first: dict[str, Node] | None) -> dict[str, Node]:
        """Report a repeated key with both lines; returns the key → first-node map, built
        once per mapping and only when a duplicate turns up."""
        if first is None:
            first = {k.value: k for k, _ in node.value[::-1]}
        self.findings.append(_finding(
            self.doc, M.DUPLICATE_KEY, *_at(key_node), key=key_node.value,
            first=_at(first[key_node.value])[0], again=_at(key_node)[0]))
        return first

    def _bad_key(self, key_node: Node, tag: str | None = None) -> None:
        tag = key_node.tag if tag is None else tag
        if tag == MERGE:
            raise _Reject(_finding(self.doc, M.MERGE_KEY, *_at(key_node)))
        if not isinstance(key_node, ScalarNode) or tag not in KIND:
            raise _Reject(_finding(self.doc, M.TAG, *_at(key_node), tag=tag))
        self.findings.append(_finding(
            self.doc, M.NON_STRING_KEY, *_at(key_node), text=key_node.value,
            kind=KIND[tag]))


def compose(raw: bytes, lazy: bool = False) -> Node | None:
    """libyaml's node tree of one document (raises ``yaml.YAMLError``); ``lazy``: tags
    left unresolved (``_LazyLoader``; only for text without ``!``)."""
    loader = (_LazyLoader if lazy else _StrictLoader)(raw)
    try:
        return loader.get_single_node()  # type: ignore[no-any-return]
    finally:
        loader.dispose()


def _syntax_finding(doc: str, exc: yaml.YAMLError) -> Finding:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem = str(getattr(exc, "problem", None) or exc).strip()
    if "expected a single document" in str(exc):
        return _finding(doc, M.MULTI_DOC, line, col)
    if "maximum nesting depth" in problem:
        return _finding(doc, M.TOO_DEEP, line, col, limit=1000)
    hint = "check indentation and quoting near this position"
    if "'\\t'" in problem or "\\t" in problem:
        return _finding(doc, M.TAB, line, col)
    return _finding(doc, M.YAML_SYNTAX, line, col, problem=problem, hint=hint)


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


@dataclass(frozen=True, slots=True)
class Location:
    """Where a JSON pointer lands in a file, and the scalar text written there."""

    line: int
    col: int
    text: str | None = None
    plain: bool = False


def locate(raw: bytes, pointer: str, *, key: bool = False) -> Location | None:
    """Slow path: re-compose one file and walk ``pointer`` (``/members/3/email``).

    ``key=True`` lands on the last key itself rather than its value (for unknown
    keys). Returns the deepest node reached when the path does not exist.
    """
    try:
        node: Node | None = compose(raw[len(_BOM):] if raw.startswith(_BOM) else raw)
    except (yaml.YAMLError, RecursionError):
        return None
    if node is None:
        return None
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    here: Node = node
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(here, MappingNode):
            match = next(((k, v) for k, v in here.value if k.value == part), None)
            if match is None:
                break
            here = match[0] if (last and key) else match[1]
        elif isinstance(here, SequenceNode) and part.isdigit() and int(part) < len(here.value):
            here = here.value[int(part)]
        else:
            break
    line, col = _at(here)
    if isinstance(here, ScalarNode):
        return Location(line, col, here.value, not here.style)  # libyaml: "" is plain
    return Location(line, col)
