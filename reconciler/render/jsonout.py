"""Machine view of a plan: the saved plan document itself (``schemas/plan.schema.json``).

``seatctl plan --format json`` prints exactly what ``--out plan.json`` writes, so a
script reading stdout and ``seatctl apply`` reading the file see one document.
"""

from __future__ import annotations

from reconciler.render.view import PlanView


def render_json(view: PlanView) -> str:
    return view.plan.to_json()
