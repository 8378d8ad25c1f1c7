"""The yaml-rs fast path gives exactly the strict path's ``Document``, or declines.

``fast_document`` may only ever return what ``loader._parse(..., lazy=False)`` (libyaml,
YAML 1.1, every strict check) returns for the same bytes: same data, same positions,
no findings. Whenever it cannot prove that, it must return ``None``.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.policy import fastyaml, loader
from reconciler.policy.fastyaml import fast_document
from reconciler.policy.loader import parse_document

TEAM = (
    b"# yaml-language-server: $schema=../../schemas/team.schema.json\n"
    b"name: backend\n"
    b"cost_center: BE-001\n"
    b"allocated_seats: 12\n"
    b"monthly_spend_cap: 250.5\n"
    b"members:\n"
    b"  - email: liam.jones@acme.example\n"
    b"    name: Liam Jones\n"
    b"    role: senior_developer\n"
    b"\n"
    b"  # a comment between items\n"
    b"  - email: 'maya.cohen@acme.example'\n"
    b"    role: developer\n"
    b"    expires: 2099-12-31\n"
    b"  - {email: noah.smith@acme.example, role: intern}\n"
    b"description: text that goes on\n"
    b"  - not an item\n"
)


def strict(raw: bytes) -> loader.Document:
    """The strict path alone (libyaml, every check), for ``t.yaml`` at ``/p/t.yaml``."""
    return loader._parse(raw, "t.yaml", "/p/t.yaml", "policy", False)


def test_plain_team_file_takes_the_fast_path_with_the_strict_result() -> None:
    fast = fast_document(TEAM, "t.yaml", "/p/t.yaml")
    assert fast is not None
    assert fast == strict(TEAM)
    assert fast.children["members"] == [(7, 5), (12, 5), (15, 5)]
    assert fast.data is not None and fast.data["allocated_seats"] == 12


def test_parse_document_uses_the_fast_path_for_plain_files(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    calls: list[bytes] = []

    def spy(raw: bytes, doc: str, fs_path: str) -> loader.Document | None:
        calls.append(raw)
        return fast_document(raw, doc, fs_path)

    monkeypatch.setattr(fastyaml, "fast_document", spy)
    assert parse_document(TEAM, "t.yaml", "/p/t.yaml") == strict(TEAM)
    assert calls == [TEAM]


DECLINED = {
    "yaml 1.1 boolean": b"name: a\nrole: no\n",
    "yaml 1.1 float in a member": b"members:\n  - email: a@x.example\n    role: 3.10\n",
    "octal int": b"name: a\nallocated_seats: 0123\n",
    "exponent without dot": b"name: a\nallocated_seats: 1e3\n",
    "yaml 1.2 octal": b"name: a\nallocated_seats: 0o17\n",
    "date outside a date key": b"name: 2024-01-02\n",
    "quoted ambiguous text": b"name: 'yes'\n",
    "empty text": b"name: ''\n",
    "null member field": b"members:\n  - email: a@x.example\n    role:\n",
    "number in a member": b"members:\n  - email: a@x.example\n    role: 12\n",
    "duplicate key": b"name: a\nname: b\n",
    "anchor": b"name: &a x\nother: *a\n",
    "tag": b"name: !!str 12\n",
    "merge key": b"base: {a: 1}\nx:\n  <<: {a: 2}\n",
    "crlf": b"name: a\r\nrole: b\r\n",
    "bom": b"\xef\xbb\xbfname: a\n",
    "document marker": b"---\nname: a\n",
    "two documents": b"name: a\n---\nname: b\n",
    "flow list": b"name: a\nmembers: [{email: a@x.example, role: b}]\n",
    "item content on the next line": b"members:\n  -\n    email: a@x.example\n",
    "comment after the dash": b"members:\n  - # who\n    email: a@x.example\n",
    "extra spaces after the dash": b"members:\n  -   email: a@x.example\n",
    "quoted top-level key": b"\"name\": a\n",
    "nested mapping": b"dynamic_seating:\n  sprints: []\n",
    "root list": b"- a\n- b\n",
    "root scalar": b"just text\n",
    "empty": b"",
    "syntax error": b"name: [a\n",
    "numeric key": b"1: a\n",
    "nan": b"name: a\nmonthly_spend_cap: .nan\n",
    "empty block scalar": b"name: |\n",
    "folded block scalar": b"name: a\ndescription: >\n  text\n",
}


@pytest.mark.parametrize("raw", DECLINED.values(), ids=DECLINED.keys())
def test_declines_what_it_cannot_prove(raw: bytes) -> None:
    assert fast_document(raw, "t.yaml", "/p/t.yaml") is None


@pytest.mark.parametrize("raw", DECLINED.values(), ids=DECLINED.keys())
def test_declined_files_get_the_strict_result(raw: bytes) -> None:
    assert parse_document(raw, "t.yaml", "/p/t.yaml") == strict(raw)


ACCEPTED = {
    "indentless list": b"name: a\nmembers:\n- email: a@x.example\n  role: b\n- email: c@x.example\n"
                       b"  role: d\n",
    "deep indent": b"members:\n      - email: a@x.example\n        role: b\n",
    "expiry dates": b"members:\n  - email: a@x.example\n    role: b\n    expires: 2099-01-05\n",
    "unicode": "name: café\nmembers:\n  - email: a@x.example\n    name: Zoë Ñúñez\n"
               "    role: b\n".encode(),
    "comment lines and trailing comments": b"# top\nname: a # trailing\n\n# between\n"
                                           b"allocated_seats: 4 # seats\n",
    "empty flow list": b"name: a\nmembers: []\n",
    "booleans and null": b"name: a\nbaseline: true\nnote: ~\nother: null\nlast:\n",
    "plain multi-line value": b"name: a\ndescription: one\n  two\n",
    "nested items": b"members:\n  - email: a@x.example\n    tags:\n      - x\n      - y\n"
                    b"  - email: b@x.example\n",
}


@pytest.mark.parametrize("raw", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_accepts_plain_shapes_with_the_strict_result(raw: bytes) -> None:
    fast = fast_document(raw, "t.yaml", "/p/t.yaml")
    assert fast is not None
    assert fast == strict(raw)


# Scalars YAML 1.1 and 1.2 (or PyYAML and yaml-rs) may read differently, in every style.
TRICKY = ["no", "yes", "On", "off", "y", "n", "true", "False", "~", "null", "Null", "",
          "3.10", "0123", "08", "1e3", "0o17", "0x1F", "0b101", "1_000", "+1", "-1", ".5",
          "1.", ".inf", "-.Inf", ".NaN", "1:30", "190:20:30", "2024-01-02",
          "2024-01-02 10:00:00", "2024-1-2", "12", "0", "-0", "x#y", "a b", "a:b", "#x",
          "café", "user@x.example", "=", "<<", "-", "- x", "?", "@x", "`x", "%x", "a\\b",
          "'q'", '"q"', "it's", "{a}", "[a]", "a, b", "*a", "&a", "!a", "|", ">", "   "]


def _styled(text: str, style: str) -> str:
    if style == "single":
        return "'" + text.replace("'", "''") + "'"
    if style == "double":
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


#: Escapes, folding and quoting as written in a file (not built by ``_styled``).
WRITTEN = ['"a\\tb"', '"\\u00e9"', '"\\x41"', '"\\N"', '"\\_"', '"\\/"', '"\\L"', '"\\P"',
           '"\\e"', '"\\0"', '"\\ "', '"\\U0001F600"', '"a\\\n    b"', "'a''b'", '"a\n\n    b"',
           "'a\n\n    b'", '"a \n    b"', "'  lead'", '"trail  "', "'#x'", '"a#b"', "x #c",
           "a  b", "a\n    b\n    c"]

#: What policies mostly hold: most generated values are these, so that most documents
#: take the fast path and their positions are compared too.
ORDINARY = ["developer", "a.b@x.example", "Jane Doe", "team-a", "BE-001", "Zoë", "x_1",
            "2099-12-31"]
styles = st.sampled_from(["plain", "plain", "single", "double"])
scalars = st.one_of(
    st.builds(_styled, st.sampled_from(ORDINARY), styles),
    st.builds(_styled, st.sampled_from(ORDINARY), styles),
    st.builds(_styled, st.sampled_from(ORDINARY), styles),
    st.builds(_styled, st.sampled_from(TRICKY), styles),
    st.sampled_from(WRITTEN),
)
keys = st.sampled_from(["name", "role", "email", "expires", "start", "note", "cost_center",
                        "allocated_seats", "a b", "tags", "members", "no", "1"])


@st.composite
def team_files(draw: st.DrawFn) -> bytes:
    lines: list[str] = []
    for key in draw(st.lists(keys, min_size=1, max_size=5, unique=True)):
        kind = draw(st.sampled_from(["scalar", "list", "empty", "comment"]))
        if kind == "comment":
            lines.append("# " + draw(scalars))
        if kind == "empty":
            lines.append(f"{key}:")
            continue
        if kind != "list":
            lines.append(f"{key}: {draw(scalars)}" + draw(st.sampled_from(["", " # c"])))
            continue
        lines.append(f"{key}:")
        indent = " " * draw(st.sampled_from([0, 2, 4]))
        gap = " " * draw(st.sampled_from([1, 1, 2]))
        for _ in range(draw(st.integers(0, 3))):
            fields = draw(st.lists(st.tuples(keys, scalars), min_size=1, max_size=3,
                                   unique_by=lambda kv: kv[0]))
            pad = indent + " " * (1 + len(gap))
            first, *rest = fields
            lines.append(f"{indent}-{gap}{first[0]}: {first[1]}")
            lines.extend(f"{pad}{k}: {v}" for k, v in rest)
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(["", "  # note", f"{pad}  continued"])))
    return ("\n".join(lines) + "\n").encode("utf-8")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(team_files())
def test_fast_path_never_differs_from_the_strict_path(raw: bytes) -> None:
    fast = fast_document(raw, "t.yaml", "/p/t.yaml")
    if fast is not None:
        assert fast == strict(raw)


TOP_LEVEL = "name: {}\n"
IN_A_MEMBER = "members:\n  - email: a@x.example\n    name: {}\n    role: b\n"


@pytest.mark.parametrize("written", WRITTEN)
@pytest.mark.parametrize("place", [TOP_LEVEL, IN_A_MEMBER], ids=["top-level", "in-a-member"])
def test_quoted_and_folded_text_reads_as_the_strict_path_reads_it(written: str, place: str
                                                                   ) -> None:
    """Inside a member, a continuation line indented like the member's keys is refused by
    yaml-rs and accepted by libyaml: declined there, so the strict path decides."""
    raw = place.format(written).encode("utf-8")
    fast = fast_document(raw, "t.yaml", "/p/t.yaml")
    if place == TOP_LEVEL:
        assert fast is not None
    assert fast is None or fast == strict(raw)


def test_switched_off_the_loaded_policy_is_the_same(tmp_path, monkeypatch: pytest.MonkeyPatch
                                                    ) -> None:
    """yaml-rs is a pure accelerator: off, every file takes libyaml and nothing changes.
    Evaluated at 2026-11-25 (the example policy's day)."""
    import datetime as dt
    import pathlib
    import sys

    from reconciler.policy import validate_policy

    repo = pathlib.Path(__file__).resolve().parents[2]
    monkeypatch.syspath_prepend(str(repo))
    from bench.bench_validate import make_policy_repo

    day = dt.date(2026, 11, 25)
    generated = make_policy_repo(tmp_path / "p", members=400, teams=16)
    calls: list[str] = []
    monkeypatch.setattr(fastyaml, "fast_document",
                        lambda raw, doc, fs: calls.append(doc) or fast_document(raw, doc, fs))
    for root in (repo / "policies", generated):
        on = validate_policy(root, today=day)
        used = len(calls)
        monkeypatch.setattr(fastyaml, "ENABLED", False)
        off = validate_policy(root, today=day)
        monkeypatch.setattr(fastyaml, "ENABLED", True)
        assert len(calls) == used > 0, "off, yaml-rs must not be asked"
        assert on.ok and off.findings == on.findings and off.policy == on.policy, root
    assert "yaml_rs" in sys.modules
