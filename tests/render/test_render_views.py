"""Renderers: PR-comment size at 2,000 changes, injection, colour rules."""

from __future__ import annotations

import io
import pathlib
import re
import sys
from dataclasses import replace
from types import MappingProxyType

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "golden"))

from scenarios import AT, CREATED, injection, live_from, make_policy  # noqa: E402

from reconciler.model import Safety  # noqa: E402
from reconciler.plan import Plan, build_plan  # noqa: E402
from reconciler.render import build_view, render_markdown, render_text, use_color  # noqa: E402
from reconciler.render.markdown import MARKER  # noqa: E402


def _big_plan(n: int) -> Plan:
    """n people to invite across 40 teams (a first rollout)."""
    teams = {f"team{t:02d}": (f"CC-{t % 7}", [(f"person{t:02d}.{i:04d}", "developer", None)
                                             for i in range(n // 40)]) for t in range(40)}
    policy = make_policy(teams, seats={t: n for t in teams}, purchased=2 * n,
                         safety=Safety(10, 25.0, 10, 25.0, frozenset(), "report"))
    live = live_from(make_policy({"x": ("X", [("keeper", "developer", None)])}))
    live = replace(live, groups=MappingProxyType({}), spend_limits=MappingProxyType({}))
    return build_plan(policy, live, at=AT, created_at=CREATED, commit=None)


@pytest.mark.parametrize("n", [1000, 2000])
def test_pr_comment_stays_under_githubs_limit_and_points_to_the_artifact(n: int) -> None:
    plan = _big_plan(n)
    assert len(plan.changes) > n
    md = render_markdown(build_view(plan))
    assert len(md) < 65_536
    assert md.startswith(MARKER)
    head = md[: md.index("<details>")]
    assert "| ➕ Invite members | " in head  # summary first, with counts
    assert "full plan is in the `plan.json` artifact" in md
    assert plan.checksum in md
    assert md.count("<details>") == md.count("</details>")


def test_small_plan_is_rendered_in_full() -> None:
    md = render_markdown(build_view(_big_plan(40)))
    assert "not shown" not in md


def test_markdown_neutralises_injection_from_live_names() -> None:
    policy, live = injection()
    md = render_markdown(build_view(build_plan(policy, live, at=AT, created_at=CREATED,
                                               commit=None)))
    body = md.split("\n", 1)[1]
    assert "<b>" not in body and "<img" not in body
    assert re.search(r"(?<![&\w])@acme/everyone", body) is None  # no live mention
    assert "http://evil" not in body
    assert "\n## No changes" not in body and "\x1b" not in body
    # the one real headline: changes, not a forged "No changes"
    assert body.count("### ") == 1 and "3 changes to apply" in body
    # every table row still has exactly 5 cell borders (no pipe escaped its cell)
    for line in body.splitlines():
        if line.startswith("| - |"):
            assert line.count("|") - line.count("\\|") == 5, line


def test_text_escapes_terminal_control_characters() -> None:
    policy, live = injection()
    out = render_text(build_view(build_plan(policy, live, at=AT, created_at=CREATED,
                                            commit=None)))
    assert "\x1b" not in out
    assert "Eve\\u000a## No changes. Plan is empty\\u001b[31m" in out


def test_colour_only_when_asked_and_never_with_no_color() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert use_color(Tty(), env={}) is True
    assert use_color(Tty(), env={"NO_COLOR": "1"}) is False
    assert use_color(io.StringIO(), env={}) is False
    policy, live = injection()
    view = build_view(build_plan(policy, live, at=AT, created_at=CREATED, commit=None))
    assert "\x1b[31m-\x1b[0m remove_member" in render_text(view, color=True)
    assert "\x1b[" not in render_text(view, color=False)
