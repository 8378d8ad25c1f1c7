"""``--notify`` for the commands that send a report (drift, usage alerts, review).

One option, two forms: a bare ``--notify`` sends to the targets declared in
``org.yaml`` (``notifications`` and the alerts' ``notify`` lists); ``--notify URL``
(repeatable, ``--notify=URL`` when a positional argument follows) also posts to that
Slack-compatible webhook. The report is printed first; every delivery outcome is a
line on stderr, and a failure never changes the exit code.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from reconciler.errors import SeatctlError
from reconciler.model import Policy
from reconciler.notify.dispatch import NotifyTarget, WebhookTarget, notify, targets_from_policy

F = TypeVar("F", bound=Callable[..., Any])

#: What click stores for a bare ``--notify`` (never a valid URL).
DECLARED = "@org.yaml"


@dataclass(frozen=True, slots=True)
class NotifyRequest:
    """What ``--notify`` asked for: the declared targets, and/or webhook URLs."""

    declared: bool = False
    urls: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.declared or bool(self.urls)

    def url_targets(self, name: str) -> list[NotifyTarget]:
        """The ``--notify URL`` webhooks, named ``name``, ``name #2``, … in messages
        (a URL holds a token: messages name the webhook, never the URL)."""
        return [WebhookTarget(name if i == 1 else f"{name} #{i}", url=u)
                for i, u in enumerate(self.urls, 1)]


def _parse(_ctx: click.Context, _param: click.Parameter, values: Sequence[str]) -> NotifyRequest:
    urls = tuple(v for v in values if v != DECLARED)
    for url in urls:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise click.BadParameter(
                f"{url!r} is not an http(s) URL. A bare --notify sends to the targets "
                "declared in org.yaml; put it after any positional argument, or write "
                "--notify=URL for a webhook")
    return NotifyRequest(DECLARED in values, urls)


def notify_option(what: str) -> Callable[[F], F]:
    """The ``--notify [URL]`` option; the command receives a ``NotifyRequest``."""
    return click.option(
        "--notify", "notify_request", multiple=True, is_flag=False, flag_value=DECLARED,
        metavar="[URL]", callback=_parse,
        help=f"Send {what} to the targets declared in org.yaml (bare --notify); "
             "--notify URL also posts to that Slack-compatible webhook (repeatable).")


def declared_report_targets(policy: Policy) -> list[NotifyTarget]:
    """Where a whole report goes: the usage alerts' notify lists together, or every
    declared webhook and recipient list when those lists name no one."""
    usage = policy.usage
    recipients = list(dict.fromkeys((*usage.low_utilization.notify, *usage.high_usage.notify)))
    return targets_from_policy(policy.notifications, recipients or None)


def deliver(targets: Callable[[], list[NotifyTarget]], subject: str, text: str, *,
            markdown: str | None = None, what: str = "the report",
            none_declared: str = "org.yaml names no notification target for it") -> None:
    """Resolve the targets and send; print one stderr line per outcome. Never raises
    for a target that cannot be resolved or reached: the report is out already."""
    try:
        resolved = targets()
    except SeatctlError as exc:
        click.echo(f"warning: could not notify {what}: {' '.join(str(exc).split())}", err=True)
        return
    if not resolved:
        click.echo(f"warning: could not notify {what}: {none_declared}", err=True)
        return
    for outcome in notify(resolved, subject, text, markdown=markdown):
        click.echo(outcome.line(), err=True)
