"""``seatctl usage requests``: spend-limit increase requests, decided by policy.

Thin: options, the org to read (``--sandbox``/``--demo`` or the Admin API), then
``usage.increase_run`` reads and decides, and with ``--apply`` approves what the
policy allows, each write in the audit log under ``--state-dir``.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
from typing import TYPE_CHECKING

import click

from reconciler import escape
from reconciler.cli.demo import sandbox_path
from reconciler.cli.usage_options import common, emit, fmt_option, load, today_or_now
from reconciler.usage.render import Format

if TYPE_CHECKING:
    from reconciler.usage.increase_run import RequestsRun


@click.command("requests")
@common
@click.option("--apply", "apply_", is_flag=True,
              help="Approve what the policy auto-approves (proposals are never sent).")
@click.option("--propose", is_flag=True,
              help="Write the proposals' auto_approve_up_to edits into roles.yaml (validated).")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
              default=pathlib.Path(".seatctl"), show_default=True,
              help="Where the audit log of --apply's approvals lives (apply's audit log).")
@fmt_option()
def requests_cmd(
    policy_dir: pathlib.Path,
    db: str,
    sandbox: str | None,
    demo: bool,
    today: dt.date | None,
    read_live: bool,
    apply_: bool,
    propose: bool,
    state_dir: pathlib.Path,
    fmt: Format,
) -> int:
    """Pending spend-limit increase requests: requester, role cap, limit, month-to-date
    spend, and what the policy decides (approve, propose a policy edit, or skip).

    Dry run by default; --apply approves only what a role's spend_increases rule
    allows, and records each approval in the audit log. --propose writes the policy
    edit that would allow the rest into roles.yaml, for review.

    \b
    Example:
      seatctl usage requests policies --sandbox .seatctl/sandbox.db
      seatctl usage requests policies --apply
      seatctl usage requests policies --propose
    """
    from reconciler.connect import open_provider
    from reconciler.providers.readonly import ReadOnlyProvider
    from reconciler.usage.increase_run import apply_locked, read_and_decide
    from reconciler.usage.increase_view import requests_view

    day = today_or_now(today, sandbox, demo)
    policy = load(policy_dir)
    with sandbox_path(sandbox, demo, day, policy=policy) as path:
        provider = open_provider(policy, sandbox=path)
        reader = provider if apply_ else ReadOnlyProvider(provider)
        run = read_and_decide(policy, reader, at=day, db=db)
        if apply_:
            run = apply_locked(run, provider, policy, state_dir, os.environ)
    emit(requests_view(run, applying=apply_), fmt)
    if propose:
        _write_proposals(policy_dir, run)
    failed = run.applied is not None and any(a.outcome == "failed" for a in run.applied)
    return 1 if failed else 0


def _write_proposals(policy_dir: pathlib.Path, run: RequestsRun) -> None:
    """``--propose``: raise the roles' ceilings in roles.yaml and say what changed (stderr)."""
    from reconciler.usage.increase_propose import plan_rule_edits, write_rule_edits

    done = write_rule_edits(policy_dir, plan_rule_edits(run.report))
    for role, cents in sorted(done.ceilings.items()):
        whole, frac = divmod(cents, 100)
        click.echo(f"proposed: roles.{role}.spend_increases.auto_approve_up_to: "
                   f"${whole:,}.{frac:02d}", err=True)
    for who, why in done.skipped:
        click.echo(f"skipped: {escape.terminal(who)}: {escape.terminal(why)}", err=True)
    if not done.files_changed:
        click.echo("files changed: none; nothing to propose", err=True)
        return
    click.echo(f"files changed: {', '.join(done.files_changed)}; review and merge it, then "
               "`seatctl usage requests --apply` approves those requests", err=True)
