"""Drift: how the live org differs from main's policy, each difference with its cause.

Causes (one per item):

- ``changed_outside`` — the live item differs from the state recorded at the last
  apply: someone changed it in the console or through the API, outside the policy.
- ``not_applied`` — the live item still matches the last apply, so the policy moved:
  a merged change that has not been applied yet (or a policy expiry date that passed).
- ``identity_provider`` — a SCIM group differs from the policy: the identity provider
  owns it; seatctl reports it and never writes it.
- ``unknown`` — no apply has been recorded here, so the two first causes cannot be
  told apart (the report says how to record one).
- ``unmanaged`` — a member or group the policy does not list, present already at
  the last apply (or with no record). Reported, not counted as drift: the policy
  chose to report rather than remove them.

``classify_drift`` is pure; ``detect_drift`` is the edge: one read through a
read-only provider, then a plan. An incomplete read raises, so an error can never be
reported as "in sync" (F23).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from reconciler.errors import LiveReadError
from reconciler.gitops.state import LastApply, state_entities
from reconciler.model import OrgState, Policy
from reconciler.plan import Change, Plan, build_plan
from reconciler.plan.kinds import entities
from reconciler.providers.base import Provider
from reconciler.providers.readonly import ReadOnlyProvider

Cause = Literal["changed_outside", "not_applied", "identity_provider", "unknown", "unmanaged"]
CAUSES: tuple[Cause, ...] = ("changed_outside", "not_applied", "identity_provider", "unknown",
                             "unmanaged")
#: Causes that make drift exit 2. ``unmanaged`` is reported only.
DRIFT_CAUSES: frozenset[Cause] = frozenset(
    {"changed_outside", "not_applied", "identity_provider", "unknown"})

CAUSE_TITLES: Mapping[Cause, str] = {
    "changed_outside": "Changed outside the policy since the last apply",
    "not_applied": "Merged in the policy, not applied yet",
    "identity_provider": "Owned by the identity provider (SCIM; report only)",
    "unknown": "Cause unknown (no last apply recorded)",
    "unmanaged": "Not in the policy (reported, not removed)",
}


@dataclass(frozen=True, slots=True)
class DriftItem:
    cause: Cause
    kind: str
    target: str
    detail: str


@dataclass(frozen=True, slots=True)
class DriftReport:
    org_name: str
    policy_commit: str | None
    live_fingerprint: str
    checked_at: dt.datetime
    last_apply_commit: str | None
    last_applied_at: dt.datetime | None
    items: tuple[DriftItem, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(i.cause for i in self.items)
        return {cause: c.get(cause, 0) for cause in CAUSES}

    @property
    def drifted(self) -> bool:
        return any(i.cause in DRIFT_CAUSES for i in self.items)

    @property
    def exit_code(self) -> int:
        return 2 if self.drifted else 0


def change_entities(change: Change) -> tuple[str, ...]:
    """The ``state_entities`` keys one planned change is about (its kind's row in
    ``plan.kinds.KINDS`` names them)."""
    return entities(change)


def _describe(change: Change) -> str:
    def show(v: object) -> str:
        if isinstance(v, Mapping):
            return ", ".join(f"{k}={v[k]}" for k in sorted(v))
        return "absent" if v is None else str(v)

    text = f"{change.kind.replace('_', ' ')}: {show(change.before)} → {show(change.after)}"
    return f"{text} ({change.reason})" if change.reason else text


#: Unlisted-item findings and the ``state_entities`` prefix of what they are about.
_UNLISTED = {"unlisted_member": "member", "unlisted_invite": "invite",
             "unlisted_group": "group"}


def classify_drift(plan: Plan, live: OrgState, last: LastApply | None, *,
                   checked_at: dt.datetime) -> DriftReport:
    """Give every planned change and every identity-provider/unlisted finding a cause."""
    now = state_entities(live)
    items: list[DriftItem] = []
    for change in plan.changes:
        keys = change_entities(change)
        if last is None:
            cause: Cause = "unknown"
        elif keys and any(last.entities.get(k) != now.get(k) for k in keys):
            cause = "changed_outside"
        elif keys:
            cause = "not_applied"
        else:  # a kind with no entity (managed settings): decide by the applied commit
            cause = "not_applied" if last.commit != plan.policy_commit else "changed_outside"
        items.append(DriftItem(cause, change.kind, change.target, _describe(change)))
    for f in plan.findings:
        target = f.target or ""
        if f.code == "scim_group_drift":
            items.append(DriftItem("identity_provider", "scim_group", target, f.message))
        elif f.code in _UNLISTED:
            key = f"{_UNLISTED[f.code]}:{target}"
            new = last is not None and key not in last.entities
            items.append(DriftItem("changed_outside" if new else "unmanaged", f.code, target,
                                   f.message + (" (added since the last apply)" if new else "")))
    notes: list[str] = []
    if last is None:
        notes.append("no last apply is recorded here (.seatctl/last-apply.json), so console "
                     "edits cannot be told from unapplied merges; `seatctl apply` records it")
    elif plan.policy_commit and last.commit and plan.policy_commit != last.commit:
        notes.append(f"policy commit {plan.policy_commit[:12]} is not the last applied "
                     f"{last.commit[:12]}")
    order = {c: i for i, c in enumerate(CAUSES)}
    items.sort(key=lambda i: (order[i.cause], i.target, i.kind))
    return DriftReport(
        org_name=plan.org_name,
        policy_commit=plan.policy_commit,
        live_fingerprint=plan.live_fingerprint,
        checked_at=checked_at,
        last_apply_commit=last.commit if last else None,
        last_applied_at=last.applied_at if last else None,
        items=tuple(items),
        notes=tuple(notes),
    )


def read_live(provider: Provider) -> OrgState:
    """One read through a read-only wrapper; an incomplete read is an error, never "in sync"."""
    reader = provider if isinstance(provider, ReadOnlyProvider) else ReadOnlyProvider(provider)
    live = reader.fetch()
    if not live.complete:
        raise LiveReadError("the live read was incomplete; drift cannot be judged",
                            hint="re-run; if it persists, check the API status and the key")
    return live


def drift_from_live(policy: Policy, live: OrgState, *, at: dt.date, now: dt.datetime,
                    last: LastApply | None) -> DriftReport:
    """Plan main's policy against ``live`` and classify every difference. Pure."""
    plan = build_plan(policy, live, at=at, created_at=now, commit=policy.commit)
    if not plan.live_fingerprint:
        raise LiveReadError("the live state has no fingerprint; drift cannot be judged")
    return classify_drift(plan, live, last, checked_at=now)


def detect_drift(policy: Policy, provider: Provider, *, at: dt.date, now: dt.datetime,
                 last: LastApply | None) -> DriftReport:
    """The drift job: one read-only live read, a plan, and the classification."""
    return drift_from_live(policy, read_live(provider), at=at, now=now, last=last)
