"""``build_plan``: the one entry point from (policy, live state, date) to a ``Plan``.

``seatctl plan``, apply's staleness check and drift all call it, so they can never
disagree about what the policy asks for. Steps, all pure: (1) the desired state as
of ``at`` (expired members dropped) and each team's allocation on ``at`` (dynamic
seating, ``plan.seating``); (2) ``diff`` → ordered changes (every rule of
``plan.diff.DIFF_RULES``, managed settings included); (3) the state
after the plan, on the org model, for seats and cost; (4) guards → findings;
(5) summary; (6) fingerprints (live, desired, policy) and the checksum over every
field. An incomplete live read still yields a plan — with no changes, an error
finding and an empty fingerprint — so the reason is shown and nothing can be applied
from it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from types import MappingProxyType

from reconciler import __version__
from reconciler.model import OrgState, Policy
from reconciler.plan.desired import desired_at
from reconciler.plan.diff import diff_desired
from reconciler.plan.fingerprint import fingerprint, policy_fingerprint
from reconciler.plan.guards import NO_OVERRIDES, GuardInput, Overrides, run_guards
from reconciler.plan.model import FORMAT_VERSION, Plan
from reconciler.plan.seating import allocated_seats_at
from reconciler.plan.simulate import SimulationError, apply_to_state
from reconciler.plan.summary import summarize


def build_plan(
    policy: Policy,
    live: OrgState,
    *,
    at: dt.date,
    created_at: dt.datetime,
    commit: str | None,
    approve_overflow: bool = False,
    overrides: Overrides = NO_OVERRIDES,
    allocations: Mapping[str, int] | None = None,
) -> Plan:
    """Plan ``policy`` against ``live`` as of ``at``.

    ``allocations`` overrides the teams' allocated seats (default: each team's
    allocation on ``at`` from its sprints and scaling rules); missing teams use their
    static ``allocated_seats``. ``commit`` is the policy's git commit or ``None``.
    """
    want = desired_at(policy, at)
    if live.complete:
        changes = tuple(diff_desired(policy, want, live))
    else:
        changes = ()
    try:
        # kinds the table marks unmodelled (managed settings) hold no seats
        after = apply_to_state(live, (c for c in changes if c.spec.modelled))
    except SimulationError as exc:  # a planner bug: never hand out a plan the model rejects
        raise AssertionError(f"planned changes do not apply to the live model: {exc}") from exc
    allocs = MappingProxyType(dict(allocations if allocations is not None
                                   else allocations_at(policy, at)))
    findings = run_guards(
        GuardInput(policy, live, want, changes, after, allocs, approve_overflow, overrides)
    )
    plan = Plan(
        format_version=FORMAT_VERSION,
        tool_version=__version__,
        created_at=created_at,
        org_name=policy.org_name,
        org_type=policy.org_type.value,
        policy_commit=commit,
        evaluated_on=at,
        live_fingerprint=fingerprint(live),
        desired_fingerprint=fingerprint(want.state),
        changes=tuple(changes),
        findings=findings,
        summary=summarize(policy, live, after, changes, allocs),
        overrides=overrides,
        approve_overflow=approve_overflow,
        policy_fingerprint=policy_fingerprint(policy),
    )
    return _with_checksum(plan)


def _with_checksum(plan: Plan) -> Plan:
    return replace(plan, checksum=plan.content_checksum())


def allocations_at(policy: Policy, at: dt.date) -> dict[str, int]:
    """Each team's allocated seats on ``at`` (dynamic seating around sprints)."""
    return {name: allocated_seats_at(team, policy.budget, at)
            for name, team in policy.teams.items()}
