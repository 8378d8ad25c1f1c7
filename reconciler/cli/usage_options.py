"""Options and plumbing every ``seatctl usage`` command shares.

``common`` adds POLICY_DIR, --db, --sandbox, --demo, --at and --live; the helpers
load the policy, pick the sandbox, read the live org and print a ``View``.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reconciler.cli.options import at_option, parse_date, policy_dir_argument, sandbox_option
from reconciler.model import OrgState, Policy
from reconciler.usage.render import FORMATS, Format, View, render
from reconciler.usage.store import DEFAULT_DB

F = TypeVar("F", bound=Callable[..., Any])


#: The date parser ``--at`` uses, for the usage commands' other date options.
parse_date_option = parse_date


def common(fn: F) -> F:
    """POLICY_DIR, --db, --sandbox, --demo, --at, --live: the same on every usage command.

    The spelling of POLICY_DIR, --sandbox and --at (and their old aliases) comes from
    ``cli.options``; ``--db`` here is the usage store, so it is no alias of --sandbox.
    """
    return _with_options(fn, policy_dir_argument(aliases=("--policy",)))


def group_common(fn: F) -> F:
    """``common`` for the ``usage`` group itself (the guide's report): a positional there
    would swallow the subcommand's name, so the policy directory is ``./policies`` or the
    hidden ``--policy-dir``."""
    path = click.Path(file_okay=False, path_type=pathlib.Path)
    return _with_options(fn, click.option(
        "--policy-dir", "--policy", "policy_dir", default="policies", hidden=True, type=path,
        help="Policy directory (default: policies)."))


def _with_options(fn: F, policy_dir: Callable[[F], F]) -> F:
    options: list[Callable[[F], F]] = [
        policy_dir,
        click.option(
            "--db",
            "db",
            default=str(DEFAULT_DB),
            show_default=True,
            help="Usage store (SQLite) path.",
        ),
        sandbox_option("Use the sandbox org in this database as the live org.",
                       db_alias=False),
        click.option(
            "--demo", is_flag=True, help="Use a freshly seeded Acme demo sandbox as the live org."
        ),
        at_option("Evaluate as of this UTC date (default: the org's today).", dest="today"),
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
    """``--at``, else the live org's today (a sandbox keeps its own date: cli.demo)."""
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
    from reconciler.connect import open_provider
    from reconciler.providers.readonly import ReadOnlyProvider

    return ReadOnlyProvider(open_provider(policy, sandbox=sandbox)).fetch()


def emit(view: View, fmt: Format) -> None:
    click.echo(render(view, fmt), nl=False)
    if fmt == "csv":
        for key, value in view.meta:
            click.echo(f"{key}: {value}", err=True)
        for note in view.notes:
            click.echo(f"note: {note}", err=True)
