"""Pull-request comment view of a plan: summary table first, details collapsed.

GitHub refuses comments over 65,536 characters, so details are rendered against a
budget (``MAX_CHARS``); what does not fit is counted and left to the full plan
artifact, whose checksum the comment names. Everything from the policy or the live
org goes through ``escape.markdown_code`` or ``escape.markdown`` (``code`` and
``text`` here): HTML-escaped, pipes and backticks neutralised, ``@`` made inert so a
name cannot mention a team, and newlines removed so nothing can start a heading or
fake a "No changes" banner (S7).
"""

from __future__ import annotations

from reconciler import escape
from reconciler.plan.guards import Finding
from reconciler.render.view import PlanView, Section

#: Hard ceiling for the whole comment (GitHub's limit is 65,536).
MAX_CHARS = 60_000
#: Hidden marker so CI can find and update its own sticky comment.
MARKER = "<!-- seatctl-plan -->"

_SYMBOL = {"+": "➕", "~": "✏️", "-": "➖"}
_SEVERITY = {"error": "❌", "warning": "⚠️", "info": "ℹ️"}


code = escape.markdown_code
text = escape.markdown


def render_markdown(view: PlanView, *, artifact: str = "plan.json") -> str:
    head = _head(view)
    tail = _findings(view)
    budget = MAX_CHARS - len(head) - len(tail) - 400
    body, omitted = _details(view.sections, budget)
    if omitted:
        body.append(f"\n_{omitted} more changes not shown here: the full plan is in the "
                    f"`{artifact}` artifact (checksum `{view.plan.checksum}`)._\n")
    return head + tail + "".join(body)


def _head(view: PlanView) -> str:
    icon = {"blocked": "❌", "changes": "📝", "no_changes": "✅"}[view.status]
    lines = [
        MARKER,
        f"### {icon} seatctl plan: {text(view.title)}",
        "",
        f"**{view.headline}**" + (f" · {view.tally_line}" if view.change_count else ""),
        "",
        " · ".join(f"{k} {code(v)}" for k, v in view.meta),
        "",
    ]
    if view.counts:
        lines += ["| change | count |", "|---|---:|"]
        lines += [f"| {_SYMBOL[s]} {t} | {n} |" for t, s, n in view.counts]
        lines.append("")
    t = view.total
    lines += [
        "| | seats | monthly cost |",
        "|---|---|---|",
        f"| **organization** ({t.allocated} purchased) | {t.seats} | {t.cost} |",
    ]
    lines += [f"| team {text(r.name)} ({code(r.cost_center)}, {r.allocated} allocated) "
              f"| {r.seats} | {r.cost} |" for r in view.teams]
    lines += [f"| cost center {code(r.name)} | {r.seats} | {r.cost} |"
              for r in view.cost_centers if r.changed]
    if view.teams_hidden:
        lines.append(f"| _{view.teams_hidden} teams with unchanged seats_ | | |")
    lines.append("")
    return "\n".join(lines) + "\n"


def _findings(view: PlanView) -> str:
    lines: list[str] = []
    for title, findings in (("Blocking errors", view.errors), ("Warnings", view.warnings),
                            ("Notes", view.notes)):
        if not findings:
            continue
        shown = findings[:50]
        lines.append(f"**{title} ({len(findings)})**\n")
        lines += [_finding(f) for f in shown]
        if len(findings) > len(shown):
            lines.append(f"- _{len(findings) - len(shown)} more in the plan artifact_")
        lines.append("")
    return "\n".join(lines) + ("\n" if lines else "")


def _finding(f: Finding) -> str:
    line = f"- {_SEVERITY[f.severity]} `{f.code}` {text(f.message)}"
    return line + (f" — _{text(f.hint)}_" if f.hint else "")


def _details(sections: tuple[Section, ...], budget: int) -> tuple[list[str], int]:
    out: list[str] = []
    used = 0
    omitted = 0
    for section in sections:
        if used >= budget:
            omitted += len(section.rows)
            continue
        block = [f"<details><summary>{_SYMBOL[section.symbol]} {section.title} "
                 f"({len(section.rows)})</summary>\n\n",
                 "| | target | change | reason |\n|---|---|---|---|\n"]
        used += sum(len(b) for b in block) + 20
        shown = 0
        for row in section.rows:
            line = (f"| {section.symbol} | {code(row.target)} | {text(row.detail)} | "
                    f"{text(row.reason)} |\n")
            if used + len(line) > budget:
                break
            block.append(line)
            used += len(line)
            shown += 1
        if shown < len(section.rows):
            block.append(f"\n_{len(section.rows) - shown} more in this section not shown._\n")
            omitted += len(section.rows) - shown
        block.append("\n</details>\n\n")
        out.extend(block)
    return out, omitted
