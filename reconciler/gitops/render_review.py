"""The monthly review as one Markdown document (issue body, email, file)."""

from __future__ import annotations

from reconciler import escape
from reconciler.gitops.render_policy_diff import code, money
from reconciler.gitops.review import MonthlyReview
from reconciler.usage.reports import UsageReport

DAYS_PER_MONTH = 365.25 / 12


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:g}%"


def _utilisation(report: UsageReport, label: str) -> list[str]:
    lines = [f"| {label} | seats held | allocated | active | utilisation | sessions |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in report.rows:
        lines.append(f"| {code(r.key)} | {r.seats} | {r.allocated_seats} | {r.active_members} "
                     f"| {_pct(r.utilisation_pct)} | {r.sessions} |")
    t = report.total
    lines.append(f"| **total** | {t.seats} | {t.allocated_seats} | {t.active_members} | "
                 f"{_pct(t.utilisation_pct)} | {t.sessions} |")
    return lines


def subject(review: MonthlyReview) -> str:
    return f"{review.org_name}: monthly seat review {review.month.start:%Y-%m}"


def render_review_markdown(review: MonthlyReview) -> str:
    m = review.month
    lines = [f"# Monthly seat review — {code(review.org_name)}, {m.start:%B %Y}", "",
             f"Period {m.start} … {m.end}. {review.teams.active_definition}.", ""]
    lines += ["## Utilisation per team", "", *_utilisation(review.teams, "team"), ""]
    lines += ["## Utilisation per cost center", "",
              *_utilisation(review.cost_centers, "cost center"), ""]
    inactive = review.inactive
    lines += [f"## Inactive seats ({len(inactive.seats)}, no activity in "
              f"{inactive.days} days before {inactive.today})", ""]
    if inactive.seats:
        lines += ["| member | team | tier | monthly | days inactive |",
                  "|---|---|---|---:|---:|"]
        for s in inactive.seats:
            days = "–" if s.days_inactive is None else str(s.days_inactive)
            lines.append(f"| {code(s.email)} | {code(s.team)} | {escape.markdown(s.tier)} | "
                         f"{money(s.monthly_price_cents)} | {days} |")
        lines += ["", f"Reclaiming them saves **{money(inactive.monthly_savings_cents)}/month** "
                      f"(from {inactive.next_billing_date}; {inactive.billing_rule}).", ""]
    else:
        lines += ["None.", ""]
    alerts = review.alerts
    lines += [f"## Alerts fired ({len(alerts.alerts)})", ""]
    lines += [f"- **{a.kind.replace('_', ' ')}** {code(a.target)}: {escape.markdown(a.message)}"
              for a in alerts.alerts] or ["None."]
    lines += [f"- _note: {escape.markdown(n)}_" for n in alerts.notes]
    lines.append("")
    lines += [f"## Policy changes merged ({len(review.changes)})", ""]
    lines += [f"- {c.committed_at:%Y-%m-%d} `{c.sha[:7]}` {code(c.subject)} "
              f"({code(c.author)})" for c in review.changes] or ["None."]
    lines.append("")
    lines += ["## Renewal forecast", ""]
    fc = review.forecast
    if fc is None:
        lines.append("No forecast.")
    else:
        per_month = fc.trend.slope_per_day * DAYS_PER_MONTH
        lines += [
            f"- Seat trend: {per_month:+.1f} seats/month (least squares over "
            f"{fc.trend.points} days)",
            f"- Seats needed at contract end {fc.target_date}: **{fc.seats_needed}**",
            f"- With the growth buffer: **{fc.band_low}–{fc.band_high}** seats",
            f"- Purchased today: {fc.purchased} → {fc.verdict}: "
            f"**{money(fc.monthly_delta_cents, signed=True)}/month** "
            f"({money(fc.monthly_delta_cents * 12, signed=True)}/year)",
        ]
    lines.append("")
    lines += [f"> {escape.markdown(n)}" for n in review.notes]
    return "\n".join(lines).rstrip() + "\n"
