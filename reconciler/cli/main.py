"""The ``seatctl`` entry point: the root group and the error boundary.

Command groups live in sibling modules and register themselves in ``COMMANDS``
below. Every ``SeatctlError`` becomes a one-line message plus hint on stderr and its
exit code; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

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
    "orgs": ("reconciler.cli.orgs", "orgs"),
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


#: The one-line summary ``seatctl --help`` lists for each command, so listing commands
#: imports none of them (importing them all pulls in the anthropic SDK: ~2 s of CPU).
#: A command missing here is still listed, by importing it; tests/cli/test_commands.py
#: checks that each summary is the command's own first sentence.
SUMMARIES: dict[str, str] = {
    "apply": "Apply a reviewed plan to the organization (exit 0 done, 1 refused, 3 incomplete).",
    "audit": "Verify, read and prune the hash-chained apply audit log.",
    "ci": "Steps of seatctl's reusable GitHub workflows (run inside GitHub Actions).",
    "drift": "Compare the live org with the policy; classify each difference by its cause.",
    "import": "Write a complete policy repository (org, roles, one team per group) from the "
              "live org.",
    "init": "Write a complete policy repository: policies, schemas, CODEOWNERS, workflows.",
    "lock": "Inspect the apply lock, or release one a crashed run left behind.",
    "orgs": "Several organizations in one repository: a folder per organization.",
    "plan": "Show what applying the policy would change, why, and what it would cost.",
    "review": "Utilisation, inactive seats, alerts, merged policy changes, renewal forecast.",
    "sandbox": "A local Admin API org the official SDK talks to unchanged (127.0.0.1 only).",
    "schema": "The JSON Schemas of org.yaml, roles.yaml and teams/*.yaml.",
    "settings": "Claude Code managed settings compiled from roles.yaml.",
    "state": "Keep the state directory as commits on the `seatctl-state` branch.",
    "status": "Organization, seats purchased/assigned/active/free, contract end, policy sync.",
    "usage": "Usage analytics: sync, reports, inactive seats, alerts, chargeback, dashboard, "
             "requests.",
    "validate": "Check a policy directory (org.yaml, roles.yaml, teams/*.yaml): YAML, schema, "
                "rules.",
}

#: Exit code of a click usage error (unknown option, bad value). click's own 2 would read
#: as "changes present" (DESIGN.md: 0 ok, 1 error, 2 changes/drift/alerts, 3 incomplete).
USAGE_ERROR_EXIT = 1


class LazyGroup(click.Group):
    """The root group: commands come from ``COMMANDS`` and are imported only when run.

    Also the one place that turns click's usage errors into exit code 1, for the
    console script and for ``CliRunner`` alike.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: list[tuple[str, str]] = []
        for name in self.list_commands(ctx):
            summary = SUMMARIES.get(name)
            if summary is None:
                cmd = self.get_command(ctx, name)
                if cmd is None or cmd.hidden:
                    continue
                summary = cmd.get_short_help_str(limit=1000)
            rows.append((name, summary))
        if rows:
            limit = formatter.width - 6 - max(len(name) for name, _ in rows)
            with formatter.section("Commands"):
                # click shortens a help text to fit; a bare Command lends us that rule
                formatter.write_dl([(n, click.Command(n, help=s).get_short_help_str(limit))
                                    for n, s in rows])

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            exc.exit_code = USAGE_ERROR_EXIT  # type: ignore[misc]
            raise

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            exc.exit_code = USAGE_ERROR_EXIT  # type: ignore[misc]
            raise

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
    """Seat and role policy for Claude organizations, kept as code.

    Exit codes: 0 ok or no changes, 1 error (a usage error too), 2 changes, drift or
    alerts present, 3 apply incomplete.

    \b
    Example:
      seatctl validate policies && seatctl plan policies --out plan.json
    """


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
