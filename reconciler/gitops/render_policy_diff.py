"""Text and Markdown views of a ``PolicyDiff`` (the top of the pull-request comment).

One view model (``headlines`` + tables), two renderers. Every name that came from a
file is put in a code span by ``escape.markdown_code`` (Markdown) or shown through
``escape.terminal`` (text), so a team or email cannot inject Markdown, mentions, a
fake banner or terminal escapes (S7).
"""

from __future__ import annotations

import os
import pathlib

from reconciler import escape
from reconciler.gitops.policy_diff import MemberDelta, PolicyDiff


def money(cents: int, *, signed: bool = False) -> str:
    """``6000`` → ``$60``; ``6050`` → ``$60.50``; signed adds ``+``/``-``."""
    sign = ("+" if cents > 0 else "-" if cents < 0 else "±") if signed else ("-" if cents < 0
                                                                              else "")
    whole, rest = divmod(abs(cents), 100)
    body = f"${whole:,}" if rest == 0 else f"${whole:,}.{rest:02d}"
    return f"{sign}{body}"


#: A safe inline code span for untrusted text (one escaper per medium).
code = escape.markdown_code


def headlines(diff: PolicyDiff) -> list[str]:
    """One sentence per changed team: "platform 8 → 10 seats, +$60/month to PLAT-001"."""
    out: list[str] = []
    for t in diff.teams:
        if not t.changed:
            continue
        if t.seats_before == 0 and t.members_before == 0:
            what = f"new team, {t.seats_after} seats"
        elif t.seats_after == 0 and t.members_after == 0:
            what = f"team removed, {t.seats_before} seats"
        else:
            what = f"{t.seats_before} → {t.seats_after} seats"
        out.append(f"{t.team} {what}, {money(t.monthly_delta_cents, signed=True)}/month "
                   f"to {t.cost_center}")
    if diff.purchased_before != diff.purchased_after:
        out.append(f"purchased seats {diff.purchased_before} → {diff.purchased_after}")
    return out


def _member_line(m: MemberDelta) -> str:
    if m.kind == "added":
        return f"added {m.email} to {m.team_after} as {m.role_after}"
    if m.kind == "removed":
        return f"removed {m.email} from {m.team_before} (was {m.role_before})"
    if m.kind == "unlisted":
        return (f"{m.email} leaves {m.team_before} (was {m.role_before}) but keeps the seat: "
                "safety.unmanaged is report")
    if m.kind == "role_changed":
        moved = f", {m.team_before} → {m.team_after}" if m.team_before != m.team_after else ""
        return f"{m.email}: role {m.role_before} → {m.role_after}{moved}"
    return f"{m.email}: moved {m.team_before} → {m.team_after}"


def _base_label(diff: PolicyDiff) -> str:
    return diff.base_commit[:12] if diff.base_commit else "empty (no base policy)"


def render_policy_diff_text(diff: PolicyDiff) -> str:
    lines = [f"Policy changes against {_base_label(diff)}:"]
    if diff.empty:
        lines.append("  no changes to teams, members or settings")
        return "\n".join(lines) + "\n"
    lines += [f"  {h}" for h in headlines(diff)]
    changed = [t for t in diff.teams if t.changed]
    if changed:
        lines.append("Teams:")
        for t in changed:
            lines.append(f"  {t.team:<20} {t.cost_center:<10} seats {t.seats_before} → "
                         f"{t.seats_after}  members {t.members_before} → {t.members_after}  "
                         f"{money(t.monthly_delta_cents, signed=True)}/month")
    moved = [c for c in diff.cost_centers if c.monthly_delta_cents or
             c.seats_before != c.seats_after]
    if moved:
        lines.append("Cost centers:")
        for c in moved:
            lines.append(f"  {c.cost_center:<10} seats {c.seats_before} → {c.seats_after}  "
                         f"{money(c.monthly_before_cents)} → {money(c.monthly_after_cents)}"
                         f" ({money(c.monthly_delta_cents, signed=True)}/month)")
    if diff.members:
        lines.append("Members:")
        lines += [f"  {_member_line(m)}" for m in diff.members]
    if diff.settings:
        lines.append("Settings:")
        lines += [f"  {s.path}: {s.before!r} → {s.after!r}" for s in diff.settings]
    lines.append(f"Net seat cost: {money(diff.monthly_delta_cents, signed=True)}/month")
    return "\n".join(escape.terminal(line) for line in lines) + "\n"


def render_policy_diff_markdown(diff: PolicyDiff) -> str:
    lines = [f"### Policy changes against `{_base_label(diff)}`", ""]
    if diff.empty:
        lines.append("No changes to teams, members or settings.")
        return "\n".join(lines) + "\n"
    lines += [f"- **{escape.markdown(h)}**" for h in headlines(diff)]
    lines.append("")
    changed = [t for t in diff.teams if t.changed]
    if changed:
        lines += ["| team | cost center | seats | members | monthly seat cost |",
                  "|---|---|---:|---:|---:|"]
        for t in changed:
            lines.append(
                f"| {code(t.team)} | {code(t.cost_center)} | {t.seats_before} → {t.seats_after} "
                f"| {t.members_before} → {t.members_after} | {money(t.monthly_before_cents)} → "
                f"{money(t.monthly_after_cents)} ({money(t.monthly_delta_cents, signed=True)}) |")
        lines.append("")
    moved = [c for c in diff.cost_centers if c.monthly_delta_cents or
             c.seats_before != c.seats_after]
    if moved:
        lines += ["| cost center | seats | monthly seat cost |", "|---|---:|---:|"]
        for c in moved:
            lines.append(f"| {code(c.cost_center)} | {c.seats_before} → {c.seats_after} | "
                         f"{money(c.monthly_before_cents)} → {money(c.monthly_after_cents)} "
                         f"({money(c.monthly_delta_cents, signed=True)}) |")
        lines.append("")
    if diff.members:
        lines.append("<details><summary>Members: "
                     f"{_count(diff.members, 'added')} added, {_count(diff.members, 'removed')} "
                     f"removed, " + (f"{_count(diff.members, 'unlisted')} unlisted (keep their "
                                     "seats), " if _count(diff.members, 'unlisted') else "")
                     + f"{_count(diff.members, 'role_changed')} role changes, "
                     f"{_count(diff.members, 'moved')} moved</summary>")
        lines.append("")
        lines += [f"- {_member_md(m)}" for m in diff.members]
        lines += ["", "</details>", ""]
    if diff.settings:
        lines.append("Settings changed:")
        lines += [f"- {code(s.path)}: {code(repr(s.before))} → {code(repr(s.after))}"
                  for s in diff.settings]
        lines.append("")
    lines.append(f"**Net seat cost: {money(diff.monthly_delta_cents, signed=True)}/month**")
    return "\n".join(lines) + "\n"


def _count(members: tuple[MemberDelta, ...], kind: str) -> int:
    return sum(1 for m in members if m.kind == kind)


def _member_md(m: MemberDelta) -> str:
    e = code(m.email)
    if m.kind == "added":
        return f"added {e} to {code(m.team_after or '')} as {code(m.role_after or '')}"
    if m.kind == "removed":
        return f"removed {e} from {code(m.team_before or '')} (was {code(m.role_before or '')})"
    if m.kind == "unlisted":
        return (f"{e} leaves {code(m.team_before or '')} (was {code(m.role_before or '')}) but "
                "keeps the seat: `safety.unmanaged` is `report`")
    if m.kind == "role_changed":
        return f"{e}: role {code(m.role_before or '')} → {code(m.role_after or '')}"
    return f"{e}: moved {code(m.team_before or '')} → {code(m.team_after or '')}"


def render_base_section(policy_dir: str | os.PathLike[str], base: str, fmt: str) -> str:
    """What ``plan --base`` prints above the live plan (nothing for JSON output)."""
    from reconciler.gitops.policy_diff import policy_diff

    if fmt == "json":
        return ""
    diff = policy_diff(pathlib.Path.cwd(), base, pathlib.Path(policy_dir))
    if fmt == "markdown":
        return render_policy_diff_markdown(diff) + "\n"
    return render_policy_diff_text(diff) + "\n"
