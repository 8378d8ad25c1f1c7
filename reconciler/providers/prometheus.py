"""Read Claude Code's exported metrics from a Prometheus-compatible query API.

Claude Code exports counters named ``claude_code.<name>`` with a ``user.email``
attribute; a collector writes them to Prometheus, where dots become underscores, the
unit may be appended and counters end in ``_total`` (the OpenTelemetry exporter writes
``claude_code_active_time_seconds_total``, a collector may write
``claude_code_active_time_total``). So names are *discovered*: each measure has a stem
and the counter whose name starts with it is used (``metric_names``).

A day's value is the counter's growth over the day (``daily_query``) evaluated at the
next midnight UTC, summed per member. Errors name the URL and what to do; the bearer token
(``usage.tracking.query.token_env``) is sent, never printed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import httpx2

from reconciler.errors import ConfigError
from reconciler.model import TelemetryDay, TelemetryQuery

_TIMEOUT = 30.0
#: measure → (metric stem in Prometheus, label that splits it, label value kept or None).
#: Guide names: session_duration ← active_seconds, code_suggestions_accepted ← accepted,
#: files_modified ← accepted + rejected edit decisions, commands_executed and
#: api_calls_made ← events (tool_result, api_request), which go to a logs backend.
MEASURES: Mapping[str, tuple[str, str | None, str | None]] = {
    "active_seconds": ("claude_code_active_time", None, None),
    "sessions": ("claude_code_session_count", None, None),
    "lines_added": ("claude_code_lines_of_code", "type", "added"),
    "lines_removed": ("claude_code_lines_of_code", "type", "removed"),
    "accepted": ("claude_code_code_edit_tool_decision", "decision", "accept"),
    "rejected": ("claude_code_code_edit_tool_decision", "decision", "reject"),
    "cost_usd": ("claude_code_cost_usage", None, None),
    "tokens": ("claude_code_token_usage", None, None),
}
EMAIL_LABEL = "user_email"
_DAY = dt.timedelta(days=1)


def metric_names(available: Iterable[str]) -> dict[str, str]:
    """Stem → the counter series name Prometheus holds for it (absent stems left out)."""
    names = sorted((n for n in available if n.endswith("_total")), key=len)
    found: dict[str, str] = {}
    for stem, _label, _value in MEASURES.values():
        if stem in found:
            continue
        pattern = re.compile(rf"^{re.escape(stem)}(_[A-Za-z0-9]+)*_total$")
        match = next((n for n in names if pattern.match(n)), None)
        if match is not None:
            found[stem] = match
    return found


def daily_query(metric: str, split: str | None) -> str:
    """PromQL for one counter's growth per member over each day.

    Each Claude Code session is its own series (``session.id``), so a counter starts
    inside the day it first counts. ``increase()`` would drop that first export and
    extrapolate the rest; the day's growth is taken instead as the series' highest
    value in the day less its highest value the day before (0 for a series new that
    day), which is exact for counters exported periodically.
    """
    by = EMAIL_LABEL if split is None else f"{EMAIL_LABEL}, {split}"
    today = f"max_over_time({metric}[1d])"
    return f"sum by ({by}) ({today} - ({today.replace('[1d])', '[1d] offset 1d)')} or {today} * 0))"


def evaluation_times(start: dt.date, end: dt.date) -> tuple[float, float]:
    """query_range bounds: the midnight after ``start`` to the midnight after ``end``."""
    first = dt.datetime.combine(start + _DAY, dt.time(), dt.UTC)
    last = dt.datetime.combine(end + _DAY, dt.time(), dt.UTC)
    return first.timestamp(), last.timestamp()


def days_from_matrix(
    measure: str, matrix: Iterable[Mapping[str, object]]
) -> list[TelemetryDay]:
    """A query_range matrix → one row per (member, day) for ``measure``.

    Series of another split value (``decision="reject"`` for ``accepted``) and series
    without an email (a collector that dropped the attribute) are left out.
    """
    _stem, split, keep = MEASURES[measure]
    totals: dict[tuple[str, dt.date], float] = {}
    for series in matrix:
        labels = series.get("metric")
        values = series.get("values")
        if not isinstance(labels, Mapping) or not isinstance(values, list):
            continue
        email = str(labels.get(EMAIL_LABEL) or "").strip().lower()
        if not email or (split is not None and labels.get(split) != keep):
            continue
        for stamp, text in values:
            value = float(text)
            if value != value or value <= 0:  # NaN, or nothing that day
                continue
            day = dt.datetime.fromtimestamp(float(stamp), dt.UTC).date() - _DAY
            totals[email, day] = totals.get((email, day), 0.0) + value
    return [TelemetryDay(e, d, measure, v) for (e, d), v in sorted(totals.items())]


class PrometheusReader:
    """One query API; use as a context manager."""

    def __init__(self, query: TelemetryQuery, *, client: httpx2.Client | None = None) -> None:
        headers = {"Accept": "application/json"}
        if query.token_env:
            token = os.environ.get(query.token_env)
            if not token:
                raise ConfigError(
                    f"usage.tracking.query.token_env names {query.token_env}, which is not set",
                    hint=f"export {query.token_env} with the query API's bearer token",
                )
            headers["Authorization"] = f"Bearer {token}"
        self.url = query.url.rstrip("/")
        self._client = client or httpx2.Client(timeout=_TIMEOUT, headers=headers)

    def __enter__(self) -> PrometheusReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        where = f"{self.url}{path}"
        try:
            response = self._client.get(where, params=params)
        except httpx2.HTTPError as exc:
            raise ConfigError(
                f"telemetry query API {self.url} cannot be reached: {type(exc).__name__}",
                hint="check usage.tracking.query.url in org.yaml and that the server is up",
            ) from exc
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200 or not isinstance(body, dict) or body.get(
                "status") != "success":
            error = body.get("error") if isinstance(body, dict) else None
            raise ConfigError(
                f"telemetry query API {self.url} answered {response.status_code} to {path}"
                + (f": {error}" if error else ""),
                hint="usage.tracking.query.url must be a Prometheus-compatible API root",
            )
        return body["data"]

    def names(self) -> dict[str, str]:
        """Stem → metric name, from the server's list of metric names."""
        return metric_names(str(n) for n in self._get("/api/v1/label/__name__/values"))

    def read(self, start: dt.date, end: dt.date) -> Iterator[TelemetryDay]:
        """Every measure per member and day, ``start`` to ``end`` inclusive."""
        names = self.names()
        lo, hi = evaluation_times(start, end)
        for measure, (stem, split, _keep) in MEASURES.items():
            metric = names.get(stem)
            if metric is None:
                continue
            data = self._get("/api/v1/query_range", {
                "query": daily_query(metric, split), "start": lo, "end": hi, "step": "1d",
            })
            yield from days_from_matrix(measure, data.get("result", []))
