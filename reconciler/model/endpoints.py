"""Where the admin key may be sent: ``organization.base_url`` is https, or plain http
only to this machine.

Why: the key travels in a header to whatever ``base_url`` names. A pull request that
edits org.yaml is planned with the read key, so an ``http://`` URL to any host would
hand that key to the author (issue 16, defect 8) and, over plain http, to everyone on
the path. Loopback stays allowed for the local sandbox.
"""

from __future__ import annotations

import ipaddress
import urllib.parse

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and any loopback IP literal (127.0.0.0/8, ::1)."""
    if host.lower().rstrip(".") in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url_problem(url: str) -> str:
    """Why the key must not go to ``url`` ("" when it may): unknown scheme, no host,
    credentials in the URL, or plain http to a host that is not loopback."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return "to a URL that cannot be parsed"
    if parts.scheme not in ("https", "http"):
        return f"over {parts.scheme or 'no scheme'}"
    if not host:
        return "to no host"
    if parts.username is not None or parts.password is not None:
        return "to a URL that carries credentials"
    if parts.scheme == "http" and not is_loopback(host):
        return f"unencrypted to {host}"
    return ""
