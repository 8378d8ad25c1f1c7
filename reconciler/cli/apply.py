"""``seatctl apply PLAN.json`` / ``apply --auto-approve [POLICY_DIR]`` and ``seatctl lock``.

Thin: parse, load the plan and policy, open the provider, call
``apply.session.run_apply``, render the report, return the exit code (0 done,
1 refused or error, 3 apply incomplete). Without a saved plan or ``--auto-approve``
nothing is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import pathlib
import sys

import click

from reconciler.apply.executor import ApplyReport
from reconciler.apply.lock import force_unlock, read_lock
from reconciler.apply.lock import lock_dir as default_lock_dir
from reconciler.apply.progress import progress_for
from reconciler.apply.rederive import Grant
from reconciler.apply.session import ApplyOptions, limiter_for, open_paced_provider, run_apply
from reconciler.cli.demo import org_clock_fn
from reconciler.cli.options import override_options, policy_dir_argument, sandbox_option
from reconciler.errors import ApplyIncompleteError, ConfigError, LockError, PlanError
from reconciler.model import OrgState, Policy
from reconciler.plan import Overrides, Plan

NOTHING_WRITTEN = (
    "nothing was applied: apply needs a reviewed plan or --auto-approve"
)
HOW = ("run `seatctl plan --out plan.json`, review it, then `seatctl apply plan.json`; "
       "or `seatctl apply --auto-approve` to plan and apply in one go")


def _load_policy(root: pathlib.Path) -> Policy:
    from reconciler.cli.plan import policy_commit
    from reconciler.policy import load_policy

    if not root.is_dir():
        raise ConfigError(f"policy directory {root} does not exist",
                          hint="pass the directory holding org.yaml as POLICY_DIR, after the plan")
    policy = load_policy(root)
    return dataclasses.replace(policy, commit=policy.commit or policy_commit(root))


def _read_plan(path: pathlib.Path) -> Plan:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"cannot read plan {path}: {exc.strerror}",
                        hint="pass the file written by `seatctl plan --out`") from None
    return Plan.from_json(text)


def _render(report: ApplyReport, fmt: str) -> str:
    if fmt == "json":
        doc = {
            "complete": report.complete, "done": report.done, "failed": report.failed,
            "not_started": report.not_started, "elapsed_s": round(report.elapsed_s, 3),
            "write_requests": report.write_requests, "plan_checksum": report.plan_checksum,
            "audit_head": report.audit_head or None,
            "outcomes": [{"kind": o.change.kind, "target": o.change.target,
                          "status": o.status, "request_id": o.request_id,
                          "error": o.error or None} for o in report.outcomes],
        }
        return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"
    if not report.outcomes:
        return "No changes: the organization already matches the plan.\n"
    lines = []
    for o in report.outcomes:
        if o.status in ("failed", "not_started"):
            mark = "x" if o.status == "failed" else "."
            why = f": {o.error}" if o.error else ""
            lines.append(f"  {mark} {o.status:<11} {o.change.kind} {_safe(o.change.target)}{why}")
    shown = lines[:25] + ([f"  … and {len(lines) - 25} more"] if len(lines) > 25 else [])
    head = "Apply complete" if report.complete else "Apply INCOMPLETE"
    reqs = f", {report.write_requests} write requests" if report.write_requests is not None \
        else ""
    return "\n".join([*shown, f"{head}: {report.summary()} in {report.elapsed_s:.1f}s{reqs}."]) \
        + "\n"


def _anchor(head: str, state_dir: pathlib.Path) -> None:
    """Print the audit head, and add it to the GitHub job summary when there is one: the
    anchor outside the log that `seatctl audit verify --head` checks against."""
    if not head:
        return
    log = state_dir / "audit.jsonl"
    _err(f"audit head: {head} (keep it; `seatctl audit verify --log {log} --head {head}`)\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        try:
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(f"\nAudit log head after this apply: `{head}`\n")
        except OSError as exc:
            _err(f"warning: could not write the job summary ({exc.strerror})\n")


def _safe(text: str) -> str:
    """Control characters from live data are shown escaped, never sent to the terminal."""
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


def _err(text: str) -> None:
    click.echo(text, err=True, nl=False)


@click.command("apply")
@click.argument("target", required=False,
                type=click.Path(path_type=pathlib.Path))
@click.option("--auto-approve", is_flag=True,
              help="Plan and apply in one go (TARGET is then the policy directory).")
@policy_dir_argument(aliases=("--policy-dir",))
@sandbox_option("Apply to this sandbox database instead of the real organization.")
@click.option("--lock-timeout", type=float, default=0.0, show_default=True,
              help="Seconds to wait for another apply's lock before failing.")
@click.option("--state-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
              default=pathlib.Path(".seatctl"), show_default=True,
              help="Where the audit log and the last-apply record live.")
@click.option("--lock-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
              envvar="SEATCTL_LOCK_DIR", default=None,
              help="Where the per-organization locks live (default: "
              "~/.local/state/seatctl/locks; shared by every --state-dir).")
@click.option("--concurrency", type=click.IntRange(1, 32), default=None,
              help="Changes in flight at once (default: org.yaml apply.concurrency).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="How to print the apply report.")
@override_options(" for this apply", "Who approved the overrides; recorded in the audit log. "
                  "Overrides come only from here, never from the plan file.")
@click.option("--base", "base", default=None, metavar="REF",
              help="Re-read only what the policy change since REF can touch (as `plan "
              "--base` did), the rest from the snapshot in --state-dir; a full read when "
              "the snapshot is missing or too old.")
@click.option("--max-snapshot-age", type=click.FloatRange(min=0), default=24.0,
              show_default=True, metavar="HOURS",
              help="With --base: an older snapshot is not used; apply reads in full.")
def apply(target: pathlib.Path | None, auto_approve: bool, policy_dir: pathlib.Path,
          sandbox: str | None, lock_timeout: float, state_dir: pathlib.Path,
          lock_dir: pathlib.Path | None, concurrency: int | None, fmt: str,
          approve_overflow: bool, allow_large_removal: bool, allow_many_role_changes: bool,
          approver: str, base: str | None = None, max_snapshot_age: float = 24.0) -> int:
    """Apply a reviewed plan to the organization (exit 0 done, 1 refused, 3 incomplete).

    \b
    Example:
      seatctl plan policies --out plan.json && seatctl apply plan.json policies
    """
    grant = _grant(approve_overflow, allow_large_removal, allow_many_role_changes, approver)
    clock = org_clock_fn(sandbox)  # a sandbox org lives on its own date (cli.demo)
    now = clock().replace(microsecond=0)
    if auto_approve:
        root = target or policy_dir
        if root.is_file():
            raise ConfigError(f"--auto-approve plans from a policy directory; {root} is a file",
                              hint=f"apply a saved plan without --auto-approve: "
                              f"`seatctl apply {root}`")
        policy = _load_policy(root)
    elif target is None:
        raise ConfigError(NOTHING_WRITTEN, hint=HOW)
    else:
        if target.is_dir():
            raise ConfigError(f"{NOTHING_WRITTEN} ({target} is a directory)", hint=HOW)
        plan = _read_plan(target)
        policy = _load_policy(policy_dir)
    limiter = limiter_for(policy)
    provider = open_paced_provider(policy, limiter, sandbox=sandbox)
    prepared = None
    if auto_approve:  # one read for the plan and the apply (apply.session)
        prepared = provider.fetch()
        plan = _auto_plan(target or policy_dir, sandbox, now, prepared, grant)
    write = _err
    progress = progress_for(write, tty=sys.stderr.isatty(),
                            ci=os.environ.get("CI", "").lower() in ("1", "true", "yes"))
    options = ApplyOptions(state_dir=state_dir, lock_timeout_s=lock_timeout,
                           concurrency=concurrency, lock_dir=lock_dir, grant=grant)
    first_read = None
    if base is not None and not auto_approve:
        def first_read() -> tuple[OrgState, dt.datetime]:
            return _slice_read(provider, policy, policy_dir, base, state_dir,
                               dt.timedelta(hours=max_snapshot_age), clock())
    try:
        report, warning = run_apply(plan, policy, provider, options=options, progress=progress,
                                    limiter=limiter, now=clock, prepared=prepared,
                                    first_read=first_read)
    except ApplyIncompleteError as exc:
        partial = getattr(exc, "report", None)
        if isinstance(partial, ApplyReport):
            click.echo(_render(partial, fmt), nl=False)
            _anchor(partial.audit_head, state_dir)
        raise
    _anchor(report.audit_head, state_dir)
    if warning:
        _err(warning + "\n")
    for note in provider.notes:
        _err(f"info: {note}\n")
    click.echo(_render(report, fmt), nl=False)
    return 0


def _grant(approve_overflow: bool, allow_large_removal: bool, allow_many_role_changes: bool,
           approver: str) -> Grant:
    """The overrides of this invocation; an override without an approver is refused."""
    grant = Grant(Overrides(allow_large_removal, allow_many_role_changes, approver.strip()),
                  approve_overflow)
    if grant.any and not grant.overrides.approver:
        raise ConfigError("an override needs an approver: nothing was applied",
                          hint="add --approver LOGIN (or SEATCTL_APPROVER in CI); it is "
                          "recorded in the audit log")
    return grant


def _slice_read(provider: object, policy: Policy, policy_dir: pathlib.Path, base: str,
                state_dir: pathlib.Path, max_age: dt.timedelta,
                now: dt.datetime) -> tuple[OrgState, dt.datetime]:
    """Apply's read with ``--base``: the slice the change can touch over the snapshot."""
    from reconciler.escape import terminal
    from reconciler.gitops.targeted import read_against_base
    from reconciler.policy import load_policy

    got = read_against_base(provider, head=policy, policy_dir=policy_dir, base_ref=base,
                            load=load_policy, state_dir=state_dir, max_age=max_age, now=now)
    for note in got.notes:  # names group and team names from the policy: escaped
        _err(f"info: {terminal(note)}\n")
    return got.live, got.read_at or now


def _auto_plan(root: pathlib.Path, sandbox: str | None, now: dt.datetime,
               live: OrgState, grant: Grant) -> Plan:
    from reconciler.cli.plan import make_plan
    from reconciler.render import render

    plan = make_plan(root, at=None, sandbox=sandbox, demo=False,
                     approve_overflow=grant.approve_overflow, overrides=grant.overrides,
                     now=now, live=live)
    click.echo(render(plan, "text", color=False), nl=False)
    return plan


# ---------------------------------------------------------------------------
# seatctl lock show | force-unlock ID
# ---------------------------------------------------------------------------

lock_dir_option = click.option(
    "--lock-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
    envvar="SEATCTL_LOCK_DIR", default=None,
    help="Where the per-organization locks live (default: ~/.local/state/seatctl/locks).")
state_dir_option = click.option(
    "--state-dir", type=click.Path(file_okay=False, path_type=pathlib.Path),
    default=pathlib.Path(".seatctl"), show_default=True,
    help="Where the audit log lives (the force-unlock is recorded there).")


@click.group("lock")
def lock() -> None:
    """Inspect the apply lock, or release one a crashed run left behind.

    \b
    Example:
      seatctl lock show --state-dir .seatctl
    """


def _lock_files(lock_dir: pathlib.Path | None) -> list[pathlib.Path]:
    folder = lock_dir or default_lock_dir()
    try:
        return sorted(folder.glob("*.lock"))
    except OSError as exc:
        raise LockError(f"cannot read {folder}: {exc.strerror}") from None


@lock.command("show")
@lock_dir_option
def show(lock_dir: pathlib.Path | None) -> int:
    """List held locks with holder, run id and age (exit 0 free, 2 held).

    \b
    Example:
      seatctl lock show
    """
    now = dt.datetime.now(dt.UTC)
    held = [(p, read_lock(p)) for p in _lock_files(lock_dir)]
    held = [(p, info) for p, info in held if info is not None]
    if not held:
        click.echo("No apply lock is held.")
        return 0
    for path, info in held:
        assert info is not None
        click.echo(f"{path}: {info.describe(now)}")
    return 2


@lock.command("force-unlock")
@click.argument("lock_id")
@lock_dir_option
@state_dir_option
def force(lock_id: str, lock_dir: pathlib.Path | None, state_dir: pathlib.Path) -> int:
    """Remove the lock with exactly this id (from `seatctl lock show`); audited.

    \b
    Example:
      seatctl lock force-unlock 3f9c2a1e
    """
    from reconciler.apply.audit import AuditLog, current_actor

    matches = [p for p in _lock_files(lock_dir)
               if (info := read_lock(p)) is not None and info.id == lock_id.strip()]
    if not matches:
        ids = [info.id for p in _lock_files(lock_dir) if (info := read_lock(p))]
        raise LockError(f"no lock has id {lock_id!r}",
                        hint=f"held lock ids: {', '.join(ids)}" if ids else "no lock is held")
    actor = current_actor()
    log = AuditLog(state_dir / "audit.jsonl",
                   context={"actor": actor.name, "run_id": actor.run_id})
    info = force_unlock(matches[0], lock_id, audit=log, actor=actor.name)
    click.echo(f"Released the lock of {info.owner} (run {info.run_id}); recorded in the audit "
               "log.")
    return 0


__all__ = ["apply", "lock"]
