"""The pure core: diff desired against live, order changes, guard them, build the Plan.

Nothing here reads files, talks to the network, looks at the clock or prints. Entry
points: ``build_plan`` (the orchestrator), ``diff``, ``fingerprint``,
``apply_to_state``/``accept_invites`` (the org model), ``Plan.from_json``.
"""

from reconciler.plan.build import build_plan
from reconciler.plan.changes import (
    Change,
    ChangeKind,
    KindSpec,
    make_change,
    order_changes,
    sort_key,
)
from reconciler.plan.diff import diff
from reconciler.plan.fingerprint import fingerprint, fingerprints_match
from reconciler.plan.guards import Finding, Overrides
from reconciler.plan.kinds import KINDS, reduces_access
from reconciler.plan.model import Plan
from reconciler.plan.simulate import SimulationError, accept_invites, apply_to_state

__all__ = [
    "KINDS",
    "Change",
    "ChangeKind",
    "Finding",
    "KindSpec",
    "Overrides",
    "Plan",
    "SimulationError",
    "accept_invites",
    "apply_to_state",
    "build_plan",
    "diff",
    "fingerprint",
    "fingerprints_match",
    "make_change",
    "order_changes",
    "reduces_access",
    "sort_key",
]
