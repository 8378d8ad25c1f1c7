"""The options every command spells the same way, and the old spellings kept as aliases.

One name per concept across the CLI: the policy directory is the positional
``POLICY_DIR``, the evaluation day ``--at DATE``, the sandbox ``--sandbox PATH``. The
spellings earlier releases used (``--policy``, ``--policy-dir``, ``--today``, ``--db``
for a sandbox) still work for one release: hidden from ``--help``, they set the same
parameter and print a deprecation note on stderr. Commands declare these through the
decorators below, so the spelling lives here once.
"""

from __future__ import annotations

import datetime as dt
import functools
import pathlib
from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.core import ParameterSource

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_POLICY_DIR = "policies"


def parse_date(_ctx: click.Context | None, _param: click.Parameter | None,
               value: str | dt.date | None) -> dt.date | None:
    """``YYYY-MM-DD`` as a date; a clear usage error (exit 1) for anything else."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD") from None


def deprecated_alias(old: str, dest: str, new: str, **option: Any) -> Callable[[F], F]:
    """A hidden option ``old`` that sets the command's parameter ``dest``.

    ``new`` is how the note names the current spelling. Giving both spellings at once
    is a usage error rather than a silent pick of one.
    """
    hidden_dest = "deprecated_" + old.lstrip("-").replace("-", "_") + "_for_" + dest

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            value = kwargs.pop(hidden_dest, None)
            if value is not None:
                ctx = click.get_current_context()
                if ctx.get_parameter_source(dest) is ParameterSource.COMMANDLINE:
                    raise click.UsageError(f"give {new} or {old}, not both ({old} is the "
                                           f"deprecated spelling of {new})", ctx=ctx)
                click.echo(f"note: {old} is deprecated and will be removed; use {new}",
                           err=True)
                kwargs[dest] = value
            return fn(*args, **kwargs)

        return click.option(old, hidden_dest, hidden=True, default=None,
                            **option)(wrapper)  # type: ignore[return-value]

    return decorate


def _stack(fn: F, decorators: list[Callable[[F], F]]) -> F:
    for decorator in reversed(decorators):
        fn = decorator(fn)
    return fn


def policy_dir_argument(dest: str = "policy_dir", *,
                        aliases: tuple[str, ...] = ("--policy", "--policy-dir"),
                        ) -> Callable[[F], F]:
    """The positional ``POLICY_DIR`` (default ``policies``) and its old option spellings."""
    path = click.Path(file_okay=False, path_type=pathlib.Path)

    def decorate(fn: F) -> F:
        return _stack(fn, [
            click.argument(dest, metavar="[POLICY_DIR]", required=False,
                           default=DEFAULT_POLICY_DIR, type=path),
            *[deprecated_alias(old, dest, "the POLICY_DIR argument", type=path)
              for old in aliases],
        ])

    return decorate


def at_option(help: str, dest: str = "at") -> Callable[[F], F]:
    """``--at DATE``, the day a command evaluates at (a ``datetime.date``), and ``--today``."""
    def decorate(fn: F) -> F:
        return _stack(fn, [
            click.option("--at", dest, metavar="DATE", default=None, callback=parse_date,
                         help=help + " DATE is YYYY-MM-DD."),
            deprecated_alias("--today", dest, "--at", metavar="DATE", callback=parse_date),
        ])

    return decorate


def sandbox_option(help: str, dest: str = "sandbox", *, default: str | None = None,
                   db_alias: bool = True) -> Callable[[F], F]:
    """``--sandbox PATH``, a sandbox org's database, and its old spelling ``--db``.

    ``db_alias`` is off where ``--db`` already names something else (the usage store).
    """
    path = click.Path(dir_okay=False)

    def decorate(fn: F) -> F:
        decorators: list[Callable[[F], F]] = [
            click.option("--sandbox", dest, metavar="PATH", type=path, default=default,
                         show_default=default is not None, help=help),
        ]
        if db_alias:
            decorators.append(deprecated_alias("--db", dest, "--sandbox", type=path))
        return _stack(fn, decorators)

    return decorate


def override_options(scope: str, approver_help: str) -> Callable[[F], F]:
    """The guard overrides plan and apply both take, each also from ``SEATCTL_*`` (CI).

    ``scope`` ends each help line ("" or " for this apply"); plan records what it was
    given and apply must be given the same (``apply.rederive``).
    """
    def decorate(fn: F) -> F:
        return _stack(fn, [
            click.option("--approve-overflow", is_flag=True, envvar="SEATCTL_APPROVE_OVERFLOW",
                         help=f"Approve teams above their allocation{scope} (needs --approver)."),
            click.option("--allow-large-removal", is_flag=True,
                         envvar="SEATCTL_ALLOW_LARGE_REMOVAL",
                         help=f"Let removals exceed the safety caps{scope} (needs --approver)."),
            click.option("--allow-many-role-changes", is_flag=True,
                         envvar="SEATCTL_ALLOW_MANY_ROLE_CHANGES",
                         help=f"Let role changes exceed the safety caps{scope} "
                         "(needs --approver)."),
            click.option("--approver", default="", envvar="SEATCTL_APPROVER", metavar="LOGIN",
                         help=approver_help),
        ])

    return decorate
