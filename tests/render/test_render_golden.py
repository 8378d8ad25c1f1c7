"""Golden files: each scenario's plan as text, Markdown and JSON, byte for byte.

``pytest --update-golden`` rewrites them from current output; a reviewer reads the diff.
"""

from __future__ import annotations

import pathlib
import sys

import pytest

GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "golden"
sys.path.insert(0, str(GOLDEN))

from scenarios import AT, CREATED, SCENARIOS  # noqa: E402

from reconciler.plan import build_plan  # noqa: E402
from reconciler.render import build_view, render_json, render_markdown, render_text  # noqa: E402

RENDERERS = {
    "plan.txt": lambda view: render_text(view, color=False),
    "plan.md": render_markdown,
    "plan.json": render_json,
}


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_rendered_plan_matches_golden_file(scenario: str, renderer: str,
                                           update_golden: bool) -> None:
    policy, live = SCENARIOS[scenario]()
    plan = build_plan(policy, live, at=AT, created_at=CREATED, commit="0123456789abcdef")
    got = RENDERERS[renderer](build_view(plan))
    path = GOLDEN / scenario / renderer
    if update_golden:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(got, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run pytest --update-golden"
    assert got == path.read_text(encoding="utf-8")
