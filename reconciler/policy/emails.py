"""Email addresses: refuse what could be a different person, normalise the rest.

Rules (RELIABILITY.md B15–B19): any non-ASCII character (NBSP, zero-width space,
Kelvin sign, Cyrillic ``а``, fullwidth letters, ``ß``...) is refused and named by code
point, never folded; punycode (``xn--``) domains are refused; the domain must be on
the allowlist (exact match). Upper case and surrounding ASCII spaces are normalised
and reported as a warning, so the live user stored in lower case is the same identity.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from reconciler.policy import messages as M

#: The common, valid case in one regex; anything else takes the detailed path.
_FAST = re.compile(
    r"[a-z0-9_%+'-]+(\.[a-z0-9_%+'-]+)*"
    r"@[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+"
)
_LOCAL_FAST = re.compile(r"[a-z0-9_%+'-]+(\.[a-z0-9_%+'-]+)*")
_LOCAL_OK = re.compile(r"[A-Za-z0-9._%+'-]")
_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?")

Issue = tuple[M.Msg, str, dict[str, Any]]  # (message, severity, fields)


def _char_name(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def is_plain_allowed(raw: str, allowed: frozenset[str]) -> bool:
    """True for the common case ``check_email(raw, allowed)`` returns as ``(raw, [])``
    at once: a plain lower-case name at an allowlisted domain."""
    local, _, domain = raw.partition("@")
    return domain in allowed and _LOCAL_FAST.fullmatch(local) is not None


def check_email(raw: str, allowed: frozenset[str] | None) -> tuple[str | None, list[Issue]]:
    """(normalised email or ``None`` when refused, issues). ``allowed=None`` skips
    the domain allowlist (notification recipients)."""
    if allowed is not None and is_plain_allowed(raw, allowed):
        return raw, []  # allowlisted domains are valid lower-case ASCII (schema pattern)
    if allowed is None and _FAST.fullmatch(raw) and "xn--" not in raw:
        return raw, []
    issues: list[Issue] = []
    text = raw.strip(" ")
    for pos, ch in enumerate(text, start=1):
        if ord(ch) > 127 or ch.isspace() or not ch.isprintable():
            issues.append((M.EMAIL_CHAR, "error", {"raw": raw, "char": _char_name(ch),
                                                   "pos": pos}))
            return None, issues
    why = _format_problem(text)
    if why:
        return None, [(M.EMAIL_FORMAT, "error", {"raw": raw, "why": why})]
    norm = text.lower()
    domain = norm.rsplit("@", 1)[1]
    if any(label.startswith("xn--") for label in domain.split(".")):
        return None, [(M.EMAIL_IDN, "error", {"raw": raw})]
    if allowed is not None and domain not in allowed:
        return None, [(M.EMAIL_DOMAIN, "error", {"raw": raw, "domain": domain,
                                                 "allowed": ", ".join(sorted(allowed))})]
    if norm != raw:
        issues.append((M.EMAIL_CASE, "warning", {"raw": raw, "norm": norm}))
    return norm, issues


def _format_problem(text: str) -> str:
    if text.count("@") != 1:
        return "it needs exactly one @"
    local, domain = text.split("@")
    if not local:
        return "nothing before the @"
    if not domain:
        return "no domain after the @"
    bad = next((c for c in local if not _LOCAL_OK.fullmatch(c)), None)
    if bad is not None:
        return f"character {bad!r} is not allowed before the @"
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "dots may not start, end or repeat in the name part"
    domain = domain.lower()
    if domain.endswith("."):
        return "the domain ends with a dot"
    labels = domain.split(".")
    if len(labels) < 2:
        return "the domain has no dot"
    for label in labels:
        if not _LABEL.fullmatch(label):
            return f"domain part {label!r} is not a valid name"
    return ""


def plus_base(email: str) -> str | None:
    """``alice+ai@x`` → ``alice@x``; ``None`` when there is no sub-address."""
    local, _, domain = email.partition("@")
    if "+" not in local:
        return None
    return local.split("+", 1)[0] + "@" + domain
