"""The one escaping function per medium (reconciler.escape) holds against hostile names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reconciler import escape


def test_terminal_makes_escape_sequences_visible() -> None:
    hostile = "ops\x1b]8;;http://evil\x07click\x1b]8;;\x07\rNo changes\u202e"
    out = escape.terminal(hostile)
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert "\u202e" not in out
    assert "\\u001b" in out and "ops" in out


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cell_neutralises_formulas(cell: str) -> None:
    assert str(escape.csv_cell(cell)).startswith("'")


def test_csv_cell_keeps_numbers_and_plain_text() -> None:
    assert escape.csv_cell(-5) == -5
    assert escape.csv_cell(1.5) == 1.5
    assert escape.csv_cell("platform") == "platform"


def test_markdown_cannot_break_a_table_or_mention() -> None:
    out = escape.markdown("a|b\n## head @org/admins <img src=x> http://evil")
    assert "|" not in out.replace("\\|", "")
    assert "\n" not in out and "@" not in out and "<img" not in out and "://" not in out


def test_markdown_code_stays_in_its_cell() -> None:
    out = escape.markdown_code("x`|</code><b>")
    assert out.startswith("<code>") and out.endswith("</code>")
    assert out.count("</code>") == 1 and "|" not in out and "`" not in out


def test_slack_text_disarms_mentions_and_links() -> None:
    out = escape.slack_text("<!here> <!channel> <http://evil|Click> & co")
    assert "<" not in out and ">" not in out and "&amp; co" in out


def test_html_escapes_markup_and_quotes() -> None:
    assert escape.html('<script>"x"</script>') == "&lt;script&gt;&quot;x&quot;&lt;/script&gt;"


@pytest.mark.parametrize("name", ["../../../x", "a/b", "..", "", "\x00", "/etc/passwd", ".hidden"])
def test_file_stem_is_one_safe_component(name: str, tmp_path: Path) -> None:
    stem = escape.file_stem(name)
    assert stem and "/" not in stem and stem not in {".", ".."} and not stem.startswith(".")
    assert escape.confined_path(tmp_path, stem + ".yaml").parent == tmp_path.resolve()


def test_confined_path_refuses_escape(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        escape.confined_path(tmp_path, "..", "x")


def test_markdown_shows_angle_brackets_once() -> None:
    """``<`` becomes ``&lt;`` without a backslash (``\\&lt;`` would show the entity)."""
    assert escape.markdown("<b>") == "&lt;b&gt;"


def test_first_control_finds_what_terminal_would_escape() -> None:
    assert escape.first_control("ok name") is None
    assert escape.first_control("a\x1b]8;;x\x07") == "\x1b"
    assert escape.first_control("two\nlines") == "\n"
    assert escape.first_control("two\nlines", newline_ok=True) is None
    assert escape.first_control("tab\there", newline_ok=True) == "\t"
    assert escape.first_control("bidi\u202e") == "\u202e"


# --- properties: whatever the text, each medium's dangerous characters do not survive ---

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_HOSTILE = st.text(alphabet=st.one_of(
    st.sampled_from(list("<>&|`*_~[]#!@=+-:/\\.\n\r\t\x1b\x07\x00\x7f\x85\u2028\u202e\u2066 ")),
    st.characters()), max_size=40)


@settings(max_examples=300, deadline=None)
@given(_HOSTILE)
def test_every_medium_neutralises_any_text(value: str) -> None:
    assert escape.first_control(escape.terminal(value)) is None
    md = escape.markdown(value)
    assert "\n" not in md and "@" not in md and "<" not in md and "://" not in md
    assert "|" not in md.replace("\\|", "")
    code = escape.markdown_code(value)
    assert code == "" or (code.count("</code>") == 1 and "|" not in code and "`" not in code)
    assert not re.search(r"[<>]", escape.slack_text(value))
    assert not re.search(r"[<>]|@(?!\u200b)", escape.slack_mrkdwn(value))
    assert "<" not in escape.html(value) and '"' not in escape.html(value)
    cell = str(escape.csv_cell(value))
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@settings(max_examples=300, deadline=None)
@given(_HOSTILE)
def test_file_stem_is_always_one_confined_component(value: str) -> None:
    stem = escape.file_stem(value)
    assert stem and "/" not in stem and "\\" not in stem and not stem.startswith(".")
    assert ".." not in stem and len(stem) <= 100
    root = Path("/tmp/seatctl-escape-root")
    assert escape.confined_path(root, stem + ".yaml").parent == root.resolve()


def test_lone_surrogates_are_made_visible() -> None:
    """A JSON ``"\\ud800"`` from the API cannot be encoded: shown, never passed on."""
    for medium in (escape.terminal, escape.markdown, escape.html, escape.slack_text):
        out = medium("a\ud800b")
        assert "\ud800" not in out and "\\ud800" in out
        out.encode("utf-8")
