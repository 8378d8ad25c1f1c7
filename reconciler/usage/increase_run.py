"""``usage requests``: read the pending increase requests, decide them, act on approvals.

Why apart from ``increase_requests`` (the pure decision): this module does the I/O —
one paged read of the requests, the live limits only when a request lacks the API's
summary, month-to-date cost from the usage store — and, with ``--apply``, one approve
per ``approve`` decision, each written to the audit log the way apply writes its
changes (an ``intent`` record before the request, an ``outcome`` record after). A
failed approve stops the run: nothing after it is sent. Proposals and skips are never
sent; denying is left to a person (the policy has no rule that denies). Approvals are
sent under the organization's apply lock, like apply's own writes.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reconciler.errors import ConfigError, SeatctlError
from reconciler.model import OrgState, Policy
from reconciler.usage.increase_requests import RequestDecision, RequestsReport, decide_requests

if TYPE_CHECKING:
    from reconciler.apply.audit import AuditLog
    from reconciler.providers.base import Provider

@dataclass(frozen=True, slots=True)
class Applied:
    """What ``--apply`` did with one approval."""

    decision: RequestDecision
    outcome: str  # "approved" | "already approved" | "failed" | "not sent"
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RequestsRun:
    report: RequestsReport
    #: List requests sent (one per page).
    pages: int
    applied: tuple[Applied, ...] | None = None
    notes: tuple[str, ...] = ()


def month_spend(db: str, at: dt.date) -> tuple[Mapping[str, int] | None, str | None]:
    """Metered cents per member from the 1st of ``at``'s month to ``at``, and a note on
    how far the store is synced; ``(None, None)`` when no store or cost was never synced."""
    if not pathlib.Path(db).exists():
        return None, None
    from reconciler.usage.store import UsageStore

    with UsageStore(db) as store:
        spend = store.metered_cents(at.replace(day=1), at)
        last = store.last_synced_day()
    if spend is None:
        return None, None
    if last is None or last < at - dt.timedelta(days=1):
        return spend, f"month-to-date spend is from the usage store, synced through {last}"
    return spend, None


def read_and_decide(policy: Policy, provider: Provider, *, at: dt.date, db: str,
                    live: OrgState | None = None) -> RequestsRun:  # fmt: skip
    """Pending requests, decided; the live state is read only when a member's request
    carries no effective-limit summary (and ``live`` was not given)."""
    if not provider.capabilities.spend_limits:
        raise ConfigError(
            f"{policy.org_name} is a {policy.org_type.value} organization: spend-limit "
            "increase requests exist on Claude Enterprise only (ADMIN_API.md §7)",
            hint="run this against an Enterprise organization; nothing was read or changed")
    before = provider.stats.list_requests
    requests = provider.list_increase_requests("pending")
    pages = provider.stats.list_requests - before
    if live is None and any(r.summary is None and r.email in policy.assignments
                            for r in requests):
        live = provider.fetch()
    spend, note = month_spend(db, at)
    report = decide_requests(policy, requests, at=at, live=live, spend=spend)
    return RequestsRun(report, pages, notes=(note,) if note else ())


def apply_approvals(run: RequestsRun, provider: Provider, audit: AuditLog) -> RequestsRun:
    """Send every ``approve`` decision, recorded in ``audit``; stop at the first failure."""
    done: list[Applied] = []
    failed = False
    for d in run.report.decisions:
        if d.decision != "approve":
            continue
        if failed:
            done.append(Applied(d, "not sent", "an earlier approval failed"))
            continue
        change = _change(d)
        audit.intent(change)
        try:
            assert d.amount_cents is not None
            result = provider.approve_increase_request(d.request.id, d.amount_cents,
                                                       d.request.period)
        except SeatctlError as exc:
            audit.outcome(change, "failed", error=exc.message)
            done.append(Applied(d, "failed", exc.message))
            failed = True
            continue
        outcome = "already approved" if result.already_done else "approved"
        audit.outcome(change, "ok", request_id=result.request_id, already_done=result.already_done)
        done.append(Applied(d, outcome))
    return RequestsRun(run.report, run.pages, tuple(done), run.notes)


def apply_locked(run: RequestsRun, provider: Provider, policy: Policy,
                 state_dir: pathlib.Path, env: Mapping[str, str]) -> RequestsRun:  # fmt: skip
    """``apply_approvals`` under the organization's apply lock (one writer per org: an
    approval writes the member's user limit, which ``apply`` may also be setting)."""
    from reconciler.apply.audit import current_actor
    from reconciler.apply.lock import acquire, lock_path

    if not any(d.decision == "approve" for d in run.report.decisions):
        return RequestsRun(run.report, run.pages, (), run.notes)
    actor = current_actor(env)
    with acquire(lock_path(policy.org_name), org=policy.org_name, owner=actor.name,
                 run_id=actor.run_id):
        return apply_approvals(run, provider, audit_log(policy, state_dir, env))


def _change(d: RequestDecision) -> dict[str, object]:
    """The audit record's ``change``: what apply's records hold for a plan change."""
    return {
        "kind": "approve_increase_request", "target": d.request.email,
        "reason": d.reason,
        "data": {"request_id": d.request.id, "user_id": d.request.user_id,
                 "period": d.request.period, "amount_cents": d.amount_cents,
                 "before_cents": d.current_cents, "role": d.role},
    }  # fmt: skip


def audit_log(policy: Policy, state_dir: pathlib.Path,
              env: Mapping[str, str]) -> AuditLog:  # fmt: skip
    """The audit log apply appends to, stamped with who ran this and for which org; the
    admin key is scrubbed from every record."""
    from reconciler.apply.audit import AuditLog, current_actor
    from reconciler.apply.session import AUDIT_FILE

    actor = current_actor(env)
    key = env.get(policy.admin_key_env, "")
    context = {"actor": actor.name, "actor_source": actor.source, "run_id": actor.run_id,
               "org": policy.org_name, "policy_commit": policy.commit,
               "command": "usage requests --apply"}  # fmt: skip
    return AuditLog(state_dir / AUDIT_FILE, context=context, secrets=[key] if key else [])
