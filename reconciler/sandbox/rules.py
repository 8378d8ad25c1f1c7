"""The real service's rules, as the sandbox enforces them (ADMIN_API.md §3, §4, §7, §12).

Each check raises ``ApiError`` with the status and ``error_code`` the real API uses,
so the SDK raises the same typed class against the sandbox as against production.
"""

from __future__ import annotations

from reconciler.sandbox.store import SandboxStore
from reconciler.sandbox.wire import ApiError

READABLE_ROLES = {
    "enterprise": frozenset({"user", "managed", "owner", "membership_admin", "primary_owner"}),
    "console": frozenset({"user", "developer", "billing", "admin", "claude_code_user"}),
}
ASSIGNABLE_ROLES = {
    "enterprise": frozenset({"user", "managed"}),
    "console": frozenset({"user", "developer", "billing", "claude_code_user"}),
}
#: Holders of these roles cannot be changed or removed through the API.
PROTECTED_ROLES = frozenset({"admin", "owner", "membership_admin", "primary_owner"})
INVITE_TTL_DAYS = 21
MAX_EMAIL_LEN = 254
MAX_LOCAL_PART_LEN = 64
#: Member and group names (the RBAC group limit; ADMIN_API.md §7).
MAX_NAME_LEN = 255


def check_no_control(value: str, field: str) -> None:
    """400 for NUL and other control characters in a text field (tabs and newlines too)."""
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value):
        raise ApiError(400, f"{field}: control characters (such as NUL) are not allowed.")


def check_name(value: object, field: str = "name") -> str:
    if not isinstance(value, str):
        raise ApiError(400, f"{field}: expected a string.")
    if len(value) > MAX_NAME_LEN:
        raise ApiError(400, f"{field}: at most {MAX_NAME_LEN} characters.")
    check_no_control(value, field)
    return value


def normalize_email(raw: str) -> str:
    return raw.strip().lower()


def check_assignable_role(store: SandboxStore, role: object) -> str:
    org_type = store.org_type
    allowed = ASSIGNABLE_ROLES[org_type]
    if not isinstance(role, str) or role not in allowed:
        raise ApiError(
            400,
            f"role: {role!r} cannot be assigned in a Claude {org_type} organization; "
            f"assignable roles are {', '.join(sorted(allowed))}.",
        )
    return role


def check_readable_roles(store: SandboxStore, roles: list[str]) -> list[str]:
    allowed = READABLE_ROLES[store.org_type]
    bad = [r for r in roles if r not in allowed]
    if bad:
        raise ApiError(
            400, f"roles[]: unknown role {bad[0]!r}; expected one of {', '.join(sorted(allowed))}."
        )
    return roles


def check_not_protected(role: str, action: str) -> None:
    if role in PROTECTED_ROLES:
        raise ApiError(400, f"Members with role {role!r} cannot be {action} through the API.")


def check_email(store: SandboxStore, email: str) -> str:
    """A plausible address on an allowed domain (when the org configures domains).

    Lengths are SMTP's (RFC 5321: 254 for the address, 64 for the local part), the
    limits every mail system and the real service hold to; control characters (NUL
    included) are refused, so nothing seatctl reads back can carry them.
    """
    if len(email) > MAX_EMAIL_LEN:
        raise ApiError(400, f"email: at most {MAX_EMAIL_LEN} characters, got {len(email)}.")
    check_no_control(email, "email")
    norm = normalize_email(email)
    local, _, domain = norm.partition("@")
    if len(local) > MAX_LOCAL_PART_LEN:
        raise ApiError(400, f"email: the part before @ is at most {MAX_LOCAL_PART_LEN} characters.")
    if not local or not domain or "." not in domain or " " in norm:
        raise ApiError(400, f"email: {email!r} is not a valid email address.")
    allowed = store.get_meta("allowed_domains") or []
    if allowed and domain not in allowed:
        raise ApiError(
            400,
            f"The email domain {domain!r} is not allowed in this organization.",
            "email_domain_not_allowed",
        )
    return norm


def pending_clause(now: str) -> str:
    """SQL condition for an invite that is pending *now* (not expired, not withdrawn)."""
    return f"(status = 'pending' AND expires_at > '{now}')"


def effective_status(status: str, expires_at: str, now: str) -> str:
    return "expired" if status == "pending" and expires_at <= now else status


def allocate_seat(store: SandboxStore) -> str | None:
    """The lowest seat tier with a free seat; ``None`` when the org has no finite pool.

    Members and pending invites each hold one seat; none free → 400
    ``org_member_limit_exceeded`` (the API never buys a seat).
    """
    tiers = store.query("SELECT name, seats FROM seat_tiers ORDER BY rank")
    if not tiers:
        return None
    now = store.now_text()
    held: dict[str, int] = {}
    for row in store.query(
        "SELECT seat_tier, COUNT(*) FROM users WHERE deleted = 0 GROUP BY seat_tier"
    ):
        held[row[0]] = held.get(row[0], 0) + row[1]
    for row in store.query(
        f"SELECT seat_tier, COUNT(*) FROM invites WHERE {pending_clause(now)} GROUP BY seat_tier"
    ):
        held[row[0]] = held.get(row[0], 0) + row[1]
    for tier in tiers:
        if held.get(tier["name"], 0) < tier["seats"]:
            return str(tier["name"])
    total = sum(t["seats"] for t in tiers)
    raise ApiError(
        400,
        f"No free seat: all {total} purchased seats are held by members or pending invites. "
        "Free a seat (remove a member or withdraw an invite) or buy more seats.",
        "org_member_limit_exceeded",
    )
