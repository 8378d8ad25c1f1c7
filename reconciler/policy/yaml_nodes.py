"""libyaml node trees for the strict loader: the loaders, refusing what YAML can hide.

``compose`` builds the node tree (``_StrictLoader``, or ``_LazyLoader`` for text
without ``!``); ``_scan_events`` refuses anchors, aliases and tags before anything is
expanded; ``_Converter`` turns nodes into plain data. ``loader`` puts them together.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.policy import messages as M
from reconciler.policy.document import Pos
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
