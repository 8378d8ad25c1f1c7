"""Slack-compatible webhook messages: ``text`` for notifications, Block Kit ``blocks``.

Why Slack's shape: Slack incoming webhooks, Mattermost, Rocket.Chat, Teams workflows
and most chat bridges accept ``{"text": ..., "blocks": [...]}``; ``text`` alone is the
fallback every receiver shows. A webhook URL is a credential (its path holds the
token), so messages and errors only ever name the URL's scheme and host.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import httpx2

from reconciler import escape
from reconciler.errors import NotifyError as NotifyError
from reconciler.notify.message import Block, from_text, message_for

#: Slack's limits: a section's text is at most 3,000 characters, 50 blocks a message,
#: a header 150 characters.
SECTION_LIMIT = 3000
MAX_BLOCKS = 50
HEADER_LIMIT = 150
#: Slack truncates a message's top-level ``text`` beyond 40,000 characters.
TEXT_LIMIT = 40_000




def redact_url(url: str) -> str:
    """``https://hooks.example.com/…`` — the host, never the token in the path or query."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<invalid url>"
    if not parts.scheme or not parts.hostname:
        return "<invalid url>"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}/…"


def _chunks(lines: list[str], size: int) -> list[str]:
    """Join lines into texts of at most ``size`` characters, split on line boundaries
    (a line longer than ``size`` is cut)."""
    out: list[str] = []
    current = ""
    for line in lines:
        while len(line) > size:
            if current:
                out.append(current)
                current = ""
            out.append(line[:size])
            line = line[size:]
        joined = f"{current}\n{line}" if current else line
        if len(joined) > size:
            out.append(current)
            joined = line
        current = joined
    if current:
        out.append(current)
    return out or [""]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _block_kit(block: Block) -> list[dict[str, Any]]:
    """One message block as Block Kit blocks, every value escaped for Slack."""
    if block.kind == "heading":
        title = escape.slack_mrkdwn(" ".join(block.lines))[: SECTION_LIMIT - 2]
        return [_section(f"*{title}*")]
    if block.kind in ("pre", "table"):
        # Preformatted: column tables stay aligned; Slack escapes (& < >) still apply.
        lines = [escape.slack_text(line) for line in block.plain_lines()]
        return [_section(f"```\n{c}\n```") for c in _chunks(lines, SECTION_LIMIT - 8)]
    lines = [escape.slack_mrkdwn(line) for line in block.lines]
    if block.kind == "note":
        return [{"type": "context", "elements": [{"type": "mrkdwn", "text": c}]}
                for c in _chunks(lines, SECTION_LIMIT)]
    return [_section(c) for c in _chunks(lines, SECTION_LIMIT)]


def build_payload(subject: str, text: str, *, markdown: str | None = None) -> dict[str, Any]:
    """Slack Block Kit: a header (the headline, once), then the report's headings as
    bold sections, its tables as preformatted sections, notes as context, in Slack's
    limits. ``text`` is the plain fallback that notifications show. Every value from
    the report goes through ``escape.slack_text``/``slack_mrkdwn``: ``<!here>``,
    ``<!channel>`` and ``<http://x|label>`` from a live name arrive as text."""
    message = message_for(subject, text, markdown)
    header = " ".join(escape.slack_text(subject).split())
    header = header if len(header) <= HEADER_LIMIT else header[: HEADER_LIMIT - 1] + "…"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}}
    ]
    for block in message.blocks:
        blocks += _block_kit(block)
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[: MAX_BLOCKS - 1] + [_section("… (truncated; see the full report in CI)")]
    body = from_text(subject, text).plain().splitlines()
    # Line by line: escape.slack_text makes a newline inside a value visible.
    fallback = "\n".join(escape.slack_text(line) for line in (subject, *body))
    if len(fallback) > TEXT_LIMIT:
        fallback = fallback[: TEXT_LIMIT - 1] + "…"
    return {"text": fallback, "blocks": blocks}


def post_webhook(url: str, payload: dict[str, Any], *, timeout: float = 10.0) -> int:
    """POST ``payload`` as JSON; return the HTTP status, or raise ``NotifyError``.

    One attempt, no retries: a notification that fails is reported by the caller and
    the run's own result stands; retrying here would only delay that report.
    """
    where = redact_url(url)
    if where == "<invalid url>" or urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise NotifyError(f"webhook URL is not an http(s) URL ({where})",
                          hint="set the webhook's environment variable to the full https URL")
    try:
        with httpx2.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.post(url, json=payload)
    except httpx2.TimeoutException as exc:
        raise NotifyError(f"webhook {where} timed out after {timeout:g}s") from exc
    except httpx2.HTTPError as exc:
        detail = str(exc).replace(url, where)
        raise NotifyError(f"webhook {where} unreachable: {type(exc).__name__}: {detail}",
                          hint="check the URL and that the receiver is up") from exc
    if response.status_code >= 300:
        body = response.text[:200].replace("\n", " ")
        raise NotifyError(f"webhook {where} refused the message: HTTP "
                          f"{response.status_code} {body}".rstrip(),
                          hint="check the webhook URL (revoked or wrong channel?)")
    return response.status_code
