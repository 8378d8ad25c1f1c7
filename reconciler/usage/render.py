"""One view model for every usage report, rendered as table, CSV, JSON or Markdown.

A ``View`` is a title, a few meta lines (period, what "active" means, billing rule),
notes (what could not be computed, and why) and tables of typed cells. The four
formats are four views of that one model, never four loops over the report:

- ``cents`` columns are integer cents in JSON (key suffixed ``_cents``), exact decimal
  dollars in CSV (header suffixed ``_usd``), ``$1,234.56`` in table and Markdown;
- ``pct`` columns are numbers (or null) in JSON/CSV and ``12.5%`` (or ``–``) for people;
- CSV holds every table, in view order, each under its own header row and separated
  from the one before by a blank line (the first table alone loads cleanly into a
  spreadsheet: read up to the first blank line); the CLI prints meta and notes on
  stderr for CSV.

Text cells from the live API and the policy (emails, names, cost centers) go through
``reconciler.escape``: Markdown (no forged rows, no mentions), terminal (no control
characters) and CSV (a cell starting with ``= + - @`` is not a formula).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from reconciler import escape

Kind = Literal["str", "int", "pct", "cents", "float"]
Format = Literal["table", "csv", "json", "markdown"]
FORMATS: tuple[Format, ...] = ("table", "csv", "json", "markdown")


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    kind: Kind = "str"


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[object, ...], ...]


@dataclass(frozen=True, slots=True)
class View:
    title: str
    meta: tuple[tuple[str, str], ...]
    tables: tuple[Table, ...]
    notes: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)

    def with_notes(self, *notes: str | None) -> View:
        """This view with ``notes`` appended (``None`` and empty ones skipped)."""
        extra = tuple(n for n in notes if n)
        return replace(self, notes=(*self.notes, *extra)) if extra else self


def _dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"


def _human(value: object, kind: Kind) -> str:
    if value is None or value == "":
        return "–"
    if kind == "pct":
        return f"{float(value):.1f}%"  # type: ignore[arg-type]
    if kind == "cents":
        return _dollars(int(value))  # type: ignore[call-overload]
    if kind == "float":
        return f"{float(value):g}"  # type: ignore[arg-type]
    return str(value)


def _machine_key(col: Column, csv_mode: bool) -> str:
    if col.kind == "cents":
        return f"{col.key}_usd" if csv_mode else f"{col.key}_cents"
    return col.key


def _csv_value(value: object, kind: Kind) -> object:
    if value is None:
        return ""
    if kind == "cents":
        whole, frac = divmod(abs(int(value)), 100)  # type: ignore[call-overload]
        return f"{'-' if int(value) < 0 else ''}{whole}.{frac:02d}"  # type: ignore[call-overload]
    return value


def render_json(view: View) -> str:
    doc: dict[str, object] = {
        "title": view.title,
        "meta": dict(view.meta),
        "notes": list(view.notes),
        "tables": {
            t.name: [
                {_machine_key(c, False): v for c, v in zip(t.columns, row, strict=True)}
                for row in t.rows
            ]
            for t in view.tables
        },
    }
    doc.update(view.extra)
    return json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"


def render_csv(view: View) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    for index, table in enumerate(view.tables):
        if index:
            buf.write("\n")
        writer.writerow([_machine_key(c, True) for c in table.columns])
        for row in table.rows:
            writer.writerow([escape.csv_cell(v) if c.kind == "str" else _csv_value(v, c.kind)
                             for c, v in zip(table.columns, row, strict=True)])
    return buf.getvalue()


def _grid(columns: Sequence[Column], rows: Sequence[tuple[object, ...]]) -> list[list[str]]:
    return [[_human(v, c.kind) for c, v in zip(columns, row, strict=True)] for row in rows]


def _terminal_grid(columns: Sequence[Column],
                   rows: Sequence[tuple[object, ...]]) -> list[list[str]]:
    return [[escape.terminal(v) for v in r] for r in _grid(columns, rows)]


def render_table(view: View) -> str:
    lines = [escape.terminal(view.title),
             *(f"{k}: {escape.terminal(v)}" for k, v in view.meta)]
    for t in view.tables:
        cells = _terminal_grid(t.columns, t.rows)
        headers = [c.header for c in t.columns]
        widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
        right = [c.kind != "str" for c in t.columns]

        def fmt(
            values: Sequence[str], widths: list[int] = widths, right: list[bool] = right
        ) -> str:
            return "  ".join(
                v.rjust(w) if r else v.ljust(w)
                for v, w, r in zip(values, widths, right, strict=True)
            ).rstrip()

        lines += ["", t.title, fmt(headers), fmt(["-" * w for w in widths])]
        lines += [fmt(r) for r in cells] or ["(none)"]
    if view.notes:
        lines += ["", *(f"note: {escape.terminal(n)}" for n in view.notes)]
    return "\n".join(lines) + "\n"


def render_markdown(view: View) -> str:
    lines = [f"## {escape.markdown(view.title)}", ""]
    lines += [f"- **{k}**: {escape.markdown(v)}" for k, v in view.meta]
    for t in view.tables:
        lines += ["", f"### {escape.markdown(t.title)}", ""]
        lines.append("| " + " | ".join(c.header for c in t.columns) + " |")
        lines.append("|" + "|".join("---:" if c.kind != "str" else "---" for c in t.columns) + "|")
        for row in _grid(t.columns, t.rows):
            lines.append("| " + " | ".join(escape.markdown(v) for v in row) + " |")
        if not t.rows:
            lines.append("| " + " | ".join("" for _ in t.columns) + " |")
    if view.notes:
        lines += ["", *(f"> {escape.markdown(n)}" for n in view.notes)]
    return "\n".join(lines) + "\n"


def render(view: View, fmt: Format) -> str:
    """The view in one of ``FORMATS``."""
    return {
        "table": render_table,
        "csv": render_csv,
        "json": render_json,
        "markdown": render_markdown,
    }[fmt](view)
