"""``apply_plan``: execute a reviewed plan against the live organization, or refuse.

Steps, in order:

1. Refuse without touching the network (``preflight.check_offline``): failed guards,
   no live fingerprint, another policy commit, a plan older than the configured age,
   a change kind this seatctl cannot perform. With a policy, also refuse when the
   policy files no longer compile to the planned desired state.
2. The caller must hold the org lock (``lock.acquire``); a released lock is refused.
3. Re-read the live org and refuse a stale plan, saying what moved
   (``preflight.check_live``). Every read waits for a limiter slot before it is sent.
   Then re-derive the plan from the policy and that read and refuse unless the file
   equals it and every guard passes with the overrides of *this* run
   (``rederive.check_rederived``): a saved plan is a claim, never trusted as a file.
4. Execute in plan order, one *step* per ``(phase, kind rank)``: changes inside a step
   are independent and run on up to ``concurrency`` threads (except kinds declared
   sequential — managed settings — which run one at a time in plan order); a step
   starts only when the previous one has finished, so grants precede revocations and
   a replaced invite is deleted before its replacement is sent. Every change: limiter slot → intent
   record → one provider write → outcome record.
5. On the first failed change no new change starts; those in flight finish and are
   recorded; the rest are "not started". Removals are therefore never started after
   an earlier add failed (F22). ``ApplyIncomplete`` (exit 3) carries the report.
6. A failed audit write stops the apply the same way and raises ``AuditError``: no
   change is ever made without its intent record (F16).

"Already done" results (invite exists with the same role, member already gone)
count as done. Nothing is rolled back: the next plan shows exactly what is left.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from reconciler.apply.audit import AuditLog
from reconciler.apply.handlers import ApplyContext, handler_for, is_sequential
from reconciler.apply.limiter import RateLimiter
from reconciler.apply.lock import OrgLock
from reconciler.apply.preflight import check_desired, check_live, check_offline
from reconciler.apply.progress import NoProgress, Progress
from reconciler.apply.rederive import NO_GRANT, Grant, check_rederived
from reconciler.errors import ApplyIncompleteError, AuditError, LockError, SeatctlError
from reconciler.model import Policy
from reconciler.plan import Plan
from reconciler.plan.changes import Change, thaw
from reconciler.providers.base import Provider

Status = Literal["done", "already_done", "failed", "not_started"]


@dataclass(frozen=True, slots=True)
class ChangeOutcome:
    """What happened to one planned change."""

    change: Change
    status: Status
    request_id: str | None = None
    error: str = ""
    error_code: str | None = None


@dataclass(frozen=True, slots=True)
class ApplyReport:
    """Every change's outcome in plan order, with timing and request counts."""

    plan_checksum: str
    outcomes: tuple[ChangeOutcome, ...]
    elapsed_s: float = 0.0
    eta_s: float = 0.0
    write_requests: int | None = None
    audit_failed: str = ""
    audit_head: str = ""  # SEQ:HASH of the log's last entry, to keep outside the log

    def count(self, *statuses: str) -> int:
        return sum(o.status in statuses for o in self.outcomes)

    @property
    def done(self) -> int:
        return self.count("done", "already_done")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def not_started(self) -> int:
        return self.count("not_started")

    @property
    def complete(self) -> bool:
        return self.done == len(self.outcomes) and not self.audit_failed

    def summary(self) -> str:
        return (f"{self.done} done ({self.count('already_done')} already so), "
                f"{self.failed} failed, {self.not_started} not started")


class ApplyIncomplete(ApplyIncompleteError):
    """Exit 3: some changes done, some failed or not started; ``report`` says which."""

    def __init__(self, report: ApplyReport) -> None:
        first = next((o for o in report.outcomes if o.status == "failed"), None)
        why = f"; first failure: {first.change.kind} {first.change.target}: {first.error}" \
            if first else ""
        super().__init__(
            f"apply incomplete: {report.summary()}{why}",
            hint="nothing is rolled back; fix the cause, then `seatctl plan` shows exactly "
            "what is left and applying it converges",
        )
        self.report = report


def change_record(change: Change) -> dict[str, Any]:
    """The change as it appears in the audit log (plain JSON, no reason formatting)."""
    return {"kind": change.kind, "target": change.target, "phase": change.phase,
            "before": thaw(change.before), "after": thaw(change.after),
            "data": thaw(change.data),
            "source": str(change.source) if change.source is not None else None}


def steps_of(changes: Iterable[Change]) -> list[list[Change]]:
    """Consecutive groups of the same ``(phase, kind rank)``: the unit of concurrency."""
    return [list(g) for _, g in itertools.groupby(changes, key=lambda c: (c.phase,
                                                                          c.spec.rank))]


def _requests(provider: Provider) -> int | None:
    value = provider.stats.requests
    return value if isinstance(value, int) else None


class _Run:
    """The mutable state of one execution, shared by the worker threads."""

    def __init__(self, plan: Plan, provider: Provider, ctx: ApplyContext, audit: AuditLog,
                 limiter: RateLimiter, progress: Progress) -> None:
        self.plan, self.provider, self.ctx = plan, provider, ctx
        self.audit, self.limiter, self.progress = audit, limiter, progress
        self.stop = threading.Event()
        self.audit_error: AuditError | None = None
        self.bug: BaseException | None = None
        self.lock = threading.Lock()

    def one(self, change: Change) -> ChangeOutcome:
        if self.stop.is_set():
            return ChangeOutcome(change, "not_started")
        self.limiter.acquire_for(change.kind)
        if self.stop.is_set():
            return ChangeOutcome(change, "not_started")
        record = change_record(change)
        try:
            self.audit.intent(record)
        except AuditError as exc:
            self._audit_failed(exc)
            return ChangeOutcome(change, "not_started")
        outcome = self._perform(change)
        try:
            self.audit.outcome(record, outcome.status, request_id=outcome.request_id,
                               error=outcome.error or None, error_code=outcome.error_code)
        except AuditError as exc:
            self._audit_failed(exc)
        self.progress.advance(outcome.status, f"{change.kind} {change.target}: {outcome.error}"
                              if outcome.error else f"{change.kind} {change.target}")
        return outcome

    def _perform(self, change: Change) -> ChangeOutcome:
        try:
            result = handler_for(change)(self.provider, change, self.ctx)
        except SeatctlError as exc:
            self.stop.set()
            return ChangeOutcome(change, "failed", getattr(exc, "request_id", None),
                                 " ".join(str(exc).split()), getattr(exc, "error_code", None))
        except Exception as exc:  # a bug: record it, stop, re-raise after cleanup
            self.stop.set()
            with self.lock:
                self.bug = self.bug or exc
            return ChangeOutcome(change, "failed", None, f"internal error: {type(exc).__name__}")
        return ChangeOutcome(change, "already_done" if result.already_done else "done",
                             result.request_id)

    def _audit_failed(self, exc: AuditError) -> None:
        self.stop.set()
        with self.lock:
            self.audit_error = self.audit_error or exc


def apply_plan(
    plan: Plan,
    provider: Provider,
    *,
    policy: Policy,
    audit: AuditLog,
    limiter: RateLimiter,
    lock: OrgLock,
    concurrency: int = 4,
    progress: Progress | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    max_plan_age_hours: float | None = None,
    grant: Grant = NO_GRANT,
) -> ApplyReport:
    """Apply ``plan`` (see the module docstring for the steps and the refusals).

    Returns the report when every change is done; raises ``ApplyIncomplete`` (exit 3)
    when some failed or did not start, ``AuditError`` when the log could not be
    written, ``PlanError`` for a refusal (nothing written), ``LockError`` without a
    held lock. ``grant`` holds the overrides of this run (never the plan file's).
    """
    progress = progress or NoProgress()
    max_age = max_plan_age_hours if max_plan_age_hours is not None else \
        policy.apply.max_plan_age_hours
    check_offline(plan, policy=policy, now=now(), max_age_hours=max_age)
    check_desired(plan, policy)
    if lock is None or lock.released:
        raise LockError("apply needs the organization lock", hint="take it with lock.acquire")
    live = provider.fetch()  # paced before each request by the provider's PacingClock
    after_fetch = _requests(provider)
    check_live(plan, live, policy=policy, now=now())
    check_rederived(plan, policy, live, grant)
    for change in plan.changes:  # every kind performable by this provider, before any write
        handler_for(change, provider)

    eta = limiter.eta(plan.changes)
    audit.event("apply_start", changes=len(plan.changes), eta_s=round(eta, 1),
                lock_id=lock.info.id, concurrency=concurrency, overrides=grant.record(),
                approved_by=grant.overrides.approver or None,
                plan_overrides=Grant(plan.overrides, plan.approve_overflow).record())
    run = _Run(plan, provider, ApplyContext(live), audit, limiter, progress)
    outcomes: list[ChangeOutcome] = []
    t0 = time.monotonic()
    progress.start(len(plan.changes), eta)
    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency),
                                thread_name_prefix="seatctl-apply") as pool:
            for step in steps_of(plan.changes):
                if run.stop.is_set():
                    outcomes.extend(ChangeOutcome(c, "not_started") for c in step)
                    continue
                if len(step) == 1 or concurrency <= 1 or any(map(is_sequential, step)):
                    outcomes.extend(run.one(c) for c in step)
                else:
                    outcomes.extend(pool.map(run.one, step))
    finally:
        progress.finish()
    writes_after = _requests(provider)
    report = ApplyReport(
        plan_checksum=plan.checksum,
        outcomes=tuple(outcomes),
        elapsed_s=time.monotonic() - t0,
        eta_s=eta,
        write_requests=(writes_after - after_fetch) if writes_after is not None
        and after_fetch is not None else None,
        audit_failed=str(run.audit_error) if run.audit_error else "",
    )
    if run.bug is not None:
        raise run.bug
    if run.audit_error is not None:
        raise AuditError(f"{run.audit_error.message}; apply stopped: {report.summary()}",
                         hint=run.audit_error.hint)
    try:
        audit.event("apply_end", done=report.done, failed=report.failed,
                    not_started=report.not_started, elapsed_s=round(report.elapsed_s, 2),
                    write_requests=report.write_requests)
    except AuditError as exc:
        raise AuditError(f"{exc.message}; {report.summary()}", hint=exc.hint) from None
    if not report.complete:
        raise ApplyIncomplete(report)
    return report
