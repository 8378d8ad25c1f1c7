"""``--notify`` on usage alerts and drift: the targets org.yaml declares, delivered to a
webhook receiver and an SMTP server (STARTTLS, login) started here on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
import shutil
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE_POLICIES, SMTP_PASS, SMTP_USER, free_port, run_cli

from reconciler.cli.demo import seed_demo_org
from reconciler.sandbox.store import SandboxStore

pytestmark = pytest.mark.network

TODAY = dt.date(2026, 11, 25)


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pathlib.Path]:
    """The demo sandbox, synced once into a usage store."""
    tmp = tmp_path_factory.mktemp("acme")
    store = SandboxStore(str(tmp / "sandbox.db"))
    try:
        seed_demo_org(store, TODAY, EXAMPLE_POLICIES)
    finally:
        store.close()
    res = run_cli("usage", "sync", "--policy", str(EXAMPLE_POLICIES), "--db",
                  str(tmp / "usage.db"), "--today", TODAY.isoformat(),
                  "--sandbox", str(tmp / "sandbox.db"))
    assert res.exit_code == 0, res.stderr
    return {"sandbox": tmp / "sandbox.db", "usage": tmp / "usage.db"}


def policy_with(tmp_path: pathlib.Path, smtp_port: int, alerting: dict[str, Any]
                ) -> pathlib.Path:
    """The example policy, mailing through the local SMTP server, with ``alerting``."""
    root = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, root)
    org = yaml.safe_load((root / "org.yaml").read_text())
    org["notifications"]["email"]["smtp"].update(host="127.0.0.1", port=smtp_port)
    org["usage"]["alerting"] = alerting
    (root / "org.yaml").write_text(yaml.safe_dump(org, sort_keys=False))
    return root


def env_for(url: str, cert: pathlib.Path) -> dict[str, str]:
    return {"SEATCTL_SLACK_WEBHOOK_URL": url, "SEATCTL_SMTP_USER": SMTP_USER,
            "SEATCTL_SMTP_PASSWORD": SMTP_PASS, "SSL_CERT_FILE": str(cert)}


@dataclass
class Targets:
    """The local receivers behind org.yaml's targets, and the env that reaches them."""

    inbox: Any
    hook: Any
    smtp_port: int
    env: dict[str, str]


@pytest.fixture
def targets(smtp_server, receiver, tls_files) -> Targets:
    inbox, port, _ = smtp_server
    url, hook = receiver
    return Targets(inbox, hook, port, env_for(url, tls_files[0]))


def alerts(acme: dict[str, pathlib.Path], policy: pathlib.Path, *notify: str,
           env: dict[str, str]) -> Any:
    return run_cli("usage", "alerts", "--policy", str(policy), "--db", str(acme["usage"]),
                   "--today", TODAY.isoformat(), *notify, env=env)


def test_bare_notify_sends_each_target_only_the_alerts_routed_to_it(
        acme, tmp_path, targets) -> None:
    policy = policy_with(tmp_path, targets.smtp_port, {
        "lowUtilization": {"threshold": 100, "notify": ["finance"]},
        "highUsage": {"threshold": 90, "notify": ["eng-leads", "oncall@acme.example"]},
    })
    res = alerts(acme, policy, "--notify", env=targets.env)
    assert res.exit_code == 2, res.stderr
    assert "warning" not in res.stderr, res.stderr
    # max_daily_hours travels with high usage: eng-leads and oncall get those only
    (got,) = targets.hook.received
    assert "max_daily_hours" in got["json"]["text"] and "low_utilisation" not in got["json"]["text"]
    assert "notified webhook eng-leads" in res.stderr
    by_rcpt = {tuple(rcpts): msg for _, rcpts, msg in targets.inbox.messages}
    assert set(by_rcpt) == {("finance@acme.example",), ("oncall@acme.example",)}
    finance = by_rcpt[("finance@acme.example",)].get_body(("plain",)).get_content()
    assert "low_utilisation" in finance and "max_daily_hours" not in finance
    oncall = by_rcpt[("oncall@acme.example",)].get_body(("plain",)).get_content()
    assert "max_daily_hours" in oncall and "low_utilisation" not in oncall
    assert "notified email to finance@acme.example" in res.stderr


def test_a_failed_delivery_is_a_warning_and_keeps_exit_code_2(
        acme, tmp_path, receiver, tls_files) -> None:
    url, hook = receiver
    policy = policy_with(tmp_path, free_port(), {  # nobody listens on the SMTP port
        "lowUtilization": {"threshold": 20, "notify": []},
        "highUsage": {"threshold": 90, "notify": ["eng-leads", "finance"]},
    })
    res = alerts(acme, policy, "--notify", "--notify", url, env=env_for(url, tls_files[0]))
    assert res.exit_code == 2
    assert "Usage alerts" in res.stdout  # the report is printed before any delivery
    assert "warning: could not notify email to finance@acme.example: SMTP 127.0.0.1:" in \
        res.stderr and "failed at connect" in res.stderr
    assert "notified webhook eng-leads" in res.stderr
    assert "notified webhook usage alerts" in res.stderr  # the --notify URL gets them all
    assert len(hook.received) == 2
    assert "tokenXYZ" not in res.stderr


def test_alerts_whose_notify_list_is_empty_say_where_to_declare_targets(
        acme, tmp_path, tls_files) -> None:
    policy = policy_with(tmp_path, free_port(), {
        "lowUtilization": {"threshold": 20, "notify": []},
        "highUsage": {"threshold": 90, "notify": []},
    })
    res = alerts(acme, policy, "--notify", env=env_for("http://127.0.0.1:9/x", tls_files[0]))
    assert res.exit_code == 2
    assert "warning: could not notify max_daily_hours alerts: usage.alerting.highUsage.notify " \
        "in org.yaml names no target" in res.stderr


def test_notify_value_that_is_not_a_url_is_a_usage_error(acme, tmp_path) -> None:
    res = run_cli("drift", "--notify", str(tmp_path), "--sandbox", str(acme["sandbox"]))
    assert res.exit_code == 1 and "is not an http(s) URL" in res.stderr
    assert "A bare --notify sends to the targets declared in org.yaml" in res.stderr


def test_drift_bare_notify_sends_the_report_to_the_declared_targets(
        acme, tmp_path, targets) -> None:
    policy = policy_with(tmp_path, targets.smtp_port, {
        "lowUtilization": {"threshold": 20, "notify": ["finance"]},
        "highUsage": {"threshold": 90, "notify": ["eng-leads"]},
    })
    res = run_cli("drift", str(policy), "--sandbox", str(acme["sandbox"]), "--state",
                  str(tmp_path / "last-apply.json"), "--notify", env=targets.env)
    assert res.exit_code == 2, res.stderr  # the demo org has drifted
    assert "notified webhook eng-leads" in res.stderr
    assert "notified email to finance@acme.example" in res.stderr
    (got,) = targets.hook.received
    assert "drift found" in json.dumps(got["json"])
    ((_, rcpts, msg),) = targets.inbox.messages
    assert rcpts == ["finance@acme.example"] and "drift" in msg["Subject"].lower()
