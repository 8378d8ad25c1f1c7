"""Admin API JSON objects → the state model, strictly.

The SDK's models do not validate (they are built with ``construct``): a missing
``email`` would surface later as an ``AttributeError`` and an unknown role would
pass through. Here every field seatctl uses is checked for presence and type, and
every enum (org role per org type, invite status, group source, workspace role,
spend period) against the values the SDK's types list. Anything else fails closed
with ``LiveReadError`` naming the endpoint, the item and the field (RELIABILITY
F10, S22) — an unknown role is never mapped to a default.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Mapping
from typing import Any

from anthropic.types.beta.organization.beta_spend_limit_period import BetaSpendLimitPeriod
from anthropic.types.organization.workspace_role import WorkspaceRole
from anthropic.types.organization_role import OrganizationRole

from reconciler.errors import LiveReadError
from reconciler.model import (
    READABLE_ROLES,
    Group,
    Invite,
    Member,
    OrgType,
    UserActivity,
    normalize_email,
)

SDK_ROLES = frozenset(typing.get_args(OrganizationRole))
SDK_WORKSPACE_ROLES = frozenset(typing.get_args(WorkspaceRole))
SDK_PERIODS = frozenset(typing.get_args(BetaSpendLimitPeriod))
INVITE_STATUSES = frozenset({"pending", "accepted", "expired", "deleted"})
GROUP_SOURCES = frozenset({"direct", "scim"})


class Item:
    """One JSON object from an endpoint, with typed, named accessors that fail closed."""

    __slots__ = ("raw", "endpoint", "where")

    def __init__(self, raw: Mapping[str, Any], endpoint: str, where: str) -> None:
        self.raw = raw
        self.endpoint = endpoint
        self.where = where

    def fail(self, field: str, what: str) -> LiveReadError:
        return LiveReadError(
            f"{self.endpoint}: {self.where}: field `{field}` {what}",
            hint="the live read does not match the Admin API contract; nothing was planned "
            "from it",
        )

    def string(self, field: str) -> str:
        value = self.raw.get(field)
        if not isinstance(value, str):
            raise self.fail(field, "missing" if value is None else "is not a string")
        return value

    def opt_string(self, field: str) -> str | None:
        value = self.raw.get(field)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(field, "is not a string")
        return value

    def email(self, field: str = "email") -> str:
        value = normalize_email(self.string(field))
        if "@" not in value:
            raise self.fail(field, f"is not an email address ({value!r})")
        return value

    def enum(self, field: str, allowed: frozenset[str]) -> str:
        value = self.string(field)
        if value not in allowed:
            raise self.fail(
                field, f"has unknown value {value!r} (known: {', '.join(sorted(allowed))})"
            )
        return value

    def time(self, field: str) -> dt.datetime:
        text = self.string(field)
        try:
            value = dt.datetime.fromisoformat(text)
        except ValueError:
            raise self.fail(field, f"is not an RFC 3339 time ({text!r})") from None
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    def str_list(self, field: str) -> list[str]:
        value = self.raw.get(field)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(field, "missing or not a list of strings")
        return value

    def obj(self, field: str) -> Item:
        value = self.raw.get(field)
        if not isinstance(value, dict):
            raise self.fail(field, "missing or not an object")
        return Item(value, self.endpoint, f"{self.where}.{field}")

    def integer(self, field: str, default: int | None = None) -> int:
        value = self.raw.get(field)
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(field, "missing or not an integer")
        return value


def member_from(item: Item, org_type: OrgType) -> Member:
    role = item.enum("role", SDK_ROLES & READABLE_ROLES[org_type])
    return Member(
        email=item.email(),
        role=role,
        name=item.string("name"),
        id=item.string("id"),
        added_at=item.time("added_at"),
    )


def invite_from(item: Item, org_type: OrgType) -> Invite:
    status = item.enum("status", INVITE_STATUSES)
    return Invite(
        email=item.email(),
        role=item.enum("role", SDK_ROLES & READABLE_ROLES[org_type]),
        status=typing.cast(typing.Literal["pending", "accepted", "expired", "deleted"], status),
        group_ids=frozenset(item.str_list("rbac_group_ids")),
        id=item.string("id"),
        invited_at=item.time("invited_at"),
        expires_at=item.time("expires_at"),
    )


def group_from(item: Item) -> Group:
    source = item.enum("source_type", GROUP_SOURCES)
    return Group(
        name=item.string("name"),
        id=item.string("id"),
        source=typing.cast(typing.Literal["direct", "scim"], source),
    )


def activity_from(item: Item, day: dt.date) -> UserActivity | None:
    """A per-user analytics row → ``UserActivity``; aggregated rows (no user) → None."""
    if item.raw.get("user") is None:
        return None
    user = item.obj("user")
    code = item.obj("claude_code_metrics")
    core = code.obj("core_metrics")
    lines = core.obj("lines_of_code")
    tools = code.obj("tool_actions")
    accepted = rejected = 0
    mix: list[tuple[str, int, int]] = []
    for name in ("edit_tool", "multi_edit_tool", "notebook_edit_tool", "write_tool"):
        counts = tools.obj(name)
        acc, rej = counts.integer("accepted_count"), counts.integer("rejected_count")
        accepted += acc
        rejected += rej
        if acc or rej:
            mix.append((name, acc, rej))
    chat = item.obj("chat_metrics")
    last = item.opt_string("last_activity_date")
    try:
        last_day = dt.date.fromisoformat(last) if last else None
    except ValueError:
        raise item.fail("last_activity_date", f"is not a date ({last!r})") from None
    return UserActivity(
        day=day,
        email=user.email("email_address"),
        user_id=user.string("id"),
        sessions=core.integer("distinct_session_count", default=0),
        lines_added=lines.integer("added_count"),
        lines_removed=lines.integer("removed_count"),
        commits=core.integer("commit_count"),
        pull_requests=core.integer("pull_request_count"),
        tool_accepted=accepted,
        tool_rejected=rejected,
        chat_messages=chat.integer("message_count"),
        last_activity=last_day,
        tool_actions=tuple(mix),
    )


def cents(item: Item, field: str = "amount") -> int | None:
    """A minor-unit decimal string (``"50000"``) → int cents; ``None`` when null."""
    text = item.opt_string(field)
    if text is None:
        return None
    if not text.isdigit():
        raise item.fail(field, f"is not a non-negative integer string ({text!r})")
    return int(text)


def newer_invite(a: Invite, b: Invite) -> bool:
    """Is ``a`` newer than ``b``? By invite time, then pending before expired."""
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    a_at, b_at = a.invited_at or floor, b.invited_at or floor
    if a_at != b_at:
        return a_at > b_at
    return a.status == "pending" and b.status != "pending"
