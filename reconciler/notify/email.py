"""Email notifications over SMTP, with STARTTLS and credentials from the environment.

Why env vars: ``org.yaml`` lives in git and the PR plan is public to the repo, so
the SMTP username and password are named there only by the environment variable
that holds them (like the admin key). They are never written to a file, a log line
or an error message: errors name the server and the step that failed.
"""

from __future__ import annotations

import email.message
import email.utils
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reconciler import escape
from reconciler.notify.message import Block, Message, message_for
from reconciler.notify.webhook import NotifyError


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send: the ``email`` block of ``notifications`` in ``org.yaml``."""

    host: str
    sender: str
    port: int = 587
    starttls: bool = True
    username_env: str | None = None
    password_env: str | None = None
    timeout_s: float = 15.0


def build_message(sender: str, recipients: Sequence[str], subject: str, text: str,
                  *, markdown: str | None = None) -> email.message.EmailMessage:
    """multipart/alternative: the plain text, and an HTML version (headings, tables,
    notes) in which every value from the report is escaped by ``escape.html``."""
    msg = email.message.EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = " ".join(subject.split())  # no header injection through newlines
    msg["Date"] = email.utils.formatdate(localtime=False)
    msg["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2] or None)
    msg.set_content(text)
    msg.add_alternative(render_html(message_for(subject, text, markdown)), subtype="html")
    return msg


_CELL = 'style="border:1px solid #ccc;padding:2px 6px;text-align:left"'


def _html_block(block: Block) -> str:
    e = escape.html
    if block.kind == "heading":
        return f"<h3>{e(' '.join(block.lines))}</h3>"
    if block.kind == "pre":
        return "<pre>" + "\n".join(e(line) for line in block.lines) + "</pre>"
    if block.kind == "table":
        head, *rows = block.rows
        out = ['<table style="border-collapse:collapse">',
               "<tr>" + "".join(f"<th {_CELL}>{e(c)}</th>" for c in head) + "</tr>"]
        out += ["<tr>" + "".join(f"<td {_CELL}>{e(c)}</td>" for c in r) + "</tr>" for r in rows]
        return "\n".join([*out, "</table>"])
    body = "<br>\n".join(e(line) for line in block.lines)
    return f"<p><em>{body}</em></p>" if block.kind == "note" else f"<p>{body}</p>"


def render_html(message: Message) -> str:
    """The message as a small HTML document (no script, no remote content)."""
    subject = escape.html(message.subject)
    parts = ['<!DOCTYPE html>', '<html><head><meta charset="utf-8">',
             f"<title>{subject}</title></head>",
             '<body style="font-family:sans-serif">', f"<h2>{subject}</h2>",
             *(_html_block(b) for b in message.blocks), "</body></html>"]
    return "\n".join(parts) + "\n"


def _credentials(settings: SmtpSettings, env: Mapping[str, str]) -> tuple[str, str] | None:
    if not settings.username_env and not settings.password_env:
        return None
    missing = [n for n in (settings.username_env, settings.password_env) if n and not env.get(n)]
    if missing or not settings.username_env or not settings.password_env:
        names = ", ".join(missing) or "username_env/password_env"
        raise NotifyError(f"SMTP credentials missing: set {names}",
                          hint="org.yaml names the variables; export them in the job's env")
    return env[settings.username_env], env[settings.password_env]


def send_email(
    settings: SmtpSettings,
    recipients: Sequence[str],
    subject: str,
    text: str,
    *,
    markdown: str | None = None,
    env: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Send one message to ``recipients`` or raise ``NotifyError`` naming server and step.

    STARTTLS is required when ``settings.starttls`` (the default): a server that does
    not offer it is an error, never a silent fall back to plain text. Credentials are
    only sent after STARTTLS succeeded (or when the operator turned it off).
    """
    if not recipients:
        raise NotifyError("email target has no recipients",
                          hint="list addresses under the alert's notify: in org.yaml")
    creds = _credentials(settings, os.environ if env is None else env)
    where = f"SMTP {settings.host}:{settings.port}"
    msg = build_message(settings.sender, recipients, subject, text, markdown=markdown)
    step = "connect"
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
            step = "EHLO"
            smtp.ehlo()
            if settings.starttls:
                if not smtp.has_extn("starttls"):
                    raise NotifyError(f"{where} does not offer STARTTLS; not sending in clear",
                                      hint="use the server's submission port, or set "
                                      "starttls: false only for a trusted local relay")
                step = "STARTTLS"
                smtp.starttls(context=ssl_context or ssl.create_default_context())
                smtp.ehlo()
            if creds:
                step = "AUTH"
                smtp.login(*creds)
            step = "send"
            refused = smtp.send_message(msg, from_addr=settings.sender,
                                        to_addrs=list(recipients))
    except NotifyError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise NotifyError(f"{where} rejected the login ({exc.smtp_code})",
                          hint="check the SMTP username/password environment variables") from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise NotifyError(f"{where} refused every recipient: {', '.join(exc.recipients)}",
                          hint="check the addresses in notify:") from exc
    except smtplib.SMTPResponseException as exc:
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        raise NotifyError(f"{where} refused the message at {step}: {exc.smtp_code} {reply}",
                          hint="see the server's reply") from exc
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise NotifyError(f"{where} failed at {step}: {type(exc).__name__}: {exc}",
                          hint="check host, port and that the server is reachable") from exc
    if refused:
        raise NotifyError(f"{where} refused some recipients: {', '.join(sorted(refused))}",
                          hint="the others received the message")
