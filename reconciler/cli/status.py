"""``seatctl status``: the organization at a glance (issue 11).

Thin: load the policy, one read-only live read, the usage store if synced, render.
Exit 0; 1 on error (a drifted org is still a successful status).
"""

from __future__ import annotations

import datetime as dt
import pathlib

import click

from reconciler.cli.demo import org_clock
from reconciler.cli.drift import (
    demo_option,
    load,
    policy_option,
    read_only_provider,
    sandbox_option,
    state_option,
    with_commit,
)
from reconciler.cli.options import at_option


@click.command("status")
@policy_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True, help="How to print the status.")
@click.option("--db", default=None, help="Usage store (default: .seatctl/usage.db).")
@sandbox_option
@demo_option
@state_option
@at_option("Report as of this day (default: the org's today: a sandbox's own date, else "
           "UTC today).")
def status(policy_dir: pathlib.Path, fmt: str, db: str | None, sandbox: str | None,
           demo: bool, state_path: pathlib.Path | None, at: dt.date | None = None) -> int:
    """Organization, seats purchased/assigned/active/free, contract end, policy sync.

    \b
    Example:
      seatctl status policies --format markdown
    """
    from reconciler.gitops.render_status import render_status
    from reconciler.gitops.state import DEFAULT_PATH, load_last_apply
    from reconciler.gitops.status import collect_status
    from reconciler.usage.store import DEFAULT_DB

    policy = with_commit(load(policy_dir), policy_dir)
    now = org_clock(sandbox, demo, policy)
    last = load_last_apply(state_path or DEFAULT_PATH)
    with read_only_provider(policy, sandbox, demo, now.date()) as provider:
        result = collect_status(policy, provider, today=at or now.date(), now=now, last=last,
                                store_path=db or DEFAULT_DB)
    click.echo(render_status(result, fmt), nl=False)
    return 0
