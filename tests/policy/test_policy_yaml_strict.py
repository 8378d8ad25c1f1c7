"""Strict YAML (RELIABILITY.md B1, B4–B13): each bad input names file:line:col, exit 1."""

from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
from conftest import run_cli
from policy_testkit import EXAMPLE, acme_copy, check, only

from reconciler.policy.loader import parse_document, read_document

BILLION_LAUGHS = b"""name: lol
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""

CASES = [
    # id, bytes of teams/bad.yaml, expected code, "line:col", text in message
    ("duplicate-key", b"name: bad\ncost_center: X\nname: bad2\n", "yaml.duplicate-key", "3:1",
     "first at line 1, again at line 3"),
    ("empty", b"", "yaml.empty", "1:1", "policy file is empty"),
    ("comments-only", b"# nothing here\n# at all\n", "yaml.empty", "1:1", "empty"),
    ("tilde", b"~\n", "yaml.empty", "1:1", "empty"),
    ("top-level-list", b"- name: bad\n", "yaml.top-level", "1:1", "not a list"),
    ("top-level-scalar", b"just text\n", "yaml.top-level", "1:1", "not a single value"),
    ("multi-document", b"name: a\n---\nname: b\n", "yaml.multi-document", "2:1", "several"),
    ("key-collision", b'name: bad\n1: x\n"1": y\n', "yaml.key-type", "2:1", "read as a number"),
    ("alias", b"name: &n bad\ncost_center: *n\n", "yaml.alias", "1:7", "anchor &n"),
    ("merge-key", b"name: bad\n<<: {cost_center: X}\n", "yaml.merge-key", "2:1", "<<"),
    ("python-tag", b"name: !!python/object/apply:os.system [echo]\n", "yaml.tag", "1:7",
     "!!python/object/apply:os.system"),
    ("tab-indent", b"name: bad\nmembers:\n\t- email: a@acme.example\n", "yaml.tab", "3:1", "tab"),
    ("invalid-utf8", b"name: bad\ncost_center: \xff\xfe\n", "yaml.encoding", "2:14", "0xff"),
    ("nul", b"name: bad\x00\n", "yaml.control-char", "1:10", "U+0000"),
    ("control-char", b"name: bad\x1b[31m\n", "yaml.control-char", "1:10", "U+001B"),
    ("bom-inside", b"name: bad\n\xef\xbb\xbfcost_center: X\n", "yaml.bom", "2:1", "U+FEFF"),
    ("deep-nesting", b"name: " + b"[" * 5000 + b"]" * 5000 + b"\n", "yaml.depth", "1:",
     "nesting deeper"),
    ("block-nesting", b"name:\n" + b"".join(b" " * i + b"- \n" for i in range(1, 400)),
     "yaml.depth", "", "nesting deeper than 64"),
    ("syntax", b"name: [bad\n", "yaml.syntax", "2:1", "YAML syntax error"),
]


@pytest.mark.parametrize("raw, code, where, text", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_bad_yaml_is_one_clear_error_with_position(tmp_path: Path, raw: bytes, code: str,
                                                   where: str, text: str) -> None:
    root = acme_copy(tmp_path, {"teams/bad.yaml": raw})
    res = run_cli("validate", str(root), "--at", "2026-11-25")
    assert res.exit_code == 1
    lines = [ln for ln in res.stdout.splitlines() if "teams/bad.yaml" in ln and text in ln]
    assert lines, res.stdout
    assert f"teams/bad.yaml:{where}" in lines[0]
    assert "Traceback" not in res.stdout + res.stderr
    assert only(check(root), code)


NORWAY = [
    ("role-no", "role: no", "a boolean (`no` unquoted)", '"no"'),
    ("on", "role: on", "a boolean (`on` unquoted)", '"on"'),
    ("version-number", "role: 3.10", "a number (`3.10` unquoted)", '"3.10"'),
    ("octal", "role: 0123", "a number (`0123` unquoted)", '"0123"'),
    ("sexagesimal", "role: 1:20", "a number (`1:20` unquoted)", '"1:20"'),
    ("date", "role: 2024-01-02", "a date (`2024-01-02` unquoted)", '"2024-01-02"'),
]


@pytest.mark.parametrize("line, got, quoted", [c[1:] for c in NORWAY], ids=[c[0] for c in NORWAY])
def test_yaml11_surprise_in_text_field_asks_to_quote(tmp_path: Path, line: str, got: str,
                                                     quoted: str) -> None:
    team = f"name: bad\ncost_center: X\nmembers:\n  - email: zed@acme.example\n    {line}\n"
    root = acme_copy(tmp_path, {"teams/bad.yaml": team})
    res = run_cli("validate", str(root))
    assert res.exit_code == 1
    assert (f"teams/bad.yaml:5:11: error: members[0].role: expected a string, got {got}"
            in res.stdout)
    assert f"quote the value: {quoted}" in res.stdout


def test_duplicate_keys_all_reported_not_first_only(tmp_path: Path) -> None:
    doc = parse_document(b"a: 1\nb: 2\na: 3\nb: 4\n", "f.yaml")
    assert [str(f).split(": error")[0] for f in doc.findings] == ["f.yaml:3:1", "f.yaml:4:1"]


def test_bom_at_start_is_accepted_every_time(tmp_path: Path) -> None:
    raw = b"\xef\xbb\xbf" + (EXAMPLE / "teams/frontend.yaml").read_bytes()
    root = acme_copy(tmp_path, {"teams/frontend.yaml": raw})
    for _ in range(2):
        assert run_cli("validate", str(root)).exit_code == 0


def test_billion_laughs_refused_fast_with_bounded_memory() -> None:
    tracemalloc.start()
    t0 = time.perf_counter()
    doc = parse_document(BILLION_LAUGHS, "lol.yaml")
    elapsed = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert doc.data is None
    assert doc.findings[0].code == "yaml.alias"
    assert elapsed < 0.1
    assert peak < 5 * 1024 * 1024


def test_no_unsafe_yaml_loading_anywhere_in_reconciler() -> None:
    pkg = Path(__file__).resolve().parents[2] / "reconciler"
    needles = ("yaml.load(", "FullLoader", "UnsafeLoader", "yaml.unsafe_load")
    offenders = [f"{p}: {n}" for p in pkg.rglob("*.py") for n in needles
                 if n in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_read_document_limits_and_unreadable_paths(tmp_path: Path) -> None:
    at_limit = tmp_path / "at.yaml"
    at_limit.write_bytes(b"name: a\nnote: '" + b"x" * 100 + b"'\n")
    size = at_limit.stat().st_size
    doc = read_document(at_limit, "at.yaml", max_bytes=size)
    assert doc.findings == () and doc.data is not None and len(doc.data["note"]) == 100
    over = read_document(at_limit, "at.yaml", max_bytes=size - 1)
    assert over.data is None and [f.code for f in over.findings] == ["file.too-large"]
    assert f"file is {size:,} bytes" in over.findings[0].message
    for path in (tmp_path, tmp_path / "missing.yaml"):  # a directory, a missing file
        doc = read_document(path, "x.yaml")
        assert doc.data is None and [f.code for f in doc.findings] == ["file.unreadable"]
