"""``seatctl schema export DIR``: write the policy JSON Schemas for editors and CI."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.policy.schema import schema_texts


@click.group("schema")
def schema() -> None:
    """The JSON Schemas of org.yaml, roles.yaml and teams/*.yaml.

    \b
    Example:
      seatctl schema export schemas
    """


@schema.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
def export(directory: str) -> int:
    """Write org.schema.json, roles.schema.json and team.schema.json into DIRECTORY.

    \b
    Example:
      seatctl schema export policies/schemas
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in schema_texts().items():
        (out / name).write_text(text, encoding="utf-8")
        click.echo(str(out / name))
    return 0
