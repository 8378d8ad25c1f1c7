"""Options and plumbing every ``seatctl usage`` command shares.

``common`` adds --policy, --db, --sandbox, --demo, --today and --live; the helpers
load the policy, pick the sandbox, read the live org and print a ``View``.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.model import OrgState, Policy
from reconciler.usage.render import FORMATS, Format, View, render
from reconciler.usage.store import DEFAULT_DB

F = TypeVar("F", bound=Callable[..., Any])


def parse_date_option(
    _ctx: click.Context, param: click.Parameter, value: str | None
) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def common(fn: F) -> F:
    """--policy, --db, --sandbox, --demo, --today (alias --at, as plan and validate have).

    The same on every usage command.
    """
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
            "--at",
            "today",
            callback=parse_date_option,
            default=None,
            metavar="YYYY-MM-DD",
            help="Evaluate as of this UTC date (default: the org's today).",
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


def today_or_now(value: dt.date | None, sandbox: str | None = None,
                 demo: bool = False) -> dt.date:
    """``--today``, else the live org's today (a sandbox keeps its own date: cli.demo)."""
    if value is not None:
        return value
    from reconciler.cli.demo import org_clock

    return org_clock(sandbox, demo).date()


def load(root: pathlib.Path) -> Policy:
    from reconciler.policy import load_policy

    return load_policy(root)


def live_state(policy: Policy, sandbox: str | None, read_live: bool) -> OrgState | None:
    """Live state (added dates, unlisted members) when asked for or a sandbox is used."""
    if sandbox is None and not read_live:
        return None
    from reconciler.providers.factory import open_provider
    from reconciler.providers.readonly import ReadOnlyProvider

    return ReadOnlyProvider(open_provider(policy, sandbox=sandbox)).fetch()


def emit(view: View, fmt: Format) -> None:
    click.echo(render(view, fmt), nl=False)
    if fmt == "csv":
        for key, value in view.meta:
            click.echo(f"{key}: {value}", err=True)
        for note in view.notes:
            click.echo(f"note: {note}", err=True)
