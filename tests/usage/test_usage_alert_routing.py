"""``route_alerts``: each notify entry gets one message with exactly its alerts."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import EXAMPLE_POLICIES

from reconciler.model import Alert as AlertSetting
from reconciler.policy import load_policy
from reconciler.usage.alerts import Alert, AlertReport, route_alerts

LOW = Alert("low_utilisation", "frontend", 10.0, 20.0, "low")
HIGH = Alert("high_usage", "backend", 95.0, 90.0, "high")
HOURS = Alert("max_daily_hours", "a@acme.example", 6.0, 4.0, "hours", estimated=True)


def routed(low: tuple[str, ...], high: tuple[str, ...], *alerts: Alert
           ) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    policy = load_policy(EXAMPLE_POLICIES)
    usage = dataclasses.replace(policy.usage, low_utilization=AlertSetting(20, low),
                                high_usage=AlertSetting(90, high))
    report = AlertReport(alerts, ("a note",))
    routes = route_alerts(dataclasses.replace(policy, usage=usage), report)
    assert all(r.report.notes == ("a note",) for r in routes)
    return [(r.notify, tuple(a.kind for a in r.report.alerts)) for r in routes]


@pytest.mark.parametrize(("low", "high", "alerts", "expected"), [
    (("finance",), ("eng",), (LOW, HIGH, HOURS),
     [(("finance",), ("low_utilisation",)), (("eng",), ("high_usage", "max_daily_hours"))]),
    (("finance", "eng"), ("eng",), (LOW, HOURS),
     [(("finance",), ("low_utilisation",)), (("eng",), ("low_utilisation", "max_daily_hours"))]),
    (("finance", "eng"), ("finance", "eng"), (LOW, HIGH),
     [(("finance", "eng"), ("low_utilisation", "high_usage"))]),
    ((), ("eng",), (LOW, HOURS),
     [(("eng",), ("max_daily_hours",)), ((), ("low_utilisation",))]),
    (("finance",), ("eng",), (), []),
], ids=["each kind to its list", "an entry in both lists gets one message with both",
        "entries with the same alerts share a message", "an empty list is left unrouted",
        "nothing fired, nothing routed"])
def test_route_alerts(low, high, alerts, expected) -> None:
    assert routed(low, high, *alerts) == expected
