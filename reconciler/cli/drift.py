"""``seatctl drift``: how the live org differs from main's policy, classified by cause.

Thin: load the policy, read the live org once through a read-only provider, classify
(``gitops.drift``), print, optionally notify (``--notify``: the targets declared in
org.yaml, and/or webhook URLs), and return 0 in sync, 2 drift, 1 error (an error is
never reported as "in sync"). Notifications are sent *after* the report is printed; a
delivery failure is a warning and never changes the exit code. Also holds the small
helpers the other GitOps commands share.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import pathlib
from collections.abc import Iterator

import click

from reconciler import escape
from reconciler.cli.demo import org_clock
from reconciler.cli.notifying import (
    NotifyRequest,
    declared_report_targets,
    deliver,
    notify_option,
)
from reconciler.cli.options import at_option, policy_dir_argument
from reconciler.cli.options import sandbox_option as live_sandbox_option
from reconciler.errors import ConfigError
from reconciler.model import OrgState, Policy
from reconciler.providers.base import Provider
from reconciler.providers.readonly import ReadOnlyProvider


def load(policy_dir: pathlib.Path) -> Policy:
    """The compiled policy, with a clear error for a missing directory."""
    from reconciler.policy import load_policy

    if not policy_dir.is_dir():
        raise ConfigError(f"policy directory {policy_dir} does not exist",
                          hint="pass the directory holding org.yaml, roles.yaml and teams/")
    return load_policy(policy_dir)


@contextlib.contextmanager
def read_only_provider(policy: Policy, sandbox: str | None, demo: bool,
                       today: dt.date, state_dir: pathlib.Path | None = None
                       ) -> Iterator[Provider]:
    """The live org, read-only: the real API, a sandbox database, or a seeded demo."""
    from reconciler.cli.demo import sandbox_path
    from reconciler.cli.plan import open_reader

    with sandbox_path(sandbox, demo, today, policy=policy) as path:
        reader = open_reader(policy, path)
        if state_dir is not None:  # a cut-short scheduled read resumes next run
            from reconciler.providers.resume import ReadProgress

            reader.progress = ReadProgress(state_dir, org_type=policy.org_type)
        yield ReadOnlyProvider(reader)


def with_commit(policy: Policy, policy_dir: pathlib.Path) -> Policy:
    """The policy with its git commit filled in when the loader did not know it."""
    if policy.commit:
        return policy
    from dataclasses import replace

    from reconciler.gitops import gitrepo

    try:
        repo = gitrepo.open_repo(policy_dir)
    except ConfigError:
        return policy
    return replace(policy, commit=gitrepo.head_sha(repo))


policy_option = policy_dir_argument()
sandbox_option = live_sandbox_option("Read this sandbox database instead of the real "
                                     "organization.", db_alias=False)
demo_option = click.option("--demo", is_flag=True,
                           help="Read a throwaway sandbox seeded with the Acme demo organization.")
state_option = click.option("--state", "state_path", default=None,
                            type=click.Path(dir_okay=False, path_type=pathlib.Path),
                            help="Last-apply record (default: .seatctl/last-apply.json).")


@click.command("drift")
@policy_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True, help="How to print the drift report.")
@notify_option("the report")
@sandbox_option
@demo_option
@state_option
@at_option("Evaluate expiry dates and sprint seating as of this day (default: the org's "
           "today: a sandbox's own date, else UTC today).")
def drift(policy_dir: pathlib.Path, fmt: str, notify_request: NotifyRequest,
          sandbox: str | None, demo: bool, state_path: pathlib.Path | None,
          at: dt.date | None = None) -> int:
    """Compare the live org with the policy; classify each difference by its cause.

    Exit codes: 0 in sync, 2 drift found, 1 error. Read-only: never changes the org.

    \b
    Example:
      seatctl drift policies --format markdown
    """
    from reconciler.gitops.drift import detect_drift
    from reconciler.gitops.render_drift import headline, render_drift, render_drift_markdown
    from reconciler.gitops.state import DEFAULT_PATH, load_last_apply

    policy = with_commit(load(policy_dir), policy_dir)
    now = org_clock(sandbox, demo, policy)
    last = load_last_apply(state_path or DEFAULT_PATH)
    state_dir = (state_path or DEFAULT_PATH).parent
    with read_only_provider(policy, sandbox, demo, now.date(),
                            None if demo else state_dir) as provider:
        reader = provider if demo else _keeping(provider, state_dir, now)
        report = detect_drift(policy, reader, at=at or now.date(), now=now, last=last)
        notes = list(provider.notes)
    for note in notes:
        click.echo(f"info: {escape.terminal(note)}", err=True)
    click.echo(render_drift(report, fmt), nl=False)
    subject, text = headline(report), render_drift(report, "text")
    markdown = render_drift_markdown(report)
    if notify_request.declared:
        deliver(lambda: declared_report_targets(policy), subject, text, markdown=markdown,
                what="the drift report")
    if notify_request.urls:
        deliver(lambda: notify_request.url_targets("drift"), subject, text, markdown=markdown)
    return report.exit_code


def _keeping(provider: Provider, state_dir: pathlib.Path, now: dt.datetime) -> Provider:
    """The provider with its full read kept as ``<state_dir>/snapshot.json`` (for
    ``plan --base``); failing to keep it never fails the drift run."""
    from reconciler.plan import fingerprint
    from reconciler.providers.shared_read import SharedRead
    from reconciler.providers.snapshot import save_snapshot

    def keep(live: OrgState, read_at: dt.datetime) -> None:
        resumed = getattr(provider, "resumed_from", None)  # a resumed read is as old as it began
        try:
            save_snapshot(live, state_dir, read_at=resumed or read_at, fingerprint=fingerprint)
        except (OSError, ValueError):
            pass

    # the org's clock (a sandbox lives on its own day), as plan --base measures age with
    return SharedRead(provider, on_read=keep, clock=lambda: now)
