"""``seatctl usage sync|report|inactive|alerts|chargeback|dashboard|requests``: thin commands.

Each command parses options, calls one function of ``reconciler.usage.service`` (or
``sync``/``propose``), renders the result and returns the exit code: 0 ok, 1 error,
2 when ``alerts`` fired. Meta lines and notes go to stderr for CSV so the CSV itself
stays clean. This module holds the group and the commands that print a report;
``usage_outputs`` those whose result also leaves the terminal (alerts → notifications,
dashboard → an HTML file, inactive --propose → policy edits); ``usage_options`` the
options and plumbing they share.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
from typing import TYPE_CHECKING

import click

from reconciler.cli.demo import sandbox_path
from reconciler.cli.usage_options import (
    common,
    emit,
    fmt_option,
    group_common,
    live_state,
    load,
    parse_date_option,
    today_or_now,
)
from reconciler.cli.usage_outputs import alerts_cmd, dashboard_cmd, write_proposals_for
from reconciler.cli.usage_requests import requests_cmd
from reconciler.usage import service
from reconciler.usage.period import month_period, parse_period
from reconciler.usage.render import Format
from reconciler.usage.reports import BY_CHOICES, By
from reconciler.usage.store import UsageStore

if TYPE_CHECKING:
    from reconciler.model import Policy, TelemetryQuery
    from reconciler.usage.render import Table
    from reconciler.usage.sync import SyncReport
    from reconciler.usage.telemetry import TelemetrySync
from reconciler.usage.views import (
    chargeback_view,
    guide_view,
    inactive_view,
    report_view,
    sync_view,
)


@click.group("usage", invoke_without_command=True)
@group_common
@click.option(
    "--period", default="30d", show_default=True, help="30d, 7d, or YYYY-MM-DD..YYYY-MM-DD."
)
@click.option(
    "--team", default=None, help="Only this team (with --breakdown=developer: its people)."
)
@click.option(
    "--breakdown",
    type=click.Choice(["team", "developer"]),
    default="team",
    show_default=True,
    help="One row per team, or per developer.",
)
@click.option(
    "--session-hours",
    type=float,
    default=1.0,
    show_default=True,
    help="Hours one Claude Code session counts for (Total Active Hours is an estimate).",
)
@fmt_option()
@click.pass_context
def usage(
    ctx: click.Context,
    policy_dir: pathlib.Path,
    db: str,
    sandbox: str | None,
    demo: bool,
    today: dt.date | None,
    read_live: bool,
    period: str,
    team: str | None,
    breakdown: str,
    session_hours: float,
    fmt: Format,
) -> int | None:
    """Usage analytics: sync, reports, inactive seats, alerts, chargeback, dashboard, requests.

    Without a command, the vendor guide's report for ./policies: Team, Period, Total
    Active Hours, Average Daily Users, Top Commands, Suggestions Accepted.

    \b
    Example:
      seatctl usage --period=30d --format=csv
      seatctl usage --team=platform --breakdown=developer
      seatctl usage sync policies && seatctl usage report policies --by role
    """
    if ctx.invoked_subcommand is not None:
        return None
    day = today_or_now(today, sandbox, demo)
    policy = load(policy_dir)
    span = parse_period(period, day)
    from reconciler.usage.telemetry import measured_hours_per_member

    with sandbox_path(sandbox, demo, day, policy=policy) as path, UsageStore(db) as store:
        result = service.run_guide(
            policy, store, period=span, team=team,
            breakdown="developer" if breakdown == "developer" else "team",
            session_hours=session_hours, live=live_state(policy, path, read_live),
            measured=measured_hours_per_member(db, span.start, span.end),
        )
        note = service.coverage_note(store, span)
    emit(guide_view(result).with_notes(note), fmt)
    return 0


@usage.command("sync")
@common
@click.option(
    "--since",
    callback=parse_date_option,
    default=None,
    metavar="YYYY-MM-DD",
    help="Re-read from this day (default: a few days before the last sync).",
)
@click.option(
    "--revise-days",
    default=3,
    show_default=True,
    type=click.IntRange(0, 30),
    help="Days before the last synced day to re-read (analytics are revised).",
)
@fmt_option()
def sync_cmd(
    policy_dir: pathlib.Path,
    db: str,
    sandbox: str | None,
    demo: bool,
    today: dt.date | None,
    read_live: bool,
    since: dt.date | None,
    revise_days: int,
    fmt: Format,
) -> int:
    """Read per-user per-day analytics into the local usage store.

    \b
    Example:
      seatctl usage sync policies --since 2026-11-01
    """
    from reconciler.connect import open_provider
    from reconciler.providers.readonly import ReadOnlyProvider
    from reconciler.usage.sync import sync_usage

    day = today_or_now(today, sandbox, demo)
    policy = load(policy_dir)
    with sandbox_path(sandbox, demo, day, policy=policy) as path, UsageStore(db) as store:
        provider = ReadOnlyProvider(open_provider(policy, sandbox=path))
        report = sync_usage(
            provider,
            store,
            since=since,
            today=day,
            revise_days=revise_days,
            retention_days=policy.usage.retention_days,
        )
    view = sync_view(report)
    tracking = policy.usage.tracking
    if tracking is not None and tracking.query is not None:
        measured, table = _sync_telemetry(policy, tracking.query, db, report, since=since,
                                          today=day, revise_days=revise_days)
        view = dataclasses.replace(view, tables=(*view.tables, table)).with_notes(
            measured.describe())
    emit(view, fmt)
    return 0


def _sync_telemetry(policy: Policy, query: TelemetryQuery, db: str, report: SyncReport, *,
                    since: dt.date | None, today: dt.date, revise_days: int
                    ) -> tuple[TelemetrySync, Table]:
    """Measured usage for the analytics' window (or the last ``revise_days`` when the
    analytics were up to date): telemetry arrives late and is revised like them."""
    from reconciler.providers.prometheus import PrometheusReader
    from reconciler.usage.telemetry import TelemetryStore, hours_per_member, sync_telemetry
    from reconciler.usage.views import measured_hours_table

    end = today - dt.timedelta(days=1)
    start = since or report.start or today - dt.timedelta(days=max(revise_days, 1))
    start = max(start, report.retention_start)
    with PrometheusReader(query) as reader, TelemetryStore(db) as store:
        done = sync_telemetry(reader, store, start=start, end=end,
                              retention_start=report.retention_start)
        rows = store.rows(start, end, "active_seconds")
    return done, measured_hours_table(hours_per_member(policy.assignments, rows))


@usage.command("report")
@common
@click.option(
    "--period", default="30d", show_default=True, help="30d, 7d, or YYYY-MM-DD..YYYY-MM-DD."
)
@click.option("--by", "by", type=click.Choice(BY_CHOICES), default="team", show_default=True,
              help="Group the report by this.")
@fmt_option()
def report_cmd(
    policy_dir: pathlib.Path,
    db: str,
    sandbox: str | None,
    demo: bool,
    today: dt.date | None,
    read_live: bool,
    period: str,
    by: By,
    fmt: Format,
) -> int:
    """Active members, sessions, lines, commits, PRs, acceptance and utilisation.

    \b
    Example:
      seatctl usage report policies --period 30d --by role
    """
    day = today_or_now(today, sandbox, demo)
    policy = load(policy_dir)
    span = parse_period(period, day)
    with sandbox_path(sandbox, demo, day, policy=policy) as path, UsageStore(db) as store:
        result = service.run_report(
            policy, store, by=by, period=span, live=live_state(policy, path, read_live)
        )
        note = service.coverage_note(store, span)
    emit(report_view(result).with_notes(note), fmt)
    return 0


@usage.command("inactive")
@common
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Window without activity (default: usage.inactive_after_days).",
)
@click.option(
    "--propose",
    type=click.Choice(["expire", "remove"]),
    default=None,
    is_flag=False,
    flag_value="expire",
    help="Edit the policy files: mark idle members to expire (default) or remove them.",
)
@click.option(
    "--release-seats",
    is_flag=True,
    help="With --propose remove: lower the team's allocated_seats too.",
)
@fmt_option()
def inactive_cmd(
    policy_dir: pathlib.Path,
    db: str,
    sandbox: str | None,
    demo: bool,
    today: dt.date | None,
    read_live: bool,
    days: int | None,
    propose: str | None,
    release_seats: bool,
    fmt: Format,
) -> int:
    """Seats without activity, their monthly cost, and from when removing them saves.

    \b
    Example:
      seatctl usage inactive policies --days 30
    """
    day = today_or_now(today, sandbox, demo)
    policy = load(policy_dir)
    with sandbox_path(sandbox, demo, day, policy=policy) as path, UsageStore(db) as store:
        result = service.run_inactive(
            policy, store, days=days, today=day, live=live_state(policy, path, read_live)
        )
    emit(inactive_view(result), fmt)
    if propose is not None:
        write_proposals_for(policy, policy_dir, result, propose, day, release_seats)
    return 0


@usage.command("chargeback")
@common
@click.option("--month", required=True, metavar="YYYY-MM", help="Calendar month to charge.")
@fmt_option("csv")
def chargeback_cmd(
    policy_dir: pathlib.Path,
    db: str,
    sandbox: str | None,
    demo: bool,
    today: dt.date | None,
    read_live: bool,
    month: str,
    fmt: Format,
) -> int:
    """Seats × tier price (+ metered cost) per cost center, with totals that add up.

    \b
    Example:
      seatctl usage chargeback policies --month 2026-11 > chargeback.csv
    """
    day = today_or_now(today, sandbox, demo)
    policy = load(policy_dir)
    span = month_period(month)
    with sandbox_path(sandbox, demo, day, policy=policy) as path:
        live = live_state(policy, path, read_live)
        if pathlib.Path(db).exists():  # metered cost, when a sync has read it
            with UsageStore(db) as store:
                result = service.run_chargeback(policy, month=span, live=live, store=store)
        else:
            result = service.run_chargeback(policy, month=span, live=live)
    emit(chargeback_view(result), fmt)
    return 0


usage.add_command(alerts_cmd)
usage.add_command(dashboard_cmd)
usage.add_command(requests_cmd)
