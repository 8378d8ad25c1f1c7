"""Slack-compatible webhook messages: ``text`` for notifications, ``blocks`` for the view.

Why Slack's shape: Slack incoming webhooks, Mattermost, Rocket.Chat, Teams workflows
and most chat bridges accept ``{"text": ..., "blocks": [...]}``; ``text`` alone is the
fallback every receiver shows. A webhook URL is a credential (its path holds the
token), so messages and errors only ever name the URL's scheme and host.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import httpx2

from reconciler.errors import NotifyError as NotifyError

#: Slack's limits: a section's text is at most 3,000 characters, 50 blocks a message,
#: a header 150 characters.
SECTION_LIMIT = 3000
MAX_BLOCKS = 50
HEADER_LIMIT = 150




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


def _chunks(text: str, size: int) -> list[str]:
    """Split on line boundaries where possible so code blocks and tables stay readable."""
    out: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > size:
            if current:
                out.append(current)
                current = ""
            out.append(line[:size])
            line = line[size:]
        if len(current) + len(line) > size:
            out.append(current)
            current = ""
        current += line
    if current:
        out.append(current)
    return out or [""]


def build_payload(subject: str, text: str, *, markdown: str | None = None) -> dict[str, Any]:
    """The message: ``text`` (plain fallback) and ``blocks`` (header + mrkdwn sections)."""
    header = subject if len(subject) <= HEADER_LIMIT else subject[: HEADER_LIMIT - 1] + "…"
    sections = _chunks(markdown if markdown is not None else text, SECTION_LIMIT)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}}
    ]
    room = MAX_BLOCKS - 1
    if len(sections) > room:
        sections = sections[: room - 1] + ["… (truncated; see the full report in CI)"]
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections]
    return {"text": f"{subject}\n{text}", "blocks": blocks}


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
