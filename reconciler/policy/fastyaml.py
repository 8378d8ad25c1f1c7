"""The Rust fast path for plain policy files: yaml-rs parses, this module proves the
result is what the strict libyaml path (``loader``) would give, or declines.

A 100k-member policy is 5,000 team files of nothing but block mappings, sequences and
plain text. For those, composing libyaml's node tree is most of the load time, while
``yaml_rs`` builds the same dicts and lists about 4x faster. It does not say where
anything is and reads YAML 1.2 rather than 1.1, so its result is used only when all
of this holds, and ``None`` sends the file down the strict path:

- the bytes hold nothing the strict path reports or refuses (tags, anchors, aliases,
  merge keys, directives, carriage returns, a BOM; tabs and control characters were
  refused before) and no block scalar (``|``, ``>``: yaml-rs reads an empty one as a
  newline); ``yaml_rs`` raised nothing (a duplicate key, a syntax error) and read one
  document (a second one gives a list);
- every key and every text value reads as text in YAML 1.1 too (``no``, ``3.10``,
  ``0123``, ``~`` or a date outside ``DATE_KEYS`` decline), and every other scalar is
  a top-level value whose own line, read with the 1.1 table, gives the same value;
- the root is a mapping of scalars and lists, the nesting stays under ``MAX_DEPTH``;
- a line scan finds the top-level keys at column 1 in exactly the parsed order, and
  exactly one ``-`` item line per element of each top-level list, at one indentation
  inside that key's lines — the positions the strict path records (``_positions``).

``tests/policy/test_policy_fastyaml.py`` holds both paths to the same ``Document``.

It is a pure accelerator: with ``ENABLED`` off every file takes the strict path and
the loaded policy is the same (a test loads policies both ways; ``bench_plan`` times
both). It is kept because without it ``seatctl plan`` at 100k members / 5,000 teams
misses its 1.5 s budget on one core (bench/RESULTS.md).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
import yaml_rs

from reconciler.policy.document import Document, Pos
from reconciler.policy.yaml11 import DATE_KEYS, FIRST, MAX_DEPTH, SCALARS, STR, TIMESTAMP, plain_tag

#: What only the strict path handles (or reports), besides what ``_declined`` finds:
#: a directive or document marker at the very start, a BOM.
_DECLINE_START = (b"%", b"---", b"...", b"\xef\xbb\xbf")
#: A top-level key: column 1, plain, ``:`` then a space or the line's end.
_TOP_KEY = re.compile(r"([^\s#\-?:'\"\[\]{},|>@`][^:#]*?) *:(?: |$)")
#: First characters of rows that are not top-level keys (blank, indented, a comment,
#: an item of an unindented list).
_NOT_TOP = frozenset({"", " ", "#", "-"})
#: After an item's ``- ``, these make the position irregular: more spaces, a comment,
#: a block scalar.
_ODD_ITEM_START = frozenset({" ", "#", "|", ">", ""})
_ResolveError = (ValueError, TypeError, OverflowError, yaml.YAMLError)

#: Off: ``loader`` never asks this module, every file is parsed by libyaml.
ENABLED = True


def fast_document(raw: bytes, doc: str, fs_path: str) -> Document | None:
    """The strict path's ``Document`` for ``raw``, or ``None`` when not proven equal."""
    if raw.startswith(_DECLINE_START) or _declined(raw):
        return None
    try:
        text = raw.decode("utf-8")
        data = yaml_rs.loads(text, parse_datetime=False)
    except (ValueError, yaml_rs.YAMLDecodeError):
        return None
    if data.__class__ is not dict or not data:
        return None
    rows = text.split("\n")
    tops = [n for n, r in enumerate(rows) if r[:1] not in _NOT_TOP]
    if len(tops) != len(data):
        return None
    positions: dict[str, Pos] = {}
    children: dict[str, Any] = {}
    for i, (n, key) in enumerate(zip(tops, data, strict=True)):
        m = _TOP_KEY.match(rows[n])
        if m is None or m.group(1) != key or (key[:1] in FIRST and _ambiguous(key, "")):
            return None
        positions[key] = (n + 1, 1)
        value = data[key]
        if value.__class__ is list:
            items = _items(rows, n, tops[i + 1] if i + 1 < len(tops) else len(rows),
                           len(value))
            if items is None or not _clean(value, 1, key):
                return None
            children[key] = items
        elif value.__class__ is str:
            if value[:1] in FIRST and _ambiguous(value, key):
                return None
        elif not _same_scalar(rows[n], value):
            return None
    return Document(doc, fs_path, data, positions, children)


def _declined(raw: bytes) -> bool:
    # single bytes first (memchr); a second document (``---`` or ``...`` further down)
    # makes yaml-rs return a list, and libyaml refuse the file
    return (b"!" in raw or b"&" in raw or b"*" in raw or b"\r" in raw or b"|" in raw
            or b">" in raw or (b"<" in raw and b"<<" in raw)
            or (b"%" in raw and b"\n%" in raw))


def _ambiguous(value: str, key: str) -> bool:
    """Would YAML 1.1 read this text, written plain, as anything but text here?"""
    if value[:1] not in FIRST:
        return False
    tag = plain_tag(value)
    return tag != STR and not (tag == TIMESTAMP and key in DATE_KEYS)


def _clean(value: Any, depth: int, key: str) -> bool:
    """Only text, lists and mappings below a top-level key, none of it ambiguous."""
    cls = value.__class__
    if cls is str:
        return not _ambiguous(value, key)
    if depth >= MAX_DEPTH:
        return False
    if cls is dict:
        return _clean_mapping(value, depth)
    if cls is list:
        for item in value:
            if item.__class__ is dict:  # the common case (members): one call less
                if depth + 1 >= MAX_DEPTH or not _clean_mapping(item, depth + 1):
                    return False
            elif not _clean(item, depth + 1, key):
                return False
        return True
    return False


def _clean_mapping(mapping: dict[Any, Any], depth: int) -> bool:
    """``_clean`` for a mapping at ``depth`` (already under ``MAX_DEPTH``): text keys
    only. The first-character tests spare ``_ambiguous`` most calls (hot: per member)."""
    for k, v in mapping.items():
        if k.__class__ is not str or (k[:1] in FIRST and _ambiguous(k, "")):
            return False
        if v.__class__ is str:
            if v[:1] in FIRST and _ambiguous(v, k):
                return False
        elif not _clean(v, depth + 1, k):
            return False
    return True


def _items(rows: list[str], top: int, end: int, count: int) -> list[Pos] | None:
    """Positions of the ``count`` items of the list under the key on row ``top``: one
    ``- `` line each, at one indentation, before row ``end`` (the next key)."""
    if count == 0:
        return []
    first = next((r for r in rows[top + 1:end] if r.strip() and not r.lstrip().startswith("#")),
                 "")
    body = first.lstrip(" ")
    if not body.startswith("- "):
        return None  # a flow list, or an item whose content starts on the next line
    indent = len(first) - len(body)
    prefix = first[:indent + 2]
    hits = [n for n in range(top + 1, end) if rows[n].startswith(prefix)]
    if len(hits) != count:
        return None
    if any(rows[n][indent + 2:indent + 3] in _ODD_ITEM_START for n in hits):
        return None
    col = indent + 3
    return [(n + 1, col) for n in hits]


def _same_scalar(row: str, value: object) -> bool:
    """Does the key's own row hold a plain scalar YAML 1.1 reads as ``value``?"""
    written = row[row.index(":") + 1:].split(" #", 1)[0].strip()
    if written[:1] in ("'", '"', "[", "{", "|", ">"):
        return False
    tag = plain_tag(written)
    build = SCALARS.get(tag)
    if build is None:
        return False
    try:
        read = build(yaml.ScalarNode(tag, written))
    except _ResolveError:
        return False
    return read.__class__ is value.__class__ and read == value
