"""Text, Markdown, JSON and Slack views of a ``DriftReport``.

Names from the live API (emails, group names) go into code spans in Markdown
(``escape.markdown_code``), so a crafted name cannot inject mentions or a fake "in
sync" banner (S7); the text view shows them through ``escape.terminal``, so OSC, BEL,
CR and ESC are visible instead of forging a line or a hyperlink.
"""

from __future__ import annotations

import json

from reconciler import escape
from reconciler.gitops.drift import CAUSE_TITLES, CAUSES, DriftReport
from reconciler.gitops.render_policy_diff import code


def headline(report: DriftReport) -> str:
    if not report.drifted:
        extra = report.counts["unmanaged"]
        tail = f" ({extra} unmanaged reported)" if extra else ""
        return f"{report.org_name}: in sync with the policy{tail}"
    counts = report.counts
    parts = [f"{counts[c]} {c.replace('_', ' ')}" for c in CAUSES if counts[c]]
    return f"{report.org_name}: drift found — " + ", ".join(parts)


def _commit(sha: str | None) -> str:
    return sha[:12] if sha else "unknown"


def render_drift_text(report: DriftReport) -> str:
    lines = [headline(report),
             f"policy commit {_commit(report.policy_commit)}; last apply "
             f"{_commit(report.last_apply_commit)}"
             + (f" at {report.last_applied_at:%Y-%m-%d %H:%M}Z" if report.last_applied_at
                else "")]
    for cause in CAUSES:
        items = [i for i in report.items if i.cause == cause]
        if not items:
            continue
        lines.append(f"{CAUSE_TITLES[cause]} ({len(items)}):")
        lines += [f"  {i.target}: {i.detail}" for i in items]
    lines += [f"note: {n}" for n in report.notes]
    return "\n".join(escape.terminal(line) for line in lines) + "\n"


def render_drift_markdown(report: DriftReport) -> str:
    lines = [f"## seatctl drift — {code(report.org_name)}", "",
             f"**{'Drift found' if report.drifted else 'In sync'}**: "
             + ", ".join(f"{n} {c.replace('_', ' ')}" for c, n in report.counts.items() if n)
             if report.items else "**In sync**: no differences.", "",
             f"Policy commit `{_commit(report.policy_commit)}`, last apply "
             f"`{_commit(report.last_apply_commit)}`, checked "
             f"{report.checked_at:%Y-%m-%d %H:%M}Z.", ""]
    for cause in CAUSES:
        items = [i for i in report.items if i.cause == cause]
        if not items:
            continue
        lines += [f"### {CAUSE_TITLES[cause]} ({len(items)})", "", "| target | difference |",
                  "|---|---|"]
        lines += [f"| {code(i.target)} | {code(i.detail)} |" for i in items]
        lines.append("")
    lines += [f"> {escape.markdown(n)}" for n in report.notes]
    return "\n".join(lines).rstrip() + "\n"


def drift_to_dict(report: DriftReport) -> dict[str, object]:
    return {
        "org": report.org_name,
        "in_sync": not report.drifted,
        "exit_code": report.exit_code,
        "policy_commit": report.policy_commit,
        "live_fingerprint": report.live_fingerprint,
        "checked_at": report.checked_at.isoformat().replace("+00:00", "Z"),
        "last_apply": None if report.last_applied_at is None else {
            "commit": report.last_apply_commit,
            "applied_at": report.last_applied_at.isoformat().replace("+00:00", "Z")},
        "counts": report.counts,
        "items": [{"cause": i.cause, "kind": i.kind, "target": i.target, "detail": i.detail}
                  for i in report.items],
        "notes": list(report.notes),
    }


def render_drift_json(report: DriftReport) -> str:
    return json.dumps(drift_to_dict(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_drift(report: DriftReport, fmt: str) -> str:
    return {"text": render_drift_text, "markdown": render_drift_markdown,
            "json": render_drift_json}[fmt](report)
