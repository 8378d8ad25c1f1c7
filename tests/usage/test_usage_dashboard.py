"""The dashboard is one self-contained HTML file whose charts render in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from usage_fixtures import TODAY, act, days_before, make_policy

from reconciler.usage.active import compile_active
from reconciler.usage.chargeback import build_chargeback
from reconciler.usage.dashboard import build_dashboard
from reconciler.usage.inactive import find_inactive
from reconciler.usage.money import monthly_bill
from reconciler.usage.period import month_period, parse_period
from reconciler.usage.reports import build_report
from reconciler.usage.roster import build_roster
from reconciler.usage.store import UsageStore

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ACTIVE = compile_active(["claude_code"], ["sessions"])


def make_html(tmp_path, org_name: str = "X <Corp>") -> str:
    policy = make_policy()
    period = parse_period("30d", TODAY)
    rows = [act(days_before(n), "a@x.example", sessions=1) for n in range(1, 31, 2)]
    rows.append(act(days_before(3), "d@x.example", sessions=2))
    with UsageStore(tmp_path / "u.db") as store:
        store.replace_days(days_before(60), days_before(1), rows)
        roster = build_roster(policy)
        team = build_report(
            policy,
            roster,
            store.member_totals(period.start, period.end, ACTIVE),
            by="team",
            period=period,
            active_definition=ACTIVE.describe(),
        )
        inactive = find_inactive(
            roster,
            store.last_active(ACTIVE),
            days=14,
            today=TODAY,
            contract_start=policy.contract_start,
            coverage_start=days_before(60),
            active_definition=ACTIVE.describe(),
        )
        return build_dashboard(
            org_name=org_name,
            generated=TODAY,
            period=period,
            active_definition=ACTIVE.describe(),
            daily_active=store.daily_active(period.start, period.end, ACTIVE),
            team_rows=team.rows,
            inactive=inactive,
            chargeback=build_chargeback(monthly_bill(policy, month_period("2026-11"))),
            low_threshold_pct=20.0,
            tool_mix=(("edit_tool", 8, 2), ("write_tool", 3, 1)),
        )


def test_dashboard_needs_no_network_and_escapes_names(tmp_path) -> None:
    page = make_html(tmp_path)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    assert "X &lt;Corp&gt;" in page and "X <Corp>" not in page
    charts = dict(re.findall(r'data-chart="([^"]+)" data-points="(\d+)"', page))
    assert charts == {
        "active-per-day": "30",
        "team-utilisation": "2",
        "inactive-seats": "2",
        "cost-per-cost-center": "3",  # CORE-1, WEB-1 and the unassigned purchased seats
        "tool-mix": "2",
    }


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (Debian package `chromium`)")
@pytest.mark.parametrize("width", [800, 1600])
def test_dashboard_charts_render_in_headless_chromium(tmp_path, width) -> None:
    """No script runs (CSP: none), so the check is the parsed DOM: every chart is an
    SVG element with all its points, and a screenshot at the width is produced."""
    out = tmp_path / "report.html"
    out.write_text(make_html(tmp_path), encoding="utf-8")
    flags = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--window-size={width},2000",
    ]
    dom = subprocess.run([*flags, "--dump-dom", out.as_uri()], capture_output=True, text=True,
                         timeout=90, check=True).stdout
    charts = re.findall(r'<svg class="chart" data-chart="([^"]+)" data-points="(\d+)"', dom)
    assert dict(charts) == {
        "active-per-day": "30",
        "team-utilisation": "2",
        "inactive-seats": "2",
        "cost-per-cost-center": "3",  # CORE-1, WEB-1 and the unassigned purchased seats
        "tool-mix": "2",
    }
    assert len(re.findall(r"data-value=", dom)) == 39
    shot = tmp_path / f"shot-{width}.png"
    subprocess.run([*flags, f"--screenshot={shot}", out.as_uri()], capture_output=True,
                   timeout=90, check=True)
    assert shot.stat().st_size > 1000


@pytest.mark.parametrize(
    ("top", "ticks"),
    [(3.0, [0, 1, 2, 3]), (15.0, [0, 5, 10, 15]), (56.25, [0, 20, 40, 60]),
     (100.0, [0, 20, 40, 60, 80, 100]), (1791.35, [0, 500, 1000, 1500, 2000]),
     (0.0, [0, 1]), (7.0, [0, 2, 4, 6, 8])],
)
def test_axes_tick_at_nice_numbers(top, ticks) -> None:
    from reconciler.usage.dashboard import nice_ticks

    assert nice_ticks(top) == (ticks[-1], ticks)


def test_dashboard_has_no_script_a_tight_csp_dollar_axes_and_a_full_percent_scale(
        tmp_path) -> None:
    import base64
    import hashlib

    page = make_html(tmp_path)
    assert "<script" not in page and "unsafe-inline" not in page
    css = re.search(r"<style>(.*?)</style>", page, re.S).group(1)  # type: ignore[union-attr]
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'; script-src 'none'" in page
    util = re.search(r'data-chart="team-utilisation".*?</svg>', page, re.S).group(0)  # type: ignore[union-attr]
    assert ">100%</text>" in util and ">56.25%<" not in util
    cost = re.search(r'data-chart="cost-per-cost-center".*?</svg>', page, re.S).group(0)  # type: ignore[union-attr]
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', cost)
    assert labels[0] == "$0" and all(x.startswith("$") for x in labels)
    assert 'width="100%"' in page and 'width="720"' not in page
    tools = re.search(r'data-chart="tool-mix".*?</svg>', page, re.S).group(0)  # type: ignore[union-attr]
    # 10 of 14 actions are edit_tool's (71%), 8 of its 10 accepted (80%)
    assert 'data-label="edit_tool" data-value="71.4286"' in tools
    assert "71% · 80% accepted" in tools and "79% overall" in page
