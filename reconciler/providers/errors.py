"""SDK exceptions → seatctl's error tree, in plain words, with the admin key scrubbed.

Every error the provider raises goes through ``map_status_error`` /
``map_connection_error`` and then ``Scrubber.scrub``: the message names the
endpoint, the HTTP status, the stable ``error_code`` and the request id, says what
to do, and never holds the key in any form (raw, base64, URL-encoded). The SDK
exception is not chained (``raise ... from None``): it carries the request and
its ``authorization`` header (RELIABILITY S4/S5).
"""

from __future__ import annotations

import base64
import re
import urllib.parse

import anthropic

from reconciler.errors import (
    ApiRejectedError,
    AuthError,
    LiveReadError,
    ProviderError,
    RateLimitedError,
    TransientError,
)
from reconciler.errors import ReadOnlyViolation as ReadOnlyViolation

#: Anything shaped like an Anthropic key, whether or not it is ours.
_KEY_SHAPE = re.compile(r"sk-ant-[A-Za-z0-9_\-]{4,}")
REDACTED = "[redacted]"




class Scrubber:
    """Removes one secret (and its common encodings) from text."""

    def __init__(self, secret: str | None) -> None:
        forms: set[str] = set()
        if secret:
            raw = secret.encode()
            forms |= {
                secret,
                urllib.parse.quote(secret, safe=""),
                urllib.parse.quote_plus(secret),
                base64.b64encode(raw).decode(),
                base64.urlsafe_b64encode(raw).decode(),
                base64.b64encode(raw).decode().rstrip("="),
                base64.b64encode(f"Bearer {secret}".encode()).decode(),
            }
        self._forms = sorted((f for f in forms if len(f) >= 4), key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return _KEY_SHAPE.sub(REDACTED, text)

    def scrub_error(self, exc: ProviderError) -> ProviderError:
        exc.message = self.scrub(exc.message)
        exc.args = (exc.message,)
        if exc.hint:
            exc.hint = self.scrub(exc.hint)
        return exc


#: error_code → (what happened, what to do). Messages users see for 4xx answers.
CODE_MESSAGES: dict[str, tuple[str, str]] = {
    "invite_already_exists": (
        "a pending invite already exists for this email",
        "delete the pending invite first if its role or groups must change",
    ),
    "already_member": (
        "this email already belongs to a member",
        "change the member's role instead of inviting them",
    ),
    "cannot_remove_last_member": (
        "the organization's last member cannot be removed",
        "keep at least one member in the policy",
    ),
    "email_domain_not_allowed": (
        "the email's domain is not allowed in this organization",
        "use an address on an allowed domain, or allow the domain in the organization settings",
    ),
    "cannot_invite_emails_with_unverified_domains": (
        "the email's domain is not verified for this organization",
        "verify the domain in the organization settings first",
    ),
    "org_member_limit_exceeded": (
        "no free seat: every purchased seat is taken (pending invites hold seats too)",
        "buy seats, or remove members or pending invites first",
    ),
    "no_seats_available": (
        "no free seat: every purchased seat is taken (pending invites hold seats too)",
        "buy seats, or remove members or pending invites first",
    ),
    "workspace_member_limit_exceeded": (
        "the workspace has reached its member limit",
        "remove someone from the workspace or use another workspace",
    ),
    "concurrent_membership_change": (
        "another membership change was running at the same time",
        "run again; seatctl already retried a few times",
    ),
    "rbac_group_grants_owner_access": (
        "the group carries an owner-level role, which the API refuses to grant",
        "use a group without owner access, or change membership in claude.ai",
    ),
    "rbac_group_owner_access_unconfirmed": (
        "the service could not confirm the group's access level; nothing was changed",
        "change this membership in claude.ai",
    ),
    "organization_type_not_supported": (
        "this operation is not available for this organization type",
        "check `org_type` in org.yaml",
    ),
    "scim_group_read_only": (
        "the group is provisioned by the identity provider (SCIM) and is read-only",
        "change it in the identity provider, not in seatctl",
    ),
    "scim_managed": (
        "membership is managed by the identity provider (SCIM/JIT)",
        "change it in the identity provider, not in seatctl",
    ),
    "protected_member": (
        "admins and owners cannot be changed or removed through the API",
        "change them in the organization settings; seatctl treats them as protected",
    ),
    "sandbox_egress_restricted": (
        "the request came from a network-restricted environment",
        "run seatctl from a machine allowed to reach the Admin API",
    ),
}

#: The key scope an endpoint needs, for 403 messages (ADMIN_API.md §1).
def required_scope(method: str, path: str) -> str:
    write = method.upper() != "GET"
    if "/analytics/" in path:
        return "read:analytics"
    if "/rbac_groups" in path:
        return "write:rbac_groups" if write else "read:rbac_groups"
    if "/spend_limits" in path:
        return "write:spend_limits" if write else "read:spend_limits"
    return "write:members" if write else "read:members"


def _request_id(exc: anthropic.APIStatusError) -> str | None:
    rid = exc.response.headers.get("request-id")
    if rid:
        return rid
    body = exc.body
    if isinstance(body, dict):
        value = body.get("request_id")
        return value if isinstance(value, str) else None
    return None


def _server_message(exc: anthropic.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
    return ""


def map_status_error(
    exc: anthropic.APIStatusError,
    *,
    endpoint: str,
    key_env: str,
    reading: bool,
) -> ProviderError:
    """One SDK status error → one seatctl error with a message a person can act on."""
    status = exc.status_code
    code = exc.error_code
    rid = _request_id(exc)
    where = f"{endpoint} answered {status}" + (f" ({code})" if code else "")
    tail = f" [request {rid}]" if rid else ""
    if status == 401:
        return AuthError(
            f"authentication failed — {where}: the admin key was rejected{tail}",
            hint=f"check the admin key in the environment variable {key_env} "
            "(revoked, expired, or for another organization)",
            status=status, error_code=code, request_id=rid,
        )
    if status == 403:
        method, _, path = endpoint.partition(" ")
        scope = required_scope(method, path)
        server = _server_message(exc)
        return AuthError(
            f"permission denied — {where}: the admin key lacks the scope {scope}{tail}"
            + (f"; the service says: {server}" if server else ""),
            hint=f"create a key with the {scope} scope and put it in {key_env}",
            status=status, error_code=code, request_id=rid,
        )
    if status == 429:
        return RateLimitedError(
            f"rate limited — {where} and the wait did not fit in the retry budget{tail}",
            hint="run again later; finished steps are kept and the rest is left for the next run",
            status=status, error_code=code, request_id=rid,
        )
    if status >= 500 or status == 408:
        return TransientError(
            f"the Admin API failed — {where} after retries{tail}",
            hint="the service had a transient problem; run again later",
            status=status, error_code=code, request_id=rid,
        )
    if code and code in CODE_MESSAGES:
        what, todo = CODE_MESSAGES[code]
        return ApiRejectedError(
            f"{where}: {what}{tail}", hint=todo, status=status, error_code=code, request_id=rid
        )
    server = _server_message(exc)
    text = f"{where}: {server}{tail}" if server else f"{where}{tail}"
    if reading:
        return LiveReadError(
            f"could not read the live organization — {text}",
            hint="check base_url and org_type in org.yaml",
            status=status, error_code=code, request_id=rid,
        )
    return ApiRejectedError(text, hint="the change was refused; fix the policy or the org",
                          status=status, error_code=code, request_id=rid)


def map_connection_error(exc: anthropic.APIConnectionError, *, endpoint: str) -> TransientError:
    """Timeouts, DNS and TLS failures, dropped connections (no headers, no body)."""
    kind = "timed out" if isinstance(exc, anthropic.APITimeoutError) else "could not connect"
    return TransientError(
        f"{endpoint} {kind} after retries",
        hint="check the network and base_url in org.yaml, then run again",
    )
