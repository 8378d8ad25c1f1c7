"""The loader's fast paths give exactly what the general path gives.

Text without any ``!`` is composed without resolving tags (``_LazyLoader``) and
converted with lazily resolved tags (``_Converter(doc, lazy=True)``); a ``!`` anywhere
takes the general path (``_parse(..., lazy=False)``). Data, findings and positions must
be identical, YAML 1.1 surprises included.
"""

from __future__ import annotations

import datetime as dt

import pytest

from reconciler.policy import loader
from reconciler.policy.loader import parse_document, scan_bytes

SNIPPETS = [
    b"name: a\nrole: no\nseat: off\nenabled: yes\nother: On\n",
    b"v: 3.10\no: 0123\ns: 1:20\nd: 2024-01-02\nh: 0x1F\nb: 0b101\ninf: .inf\nnan: .NaN\n",
    b"expires: 2024-01-02\nstart: 2024-01-02\nend: 2024-01-02 10:00:00\nwhen: 2024-01-02\n",
    b"a: ~\nb: null\nc:\nd: Null\ne: NULL\nf: nul\n",
    b"q: '3.10'\nr: \"no\"\nl: |\n  x\n  y\nf: >\n  folded\n",
    b"1: x\n\"1\": y\ntrue: z\n~: w\n2024-01-02: d\n1.5: f\n",
    b"name: bad\n<<: {cost_center: X}\n",
    b"name: bad\nvalue: =\n",
    b"name: bad\nm: <<\n",
    b"? [a, b]\n: c\n",
    b"? {a: b}\n: c\n",
    b"a: 1\nb: 2\na: 3\nb: 4\n",
    b"a: 1\n1: 2\na: 3\n",
    b"members:\n  - email: a@x.example\n    role: developer\n    expires: 2099-12-31\n"
    b"  - email: B@X.example\n    role: 3.10\n    name: ''\n",
    b"nested: {a: [1, 2, {b: [yes, no, ~, '', \"\"]}], e: []}\nz: {}\n",
    b"name: " + b"[" * 70 + b"]" * 70 + b"\n",
    b"name:\n" + b"".join(b" " * i + b"- \n" for i in range(1, 100)),
    b"~\n",
    b"",
    b"# only a comment\n",
    b"- a\n- b\n",
    b"just text\n",
    b"12\n",
    b"null\n",
    b"'null'\n",
    b"a: [1, 2\n",
    b"a: 1\n---\nb: 2\n",
    b"a: b: c\n",
    b"-1: x\n+2: y\n.5: z\n",
    b"list: [-, +, ., '-']\n",
    b"a: 1_000\nb: 1__0\nc: 190:20:30\nd: -0b1\ne: +0x_1\n",
    b"\xef\xbb\xbfname: bom\n",
    b"name: caf\xc3\xa9\nrole: n\xc3\xa3o\n",
]


def _both(raw: bytes) -> tuple[object, object]:
    lazy = loader._parse(raw, "t.yaml", "", "policy", True)
    general = loader._parse(raw, "t.yaml", "", "policy", False)
    return lazy, general


@pytest.mark.parametrize("raw", SNIPPETS, ids=range(len(SNIPPETS)))
def test_lazy_path_equals_general_path(raw: bytes) -> None:
    lazy, general = _both(raw)
    assert lazy == general


def test_policy_with_a_bang_takes_the_general_path_with_same_result() -> None:
    raw = b"name: a\nrole: no\n"
    assert parse_document(raw + b"# !\n", "t.yaml") == parse_document(raw, "t.yaml")


def test_lazy_path_keeps_yaml11_values() -> None:
    doc = parse_document(SNIPPETS[1], "t.yaml")
    assert doc.data == {"v": 3.1, "o": 83, "s": 80, "d": dt.date(2024, 1, 2), "h": 31,
                        "b": 5, "inf": float("inf"), "nan": doc.data["nan"]} if doc.data else False
    doc = parse_document(SNIPPETS[2], "t.yaml")
    assert doc.data is not None
    assert doc.data["expires"] == "2024-01-02" and doc.data["when"] == dt.date(2024, 1, 2)


@pytest.mark.parametrize(("raw", "tag", "line"), [(b'a: x\nb: ! "12"\n', "!", 2),
                                                  (b"a: x\nb: !!str 12\n", "!!str", 2),
                                                  (b"a: !!map {}\n", "!!map", 1),
                                                  (b"a: !custom [1]\n", "!custom", 1)])
def test_any_tag_is_refused_with_its_line(raw: bytes, tag: str, line: int) -> None:
    """The docs say no tags: ``!!str 12`` composes like ``"12"``, so the tag is caught
    by the event scan, where the parser still says it was written."""
    doc = parse_document(raw, "t.yaml")
    assert doc.data is None
    (f,) = doc.findings
    assert (f.code, f.line) == ("yaml.tag", line) and repr(tag) in f.message and f.hint


@pytest.mark.parametrize("raw", [b"a\tb", b"a\x00", b"a\x7f", b"a\x1b", b"a\r\nb\n", b"ok: 1\n",
                                 b"a\xc2\x85", b"\xef\xbb\xbfa", b"a\xef\xbb\xbf", b"\xff"])
def test_byte_scan_fast_path_agrees(raw: bytes) -> None:
    slow = []
    start = 3 if raw.startswith(loader._BOM) else 0
    for m in loader._BAD_BYTES.finditer(raw, start):
        slow.append(m.start())
    found = scan_bytes(raw, "t.yaml")
    assert bool(found) == (bool(slow) or not _utf8(raw))


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
