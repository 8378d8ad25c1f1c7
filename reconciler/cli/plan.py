"""``seatctl plan``: what would change in the organization if this policy were applied.

Thin: load the policy, read the live org (real API, a sandbox file, or the seeded
demo), call ``planning.plan_policy``, render, optionally save the JSON for ``apply``, and
return Terraform's detailed exit code: 0 no changes, 2 changes, 1 error or a
blocking guard.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
from collections.abc import Callable

import click
import git

from reconciler.cli.demo import org_clock, sandbox_path
from reconciler.errors import ConfigError
from reconciler.heap import gc_paused
from reconciler.model import OrgState, Policy
from reconciler.plan import Overrides, Plan
from reconciler.planning import plan_policy
from reconciler.render import render, use_color

EXIT_NO_CHANGES, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2


def policy_commit(root: pathlib.Path) -> str | None:
    """The git commit the policy directory is checked out at; None outside a repository."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
        return str(repo.head.commit.hexsha)
    except (ValueError, git.exc.GitError):  # not a repository, or no commits yet
        return None


def read_live(policy: Policy, sandbox: str | None,
              on_note: Callable[[str], None] | None = None) -> OrgState:
    """One live read; what the provider noticed along the way (e.g. no settings API)
    goes to ``on_note``."""
    from reconciler.providers.factory import open_provider

    provider = open_provider(policy, sandbox=sandbox)
    live = provider.fetch()
    for note in getattr(provider, "notes", ()):
        if on_note is not None:
            on_note(note)
    return live


def make_plan(
    root: pathlib.Path,
    *,
    at: dt.date | None,
    sandbox: str | None,
    demo: bool,
    approve_overflow: bool,
    overrides: Overrides,
    now: dt.datetime | None = None,
    on_note: Callable[[str], None] | None = None,
    live: OrgState | None = None,
) -> Plan:
    """Load, read live, and plan: the whole command minus rendering.

    ``now`` defaults to the live org's clock (``org_clock``): a sandbox's own day, the
    demo's day, else UTC now; ``at`` (the evaluation day) defaults to its date.
    ``live`` is a read the caller already made (``apply --auto-approve`` shares it).
    """
    from reconciler.policy import load_policy

    if not root.is_dir():
        raise ConfigError(f"policy directory {root} does not exist",
                          hint="pass the directory holding org.yaml, roles.yaml and teams/")
    policy = load_policy(root)
    now = now or org_clock(sandbox, demo, policy)
    day = at or now.date()
    if live is None:
        with sandbox_path(sandbox, demo, now.date(), policy=policy) as path:
            live = read_live(policy, path, on_note)
    commit = policy.commit or policy_commit(root)
    return plan_policy(policy, live, at=day, now=now, commit=commit,
                       approve_overflow=approve_overflow, overrides=overrides)


@click.command("plan")
@click.argument("policy_dir", required=False, default="policies",
                type=click.Path(file_okay=False, path_type=pathlib.Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=pathlib.Path),
              help="Also save the plan as JSON here (what `seatctl apply` reads).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True, help="How to print the plan.")
@click.option("--at", "at", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Evaluate expiry dates and sprint seating as of this day (default: the "
              "org's today: a sandbox's own date, else UTC today).")
@click.option("--approve-overflow", is_flag=True, envvar="SEATCTL_APPROVE_OVERFLOW",
              help="Approve teams above their allocation (or set by a CI label).")
@click.option("--allow-large-removal", is_flag=True,
              help="Let removals exceed the safety caps (needs --approver).")
@click.option("--allow-many-role-changes", is_flag=True,
              help="Let role changes exceed the safety caps (needs --approver).")
@click.option("--approver", default="", help="Who approved an override; recorded in the plan.")
@click.option("--sandbox", type=click.Path(dir_okay=False),
              help="Plan against this sandbox database instead of the real organization.")
@click.option("--demo", is_flag=True,
              help="Plan against a throwaway sandbox seeded with the Acme demo organization.")
@click.option("--base", "base", default=None, metavar="REF",
              help="Also show what this branch changes in the policy against REF "
              "(`auto`: the pull request's base in CI).")
def plan(
    policy_dir: pathlib.Path,
    out: pathlib.Path | None,
    fmt: str,
    at: dt.datetime | None,
    approve_overflow: bool,
    allow_large_removal: bool,
    allow_many_role_changes: bool,
    approver: str,
    sandbox: str | None,
    demo: bool,
    base: str | None = None,
) -> int:
    """Show what applying the policy would change, why, and what it would cost.

    Exit codes: 0 no changes, 2 changes to apply, 1 error or a blocking guard.
    """
    overrides = Overrides(allow_large_removal, allow_many_role_changes, approver.strip())
    # one bounded command over ~1M long-lived objects at 100k members: see reconciler.heap
    with gc_paused():
        result = make_plan(policy_dir, at=at.date() if at else None, sandbox=sandbox,
                           demo=demo, approve_overflow=approve_overflow, overrides=overrides,
                           on_note=lambda note: click.echo(f"info: {note}", err=True))
        shown = render(result, fmt, color=fmt == "text" and use_color(sys.stdout))
        if out is not None:  # --format json prints exactly the saved document
            try:
                out.write_text(shown if fmt == "json" else result.to_json(), encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"cannot write the plan to {out}: {exc.strerror}",
                                  hint="choose a writable path for --out") from None
        if base is not None:
            from reconciler.gitops.render_policy_diff import render_base_section

            click.echo(render_base_section(policy_dir, base, fmt), nl=False)
        click.echo(shown, nl=False)
    if result.blocked:
        click.echo(f"Error: the plan is blocked by {len(result.findings_of('error'))} "
                   "guard error(s); see above", err=True)
        return EXIT_ERROR
    return EXIT_CHANGES if result.has_changes else EXIT_NO_CHANGES
