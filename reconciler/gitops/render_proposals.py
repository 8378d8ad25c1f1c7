"""The month's proposals pull request: its description (GitHub Markdown) and commit message.

Every name from the live org or the policy (emails, teams, reasons) goes through
``reconciler.escape`` (code spans for names, ``markdown`` for prose); the hidden
marker says which month and organization the PR belongs to, so a later run finds
and updates it instead of opening a second one.
"""

from __future__ import annotations

from reconciler import escape
from reconciler.gitops.proposals import MonthProposals, ProposedRemoval
from reconciler.gitops.render_policy_diff import code, money

#: GitHub refuses bodies above 65,536 characters; the table is cut well before.
BODY_LIMIT = 60_000


def marker(p: MonthProposals) -> str:
    """The hidden line that identifies this organization's proposals PR of this month."""
    return f"<!-- seatctl-proposals {p.month} {p.org_key} -->"


def _last_active(r: ProposedRemoval) -> str:
    seat = r.seat
    if seat.last_active is not None:
        return f"{seat.last_active}"
    return "never" if seat.days_inactive is not None else "–"


def render_pr_body(p: MonthProposals) -> str:
    """The PR description: each proposal (who, team, why, last active) and the savings."""
    lines = [marker(p), f"## seatctl proposals for {p.month} — {code(p.org_name)}", ""]
    if p.empty:
        lines += [f"Nothing to propose as of {p.today}: no seat went {p.days} days without "
                  "activity, or every idle member is protected or outside the policy.", ""]
    else:
        lines += [
            f"{len(p.removals)} seat(s) had no activity in the {p.days} days before "
            f"{p.today}. This pull request removes those members and releases their seats "
            "(each team's `allocated_seats` drops by the seats it gives back), as "
            "`seatctl usage inactive --propose remove --release-seats` writes it. "
            "The plan on this pull request shows the removals under the usual guards; "
            "merge to apply, close to decline.", "",
            "| member | team | why | last active | per month |",
            "|---|---|---|---|---:|",
        ]
        body_size = sum(len(x) for x in lines)
        for i, r in enumerate(p.removals):
            row = (f"| {code(r.proposal.email)} | {code(r.proposal.team)} | "
                   f"{escape.markdown(r.proposal.reason)} | {_last_active(r)} | "
                   f"{money(r.monthly_cents)} |")
            if body_size + len(row) > BODY_LIMIT:
                lines.append(f"| … | {len(p.removals) - i} more | | | |")
                break
            lines.append(row)
            body_size += len(row)
        lines += ["", "### Savings", ""]
        lines.append(f"- **{money(p.monthly_cents)} per month** from {p.saves_from}, the next "
                     f"billing date ({escape.markdown(p.billing_rule)}).")
        if p.contract_end is None:
            lines.append("- To the contract end: unknown (no `contract.end` in org.yaml).")
        else:
            lines.append(f"- **{money(p.to_contract_end_cents)} to the contract end** "
                         f"{p.contract_end} ({p.cycles_to_end} billing cycle(s), a cycle the "
                         "contract end cuts counted for its covered days).")
        lines.append(f"- Purchased seats are billed in advance: today {p.held_seats} of "
                     f"{p.purchased_seats} are held. Seats released here are billed as "
                     "unassigned until the purchase is lowered to match at the next true-up "
                     "or renewal.")
        lines.append("")
    if p.skipped:
        lines += ["### Not proposed", ""]
        lines += [f"- {code(email)}: {escape.markdown(why)}" for email, why in p.skipped]
        lines.append("")
    lines.append(f"_Opened by the scheduled `seatctl ci proposals-pr` run; it rewrites branch "
                 f"`{p.branch}` only while every commit on it is its own._")
    return "\n".join(lines).rstrip() + "\n"


def render_commit_message(p: MonthProposals) -> str:
    """The bot commit's message: subject from the month and counts, body from the list."""
    lines = [p.title, ""]
    lines += [escape.terminal(f"- remove {r.proposal.email} ({r.proposal.team}): "
                              f"{r.proposal.reason}") for r in p.removals]
    lines += ["", f"Saves {money(p.monthly_cents)}/month from {p.saves_from}."]
    return "\n".join(lines) + "\n"
