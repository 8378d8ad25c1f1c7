"""``seatctl orgs list [ROOT]``: the organizations a policy repository holds, for CI.

Thin: ``gitops.orgs.find_orgs`` finds them; this prints one line each, or with
``--format json`` a GitHub Actions matrix (``{"include": [{"org": ..., "policy_dir":
..., "state_dir": ...}]}``) so the workflows run one job per organization, each with
its own lock, snapshot, audit chain and rate budget.
"""

from __future__ import annotations

import json
import pathlib

import click

from reconciler.escape import terminal


@click.group("orgs")
def orgs() -> None:
    """Several organizations in one repository: a folder per organization.

    \b
    Example:
      seatctl orgs list orgs --format json
    """


@orgs.command("list")
@click.argument("root", required=False, default="policies",
                type=click.Path(file_okay=False, path_type=pathlib.Path))
@click.option("--state-root", type=click.Path(file_okay=False, path_type=pathlib.Path),
              default=pathlib.Path(".seatctl"), show_default=True,
              help="Each organization's state (lock, snapshot, audit) goes in a folder here.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: a CI matrix (`include` list).")
def list_orgs(root: pathlib.Path, state_root: pathlib.Path, fmt: str) -> int:
    """List the organizations under ROOT and where each one's state lives.

    \b
    Example:
      seatctl orgs list orgs --format json
    """
    from reconciler.gitops.orgs import find_orgs

    found = find_orgs(root, state_root)
    if fmt == "json":
        doc = {"include": [{"org": o.key, "name": o.org_name, "policy_dir": str(o.policy_dir),
                            "state_dir": str(o.state_dir)} for o in found]}
        click.echo(json.dumps(doc, indent=2, ensure_ascii=True))
        return 0
    for o in found:
        click.echo(f"{terminal(o.key)}\t{terminal(o.org_name)}\t{terminal(str(o.policy_dir))}"
                   f"\tstate: {terminal(str(o.state_dir))}")
    return 0
