"""Terminal view of a plan: Terraform-like ``+ ~ -`` lines, summary last.

Colour is opt-in by the caller (``color=True`` only on a TTY and never with
``NO_COLOR``; see ``use_color``). Every value that came from the policy or the live
org is passed through ``clean`` (``escape.terminal``) so a name holding ANSI escapes
or newlines cannot repaint the terminal or forge a line of the plan (S6).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TextIO

from reconciler import escape
from reconciler.plan.guards import Finding
from reconciler.render.view import PlanView, TallyRow

_COLOURS = {"+": "32", "~": "33", "-": "31", "error": "1;31", "warning": "33", "info": "36",
            "bold": "1", "dim": "2"}


def use_color(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or stream-less stand-in
        return False


clean = escape.terminal


def render_text(view: PlanView, *, color: bool = False) -> str:
    def paint(style: str, text: str) -> str:
        return f"\x1b[{_COLOURS[style]}m{text}\x1b[0m" if color else text

    out: list[str] = []
    out.append(paint("bold", f"seatctl plan: {clean(view.title)}"))
    out.append("  " + " · ".join(f"{k} {clean(v)}" for k, v in view.meta))
    out.append("")
    for section in view.sections:
        out.append(paint("bold", f"{section.title} ({len(section.rows)})"))
        for row in section.rows:
            line = f"  {paint(row.symbol, row.symbol)} {row.kind} {clean(row.target)}"
            if row.detail:
                line += f"  {clean(row.detail)}"
            out.append(line)
            out.append(paint("dim", f"      # {clean(row.reason)}"))
        out.append("")
    out.extend(_tallies(view))
    for title, style, findings in (("Errors (blocking)", "error", view.errors),
                                   ("Warnings", "warning", view.warnings),
                                   ("Notes", "info", view.notes)):
        if findings:
            out.append(paint(style, f"{title}:"))
            out.extend(_finding(f, paint) for f in findings)
            out.append("")
    final = view.headline if view.status != "changes" else f"Plan: {view.tally_line}."
    out.append(paint("error" if view.status == "blocked" else "bold", final))
    return "\n".join(out) + "\n"


def _finding(f: Finding, paint: Callable[[str, str], str]) -> str:
    mark = {"error": "x", "warning": "!", "info": "i"}[f.severity]
    line = f"  {mark} {f.code}: {clean(f.message)}"
    if f.hint:
        line += f"\n      hint: {clean(f.hint)}"
    return line


def _tallies(view: PlanView) -> list[str]:
    t = view.total
    out = [f"Seats: {t.seats} of {t.allocated} purchased · monthly cost {t.cost}"]
    rows: list[TallyRow] = list(view.teams)
    if rows:
        widths = [max(len(clean(getattr(r, a))) for r in rows) for a in
                  ("name", "cost_center", "allocated", "seats")]
        widths = [max(w, len(h)) for w, h in zip(widths, ("team", "cost center", "alloc",
                                                          "seats"), strict=True)]
        head = ("team", "cost center", "alloc", "seats")
        out.append("  " + "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
                   + "  monthly cost")
        for r in rows:
            cells = (clean(r.name), clean(r.cost_center), r.allocated, r.seats)
            out.append("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True))
                       + f"  {r.cost}")
        if view.teams_hidden:
            out.append(f"  ({view.teams_hidden} teams with unchanged seats not shown)")
    centers = [c for c in view.cost_centers if c.changed]
    if centers:
        out.append("Cost centers: " + "; ".join(
            f"{clean(c.name)} {c.seats} seats, {c.cost}" for c in centers))
    out.append("")
    return out
