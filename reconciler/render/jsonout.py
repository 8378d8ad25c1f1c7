"""Machine view of a plan: the saved plan document itself (``schemas/plan.schema.json``).

``seatctl plan --format json`` prints exactly what ``--out plan.json`` writes, so a
script reading stdout and ``seatctl apply`` reading the file see one document.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

from reconciler.render.view import PlanView

SCHEMA_PATH = pathlib.Path(__file__).resolve().parents[2] / "schemas" / "plan.schema.json"


def render_json(view: PlanView) -> str:
    return view.plan.to_json()


def plan_schema() -> dict[str, Any]:
    """The plan JSON Schema (2020-12) shipped with seatctl."""
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return loaded
