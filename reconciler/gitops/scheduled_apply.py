"""The opt-in scheduled reconcile: apply what time alone changed, nothing else.

Why: ``expires:`` dates, sprint seating and re-invites take effect on a day, not on a
merge, so without a schedule they wait for the next unrelated merge. But a schedule
must not become a way around review: it applies only when the live org matches the
merged policy *as of the last apply* (so every difference today comes from the
calendar, not from an unapplied merge or a console edit), and it applies through the
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

from reconciler.gitops.state import load_last_apply
from reconciler.gitops.wiring import Wiring


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
    """Plan today; apply only if the org matched the policy on the last apply's day."""
    from reconciler.plan import Overrides

    last = load_last_apply(state_dir / "last-apply.json")
    if last is None:
        return Scheduled("skipped", "no apply is recorded on the state branch yet; the "
                         "first apply comes from a reviewed pull request", 0)
    none = Overrides(False, False, "")
    then = wiring.make_plan(policy_dir, at=last.applied_at.date(), sandbox=sandbox, demo=False,
                     approve_overflow=False, overrides=none)
    if then.has_changes:
        return Scheduled("skipped", f"the live org differs from the policy as of the last "
                         f"apply ({last.applied_at.date()}): {len(then.changes)} change(s) "
                         "that time did not cause (drift or an unapplied merge); those need "
                         "a reviewed pull request", 0)
    today = wiring.make_plan(policy_dir, at=None, sandbox=sandbox, demo=False,
                      approve_overflow=False, overrides=none)
    if not today.has_changes:
        return Scheduled("nothing-due", "nothing is due today", 0)
    plan_file = state_dir / "scheduled-plan.json"
    plan_file.write_text(today.to_json(), encoding="utf-8")
    cmd = [sys.executable, "-m", "reconciler.cli.main", "apply", str(plan_file),
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
