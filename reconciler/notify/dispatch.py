"""Send one report to every declared target and say, per target, whether it arrived.

Callers (drift, usage alerts, the monthly review, apply) print or save their result
*first*, then call ``notify``; ``notify`` never raises for a delivery failure and
never changes the caller's exit code — it returns a ``NotifyOutcome`` per target for
the caller to show as warnings. A report is never hidden because Slack was down.

Targets come from ``org.yaml`` (``targets_from_policy``): webhooks by name with the URL
in an environment variable, and one SMTP server for the guide's ``notify:
['admin@company.com']`` address lists.
"""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from reconciler.errors import SeatctlError
from reconciler.model import EmailSettings, Notifications
from reconciler.notify.email import SmtpSettings, send_email
from reconciler.notify.webhook import NotifyError, build_payload, post_webhook, redact_url

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """A Slack-compatible webhook; ``url_env`` names the variable holding its URL."""

    name: str
    url_env: str | None = None
    url: str | None = None  # only for callers that already hold it (tests, CLI flag)

    def describe(self) -> str:
        return f"webhook {self.name}"


@dataclass(frozen=True, slots=True)
class EmailTarget:
    smtp: SmtpSettings
    recipients: tuple[str, ...]
    name: str = "email"

    def describe(self) -> str:
        return f"email to {', '.join(self.recipients)}"


NotifyTarget = WebhookTarget | EmailTarget


@dataclass(frozen=True, slots=True)
class NotifyOutcome:
    """Per target: delivered or not, and a line a person can act on."""

    target: str
    ok: bool
    detail: str = ""

    def line(self) -> str:
        return f"notified {self.target}" if self.ok else \
            f"warning: could not notify {self.target}: {self.detail}"


def notify(
    targets: Iterable[NotifyTarget],
    subject: str,
    text: str,
    *,
    markdown: str | None = None,
    env: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> list[NotifyOutcome]:
    """Deliver to every target; one outcome each, in order. Never raises for delivery."""
    env = os.environ if env is None else env
    outcomes: list[NotifyOutcome] = []
    for target in targets:
        try:
            if isinstance(target, WebhookTarget):
                url = target.url or (env.get(target.url_env, "") if target.url_env else "")
                if not url:
                    raise NotifyError(
                        f"webhook URL not set: ${target.url_env or '?'} is empty",
                        hint="export the variable named by url_env in org.yaml")
                post_webhook(url, build_payload(subject, text, markdown=markdown))
            else:
                send_email(target.smtp, target.recipients, subject, text,
                           markdown=markdown, env=env, ssl_context=ssl_context)
        except SeatctlError as exc:
            outcomes.append(NotifyOutcome(target.describe(), False, _one_line(exc)))
        else:
            outcomes.append(NotifyOutcome(target.describe(), True))
    return outcomes


def _one_line(exc: SeatctlError) -> str:
    text = exc.message + (f" ({exc.hint})" if exc.hint else "")
    return " ".join(text.split())


def smtp_from(config: EmailSettings | None) -> SmtpSettings | None:
    """The SMTP half of ``org.yaml``'s email block (recipient lists are resolved apart)."""
    if config is None or not config.smtp_host:
        return None
    return SmtpSettings(
        host=config.smtp_host,
        port=config.smtp_port,
        starttls=config.starttls,
        sender=config.sender,
        username_env=config.username_env,
        password_env=config.password_env,
    )


def targets_from_policy(
    notifications: Notifications | None,
    recipients: Sequence[str] | None = None,
) -> list[NotifyTarget]:
    """Resolve targets from ``org.yaml``'s ``notifications`` block.

    ``recipients`` is an alert's ``notify:`` list; each entry names a webhook, a named
    recipient list of the email block, or is a plain email address. Without it, every
    declared webhook and every named recipient list is used. An entry that is none of
    these raises ``NotifyError``, so a typo in ``notify:`` is caught at once rather
    than silently dropped. All addresses share one message (deduplicated, in order).
    """
    if notifications is None:
        return []
    hooks = {name: WebhookTarget(name, url_env=h.url_env, url=h.url)
             for name, h in notifications.webhooks.items()}
    email_cfg = notifications.email
    lists: Mapping[str, tuple[str, ...]] = email_cfg.recipients if email_cfg else {}
    wanted = list(recipients) if recipients is not None else [*hooks, *lists]
    targets: list[NotifyTarget] = []
    addresses: list[str] = []
    for entry in wanted:
        if entry in hooks:
            targets.append(hooks[entry])
        elif entry in lists:
            addresses.extend(lists[entry])
        elif _EMAIL.match(entry):
            addresses.append(entry)
        else:
            known = sorted([*hooks, *lists])
            raise NotifyError(f"notify target {entry!r} is not an email address, a declared "
                              "webhook or a recipient list",
                              hint=f"declared: {', '.join(known) or 'none'}")
    if addresses:
        smtp = smtp_from(email_cfg)
        if smtp is None:
            raise NotifyError("email recipients are listed but no SMTP server is configured",
                              hint="add notifications.email (smtp_host, sender) to org.yaml")
        targets.append(EmailTarget(smtp, tuple(dict.fromkeys(addresses))))
    return targets


__all__ = [
    "EmailTarget",
    "NotifyError",
    "NotifyOutcome",
    "NotifyTarget",
    "SmtpSettings",
    "WebhookTarget",
    "build_payload",
    "notify",
    "post_webhook",
    "redact_url",
    "smtp_from",
    "targets_from_policy",
]
