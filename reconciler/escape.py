"""One escaping function per medium, for every text that comes from outside the process.

Live names and emails, policy text, a saved plan and CI payloads are data. Each medium
has its own dangerous characters, so each has exactly one function here and every
renderer calls it rather than carrying a copy:

- ``terminal``: control characters (ESC, OSC, BEL, CR, bidi overrides) become visible
  ``\\u`` and four hex digits, so a name cannot move the cursor, forge a line or set a
  hyperlink.
- ``markdown`` / ``markdown_code``: GitHub-flavoured Markdown in a table cell or a line:
  no new line, no pipe, no mention, no autolink, no HTML.
- ``html``: text and attribute values.
- ``csv_cell``: OWASP's rule against formula injection (a cell starting with ``=``,
  ``+``, ``-``, ``@``, tab or CR is prefixed with ``'``).
- ``slack_text`` / ``slack_mrkdwn``: Slack's three control characters (``& < >``), so
  ``<!here>``, ``<!channel>`` and ``<http://x|label>`` arrive as text.
- ``file_stem``: a file name derived from a name: one path component, never ``..``,
  confined by ``confined_path`` to the directory it belongs to.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from pathlib import Path

__all__ = [
    "confined_path",
    "csv_cell",
    "file_stem",
    "first_control",
    "html",
    "markdown",
    "markdown_code",
    "slack_mrkdwn",
    "slack_text",
    "terminal",
]

# C0, DEL, C1, the Unicode line/paragraph separators, the bidi controls (Trojan Source)
# and lone surrogates (a JSON "\ud800" from the API: no UTF-8 encoder accepts it, so an
# email or a file holding one would fail to be written at all).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                      r"\ud800-\udfff]")
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                          r"\ud800-\udfff]")
# ``< >`` are not here: they become entities below (a backslash before "&lt;" would
# escape its "&" and show the entity as text).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]~|#!])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_STEM_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def first_control(value: str, *, newline_ok: bool = False) -> str | None:
    """The first character ``terminal`` would have to make visible, or ``None``: for
    validators that refuse such text at the door instead of escaping it later."""
    for match in _CONTROL_ALL.finditer(value):
        if not (newline_ok and match.group() == "\n"):
            return match.group()
    return None


def _visible(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def terminal(value: object) -> str:
    """Text for a terminal or a log line: every control character made visible.

    Tab and newline are made visible too: one value is one line of output.
    """
    return _CONTROL_ALL.sub(_visible, str(value))


def markdown(value: object) -> str:
    """Plain text inside Markdown: a table cell, a list item or a line of a comment."""
    text = _CONTROL_ALL.sub(_visible, str(value))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # No autolinks and no @-mentions of people or teams.
    text = text.replace("://", ":&#47;&#47;").replace("www.", "www&#46;")
    return text.replace("@", "&#64;")


def markdown_code(value: object) -> str:
    """A value shown as inline code that cannot leave its table cell (HTML ``<code>``)."""
    text = _CONTROL_ALL.sub(_visible, str(value))
    if not text:
        return ""
    text = _html.escape(text, quote=True).replace("://", ":&#47;&#47;")
    text = text.replace("|", "&#124;").replace("@", "&#64;").replace("`", "&#96;")
    return f"<code>{text}</code>"


def html(value: object) -> str:
    """Text or an attribute value in an HTML page or email."""
    return _html.escape(_CONTROL.sub(_visible, str(value)), quote=True)


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not evaluate (OWASP CSV injection).

    Numbers pass through so columns stay numeric; text starting with a formula
    character gets a leading ``'``.
    """
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return _CONTROL.sub(_visible, text)


def slack_text(value: object) -> str:
    """Text for Slack (``plain_text`` or ``mrkdwn``): ``& < >`` escaped as Slack asks."""
    text = _CONTROL_ALL.sub(_visible, str(value))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_mrkdwn(value: object) -> str:
    """A value inside a ``mrkdwn`` block: Slack escapes plus inert formatting marks."""
    text = slack_text(value)
    return re.sub(r"([*_~`])", "\u200b\\1\u200b", text).replace("@", "@\u200b")


def file_stem(name: str, *, fallback: str = "unnamed") -> str:
    """One safe path component from a name from outside: ASCII letters, digits, ``._-``.

    ``..``, separators, NUL and leading dots cannot survive, so the result can never
    point outside the directory it is joined to. Distinct names can share a stem; the
    caller decides what a clash means (``confined_path`` does not).
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = _STEM_BAD.sub("-", folded).strip("-.")
    stem = re.sub(r"\.{2,}", ".", stem)
    return stem[:100] or fallback


def confined_path(root: Path, *parts: str) -> Path:
    """``root / parts`` resolved, refused (``ValueError``) if it would leave ``root``."""
    base = root.resolve()
    target = base.joinpath(*parts).resolve()
    if target != base and base not in target.parents:
        raise ValueError(f"{target} is outside {base}")
    return target
