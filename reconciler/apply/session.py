"""One apply run, wired end to end: what ``seatctl apply`` does minus parsing and printing.

Why a module: the CLI must stay thin, and the run has several edges that belong
together — the audit log with its context (actor, run id, commit, plan hash) and
the key scrubbed from it, the org lock, the limiter from ``org.yaml``, the provider
paced by that limiter, and the last-apply record drift relies on. ``run_apply``
holds the lock for exactly the apply and records the live state after it.

Apply reads the organization once: the record (and the kept snapshot) is the
pre-apply read with the outcomes of the writes applied to it (``plan.simulate``),
not a second full read; ``--auto-approve`` hands its plan's read in as ``prepared``
so the plan and the apply share one read. Only when the outcomes cannot be modelled
(a kind the model does not know, an "already done" that contradicts the read) is
the organization read again.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from reconciler.apply.audit import AuditLog, current_actor
from reconciler.apply.audit_chain import format_head, read_head
from reconciler.apply.executor import ApplyIncomplete, ApplyReport, apply_plan
from reconciler.apply.limiter import PacingClock, RateLimiter, under_documented
from reconciler.apply.lock import acquire, lock_path
from reconciler.apply.progress import Progress
from reconciler.apply.rederive import NO_GRANT, Grant
from reconciler.errors import AuditError, SeatctlError
from reconciler.model import OrgState, Policy
from reconciler.plan import Plan, fingerprint
from reconciler.plan.kinds import SETTINGS_KINDS
from reconciler.plan.simulate import SimulationError, apply_to_state
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.providers.base import Provider
from reconciler.providers.shared_read import SharedRead
from reconciler.providers.snapshot import save_snapshot

AUDIT_FILE = "audit.jsonl"


@dataclass(frozen=True, slots=True)
class ApplyOptions:
    """Run inputs that are not policy: where state lives, how long to wait for the lock.

    ``grant`` holds the overrides given to this apply (flags or env): the only place an
    override can come from. ``lock_dir`` is where the org's lock lives (None:
    ``lock.lock_dir()``, shared by every state directory, so the lock is per
    organization)."""

    state_dir: pathlib.Path = pathlib.Path(".seatctl")
    lock_dir: pathlib.Path | None = None
    grant: Grant = NO_GRANT
    lock_timeout_s: float = 0.0
    concurrency: int | None = None
    record_last_apply: bool = True
    #: Keep every full read (and the state after the apply) as ``<state_dir>/snapshot.json``.
    keep_snapshot: bool = True


def limiter_for(policy: Policy) -> RateLimiter:
    """The client-side limits from ``org.yaml`` (``apply:``), defaults just under the API's.

    The bucket comes from ``limiter.under_documented``: 8 over the default 90/min (at
    most 97 requests in any 60 s, a small apply starts without waiting), less as the
    configured rate nears the documented 100, none at 100 — a fixed bucket of 8 on top
    of 100/min let 107 requests into one minute and drew 429s."""
    return RateLimiter(under_documented(policy.apply.requests_per_minute,
                                        policy.apply.invites_per_hour))


def open_paced_provider(policy: Policy, limiter: RateLimiter, *,
                        sandbox: str | None = None) -> AnthropicProvider:
    """The policy's provider with every wait (retry-after, backoff, settle) paced by
    ``limiter``: its clock is a ``PacingClock``, given at construction."""
    from reconciler.connect import open_provider

    return open_provider(policy, sandbox=sandbox, clock=PacingClock(limiter))


def audit_for(plan: Plan, policy: Policy, state_dir: pathlib.Path,
              env: Mapping[str, str], grant: Grant = NO_GRANT) -> AuditLog:
    """The run's audit log; when this run was granted an override, every record names
    who approved it."""
    actor = current_actor(env)
    key = env.get(policy.admin_key_env, "")
    context = {"actor": actor.name, "actor_source": actor.source, "run_id": actor.run_id,
               "org": policy.org_name, "policy_commit": plan.policy_commit,
               "plan_hash": plan.checksum}
    if grant.any:
        context["approved_by"] = grant.overrides.approver
    return AuditLog(state_dir / AUDIT_FILE, context=context, secrets=[key] if key else [])


def run_apply(
    plan: Plan,
    policy: Policy,
    provider: Provider,
    *,
    options: ApplyOptions,
    progress: Progress,
    env: Mapping[str, str] | None = None,
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    limiter: RateLimiter | None = None,
    prepared: OrgState | None = None,
    first_read: Callable[[], tuple[OrgState, dt.datetime]] | None = None,
) -> tuple[ApplyReport, str]:
    """Lock, apply, record the last-apply state; returns the report and a warning (or "").

    ``limiter`` paces the writes; pass the one the provider's clock was built with
    (``open_paced_provider``) so the provider's own waits hold every worker too.
    ``prepared`` is a full read this run already made (``--auto-approve``'s plan):
    apply checks the plan against it instead of reading again. ``first_read`` makes
    apply's read instead of a full one (``apply --base``: the slice over the snapshot),
    under the lock; it keeps a full read as the snapshot itself.
    ``ApplyIncomplete`` is re-raised after the last-apply record is written, so drift
    can tell finished steps from pending ones.
    """
    env = os.environ if env is None else env
    keep = (lambda live, at: _keep(live, options, at)) if options.keep_snapshot else None
    shared = SharedRead(provider, prepared=prepared, on_read=keep, clock=now,
                        first_read=first_read)
    provider = shared  # forwards every Provider method
    limiter = limiter or limiter_for(policy)
    audit = audit_for(plan, policy, options.state_dir, env, options.grant)
    actor = current_actor(env)
    concurrency = options.concurrency or policy.apply.concurrency
    path = lock_path(policy.org_name, options.lock_dir)
    incomplete: ApplyIncomplete | None = None
    with acquire(path, org=policy.org_name, owner=actor.name, run_id=actor.run_id,
                 timeout=options.lock_timeout_s) as held:
        try:
            report = apply_plan(plan, provider, policy=policy, audit=audit, limiter=limiter,
                                lock=held, concurrency=concurrency, progress=progress, now=now,
                                grant=options.grant)
        except ApplyIncomplete as exc:
            incomplete, report = exc, exc.report
        report = replace(report, audit_head=_audit_head(audit))
        warning = _record(shared, report, plan, options, now, report.audit_head) \
            if options.record_last_apply else ""
    if incomplete is not None:
        incomplete.report = report
        raise incomplete
    return report, warning


def _audit_head(audit: AuditLog) -> str:
    """``SEQ:HASH`` of the log's last entry ("" if none): printed for the job summary and
    kept in last-apply.json, the anchor outside the log (``audit verify --head``)."""
    try:
        head = read_head(audit.path)
    except AuditError:
        return ""
    return format_head(*head) if head else ""


def _keep(live: OrgState, options: ApplyOptions, read_at: dt.datetime) -> None:
    """Keep a full read as the snapshot; failing to keep it never fails the apply."""
    try:
        save_snapshot(live, options.state_dir, read_at=read_at, fingerprint=fingerprint)
    except (OSError, ValueError):
        pass


def state_after(before: OrgState | None, report: ApplyReport) -> OrgState | None:
    """The pre-apply read with the finished changes applied, or None if not modellable."""
    if before is None:
        return None
    finished = [o.change for o in report.outcomes if o.status in ("done", "already_done")]
    if any(c.kind in SETTINGS_KINDS for c in finished):
        finished = [c for c in finished if c.kind not in SETTINGS_KINDS]
    try:
        return apply_to_state(before, finished)
    except (SimulationError, KeyError, ValueError):
        return None


def _record(shared: SharedRead, report: ApplyReport, plan: Plan, options: ApplyOptions,
            now: Callable[[], dt.datetime], audit_head: str = "") -> str:
    """Write ``last-apply.json`` for drift; a failure is a warning, not a failed apply.

    Built from the pre-apply read plus the outcomes (no second full read); the same
    state is kept as the snapshot, with the time of the read it came from.
    """
    from reconciler.gitops.state import record_last_apply

    try:
        live = state_after(shared.last_read, report)
        if live is None:
            live = shared.fetch()  # the outcomes could not be modelled: read again
        elif options.keep_snapshot and shared.read_at is not None:
            save_snapshot(_without_model_ids(live), options.state_dir, read_at=shared.read_at,
                          fingerprint=fingerprint)
        record_last_apply(live, commit=plan.policy_commit, applied_at=now(),
                          fingerprint=fingerprint(live),
                          path=options.state_dir / "last-apply.json",
                          audit_head=audit_head or None)
    except (SeatctlError, OSError) as exc:
        return f"warning: the last-apply record was not written ({exc}); drift will " \
               "report pending changes as changed outside the policy until the next apply"
    return ""


def _without_model_ids(state: OrgState) -> OrgState:
    """Objects apply created carry the model's placeholder ids (``new-group:…``): the
    snapshot keeps them without an id, so a targeted refresh looks them up again."""
    from dataclasses import replace
    from types import MappingProxyType

    groups = {n: replace(g, id=None) if (g.id or "").startswith("new-") else g
              for n, g in state.groups.items()}
    invites = {e: replace(i, id=None) if (i.id or "").startswith("new-") else i
               for e, i in state.invites.items()}
    limits = {k: replace(v, id=None) if (v.id or "").startswith("new-") else v
              for k, v in state.spend_limits.items()}
    return replace(state, groups=MappingProxyType(groups), invites=MappingProxyType(invites),
                   spend_limits=MappingProxyType(limits))
