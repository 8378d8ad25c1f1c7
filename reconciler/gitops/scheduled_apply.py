"""The opt-in scheduled reconcile: apply what time alone changed, nothing else.

Why: ``expires:`` dates, sprint seating and re-invites take effect on a day, not on a
merge, so without a schedule they wait for the next unrelated merge. But a schedule
must not become a way around review: it applies only when the live org differs from
the record of the last apply by what time does on its own (invites expiring or being
accepted), and when the merged policy is the applied one (every other difference is
a console edit or an unapplied merge), and it applies through the
same ``seatctl apply PLAN`` as a merge: same guards, lock and audit log. An apply that
outlived its job simply shows up again in the next run's plan and is resumed.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reconciler.gitops.state import load_last_apply, state_entities
from reconciler.gitops.wiring import Wiring


def _policy_moved(policy_dir: pathlib.Path, commit: str) -> list[str]:
    """The policy's files that differ between the last applied commit and the checkout."""
    import git

    from reconciler.gitops.merge_apply import policy_moved

    try:
        root = git.Repo(policy_dir, search_parent_directories=True).working_tree_dir
    except (git.exc.InvalidGitRepositoryError, git.exc.NoSuchPathError):
        return []  # not a checkout: nothing to compare (a local run)
    return policy_moved(pathlib.Path(str(root)), policy_dir, commit)


def _live_entities(policy_dir: pathlib.Path, sandbox: str | None) -> dict[str, str]:
    from reconciler.connect import open_provider
    from reconciler.policy import load_policy

    return state_entities(open_provider(load_policy(policy_dir), sandbox=sandbox).fetch())


def unexplained(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """Live differences since the last apply that the calendar does not explain.

    Invites expire and are accepted on their own; an accepted invite becomes a member
    in the invite's groups. Anything else (a role, a removal, a group edit, a cap) was
    done by someone, and is drift for a reviewed pull request, not for the schedule.
    """
    invited = {k.split(":", 1)[1] for k in before if k.startswith("invite:")}
    out = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) == after.get(key):
            continue
        kind = key.split(":", 1)[0]
        email = key.rsplit(":", 1)[-1]
        if kind == "invite":
            continue
        if kind in ("member", "group_member", "workspace_member") and key not in before \
                and email in invited:
            continue
        out.append(key)
    return out


@dataclass(frozen=True, slots=True)
class Scheduled:
    """The verdict: ``outcome`` for the step output, a line for the log, the exit code."""

    outcome: str  # nothing-due | applied | incomplete | refused | skipped
    message: str
    exit_code: int


def scheduled_apply(policy_dir: pathlib.Path, state_dir: pathlib.Path,
                    env: Mapping[str, str], wiring: Wiring, *, sandbox: str | None = None,
                    run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run
                    ) -> Scheduled:
    """Plan today; apply only if the live org changed since the last apply by time alone."""
    from reconciler.plan import Overrides

    last = load_last_apply(state_dir / "last-apply.json")
    if last is None:
        return Scheduled("skipped", "no apply is recorded on the state branch yet; the "
                         "first apply comes from a reviewed pull request", 0)
    none = Overrides(False, False, "")
    if last.commit:
        unapplied = _policy_moved(policy_dir, last.commit)
        if unapplied:
            return Scheduled("skipped", f"the policy changed since the last apply "
                             f"({unapplied[0]}); a merge is applied from its reviewed plan, "
                             "not by the schedule", 0)
    moved = unexplained(last.entities, _live_entities(policy_dir, sandbox))
    if moved:
        shown = ", ".join(moved[:5]) + (f" and {len(moved) - 5} more" if len(moved) > 5 else "")
        return Scheduled("skipped", f"the live org changed since the last apply "
                         f"({last.applied_at.date()}) in ways time did not cause ({shown}); "
                         "drift and unapplied merges need a reviewed pull request", 0)
    today = wiring.make_plan(policy_dir, at=None, sandbox=sandbox, demo=False,
                             approve_overflow=False, overrides=none)
    if not today.has_changes:
        return Scheduled("nothing-due", "nothing is due today", 0)
    plan_file = state_dir / "scheduled-plan.json"
    plan_file.write_text(today.to_json(), encoding="utf-8")
    cmd = [sys.executable, "-P", "-m", "reconciler.cli.main", "apply", str(plan_file),
           "--policy-dir", str(policy_dir), "--state-dir", str(state_dir)]
    if sandbox:
        cmd += ["--sandbox", sandbox]
    proc = run(cmd, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    plan_file.unlink(missing_ok=True)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    kind = {0: "applied", 3: "incomplete"}.get(proc.returncode, "refused")
    return Scheduled(kind, f"{len(today.changes)} time-based change(s): {kind}",
                     proc.returncode)
