"""Email and webhook delivery against real local servers started here on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest
from aiosmtpd.controller import Controller
from conftest import SMTP_PASS, SMTP_USER, Inbox, free_port

from reconciler.model import EmailSettings, Notifications, Webhook
from reconciler.notify.dispatch import (
    EmailTarget,
    NotifyOutcome,
    WebhookTarget,
    notify,
    targets_from_policy,
)
from reconciler.notify.email import SmtpSettings, send_email
from reconciler.notify.webhook import NotifyError, build_payload, post_webhook, redact_url

pytestmark = pytest.mark.network

def settings(port: int, **kw: Any) -> SmtpSettings:
    base = dict(host="127.0.0.1", port=port, sender="seatctl@corp.example",
                username_env="SMTP_USER", password_env="SMTP_PASS", timeout_s=5)
    base.update(kw)
    return SmtpSettings(**base)


ENV = {"SMTP_USER": SMTP_USER, "SMTP_PASS": SMTP_PASS}


def test_email_over_starttls_with_env_credentials(smtp_server) -> None:
    inbox, port, ctx = smtp_server
    send_email(settings(port), ["admin@corp.example", "it@corp.example"],
               "Drift detected: 3 changes", "3 members differ from policy.",
               markdown="**3** members differ", env=ENV, ssl_context=ctx)
    ((sender, rcpts, msg),) = inbox.messages
    assert sender == "seatctl@corp.example"
    assert rcpts == ["admin@corp.example", "it@corp.example"]
    assert msg["Subject"] == "Drift detected: 3 changes"
    assert msg.get_body(("plain",)).get_content().strip() == "3 members differ from policy."
    assert SMTP_PASS not in msg.as_string()


def test_email_login_refused_is_a_clear_error_without_the_password(smtp_server) -> None:
    _, port, ctx = smtp_server
    with pytest.raises(NotifyError) as err:
        send_email(settings(port), ["a@corp.example"], "s", "t",
                   env={"SMTP_USER": SMTP_USER, "SMTP_PASS": "wrong-pass"}, ssl_context=ctx)
    assert "rejected the login" in str(err.value) and "535" in str(err.value)
    assert "wrong-pass" not in str(err.value)


def test_email_missing_credential_env_names_the_variable(smtp_server) -> None:
    _, port, ctx = smtp_server
    with pytest.raises(NotifyError, match="set SMTP_PASS"):
        send_email(settings(port), ["a@corp.example"], "s", "t",
                   env={"SMTP_USER": SMTP_USER}, ssl_context=ctx)


def test_email_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(NotifyError, match=r"SMTP 127\.0\.0\.1:\d+ failed at connect"):
        send_email(settings(free_port()), ["a@corp.example"], "s", "t", env=ENV)


def test_email_refuses_to_send_in_clear_when_starttls_missing() -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(NotifyError, match="does not offer STARTTLS"):
            send_email(settings(port, username_env=None, password_env=None),
                       ["a@corp.example"], "s", "t", env={})
        # a trusted local relay may opt out explicitly
        send_email(settings(port, starttls=False, username_env=None, password_env=None),
                   ["a@corp.example"], "Subject\nBcc: evil@x.example", "t", env={})
    finally:
        controller.stop()
    ((_, rcpts, msg),) = inbox.messages
    assert rcpts == ["a@corp.example"] and msg["Bcc"] is None


def test_webhook_posts_slack_compatible_json(receiver) -> None:
    url, handler = receiver
    status = post_webhook(url, build_payload("Usage alert", "frontend at 95%",
                                             markdown="**frontend** at 95%"))
    assert status == 200
    (got,) = handler.received
    assert got["type"] == "application/json"
    assert got["json"]["text"] == "Usage alert\nfrontend at 95%"
    header, section = got["json"]["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "Usage alert"}}
    # GitHub Markdown is read, not forwarded: Slack gets escaped mrkdwn
    assert section["text"] == {"type": "mrkdwn", "text": "frontend at 95%"}


def test_webhook_refusal_is_reported_without_the_token(receiver) -> None:
    url, handler = receiver
    handler.status = 403
    with pytest.raises(NotifyError) as err:
        post_webhook(url, {"text": "x"})
    assert "HTTP 403" in str(err.value) and "invalid_token" in str(err.value)
    assert "tokenXYZ" not in str(err.value)


def test_webhook_unreachable_is_reported_without_the_token() -> None:
    url = f"http://127.0.0.1:{free_port()}/hooks/tokenXYZ"
    with pytest.raises(NotifyError, match="unreachable") as err:
        post_webhook(url, {"text": "x"}, timeout=2)
    assert "tokenXYZ" not in str(err.value)
    assert redact_url(url).endswith("/…")


def test_long_messages_are_split_within_slack_limits() -> None:
    body = "\n".join(f"- member{i}@corp.example inactive 40 days" for i in range(2000))
    payload = build_payload("x" * 300, body)
    assert len(payload["blocks"]) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in payload["blocks"])
    assert len(payload["blocks"][0]["text"]["text"]) <= 150


def test_dispatch_reports_each_target_and_never_raises(smtp_server, receiver) -> None:
    inbox, port, ctx = smtp_server
    url, handler = receiver
    targets = [
        WebhookTarget("slack", url_env="SLACK_URL"),
        WebhookTarget("teams", url_env="TEAMS_URL"),  # not set
        EmailTarget(settings(port), ("admin@corp.example",)),
        EmailTarget(settings(free_port()), ("it@corp.example",), name="backup"),
    ]
    out = notify(targets, "Drift", "2 changes", env={**ENV, "SLACK_URL": url}, ssl_context=ctx)
    assert [o.ok for o in out] == [True, False, True, False]
    assert "TEAMS_URL" in out[1].detail
    assert "failed at connect" in out[3].detail
    assert out[0] == NotifyOutcome("webhook slack", True)
    assert len(handler.received) == 1 and len(inbox.messages) == 1
    assert all("\n" not in o.line() for o in out)


def test_targets_resolve_from_the_policy_block() -> None:
    block = Notifications(
        webhooks={"seats-channel": Webhook("seats-channel", url_env="SEATS_HOOK")},
        email=EmailSettings(smtp_host="smtp.corp.example", sender="seatctl@corp.example",
                            username_env="U", password_env="P",
                            recipients={"it": ("it@corp.example", "ops@corp.example")}),
    )
    everyone = targets_from_policy(block)
    assert [t.describe() for t in everyone] == [
        "webhook seats-channel", "email to it@corp.example, ops@corp.example"]
    assert everyone[1].smtp == SmtpSettings(host="smtp.corp.example", sender="seatctl@corp.example",
                                            username_env="U", password_env="P")
    alert = targets_from_policy(block, ["admin@company.com", "seats-channel", "it",
                                        "admin@company.com"])
    assert alert[0] == WebhookTarget("seats-channel", url_env="SEATS_HOOK")
    assert alert[1].recipients == ("admin@company.com", "it@corp.example", "ops@corp.example")
    with pytest.raises(NotifyError, match="not an email address, a declared webhook"):
        targets_from_policy(block, ["seats-chanel"])
    with pytest.raises(NotifyError, match="no SMTP server"):
        targets_from_policy(Notifications(), ["admin@company.com"])
    assert targets_from_policy(None) == []
    assert targets_from_policy(Notifications()) == []
