"""Measured active hours: Claude Code's telemetry, read back from a real Prometheus.

The metrics are produced by the OpenTelemetry Python SDK under Claude Code's metric
names and attributes (``claude_code.active_time.total`` in seconds, ``user.email``,
``session.id``), exposed by the SDK's own Prometheus exporter, and written as
OpenMetrics with a timestamp every 15 minutes over the five days before the demo day
(DEMO_DATE, 2026-11-25); ``promtool`` backfills them into a Prometheus started here on
127.0.0.1. ``seatctl usage sync`` then reads them through the query API, and the test
checks hours per member and team, and the ``max_daily_hours`` alerts, against the
hours fed in. Where Debian's ``prometheus`` package is absent the integration tests
skip with that reason (``.ci/run`` installs it).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLE_POLICIES, run_cli

from reconciler.model import TelemetryDay
from reconciler.providers.prometheus import days_from_matrix, metric_names
from reconciler.sandbox.demo import DEMO_DATE
from reconciler.usage.alerts import hours_alerts
from reconciler.usage.roster import SeatHolder

DAYS = [DEMO_DATE - dt.timedelta(days=n) for n in range(5, 0, -1)]  # 2026-11-20..24
#: Hours of active time fed per member on each of DAYS (roles: erin contractor, max 4 h;
#: farid intern, max 6 h; alice developer, unlimited).
FED: dict[str, list[float]] = {
    "erin.kim@acme.example": [3.0, 5.0, 2.0, 4.5, 1.0],
    "farid.haddad@acme.example": [6.5, 2.0, 0.0, 3.0, 1.0],
    "alice.nguyen@acme.example": [7.0, 8.0, 2.0, 0.0, 3.0],
}
TEAMS = {"erin.kim@acme.example": "platform", "farid.haddad@acme.example": "platform",
         "alice.nguyen@acme.example": "platform"}
STEP = dt.timedelta(minutes=15)
WORKDAY = (dt.time(9), dt.time(17))  # activity spread over 09:00-17:00 UTC

# -- pure parts ----------------------------------------------------------------------------


def test_metric_names_are_discovered_in_either_naming() -> None:
    otel = metric_names(["claude_code_active_time_seconds_total",
                         "claude_code_active_time_seconds_created",
                         "claude_code_session_count_total", "up"])
    collector = metric_names(["claude_code_active_time_total",
                              "claude_code_code_edit_tool_decision_total"])
    assert otel == {"claude_code_active_time": "claude_code_active_time_seconds_total",
                    "claude_code_session_count": "claude_code_session_count_total"}
    assert collector["claude_code_active_time"] == "claude_code_active_time_total"
    assert "claude_code_code_edit_tool_decision" in collector


def test_matrix_values_belong_to_the_day_before_their_timestamp() -> None:
    midnight = dt.datetime(2026, 11, 21, tzinfo=dt.UTC).timestamp()
    matrix = [
        {"metric": {"user_email": "A@x.example", "decision": "accept"},
         "values": [[midnight, "3"], [midnight + 86400, "0"]]},
        {"metric": {"user_email": "a@x.example", "decision": "reject"},
         "values": [[midnight, "5"]]},
        {"metric": {"decision": "accept"}, "values": [[midnight, "9"]]},
    ]
    assert days_from_matrix("accepted", matrix) == [
        TelemetryDay("a@x.example", dt.date(2026, 11, 20), "accepted", 3.0)]


def test_measured_hours_replace_the_estimate_for_that_day() -> None:
    day = dt.date(2026, 11, 20)
    holder = SeatHolder(email="erin@x.example", team="platform", cost_center="PLAT-001",
                        role="contractor", tier="standard", monthly_price_cents=3000,
                        max_daily_hours=4.0)
    # 9 sessions would be 9 h estimated; measured 3 h that day: no alert.
    assert hours_alerts([holder], [("erin@x.example", day, 9)],
                        measured={("erin@x.example", day): 3.0}) == []
    (alert,) = hours_alerts([holder], [("erin@x.example", day, 1)],
                            measured={("erin@x.example", day): 4.5})
    assert not alert.estimated and alert.value == 4.5 and "measured" in alert.message
    (guess,) = hours_alerts([holder], [("erin@x.example", day, 5)])
    assert guess.estimated and "estimated" in guess.message


# -- a real Prometheus ---------------------------------------------------------------------


def _openmetrics() -> str:
    """The fed hours as the OpenTelemetry SDK's Prometheus exporter exposes them, every
    15 minutes, with timestamps (OpenMetrics, for ``promtool tsdb create-blocks-from``)."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import REGISTRY

    reader = PrometheusMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    meter = provider.get_meter("com.anthropic.claude_code")
    active = meter.create_counter("claude_code.active_time.total", unit="s")
    sessions = meter.create_counter("claude_code.session.count", unit="count")
    series: dict[str, dict[tuple[str, str], list[tuple[float, int]]]] = {}
    families: dict[str, str] = {}
    start = dt.datetime.combine(DAYS[0], dt.time(), dt.UTC)
    end = dt.datetime.combine(DAYS[-1] + dt.timedelta(days=1), dt.time(), dt.UTC) + STEP
    slots = (WORKDAY[1].hour - WORKDAY[0].hour) * 4
    t = start
    try:
        while t <= end:
            day_index = (t.date() - DAYS[0]).days
            in_work = WORKDAY[0] <= t.time() < WORKDAY[1]
            if 0 <= day_index < len(DAYS) and in_work:
                for email, hours in FED.items():
                    if hours[day_index]:
                        attrs = {"user.email": email, "session.id": f"{email}-{day_index}",
                                 "type": "user"}
                        active.add(hours[day_index] * 3600 / slots, attrs)
                        if t.time() == WORKDAY[0]:
                            sessions.add(1, attrs)
            stamp = int(t.timestamp())
            for family in REGISTRY.collect():
                if not family.name.startswith("claude_code"):
                    continue
                families[family.name] = family.type
                for s in family.samples:
                    if s.name.endswith("_created"):
                        continue
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                    series.setdefault(family.name, {}).setdefault(
                        (s.name, labels), []).append((s.value, stamp))
            t += STEP
    finally:
        provider.shutdown()
    lines = []
    for name, kind in sorted(families.items()):
        lines.append(f"# TYPE {name} {kind}")
        for (sample, labels), points in sorted(series[name].items()):
            lines += [f"{sample}{{{labels}}} {v} {ts}" for v, ts in points]
    return "\n".join(lines) + "\n# EOF\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server, promtool = shutil.which("prometheus"), shutil.which("promtool")
    if not server or not promtool:
        pytest.skip("Debian's prometheus package is not installed (.ci/run installs it)")
    pytest.importorskip("opentelemetry.exporter.prometheus")
    tmp = tmp_path_factory.mktemp("prometheus")
    (tmp / "metrics.om").write_text(_openmetrics())
    data = tmp / "data"
    subprocess.run([promtool, "tsdb", "create-blocks-from", "openmetrics",
                    str(tmp / "metrics.om"), str(data)], check=True, capture_output=True)
    (tmp / "prometheus.yml").write_text("global:\n  scrape_interval: 15m\n")
    port = _free_port()
    proc = subprocess.Popen(
        [server, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={data}",
         "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx2

        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"{url}/-/ready", timeout=2).status_code == 200:
                    break
            except httpx2.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                pytest.fail("prometheus did not become ready on 127.0.0.1")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def synced(prometheus: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("telemetry")
    root = tmp / "policies"
    shutil.copytree(EXAMPLE_POLICIES, root)
    org = root / "org.yaml"
    org.write_text(org.read_text().replace("\nusage:\n", (
        "\nusage:\n  tracking:\n    endpoint: http://127.0.0.1:4318\n"
        f"    query:\n      url: {prometheus}\n"), 1))
    sandbox, db = str(tmp / "sandbox.db"), str(tmp / "usage.db")
    assert run_cli("sandbox", "seed", "--demo", "--db", sandbox).exit_code == 0
    common = ["--policy", str(root), "--db", db, "--sandbox", sandbox]
    sync = run_cli("usage", "sync", *common, "--since", DAYS[0].isoformat(),
                   "--format", "json")
    assert sync.exit_code == 0, sync.stderr
    alerts = run_cli("usage", "alerts", *common, "--period",
                     f"{DAYS[0]}..{DAYS[-1]}", "--format", "json")
    assert alerts.exit_code in (0, 2), alerts.stderr
    return {"sync": json.loads(sync.stdout), "alerts": json.loads(alerts.stdout)}


def test_sync_measures_active_hours_per_member_and_team(synced: dict[str, Any]) -> None:
    rows = synced["sync"]["tables"]["telemetry"]
    got = {r["email"]: r for r in rows}
    assert set(got) == set(FED)
    for email, hours in FED.items():
        assert got[email]["team"] == TEAMS[email]
        assert got[email]["active_hours"] == pytest.approx(sum(hours), abs=0.01)
        assert got[email]["days"] == sum(1 for h in hours if h)
    team_total = sum(r["active_hours"] for r in rows if r["team"] == "platform")
    assert team_total == pytest.approx(sum(map(sum, FED.values())), abs=0.01)


def test_max_daily_hours_alerts_use_measured_time(synced: dict[str, Any]) -> None:
    caps = {"erin.kim@acme.example": 4.0, "farid.haddad@acme.example": 6.0}
    hours_alerts_ = [a for a in synced["alerts"]["tables"]["alerts"]
                     if a["kind"] == "max_daily_hours" and a["target"] in FED]
    expected = {e: [h for h in FED[e] if h > cap] for e, cap in caps.items()}
    assert {a["target"] for a in hours_alerts_} == {e for e, over in expected.items() if over}
    for a in hours_alerts_:
        over = expected[a["target"]]
        assert a["estimated"] == "no"
        assert float(a["value"]) == pytest.approx(max(over), abs=0.01)
        assert f"on {len(over)} day(s)" in a["message"]
