"""Usage results → the one ``View`` model that ``render`` prints in four formats."""

from __future__ import annotations

from reconciler.usage.alerts import AlertReport
from reconciler.usage.chargeback import ChargebackReport
from reconciler.usage.guide import GuideReport
from reconciler.usage.inactive import InactiveReport
from reconciler.usage.render import Column, Table, View
from reconciler.usage.reports import ReportRow, UsageReport
from reconciler.usage.sync import SyncReport
from reconciler.usage.telemetry import MeasuredHours

_METRICS: tuple[Column, ...] = (
    Column("seats", "seats", "int"),
    Column("allocated_seats", "allocated", "int"),
    Column("active_members", "active", "int"),
    Column("utilisation_pct", "utilisation", "pct"),
    Column("active_days", "active days", "int"),
    Column("sessions", "sessions", "int"),
    Column("lines_added", "lines +", "int"),
    Column("lines_removed", "lines -", "int"),
    Column("commits", "commits", "int"),
    Column("pull_requests", "PRs", "int"),
    Column("tool_accepted", "accepted", "int"),
    Column("tool_rejected", "rejected", "int"),
    Column("acceptance_rate_pct", "acceptance", "pct"),
)
_MEMBER_COLUMNS: tuple[Column, ...] = (
    Column("member", "member"),
    Column("team", "team"),
    Column("role", "role"),
    Column("active_days", "active days", "int"),
    Column("last_active", "last active"),
    *(c for c in _METRICS[5:]),
)


def _metric_values(r: ReportRow) -> tuple[object, ...]:
    return (
        r.seats,
        r.allocated_seats,
        r.active_members,
        r.utilisation_pct,
        r.active_days,
        r.sessions,
        r.lines_added,
        r.lines_removed,
        r.commits,
        r.pull_requests,
        r.tool_accepted,
        r.tool_rejected,
        r.acceptance_rate_pct,
    )


def _member_values(r: ReportRow) -> tuple[object, ...]:
    return (
        r.key,
        r.team,
        r.role,
        r.active_days,
        r.last_active or None,
        r.sessions,
        r.lines_added,
        r.lines_removed,
        r.commits,
        r.pull_requests,
        r.tool_accepted,
        r.tool_rejected,
        r.acceptance_rate_pct,
    )


def report_view(report: UsageReport) -> View:
    meta = (
        ("period", f"{report.period} ({report.period.days} days)"),
        ("by", report.by),
        ("active", report.active_definition),
    )
    if report.by == "member":
        rows = tuple(_member_values(r) for r in report.rows)
        main = Table("rows", "by member", _MEMBER_COLUMNS, rows)
        total = Table(
            "total",
            "total",
            (Column("key", ""), *_METRICS),
            (("total", *_metric_values(report.total)),),
        )
        return View("Usage report", meta, (main, total))
    key = Column("key", report.by)
    main = Table(
        "rows",
        f"by {report.by}",
        (key, *_METRICS),
        tuple((r.key, *_metric_values(r)) for r in report.rows),
    )
    total = Table(
        "total",
        "total",
        (Column("key", ""), *_METRICS),
        (("total", *_metric_values(report.total)),),
    )
    tables = [main, total]
    for team in sorted(report.breakdown):
        tables.append(
            Table(
                f"team:{team}",
                f"team {team}: by developer",
                _MEMBER_COLUMNS,
                tuple(_member_values(r) for r in report.breakdown[team]),
            )
        )
    return View("Usage report", meta, tuple(tables))


def inactive_view(report: InactiveReport) -> View:
    cols = (
        Column("member", "member"),
        Column("team", "team"),
        Column("role", "role"),
        Column("tier", "seat tier"),
        Column("monthly_cost", "monthly cost", "cents"),
        Column("last_active", "last active"),
        Column("days_inactive", "days inactive", "int"),
        Column("basis", "counted from"),
        Column("saves_from", "saves from"),
    )
    rows = tuple(
        (
            s.email,
            s.team,
            s.role,
            s.tier,
            s.monthly_price_cents,
            s.last_active.isoformat() if s.last_active else None,
            s.days_inactive,
            s.basis,
            s.saves_from.isoformat(),
        )
        for s in report.seats
    )
    meta = (
        ("window", f"no activity in the {report.days} days before {report.today}"),
        ("active", report.active_definition),
        ("inactive seats", str(len(report.seats))),
        (
            "potential savings",
            f"{_usd(report.monthly_savings_cents)} per month, from {report.next_billing_date}",
        ),
        ("billing rule", report.billing_rule),
    )
    return View(
        "Inactive seats",
        meta,
        (Table("seats", "inactive seats", cols, rows),),
        extra={
            "monthly_savings_cents": report.monthly_savings_cents,
            "saves_from": report.next_billing_date.isoformat(),
        },
    )


def alerts_view(report: AlertReport, *, period: str, active: str) -> View:
    cols = (
        Column("kind", "alert"),
        Column("target", "target"),
        Column("value", "value", "float"),
        Column("threshold", "threshold", "float"),
        Column("estimated", "estimated"),
        Column("message", "message"),
    )
    rows = tuple(
        (a.kind, a.target, a.value, a.threshold, "yes" if a.estimated else "no", a.message)
        for a in report.alerts
    )
    meta = (("period", period), ("active", active), ("alerts", str(len(report.alerts))))
    return View("Usage alerts", meta, (Table("alerts", "alerts", cols, rows),), report.notes)


def chargeback_view(report: ChargebackReport) -> View:
    """Lines per cost center and tier, the invoice total, and one line per member."""
    cols = (
        Column("cost_center", "cost center"),
        Column("tier", "seat tier"),
        Column("seats", "seats", "int"),
        Column("unit_price", "unit price", "cents"),
        Column("seat_cost", "seat cost", "cents"),
        Column("metered", "metered", "cents"),
        Column("total", "total", "cents"),
    )
    rows: list[tuple[object, ...]] = [
        (
            ln.cost_center,
            ln.tier,
            ln.seats,
            ln.unit_price_cents,
            ln.seat_cost_cents,
            ln.metered_cents,
            ln.total_cents,
        )
        for ln in report.lines
    ]
    rows.append(
        (
            "TOTAL",
            "",
            report.seats,
            None,
            report.seat_cost_cents,
            report.metered_cents,
            report.total_cents,
        )
    )
    member_cols = (
        Column("member", "member"),
        Column("team", "team"),
        Column("cost_center", "cost center"),
        Column("tier", "seat tier"),
        Column("seat_cost", "seat cost", "cents"),
        Column("metered", "metered", "cents"),
        Column("total", "total", "cents"),
        Column("basis", "basis"),
    )
    member_rows = tuple(
        (m.email, m.team, m.cost_center, m.tier, m.seat_cost_cents, m.metered_cents,
         m.total_cents, m.basis)
        for m in report.members
    )
    meta = (
        ("month", f"{report.month.start:%Y-%m} (billing cycle {report.month})"),
        ("seats", f"{report.seats} held of {report.purchased_seats} purchased"),
        ("invoice", _usd(report.invoice_cents)),
    )
    return View(
        "Chargeback",
        meta,
        (
            Table("lines", "chargeback", cols, tuple(rows)),
            Table("members", "per member", member_cols, member_rows),
        ),
        report.notes,
    )


def sync_view(report: SyncReport) -> View:
    cols = (
        Column("start", "from"),
        Column("end", "to"),
        Column("days", "days", "int"),
        Column("rows_inserted", "rows stored", "int"),
        Column("rows_deleted", "rows replaced", "int"),
        Column("rows_pruned", "rows pruned", "int"),
    )
    row = (
        str(report.start or ""),
        str(report.end or ""),
        report.days,
        report.rows_inserted,
        report.rows_deleted,
        report.rows_pruned,
    )
    return View(
        "Usage sync",
        (("result", report.describe()),),
        (Table("sync", "sync", cols, (row,)),),
        report.notes,
    )


def _usd(cents: int) -> str:
    whole, frac = divmod(cents, 100)
    return f"${whole:,}.{frac:02d}"


def measured_hours_table(rows: list[MeasuredHours]) -> Table:
    """Per member, the active hours Claude Code's telemetry measured in the sync window."""
    cols = (
        Column("team", "team"),
        Column("email", "member"),
        Column("active_hours", "active hours (measured)", "float"),
        Column("days", "days measured", "int"),
    )
    return Table("telemetry", "Measured active hours", cols,
                 tuple((m.team, m.email, m.hours, m.days) for m in rows))


def guide_view(report: GuideReport) -> View:
    """The guide's columns (Team, Period, Total Active Hours, ...) and the tool mix."""
    developer = report.breakdown == "developer"
    cols = (
        Column("team", "Team"),
        *((Column("developer", "Developer"),) if developer else ()),
        Column("period", "Period"),
        Column("total_active_hours", "Total Active Hours", "float"),
        Column("average_daily_users", "Average Daily Users", "float"),
        Column("top_commands", "Top Commands"),
        Column("suggestions_accepted_pct", "Suggestions Accepted", "pct"),
    )
    rows = tuple(
        (
            r.team,
            *((r.member,) if developer else ()),
            f"{r.period.start}..{r.period.end}",
            r.active_hours,
            r.average_daily_users,
            r.top_commands or None,
            r.suggestions_accepted_pct,
        )
        for r in report.rows
    )
    total_actions = sum(a + r for _, a, r in report.tool_mix)
    mix = tuple(
        (tool, a, r, round(100.0 * (a + r) / total_actions, 1) if total_actions else None,
         round(100.0 * a / (a + r), 1) if a + r else None)
        for tool, a, r in report.tool_mix
    )
    mix_cols = (
        Column("tool", "tool"),
        Column("accepted", "accepted", "int"),
        Column("rejected", "rejected", "int"),
        Column("share_pct", "share of actions", "pct"),
        Column("acceptance_pct", "accepted", "pct"),
    )
    meta = (
        ("period", f"{report.period} ({report.period.days} days)"),
        ("scope", f"team {report.team}" if report.team else "every team"),
        ("breakdown", report.breakdown),
        ("Total Active Hours", report.hours_rule),
        ("Average Daily Users", "active members per day, averaged over the period's days"),
        ("Suggestions Accepted", "accepted ÷ (accepted + rejected) Claude Code tool actions"),
        ("active", report.active_definition),
    )
    return View(
        "Usage",
        meta,
        (
            Table("usage", "by developer" if developer else "by team", cols, rows),
            Table("tools", "Top Commands: Claude Code tool-action mix", mix_cols, mix),
        ),
    )
