"""The ``usage requests`` report as a ``View`` (table, CSV, JSON, Markdown alike).

One row per pending request: who asked, their team and role, the role's cap, their
limit now, month-to-date spend, the decision, what it grants and why; a second table
holds the policy edit of each proposal; with ``--apply`` a third says what was sent.
Text cells are escaped by ``render`` for each medium.
"""

from __future__ import annotations

from reconciler.usage.increase_requests import RequestDecision
from reconciler.usage.increase_run import RequestsRun
from reconciler.usage.render import Column, Table, View

REQUEST_COLUMNS = (
    Column("request_id", "Request"), Column("asked", "Asked"), Column("email", "Member"),
    Column("team", "Team"), Column("role", "Role"), Column("cap", "Role cap", "cents"),
    Column("current", "Limit now", "cents"), Column("month_to_date", "Month to date", "cents"),
    Column("decision", "Decision"), Column("grant", "Grant", "cents"),
    Column("reason", "Reason"),
)  # fmt: skip
EDIT_COLUMNS = (Column("email", "Member"), Column("edit", "Policy edit"))
APPLIED_COLUMNS = (
    Column("request_id", "Request"), Column("email", "Member"),
    Column("grant", "Grant", "cents"), Column("outcome", "Outcome"), Column("detail", "Detail"),
)  # fmt: skip


def _member(d: RequestDecision) -> str:
    return d.request.email or f"(deleted) {d.request.user_id}"


def _row(d: RequestDecision) -> tuple[object, ...]:
    return (d.request.id, d.request.created_at.date().isoformat(), _member(d), d.team or "",
            d.role or "", d.cap_cents, d.current_cents, d.spend_cents, d.decision,
            d.amount_cents, d.reason)  # fmt: skip


def requests_view(run: RequestsRun, *, applying: bool) -> View:
    report = run.report
    counts = " · ".join(f"{n} {report.count(n)}" for n in ("approve", "propose", "skip"))
    to_send = report.count("approve")
    if run.applied:
        mode = f"applied: {sum(a.outcome.endswith('approved') for a in run.applied)} approved"
    elif to_send:
        mode = f"dry run: nothing was changed (--apply approves {to_send})"
    else:
        mode = "nothing pending to act on"
    meta = (("as of", report.at.isoformat()), ("pending", str(len(report.decisions))),
            ("decisions", counts), ("mode", mode),
            ("month-to-date spend", report.spend_source),
            ("list requests", f"{run.pages} (one per page)"))  # fmt: skip
    tables = [
        Table("requests", "Pending increase requests", REQUEST_COLUMNS,
              tuple(_row(d) for d in report.decisions)),
        Table("edits", "Policy edits that would allow the proposals", EDIT_COLUMNS,
              tuple((_member(d), d.edit) for d in report.decisions
                    if d.decision == "propose" and d.edit)),
    ]  # fmt: skip
    if run.applied is not None:
        tables.append(Table("applied", "Sent", APPLIED_COLUMNS, tuple(
            (a.decision.request.id, _member(a.decision), a.decision.amount_cents, a.outcome,
             a.detail) for a in run.applied)))  # fmt: skip
    notes = list(run.notes)
    if report.count("propose"):
        notes.append("proposals are never sent: edit the policy as shown, merge, and run "
                     "this again (an auto-approved limit within a role's rule is kept by plan)")
    if applying and run.applied is not None and any(a.outcome == "failed" for a in run.applied):
        notes.append("an approval failed; nothing after it was sent — see the Sent table")
    return View("Spend-limit increase requests", meta, tuple(tables), tuple(notes))
