"""The usage dashboard: one self-contained HTML file with inline SVG charts.

Why SVG generated here rather than a charting library: the file must open with no
network at view time (no CDN, no fonts, no images to fetch), diff readably, and be
testable by loading it in a headless browser. Every chart is an ``<svg class="chart">``
carrying ``data-chart`` and ``data-points``; each data point is an element with
``data-label`` and ``data-value``, which the browser test counts in the parsed DOM.

- **No script at all**, so the Content-Security-Policy allows none; the one inline
  ``<style>`` is allowed by its SHA-256 hash, not ``unsafe-inline``.
- **Axes tick at nice numbers** (1, 2 or 5 × 10ⁿ: ``nice_ticks``), never at max/4.
  Utilisation always spans 0–100 % (further only when a team is over 100 %); money
  axes carry ``$``.
- **Responsive**: each chart scales to the page width (``viewBox``, ``width:100%``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import math
from collections.abc import Mapping, Sequence

from reconciler import escape
from reconciler.usage.chargeback import ChargebackReport
from reconciler.usage.inactive import InactiveReport
from reconciler.usage.period import Period
from reconciler.usage.reports import ReportRow

W, H = 720, 240
PAD_L, PAD_R, PAD_T, PAD_B = 56, 16, 20, 32
ACCENT = "#3b6fd4"
WARN = "#d4673b"

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#1d2330}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px}
.meta{color:#5b6373;margin:0 0 2px}
.chart{background:#fafbfc;border:1px solid #e3e6ea;width:100%;max-width:1200px;height:auto;
display:block}
.axis{stroke:#9aa3b2;stroke-width:1} .grid{stroke:#e3e6ea;stroke-width:1}
.lbl{font-size:11px;fill:#5b6373} .val{font-size:11px;fill:#1d2330}
table{border-collapse:collapse;margin-top:8px}
td,th{padding:3px 10px;border-bottom:1px solid #e3e6ea}
th{text-align:left} td.n{text-align:right}
"""

_e = escape.html


def _dollars(cents: int) -> str:
    whole, frac = divmod(cents, 100)
    return f"${whole:,}.{frac:02d}"


def nice_ticks(max_value: float, *, target: int = 5) -> tuple[float, list[float]]:
    """(axis top, tick values from 0) with a step of 1, 2 or 5 × 10ⁿ.

    About ``target`` intervals; the top is the first tick at or above ``max_value``.
    """
    if max_value <= 0:
        return 1.0, [0.0, 1.0]
    rough = max_value / target
    power = 10 ** math.floor(math.log10(rough))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    count = math.ceil(max_value / step - 1e-9)
    ticks = [round(i * step, 10) for i in range(count + 1)]
    return ticks[-1], ticks


def _svg_open(chart: str, points: int, title: str) -> str:
    return (
        f'<svg class="chart" data-chart="{_e(chart)}" data-points="{points}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'viewBox="0 0 {W} {H}" preserveAspectRatio="xMinYMin meet" role="img" '
        f'aria-label="{_e(title)}"><title>{_e(title)}</title>'
    )


def _y_axis(ticks: Sequence[float], fmt: str = "{:g}") -> list[str]:
    parts = []
    top = ticks[-1] or 1
    for v in ticks:
        y = H - PAD_B - (H - PAD_T - PAD_B) * v / top
        parts.append(
            f'<line class="grid" x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="lbl" x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_e(fmt.format(v))}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{PAD_L}" x2="{PAD_L}" y1="{PAD_T}" y2="{H - PAD_B}"/>'
        f'<line class="axis" x1="{PAD_L}" x2="{W - PAD_R}" y1="{H - PAD_B}" y2="{H - PAD_B}"/>'
    )
    return parts


def line_chart(chart: str, title: str, points: Sequence[tuple[str, float]]) -> str:
    """A line with one dot per point (e.g. active members per day)."""
    top, ticks = nice_ticks(max([v for _, v in points] + [1]))
    span_x = (W - PAD_L - PAD_R) / max(len(points) - 1, 1)
    span_y = H - PAD_T - PAD_B
    coords = [(PAD_L + i * span_x, H - PAD_B - span_y * v / top) for i, (_, v) in enumerate(points)]
    parts = [_svg_open(chart, len(points), title), *_y_axis(ticks)]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline fill="none" stroke="{ACCENT}" stroke-width="2" points="{path}"/>')
    step = max(1, len(points) // 8)
    for i, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{ACCENT}" '
            f'data-label="{_e(label)}" data-value="{value:g}"><title>{_e(label)}: {value:g}'
            "</title></circle>"
        )
        if i % step == 0:
            parts.append(
                f'<text class="lbl" x="{x:.1f}" y="{H - PAD_B + 16}" text-anchor="middle">'
                f"{_e(label[5:])}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(
    chart: str,
    title: str,
    bars: Sequence[tuple[str, float, str]],
    *,
    unit: str = "",
    prefix: str = "",
    highlight: float | None = None,
    floor_top: float = 1.0,
) -> str:
    """Vertical bars (label, value, shown text); bars below ``highlight`` use the warn
    colour. The axis reaches at least ``floor_top`` (100 for a percentage)."""
    top, ticks = nice_ticks(max([v for _, v, _ in bars] + [floor_top]))
    slot = (W - PAD_L - PAD_R) / max(len(bars), 1)
    span_y = H - PAD_T - PAD_B
    parts = [_svg_open(chart, len(bars), title), *_y_axis(ticks, prefix + "{:,g}" + unit)]
    for i, (label, value, shown) in enumerate(bars):
        h = span_y * value / top
        width = min(slot * 0.7, 90.0)
        x = PAD_L + i * slot + (slot - width) / 2
        y = H - PAD_B - h
        colour = WARN if highlight is not None and value < highlight else ACCENT
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{max(h, 0.5):.1f}" '
            f'fill="{colour}" data-label="{_e(label)}" data-value="{value:g}">'
            f"<title>{_e(label)}: {_e(shown)}</title></rect>"
            f'<text class="val" x="{x + width / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
            f"{_e(shown)}</text>"
            f'<text class="lbl" x="{x + width / 2:.1f}" y="{H - PAD_B + 16}" '
            f'text-anchor="middle">{_e(label[:18])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def build_dashboard(
    *,
    org_name: str,
    generated: dt.date,
    period: Period,
    active_definition: str,
    daily_active: Mapping[dt.date, int],
    team_rows: Sequence[ReportRow],
    inactive: InactiveReport,
    chargeback: ChargebackReport,
    low_threshold_pct: float,
    tool_mix: Sequence[tuple[str, int, int]] = (),
) -> str:
    """The whole HTML document as a string (the CLI writes it to ``--out``)."""
    per_day = [(d.isoformat(), float(daily_active.get(d, 0))) for d in period.each_day()]
    teams = [(r.key, r.utilisation_pct or 0.0, f"{r.utilisation_pct or 0:.0f}%") for r in team_rows]
    idle = [
        (s.email.split("@")[0], float(s.days_inactive or 0), f"{s.days_inactive}d")
        for s in inactive.seats
    ]
    costs = [
        (cc, cents / 100, _dollars(cents)) for cc, cents in chargeback.by_cost_center().items()
    ]
    actions = sum(a + r for _, a, r in tool_mix)
    tools = [
        (tool, 100.0 * (a + r) / actions,
         f"{100 * (a + r) / actions:.0f}% · {100 * a / (a + r):.0f}% accepted")
        for tool, a, r in tool_mix if a + r
    ]
    accepted = sum(a for _, a, _ in tool_mix)
    rows_html = "".join(
        f"<tr><td>{_e(s.email)}</td><td>{_e(s.team)}</td><td>{_e(s.tier)}</td>"
        f'<td class="n">{_e(_dollars(s.monthly_price_cents))}</td>'
        f'<td class="n">{_e(s.days_inactive if s.days_inactive is not None else "–")}</td>'
        f"<td>{_e(s.saves_from)}</td></tr>"
        for s in inactive.seats
    )
    body = [
        f"<h1>{_e(org_name)}: Claude usage</h1>",
        f'<p class="meta">period {_e(period)} · generated {_e(generated)}</p>',
        f'<p class="meta">{_e(active_definition)}</p>',
        "<h2>Active members per day</h2>",
        line_chart("active-per-day", "Active members per day", per_day),
        f"<h2>Utilisation per team (active ÷ allocated seats; low below "
        f"{low_threshold_pct:g}%)</h2>",
        bar_chart(
            "team-utilisation", "Utilisation per team", teams, unit="%",
            highlight=low_threshold_pct, floor_top=100.0,
        ),
        "<h2>Top commands: Claude Code tool actions (share; accepted ÷ decided"
        + (f", {100 * accepted / actions:.0f}% overall" if actions else "") + ")</h2>",
        bar_chart("tool-mix", "Tool actions by tool", tools, unit="%", floor_top=100.0),
        f"<h2>Inactive seats: {len(inactive.seats)}, "
        f"{_e(_dollars(inactive.monthly_savings_cents))}/month from "
        f"{_e(inactive.next_billing_date)}</h2>",
        bar_chart("inactive-seats", "Days inactive per seat", idle, unit="d"),
        "<table><tr><th>member</th><th>team</th><th>tier</th><th>monthly</th>"
        f"<th>days inactive</th><th>saves from</th></tr>{rows_html}</table>",
        f'<p class="meta">{_e(inactive.billing_rule)}</p>',
        f"<h2>Cost per cost center, {chargeback.month.start:%Y-%m} "
        f"(total {_e(_dollars(chargeback.total_cents))})</h2>",
        bar_chart("cost-per-cost-center", "Cost per cost center", costs, prefix="$"),
        *(f'<p class="meta">{_e(n)}</p>' for n in chargeback.notes),
    ]
    style_hash = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(org_name)} usage {_e(period)}</title>"
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        f"style-src 'sha256-{style_hash}'; script-src 'none'; base-uri 'none'; "
        "form-action 'none'\">"
        f"<style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
