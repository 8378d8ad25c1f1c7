"""Refusals before anything is written: apply what was reviewed, or nothing.

Each check raises ``PlanError`` with what is wrong and how to get a plan that can be
applied. Order: the checks that need no network first (guards, fingerprint present,
commit, age and evaluation day, every kind applicable), then — after apply re-read the
live org — the live fingerprint, saying what moved by planning again against the fresh
state; ``rederive`` then compares the whole file with the plan apply derives itself.
"""

from __future__ import annotations

import datetime as dt

from reconciler import __version__
from reconciler.apply.handlers import handler_for
from reconciler.errors import PlanError
from reconciler.escape import terminal
from reconciler.model import OrgState, Policy
from reconciler.plan import Plan, fingerprint, fingerprints_match
from reconciler.plan.build import build_plan
from reconciler.plan.changes import Change
from reconciler.plan.desired import desired_at
from reconciler.plan.fingerprint import policy_fingerprint

REPLAN = "run `seatctl plan --out plan.json` again, review it, and apply the new plan"


def check_offline(plan: Plan, *, policy: Policy | None, now: dt.datetime,
                  max_age_hours: float) -> None:
    """Everything that can be refused without reading the live org."""
    if plan.blocked:
        errors = plan.findings_of("error")
        lines = "; ".join(f"{terminal(f.code)}: {terminal(f.message)}" for f in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise PlanError(f"plan is blocked by {len(errors)} failed guard(s): {lines}{more}",
                        hint="fix the policy, or re-plan with the documented override and "
                        "a recorded approver")
    if plan.tool_version != __version__:
        raise PlanError(f"plan was made by seatctl {terminal(repr(plan.tool_version))}; this "
                        "is seatctl "
                        f"{__version__} (apply re-derives the plan and needs the same rules)",
                        hint=REPLAN)
    if not plan.live_fingerprint:
        raise PlanError("plan has no live fingerprint (it was made from an incomplete read)",
                        hint=REPLAN)
    if policy is not None and plan.policy_commit != policy.commit:
        raise PlanError(
            f"plan was made from policy commit {_short(plan.policy_commit)}, but the "
            f"checkout is at {_short(policy.commit)}",
            hint=f"check out the reviewed commit, or {REPLAN}",
        )
    created = plan.created_at if plan.created_at.tzinfo else \
        plan.created_at.replace(tzinfo=dt.UTC)
    age = now - created
    if age > dt.timedelta(hours=max_age_hours):
        hours = age.total_seconds() / 3600
        raise PlanError(f"plan is {hours:.1f} hours old; the limit is {max_age_hours:g} hours",
                        hint=REPLAN)
    check_dates(plan, now, max_age_hours)
    for change in plan.changes:
        handler_for(change)


def check_desired(plan: Plan, policy: Policy) -> None:
    """The policy on disk must be the one planned (uncommitted edits): the same desired
    state and the same everything else (limits, protection, budget, teams, roles)."""
    want = desired_at(policy, plan.evaluated_on)
    if not fingerprints_match(plan.desired_fingerprint, fingerprint(want.state)):
        raise PlanError("policy files changed since the plan was made (desired state differs "
                        f"as of {plan.evaluated_on.isoformat()}; or the plan's evaluation day "
                        "was edited)", hint=REPLAN)
    if not fingerprints_match(plan.policy_fingerprint, policy_fingerprint(policy)):
        raise PlanError("policy files changed since the plan was made (settings, limits, "
                        "teams or roles differ from the policy fingerprint in the plan)",
                        hint=REPLAN)


def check_live(plan: Plan, live: OrgState, *, policy: Policy | None,
               now: dt.datetime) -> None:
    """Refuse a stale plan: the live org must be exactly what the plan was made from."""
    current = fingerprint(live)
    if fingerprints_match(plan.live_fingerprint, current):
        return
    moved = what_moved(plan, policy, live, now) if policy is not None else []
    detail = ("; what moved: " + "; ".join(moved)) if moved else ""
    raise PlanError(
        "plan is stale (live fingerprint changed since it was made)" + detail,
        hint=f"someone or something changed the organization; {REPLAN}",
    )


def what_moved(plan: Plan, policy: Policy, live: OrgState, now: dt.datetime,
               limit: int = 8) -> list[str]:
    """The changes a fresh plan would add or drop, compared with the reviewed one."""
    fresh = build_plan(policy, live, at=plan.evaluated_on, created_at=now,
                       commit=plan.policy_commit, overrides=plan.overrides,
                       approve_overflow=plan.approve_overflow)

    def keyed(changes: tuple[Change, ...]) -> set[tuple[str, str]]:
        return {(c.kind, c.target) for c in changes if c.spec.modelled}

    old, new = keyed(plan.changes), keyed(fresh.changes)
    lines = [f"now also needed: {k} {terminal(t)}" for (k, t) in sorted(new - old)]
    lines += [f"no longer needed: {k} {terminal(t)}" for (k, t) in sorted(old - new)]
    if not lines:
        lines = ["the same changes are still needed, but ids, roles or memberships they "
                 "rely on changed"]
    if len(lines) > limit:
        lines = lines[:limit] + [f"… and {len(lines) - limit} more"]
    return lines


def _short(commit: str | None) -> str:
    return terminal(commit[:12]) if commit else "(none: not a git checkout)"


def check_dates(plan: Plan, now: dt.datetime, max_age_hours: float) -> None:
    """An old plan cannot be made to look new: its evaluation day must lie inside the age
    window and not after today, and it cannot be dated in the future (beyond 5 minutes of
    clock skew). ``created_at`` alone is the file's word; the day is checked against the
    org's clock, and the live fingerprint must match the org *now* in any case."""
    created = plan.created_at if plan.created_at.tzinfo else \
        plan.created_at.replace(tzinfo=dt.UTC)
    if created > now + dt.timedelta(minutes=5):
        raise PlanError(f"plan is dated {created.isoformat()}, after now "
                        f"({now.isoformat()})", hint=REPLAN)
    oldest = (now - dt.timedelta(hours=max_age_hours)).date()
    if not oldest <= plan.evaluated_on <= now.date():
        raise PlanError(
            f"plan was evaluated on {plan.evaluated_on.isoformat()}, outside the "
            f"{max_age_hours:g}-hour window ending today ({now.date().isoformat()})",
            hint=f"plans are applied on the day they are made (apply.max_plan_age_hours); "
            f"{REPLAN}",
        )
