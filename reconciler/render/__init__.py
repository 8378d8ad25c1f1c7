"""Views of a Plan (and reports): text, Markdown, JSON — all from one ``PlanView``."""

from reconciler.plan.model import Plan
from reconciler.render.jsonout import render_json
from reconciler.render.markdown import render_markdown
from reconciler.render.text import render_text, use_color
from reconciler.render.view import PlanView, build_view

__all__ = ["PlanView", "build_view", "render", "render_json", "render_markdown", "render_text",
           "use_color"]


def render(plan: Plan, fmt: str, *, color: bool = False) -> str:
    """Render ``plan`` as ``text`` (the default), ``markdown`` or ``json``."""
    view = build_view(plan)
    if fmt == "markdown":
        return render_markdown(view)
    if fmt == "json":
        return render_json(view)
    return render_text(view, color=color)
