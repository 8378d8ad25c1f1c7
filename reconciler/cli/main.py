"""The ``seatctl`` entry point: the root group and the error boundary.

Command groups live in sibling modules and register themselves in ``COMMANDS``
below. Every ``SeatctlError`` becomes a one-line message plus hint on stderr and its
exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys

import click

from reconciler import __version__
from reconciler.errors import SeatctlError

#: (module, attribute) of each top-level command, imported lazily so one broken or
#: slow import never takes the whole CLI down and ``--help`` stays fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "apply": ("reconciler.cli.apply", "apply"),
    "audit": ("reconciler.cli.audit", "audit"),
    "ci": ("reconciler.cli.gitops", "ci"),
    "lock": ("reconciler.cli.apply", "lock"),
    "drift": ("reconciler.cli.drift", "drift"),
    "import": ("reconciler.cli.importer", "import_cmd"),
    "init": ("reconciler.cli.gitops", "init"),
    "plan": ("reconciler.cli.plan", "plan"),
    "schema": ("reconciler.cli.schema", "schema"),
    "review": ("reconciler.cli.review", "review"),
    "status": ("reconciler.cli.status", "status"),
    "sandbox": ("reconciler.cli.sandbox", "sandbox"),
    "settings": ("reconciler.cli.settings", "settings"),
    "state": ("reconciler.cli.gitops", "state"),
    "usage": ("reconciler.cli.usage", "usage"),
    "validate": ("reconciler.cli.validate", "validate"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attr = COMMANDS[cmd_name]
        cmd = getattr(importlib.import_module(module), attr)
        assert isinstance(cmd, click.Command)
        return cmd


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seatctl")
def cli() -> None:
    """Seat and role policy for Claude organizations, kept as code."""


def main(argv: list[str] | None = None) -> int:
    try:
        rv = cli.main(args=argv, prog_name="seatctl", standalone_mode=False)
    except SeatctlError as exc:
        click.echo(f"Error: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
