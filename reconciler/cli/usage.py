"""``seatctl usage sync|report|inactive|alerts|chargeback|dashboard``: thin commands.

Each command parses options, calls one function of ``reconciler.usage.service`` (or
``sync``/``propose``), renders the result and returns the exit code: 0 ok, 1 error,
2 when ``alerts`` fired. Meta lines and notes go to stderr for CSV so the CSV itself
stays clean.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import pathlib
import tempfile
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import click

from reconciler.errors import ConfigError
from reconciler.model import OrgState, Policy
from reconciler.usage import service
from reconciler.usage.period import month_period, parse_period
from reconciler.usage.render import FORMATS, Format, View, render
from reconciler.usage.reports import BY_CHOICES, By
from reconciler.usage.store import DEFAULT_DB, UsageStore
from reconciler.usage.views import (
    alerts_view,
    chargeback_view,
    inactive_view,
    report_view,
    sync_view,
)

F = TypeVar("F", bound=Callable[..., Any])


def _date(_ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def common(fn: F) -> F:
    """--policy, --db, --sandbox, --demo, --today: the same on every usage command."""
    options = [
        click.option(
            "--policy",
            "policy_dir",
            default="policies",
            show_default=True,
            type=click.Path(file_okay=False, path_type=pathlib.Path),
            help="Policy directory (org.yaml, roles.yaml, teams/).",
        ),
        click.option(
            "--db",
            "db",
            default=str(DEFAULT_DB),
            show_default=True,
            help="Usage store (SQLite) path.",
        ),
        click.option(
            "--sandbox",
            "sandbox",
            default=None,
            metavar="DB",
            help="Use the sandbox org in this database as the live org.",
        ),
        click.option(
            "--demo", is_flag=True, help="Use a freshly seeded Acme demo sandbox as the live org."
        ),
        click.option(
            "--today",
            callback=_date,
            default=None,
            metavar="YYYY-MM-DD",
            help="Evaluate as of this UTC date (default: today).",
        ),
        click.option(
            "--live",
            "read_live",
            is_flag=True,
            help="Read the live org (members, added dates, unlisted); implied by --sandbox/--demo.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def fmt_option(default: str = "table") -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=default,
        show_default=True,
        help="Output format.",
    )


def _today(value: dt.date | None) -> dt.date:
    return value or dt.datetime.now(dt.UTC).date()


def _load_policy(root: pathlib.Path) -> Policy:
    from reconciler.policy import load_policy

    return load_policy(root)


@contextlib.contextmanager
def _sandbox_path(sandbox: str | None, demo: bool, today: dt.date) -> Iterator[str | None]:
    """The sandbox DB to use: the given one, a temporary seeded demo, or none."""
    if sandbox and demo:
        raise ConfigError("--sandbox and --demo exclude each other", hint="pass one of them")
    if not demo:
        yield sandbox
        return
    from reconciler.sandbox.demo import seed_demo
    from reconciler.sandbox.store import SandboxStore

    with tempfile.TemporaryDirectory(prefix="seatctl-demo-") as tmp:
        path = str(pathlib.Path(tmp) / "demo.db")
        store = SandboxStore(path)
        try:
            seed_demo(store, today)
        finally:
            store.close()
        yield path


def _live(policy: Policy, sandbox: str | None, read_live: bool) -> OrgState | None:
    """Live state (added dates, unlisted members) when asked for or a sandbox is used."""
    if sandbox is None and not read_live:
        return None
    from reconciler.providers.factory import open_provider
    from reconciler.providers.readonly import ReadOnlyProvider

    return ReadOnlyProvider(open_provider(policy, sandbox=sandbox)).fetch()


def _emit(view: View, fmt: Format) -> None:
    click.echo(render(view, fmt), nl=False)
    if fmt == "csv":
        for key, value in view.meta:
            click.echo(f"{key}: {value}", err=True)
        for note in view.notes:
            click.echo(f"note: {note}", err=True)


@click.group("usage")
def usage() -> None:
    """Usage analytics: sync, reports, inactive seats, alerts, chargeback, dashboard."""


@usage.command("sync")
@common
@click.option(
    "--since",
    callback=_date,
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
    """Read per-user per-day analytics into the local usage store."""
    from reconciler.providers.factory import open_provider
    from reconciler.providers.readonly import ReadOnlyProvider
    from reconciler.usage.sync import sync_usage

    day = _today(today)
    policy = _load_policy(policy_dir)
    with _sandbox_path(sandbox, demo, day) as path, UsageStore(db) as store:
        provider = ReadOnlyProvider(open_provider(policy, sandbox=path))
        report = sync_usage(
            provider,
            store,
            since=since,
            today=day,
            revise_days=revise_days,
            retention_days=policy.usage.retention_days,
        )
    _emit(sync_view(report), fmt)
    return 0


@usage.command("report")
@common
@click.option(
    "--period", default="30d", show_default=True, help="30d, 7d, or YYYY-MM-DD..YYYY-MM-DD."
)
@click.option("--by", "by", type=click.Choice(BY_CHOICES), default="team", show_default=True)
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
    """Active members, sessions, lines, commits, PRs, acceptance and utilisation."""
    day = _today(today)
    policy = _load_policy(policy_dir)
    span = parse_period(period, day)
    with _sandbox_path(sandbox, demo, day) as path, UsageStore(db) as store:
        result = service.run_report(
            policy, store, by=by, period=span, live=_live(policy, path, read_live)
        )
        note = service.coverage_note(store, span)
    view = report_view(result)
    if note:
        view = View(view.title, view.meta, view.tables, (*view.notes, note), view.extra)
    _emit(view, fmt)
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
    """Seats without activity, their monthly cost, and from when removing them saves."""
    from reconciler.usage.propose import plan_proposals, write_proposals

    day = _today(today)
    policy = _load_policy(policy_dir)
    with _sandbox_path(sandbox, demo, day) as path, UsageStore(db) as store:
        result = service.run_inactive(
            policy, store, days=days, today=day, live=_live(policy, path, read_live)
        )
    _emit(inactive_view(result), fmt)
    if propose is not None:
        proposals, skipped = plan_proposals(
            policy,
            result,
            mode=propose,  # type: ignore[arg-type]
            today=day,
        )
        done = write_proposals(policy_dir, proposals, skipped, release_seats=release_seats)
        for p in done.proposals:
            what = f"expires {p.expires}" if p.action == "expire" else "removed"
            click.echo(f"proposed: {p.email} ({p.team}) {what}: {p.reason}", err=True)
        for email, reason in done.skipped:
            click.echo(f"skipped: {email}: {reason}", err=True)
        changed = ", ".join(done.files_changed) or "none"
        click.echo(f"files changed: {changed}; run `seatctl plan` to review the removals", err=True)
    return 0


@usage.command("alerts")
@common
@click.option("--period", default="30d", show_default=True)
@click.option(
    "--session-hours",
    default=1.0,
    show_default=True,
    type=float,
    help="Assumed hours per session for the (estimated) max-daily-hours check.",
)
@click.option(
    "--notify",
    "notify_urls",
    multiple=True,
    metavar="URL",
    help="Also post the alerts to this Slack-compatible webhook (repeatable).",
)
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
    notify_urls: tuple[str, ...],
    fmt: Format,
) -> int:
    """Low utilisation, high usage, estimated hours over a role's max; exit 2 if any."""
    day = _today(today)
    policy = _load_policy(policy_dir)
    span = parse_period(period, day)
    with _sandbox_path(sandbox, demo, day) as path, UsageStore(db) as store:
        run = service.run_alerts(
            policy,
            store,
            period=span,
            session_hours=session_hours,
            live=_live(policy, path, read_live),
        )
    view = alerts_view(
        run.report,
        period=f"{span} ({span.days} days)",
        active=service.active_definition(policy).describe(),
    )
    _emit(view, fmt)
    if notify_urls and run.report.fired:
        _notify(view, notify_urls)
    return 2 if run.report.fired else 0


def _notify(view: View, urls: tuple[str, ...]) -> None:
    """Post like drift does; a failed post is reported and never changes the result."""
    from reconciler.notify.webhook import NotifyError, build_payload, post_webhook, redact_url

    subject = f"seatctl: {len(view.tables[0].rows)} usage alert(s)"
    payload = build_payload(subject, render(view, "table"), markdown=render(view, "markdown"))
    for url in urls:
        try:
            post_webhook(url, payload)
        except NotifyError as exc:
            click.echo(f"warning: notification to {redact_url(url)} failed: {exc}", err=True)


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
    """Seats × tier price (+ metered cost) per cost center, with totals that add up."""
    day = _today(today)
    policy = _load_policy(policy_dir)
    span = month_period(month)
    with _sandbox_path(sandbox, demo, day) as path:
        result = service.run_chargeback(policy, month=span, live=_live(policy, path, read_live))
    _emit(chargeback_view(result), fmt)
    return 0


@usage.command("dashboard")
@common
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=pathlib.Path),
    help="HTML file to write.",
)
@click.option("--period", default="30d", show_default=True)
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
    period: str,
    month: str | None,
) -> int:
    """Write one self-contained HTML file with the usage charts."""
    day = _today(today)
    policy = _load_policy(policy_dir)
    span = parse_period(period, day)
    cost_month = month_period(month or f"{day:%Y-%m}")
    with _sandbox_path(sandbox, demo, day) as path, UsageStore(db) as store:
        page = service.run_dashboard(
            policy,
            store,
            period=span,
            month=cost_month,
            today=day,
            live=_live(policy, path, read_live),
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
