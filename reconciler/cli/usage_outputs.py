"""``seatctl usage`` commands whose result leaves the terminal.

``alerts`` (exit 2 when one fires) sends them to the targets org.yaml declares for
each alert kind and/or to ``--notify URL`` webhooks, ``dashboard`` writes one HTML
file, and ``inactive --propose`` edits the policy files (``write_proposals_for``).
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable
from functools import partial

import click

from reconciler.cli.demo import sandbox_path
from reconciler.cli.notifying import NotifyRequest, deliver, notify_option
from reconciler.cli.usage_options import (
    common,
    emit,
    fmt_option,
    live_state,
    load,
    today_or_now,
)
from reconciler.errors import ConfigError
from reconciler.model import Policy
from reconciler.notify.dispatch import NotifyTarget, targets_from_policy
from reconciler.usage import service
from reconciler.usage.alerts import NOTIFY_LIST, AlertReport, route_alerts
from reconciler.usage.inactive import InactiveReport
from reconciler.usage.period import month_period, parse_period
from reconciler.usage.render import Format, render
from reconciler.usage.store import UsageStore
from reconciler.usage.views import alerts_view


@click.command("alerts")
@common
@click.option("--period", default="30d", show_default=True,
              help="30d, 7d, or YYYY-MM-DD..YYYY-MM-DD.")
@click.option(
    "--session-hours",
    default=1.0,
    show_default=True,
    type=float,
    help="Assumed hours per session for the (estimated) max-daily-hours check.",
)
@notify_option("fired alerts")
@fmt_option()
def alerts_cmd(
    policy_dir: pathlib.Path,
    db: str,
    sandbox: str | None,
    demo: bool,
    today: dt.date | None,
    read_live: bool,
    period: str,
    session_hours: float,
    notify_request: NotifyRequest,
    fmt: Format,
) -> int:
    """Low utilisation, high usage, hours over a role's max (measured where telemetry
    exists, else estimated); exit 2 if any.

    \b
    Example:
      seatctl usage alerts policies --period 7d --notify
    """
    from reconciler.usage.telemetry import measured_hours

    day = today_or_now(today, sandbox, demo)
    policy = load(policy_dir)
    span = parse_period(period, day)
    with sandbox_path(sandbox, demo, day, policy=policy) as path, UsageStore(db) as store:
        run = service.run_alerts(
            policy,
            store,
            period=span,
            session_hours=session_hours,
            live=live_state(policy, path, read_live),
            measured=measured_hours(db, span.start, span.end),
        )
    shown = f"{span} ({span.days} days)"
    active = service.active_definition(policy).describe()
    emit(alerts_view(run.report, period=shown, active=active), fmt)
    if notify_request and run.report.fired:
        send_alerts(policy, run.report, notify_request, period=shown, active=active)
    return 2 if run.report.fired else 0


def send_alerts(policy: Policy, report: AlertReport, request: NotifyRequest, *,
                period: str, active: str) -> None:
    """Each declared target gets one message with the alerts routed to it (org.yaml's
    ``usage.alerting.*.notify``); each ``--notify URL`` gets them all. Outcomes and
    failures are stderr lines; nothing here changes the exit code."""
    sends: list[tuple[str, Callable[[], list[NotifyTarget]], AlertReport, str]] = []
    if request.declared:
        for route in route_alerts(policy, report):
            kinds = dict.fromkeys(a.kind for a in route.report.alerts)
            lists = " and ".join(f"usage.alerting.{k}.notify"
                                 for k in dict.fromkeys(NOTIFY_LIST[k] for k in kinds))
            sends.append((f"{', '.join(kinds)} alerts",
                          partial(targets_from_policy, policy.notifications, route.notify),
                          route.report, f"{lists} in org.yaml names no target"))
    if request.urls:
        sends.append(("usage alerts", partial(request.url_targets, "usage alerts"), report, ""))
    for what, targets, part, empty in sends:
        view = alerts_view(part, period=period, active=active)
        deliver(targets, f"seatctl: {len(part.alerts)} usage alert(s)", render(view, "table"),
                markdown=render(view, "markdown"), what=what, none_declared=empty)


@click.command("dashboard")
@common
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    help="HTML file to write.",
)
@click.option(
    "--period",
    default=None,
    help="30d, 7d or YYYY-MM-DD..YYYY-MM-DD (default: the whole retention window).",
)
@click.option(
    "--month",
    default=None,
    metavar="YYYY-MM",
    help="Month for the cost chart (default: the current month).",
)
def dashboard_cmd(
    policy_dir: pathlib.Path,
    db: str,
    sandbox: str | None,
    demo: bool,
    today: dt.date | None,
    read_live: bool,
    out: pathlib.Path,
    period: str | None,
    month: str | None,
) -> int:
    """Write one self-contained HTML file with the usage charts.

    \b
    Example:
      seatctl usage dashboard policies --out usage.html
    """
    day = today_or_now(today, sandbox, demo)
    policy = load(policy_dir)
    span = parse_period(period or f"{policy.usage.retention_days}d", day)
    cost_month = month_period(month or f"{day:%Y-%m}")
    with sandbox_path(sandbox, demo, day, policy=policy) as path, UsageStore(db) as store:
        page = service.run_dashboard(
            policy,
            store,
            period=span,
            month=cost_month,
            today=day,
            live=live_state(policy, path, read_live),
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot write {out}: {exc.strerror}", hint="pick another --out"
        ) from None
    click.echo(f"wrote {out} ({len(page):,} bytes)", err=True)
    return 0


def write_proposals_for(policy: Policy, policy_dir: pathlib.Path, result: InactiveReport,
                        propose: str, day: dt.date, release_seats: bool) -> None:
    """``inactive --propose``: edit the team files and say what changed (stderr)."""
    from reconciler.usage.propose import plan_proposals, write_proposals

    proposals, skipped = plan_proposals(
        policy,
        result,
        mode=propose,  # type: ignore[arg-type]
        today=day,
    )
    done = write_proposals(policy_dir, proposals, skipped, release_seats=release_seats)
    for p in done.proposals:
        what = (f"expires {p.expires}" if p.action == "expire" else "removed"
                if p.expires is None else
                f"removed (expires {p.expires}: unmanaged: report keeps members the policy "
                "no longer lists, so the plan removes them as expired)")
        click.echo(f"proposed: {p.email} ({p.team}) {what}: {p.reason}", err=True)
    for email, reason in done.skipped:
        click.echo(f"skipped: {email}: {reason}", err=True)
    changed = ", ".join(done.files_changed) or "none"
    if not done.files_changed:
        click.echo("files changed: none; nothing to propose", err=True)
        return
    click.echo(f"files changed: {changed}; run `seatctl plan` to review the removals "
               f"(they save {_usd(done.monthly_savings_cents)}/month)", err=True)


def _usd(cents: int) -> str:
    whole, frac = divmod(cents, 100)
    return f"${whole:,}.{frac:02d}"
