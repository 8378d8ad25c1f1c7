"""A report as a message: headings, lines, tables and notes, rendered where it lands.

Why a model between the report and the medium: Slack does not render GitHub Markdown
(``##`` and ``| a | b |`` arrive as raw text) and an email client wants HTML, so the
report is first read into ``Block``s of *raw* text (unescaped), and each medium's
renderer (``webhook.build_payload``: Slack Block Kit; ``email.build_message``: HTML
alternative) escapes every value once, through ``reconciler.escape``.

Callers hand over what they already print: the terminal text (``from_text``) and,
when they have it, the Markdown of the report (``from_markdown``), which keeps tables
as rows. The headline is the message's subject and is dropped from the body, so it
shows once.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["heading", "text", "pre", "table", "note"]

_RULE = re.compile(r"^\s*-{2,}(\s+-{2,})*\s*$")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
_MD_RULE_ROW = re.compile(r"^\|[\s:|-]+\|$")
_MD_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_TAG = re.compile(r"</?(?:code|b|i|em|strong|details|summary|br)\b[^>]*>|<!--.*?-->")
_BACKSLASH = re.compile(r"\\([\\`*_\[\]{}()#+\-.!|~<>])")


@dataclass(frozen=True, slots=True)
class Block:
    """One part of a message. ``lines`` hold raw text (heading, text, pre, note);
    ``rows`` a table, header row first."""

    kind: BlockKind
    lines: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()

    def plain_lines(self) -> list[str]:
        """The block as plain text lines (a table aligned in columns)."""
        if self.kind == "table":
            return aligned(self.rows)
        return list(self.lines)


@dataclass(frozen=True, slots=True)
class Message:
    """Subject (the headline, shown once) and the body's blocks, all raw text."""

    subject: str
    blocks: tuple[Block, ...]

    def plain(self) -> str:
        """The body as plain text (for a notification's fallback text)."""
        return "\n".join(line for b in self.blocks for line in b.plain_lines())


def aligned(rows: tuple[tuple[str, ...], ...]) -> list[str]:
    """A table as text lines with padded columns (for a preformatted block)."""
    if not rows:
        return []
    n = max(len(r) for r in rows)
    full = [tuple(r) + ("",) * (n - len(r)) for r in rows]
    widths = [max(len(r[i]) for r in full) for i in range(n)]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in full]
    out.insert(1, "  ".join("-" * w for w in widths))
    return out


def _drop_headline(lines: list[str], subject: str) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    if lines and " ".join(lines[0].split()) == " ".join(subject.split()):
        lines = lines[1:]
    return lines


def from_text(subject: str, text: str) -> Message:
    """Read seatctl's terminal output: ``Title:`` with indented lines under it becomes
    a heading and a preformatted block; a column table (a ``--  --`` rule under its
    header) stays preformatted; ``note: …`` lines become notes; the rest is text."""
    lines = _drop_headline(text.splitlines(), subject)
    chunks: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            chunks[-1].append(line.rstrip())
        elif chunks[-1]:
            chunks.append([])
    blocks: list[Block] = []
    for chunk in (c for c in chunks if c):
        rule = next((i for i, line in enumerate(chunk) if _RULE.match(line)), None)
        if rule is not None and rule >= 1:
            blocks += _text_blocks(chunk[:rule - 1])
            blocks.append(Block("pre", tuple(chunk[rule - 1:])))
        else:
            blocks += _text_blocks(chunk)
    return Message(subject, tuple(_merge(blocks)))


def _text_blocks(lines: list[str]) -> list[Block]:
    out: list[Block] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.endswith(":") and not line[:1].isspace() and nxt[:1].isspace():
            out.append(Block("heading", (line[:-1],)))
            j = i + 1
            while j < len(lines) and lines[j][:1].isspace():
                j += 1
            out.append(Block("pre", tuple(x[2:] if x.startswith("  ") else x
                                          for x in lines[i + 1:j])))
            i = j
            continue
        if line.startswith("note: "):
            out.append(Block("note", (line[len("note: "):],)))
        else:
            out.append(Block("text", (line,)))
        i += 1
    return out


def _merge(blocks: list[Block]) -> list[Block]:
    """Consecutive text (or note) lines in one block: fewer blocks, same content."""
    out: list[Block] = []
    for b in blocks:
        if out and b.kind in ("text", "note") and out[-1].kind == b.kind:
            out[-1] = Block(b.kind, out[-1].lines + b.lines)
        else:
            out.append(b)
    return out


def _unmark(text: str) -> str:
    """Markdown (as seatctl writes it, values already escaped) back to raw text."""
    text = _TAG.sub("", text)
    text = text.replace("**", "")
    text = re.sub(r"(?<!\\)`([^`]*?)(?<!\\)`", r"\1", text)
    text = _BACKSLASH.sub(r"\1", text)
    text = text.strip()
    if len(text) > 2 and text.startswith("_") and text.endswith("_"):
        text = text[1:-1]
    return html.unescape(text)


def from_markdown(subject: str, markdown: str) -> Message:
    """Read seatctl's GitHub Markdown: headings, tables (as rows), quotes (notes),
    list items and paragraphs; its escapes are undone, since each medium escapes
    the raw text again for itself."""
    blocks: list[Block] = []
    table: list[tuple[str, ...]] = []

    def flush_table() -> None:
        if table:
            blocks.append(Block("table", rows=tuple(table)))
            table.clear()

    for raw in markdown.splitlines():
        line = raw.strip()
        if line.startswith("|"):
            if not _MD_RULE_ROW.match(line):
                cells = _MD_CELL_SPLIT.split(line.strip("|"))
                table.append(tuple(_unmark(c) for c in cells))
            continue
        flush_table()
        if not line or line.startswith("<!--") or line in ("<details>", "</details>"):
            continue
        heading = _MD_HEADING.match(line)
        if heading or line.startswith("<details><summary>"):
            title = _unmark(heading.group(1) if heading else line)
            if title and (blocks or " ".join(title.split()) != " ".join(subject.split())):
                blocks.append(Block("heading", (title,)))
        elif line.startswith(">"):
            blocks.append(Block("note", (_unmark(line.lstrip("> ")),)))
        elif line.startswith(("- ", "* ")):
            blocks.append(Block("text", ("• " + _unmark(line[2:]),)))
        else:
            blocks.append(Block("text", (_unmark(line),)))
    flush_table()
    return Message(subject, tuple(_merge(blocks)))


def message_for(subject: str, text: str, markdown: str | None) -> Message:
    """The richer reading: the report's Markdown when the caller has it, else its text."""
    return from_markdown(subject, markdown) if markdown else from_text(subject, text)


__all__ = ["Block", "Message", "aligned", "from_markdown", "from_text", "message_for"]
