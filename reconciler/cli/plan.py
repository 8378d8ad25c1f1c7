"""``seatctl plan``: what would change in the organization if this policy were applied.

Thin: load the policy, read the live org (real API, a sandbox file, or the seeded
demo), call ``plan.build_plan``, render, optionally save the JSON for ``apply``, and
return Terraform's detailed exit code: 0 no changes, 2 changes, 1 error or a
blocking guard.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import click
import git

from reconciler.cli.demo import org_clock, sandbox_path
from reconciler.cli.options import (
    at_option,
    override_options,
    policy_dir_argument,
    sandbox_option,
)
from reconciler.errors import ConfigError
from reconciler.heap import gc_paused
from reconciler.model import OrgState, Policy
from reconciler.plan import Overrides, Plan, build_plan, fingerprint
from reconciler.render import render, use_color

if TYPE_CHECKING:
    from reconciler.providers.anthropic import AnthropicProvider

EXIT_NO_CHANGES, EXIT_ERROR, EXIT_CHANGES = 0, 1, 2
#: A snapshot older than this is not trusted for ``--base``: the plan reads in full.
DEFAULT_MAX_SNAPSHOT_AGE = dt.timedelta(hours=24)


def policy_commit(root: pathlib.Path) -> str | None:
    """The git commit the policy directory is checked out at; None outside a repository."""
    try:
        repo = git.Repo(root, search_parent_directories=True)
        return str(repo.head.commit.hexsha)
    except (ValueError, git.exc.GitError):  # not a repository, or no commits yet
        return None


def open_reader(policy: Policy, sandbox: str | None) -> AnthropicProvider:
    """The provider a read-only command uses. Against the real organization every read
    waits for a slot of the same limiter apply uses (org.yaml ``apply:``), so a plan or
    drift run stays under the documented 100 requests/minute instead of drawing 429s; a
    sandbox (no limit unless asked) is read at full speed."""
    from reconciler.connect import open_provider

    if sandbox is None and policy.provider != "sandbox":
        from reconciler.apply.session import limiter_for, open_paced_provider

        return open_paced_provider(policy, limiter_for(policy))
    return open_provider(policy, sandbox=sandbox)


def read_live(policy: Policy, sandbox: str | None,
              on_note: Callable[[str], None] | None = None) -> OrgState:
    """One live read; what the provider noticed along the way (e.g. no settings API)
    goes to ``on_note``."""
    provider = open_reader(policy, sandbox)
    live = provider.fetch()
    for note in provider.notes:
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
    base: str | None = None,
    state_dir: pathlib.Path | None = None,
    max_snapshot_age: dt.timedelta = DEFAULT_MAX_SNAPSHOT_AGE,
) -> Plan:
    """Load, read live, and plan: the whole command minus rendering.

    ``now`` defaults to the live org's clock (``org_clock``): a sandbox's own day, the
    demo's day, else UTC now; ``at`` (the evaluation day) defaults to its date.
    ``live`` is a read the caller already made (``apply --auto-approve`` shares it).
    With ``state_dir`` a full read is kept there as the snapshot, and with ``base``
    too only what the policy change can touch is read live (``gitops.targeted``);
    where the live state came from is added to the plan as notes.
    """
    from reconciler.policy import load_policy

    if not root.is_dir():
        raise ConfigError(f"policy directory {root} does not exist",
                          hint="pass the directory holding org.yaml, roles.yaml and teams/")
    policy = load_policy(root)
    now = now or org_clock(sandbox, demo, policy)
    day = at or now.date()
    notes: tuple[str, ...] = ()
    if live is None:
        with sandbox_path(sandbox, demo, now.date(), policy=policy) as path:
            if state_dir is None or demo:
                live = read_live(policy, path, on_note)
            else:
                live, notes = _read_kept(policy, path, on_note, root, base, state_dir,
                                         max_snapshot_age, now)
    commit = policy.commit or policy_commit(root)
    plan = build_plan(policy, live, at=day, created_at=now, commit=commit,
                      approve_overflow=approve_overflow, overrides=overrides)
    if notes:  # how the live state was read (LIVE_READ): shown and checksummed, not derived
        from reconciler.plan.guards import LIVE_READ, Finding

        plan = dataclasses.replace(plan, findings=plan.findings + tuple(
            Finding("info", LIVE_READ, note) for note in notes))
        plan = dataclasses.replace(plan, checksum=plan.content_checksum())
    return plan


def _read_kept(policy: Policy, path: str | None, on_note: Callable[[str], None] | None,
               root: pathlib.Path, base: str | None, state_dir: pathlib.Path,
               max_age: dt.timedelta, now: dt.datetime) -> tuple[OrgState, tuple[str, ...]]:
    """A full read kept as the snapshot, or with ``base`` a targeted read over it."""
    from reconciler.gitops.targeted import read_against_base, resumed_note
    from reconciler.policy import load_policy
    from reconciler.providers.resume import ReadProgress
    from reconciler.providers.snapshot import save_snapshot

    provider = open_reader(policy, path)
    # a full read cut short (a cancelled CI job) resumes from its finished parts next run
    provider.progress = ReadProgress(state_dir, org_type=policy.org_type, now=lambda: now)
    if base is None:
        live = provider.fetch()
        read_at, notes = resumed_note(provider, now)
        try:
            save_snapshot(live, state_dir, read_at=read_at, fingerprint=fingerprint)
        except OSError as exc:
            return live, (*notes, f"the snapshot was not kept in {state_dir} ({exc.strerror})")
    else:
        got = read_against_base(provider, head=policy, policy_dir=root, base_ref=base,
                                load=load_policy, state_dir=state_dir, max_age=max_age,
                                now=now)
        live, notes = got.live, got.notes
    for note in getattr(provider, "notes", ()):
        if on_note is not None:
            on_note(note)
    return live, notes


@click.command("plan")
@policy_dir_argument()
@click.option("--out", type=click.Path(dir_okay=False, path_type=pathlib.Path),
              help="Also save the plan as JSON here (what `seatctl apply` reads).")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]),
              default="text", show_default=True, help="How to print the plan.")
@at_option("Evaluate expiry dates and sprint seating as of this day (default: the "
           "org's today: a sandbox's own date, else UTC today).")
@override_options("", "Who approved an override; recorded in the plan (`seatctl apply` must "
                  "be given the same overrides).")
@sandbox_option("Plan against this sandbox database instead of the real organization.")
@click.option("--demo", is_flag=True,
              help="Plan against a throwaway sandbox seeded with the Acme demo organization.")
@click.option("--base", "base", default=None, metavar="REF",
              help="Also show what this branch changes in the policy against REF "
              "(`auto`: the pull request's base in CI), and read live only what that "
              "change can touch, the rest from the snapshot in --state-dir.")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
              default=pathlib.Path(".seatctl"), show_default=True,
              help="Where the live-state snapshot is kept (every full read refreshes it).")
@click.option("--max-snapshot-age", type=click.FloatRange(min=0), default=24.0,
              show_default=True, metavar="HOURS",
              help="With --base: an older snapshot is not used; the plan reads in full.")
def plan(
    policy_dir: pathlib.Path,
    out: pathlib.Path | None,
    fmt: str,
    at: dt.date | None,
    approve_overflow: bool,
    allow_large_removal: bool,
    allow_many_role_changes: bool,
    approver: str,
    sandbox: str | None,
    demo: bool,
    base: str | None = None,
    state_dir: pathlib.Path = pathlib.Path(".seatctl"),
    max_snapshot_age: float = 24.0,
) -> int:
    """Show what applying the policy would change, why, and what it would cost.

    Exit codes: 0 no changes, 2 changes to apply, 1 error or a blocking guard.

    \b
    Example:
      seatctl plan policies --at 2026-11-25 --out plan.json
    """
    overrides = Overrides(allow_large_removal, allow_many_role_changes, approver.strip())
    # one bounded command over ~1M long-lived objects at 100k members: see reconciler.heap
    with gc_paused():
        result = make_plan(policy_dir, at=at, sandbox=sandbox,
                           demo=demo, approve_overflow=approve_overflow, overrides=overrides,
                           on_note=lambda note: click.echo(f"info: {note}", err=True),
                           base=base, state_dir=state_dir,
                           max_snapshot_age=dt.timedelta(hours=max_snapshot_age))
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
