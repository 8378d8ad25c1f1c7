"""``seatctl review --month YYYY-MM``: the monthly seat review as one Markdown report.

Thin: load the policy, read the live org (``--sandbox``/``--live``: who really holds
a seat, so the inactive list and its savings are those of ``usage inactive``), open
the usage store, read git history, build, print (or write ``--out``), then optionally
send it to the review's recipients (``--notify``:
the low-utilisation and high-usage notify lists of org.yaml). A delivery failure is
a warning; the report is already printed and the exit code stays 0.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import click

from reconciler.cli.drift import load, policy_option
from reconciler.cli.notifying import declared_report_targets, deliver
from reconciler.cli.options import at_option, sandbox_option
from reconciler.errors import ConfigError


@click.command("review")
@policy_option
@click.option("--month", required=True, metavar="YYYY-MM", help="The month to review.")
@click.option("--db", default=None, help="Usage store (default: .seatctl/usage.db).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=pathlib.Path), default=None,
              help="Also write the report to this file.")
@click.option("--notify", "send", is_flag=True,
              help="Send the review to the recipients named in org.yaml.")
@at_option("Review as of this day (default: the org's today: a sandbox's own date, "
           "else UTC today).")
@sandbox_option("Read the sandbox org in this database as the live org.", db_alias=False)
@click.option("--live", "read_live", is_flag=True,
              help="Read the live org (who holds a seat); implied by --sandbox.")
def review(policy_dir: pathlib.Path, month: str, db: str | None, out: pathlib.Path | None,
           send: bool, sandbox: str | None = None, read_live: bool = False,
           at: dt.date | None = None) -> int:
    """Utilisation, inactive seats, alerts, merged policy changes, renewal forecast.

    \b
    Example:
      seatctl review policies --month 2026-11 --out review.md
    """
    from reconciler.cli.demo import org_clock
    from reconciler.cli.usage_options import live_state
    from reconciler.gitops import gitrepo
    from reconciler.gitops.render_review import render_review_markdown, subject
    from reconciler.gitops.review import build_review
    from reconciler.policy import load_policy
    from reconciler.usage.period import month_period
    from reconciler.usage.store import DEFAULT_DB, UsageStore

    period = month_period(month)
    policy = load(policy_dir)
    today = at or org_clock(sandbox, policy=policy).date()
    path = pathlib.Path(db) if db else DEFAULT_DB
    if not path.exists():
        raise ConfigError(f"usage store {path} does not exist",
                          hint="run `seatctl usage sync` first (or pass --db)")
    try:
        repo_root: pathlib.Path | None = pathlib.Path(
            gitrepo.open_repo(policy_dir).working_tree_dir or policy_dir)
    except ConfigError:
        repo_root = None
    with UsageStore(path) as store:
        result = build_review(policy, store, period, repo_root=repo_root,
                              policy_dir=policy_dir, load=load_policy, today=today,
                              live=live_state(policy, sandbox, read_live))
    text = render_review_markdown(result)
    click.echo(text, nl=False)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    if send:  # the report is out already: a failure warns, the exit code stays 0
        deliver(lambda: declared_report_targets(policy), subject(result), text,
                markdown=text, what="the review")
    return 0
