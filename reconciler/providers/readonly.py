"""A provider that can only read: what the drift job gets (RELIABILITY S17, F23).

Drift must never change the organization, whatever a bug upstream asks for. The
wrapper forwards ``fetch`` and ``fetch_user_activity`` and refuses every write
with ``ReadOnlyViolation`` before any request is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import NoReturn

from reconciler.model import (
    Group,
    Invite,
    Member,
    OrgState,
    SpendIncreaseRequest,
    SpendLimit,
    UserActivity,
)
from reconciler.providers.anthropic_settings import ManagedSettingsApi
from reconciler.providers.base import Capabilities, Provider, WriteResult
from reconciler.providers.calls import CallStats
from reconciler.providers.errors import ReadOnlyViolation

#: The Provider methods that change the organization.
WRITE_METHODS = (
    "invite",
    "delete_invite",
    "update_role",
    "remove_member",
    "create_group",
    "delete_group",
    "add_group_member",
    "remove_group_member",
    "add_workspace_member",
    "update_workspace_member",
    "remove_workspace_member",
    "set_spend_limit",
    "delete_spend_limit",
    "managed_settings_api",
    "approve_increase_request",
    "deny_increase_request",
)


class ReadOnlyProvider:
    """Wraps any ``Provider``; reads pass through, writes raise ``ReadOnlyViolation``."""

    def __init__(self, provider: Provider) -> None:
        self._provider = provider
        self.capabilities: Capabilities = provider.capabilities

    def __repr__(self) -> str:
        return f"ReadOnlyProvider({self._provider!r})"

    def fetch(self) -> OrgState:
        return self._provider.fetch()

    def org_name(self) -> str:
        return self._provider.org_name()

    @property
    def notes(self) -> list[str]:
        """The wrapped provider's informational lines (e.g. managed settings unavailable)."""
        return list(self._provider.notes)

    @property
    def stats(self) -> CallStats:
        return self._provider.stats

    def read_group_ids(self) -> dict[str, str]:
        return self._provider.read_group_ids()

    def managed_settings_api(self) -> ManagedSettingsApi:
        """The settings client writes, so a read-only provider has none to hand out."""
        self._refuse("managed_settings_api")

    def fetch_user_activity(self, start: dt.date, end: dt.date) -> Iterator[UserActivity]:
        return self._provider.fetch_user_activity(start, end)

    def list_increase_requests(self, status: str | None = "pending"
                               ) -> list[SpendIncreaseRequest]:  # fmt: skip
        return self._provider.list_increase_requests(status)

    @property
    def resumed_from(self) -> dt.datetime | None:
        """When the last full read began, if it resumed a cut-short one (``providers.resume``)."""
        value = getattr(self._provider, "resumed_from", None)
        return value if isinstance(value, dt.datetime) else None

    def usage_reads(self) -> object:
        """The wrapped provider's cost and usage report reads (GETs only), if it has them."""
        reads = getattr(self._provider, "usage_reads", None)
        if not callable(reads):
            raise AttributeError("usage_reads")
        return reads()

    @staticmethod
    def _refuse(operation: str) -> NoReturn:
        raise ReadOnlyViolation(
            f"refused {operation}: this run is read-only (drift never changes the organization)",
            hint="use `seatctl apply` with a reviewed plan to change the organization",
        )

    def invite(self, email: str, role: str, group_ids: frozenset[str]) -> WriteResult:
        self._refuse("invite")

    def delete_invite(self, invite: Invite) -> WriteResult:
        self._refuse("delete_invite")

    def update_role(self, member: Member, role: str) -> WriteResult:
        self._refuse("update_role")

    def remove_member(self, member: Member) -> WriteResult:
        self._refuse("remove_member")

    def create_group(self, name: str) -> WriteResult:
        self._refuse("create_group")

    def delete_group(self, group: Group) -> WriteResult:
        self._refuse("delete_group")

    def add_group_member(self, group: Group, member: Member) -> WriteResult:
        self._refuse("add_group_member")

    def remove_group_member(self, group: Group, member: Member) -> WriteResult:
        self._refuse("remove_group_member")

    def add_workspace_member(self, workspace_id: str, member: Member, role: str) -> WriteResult:
        self._refuse("add_workspace_member")

    def update_workspace_member(self, workspace_id: str, member: Member, role: str) -> WriteResult:
        self._refuse("update_workspace_member")

    def remove_workspace_member(self, workspace_id: str, member: Member) -> WriteResult:
        self._refuse("remove_workspace_member")

    def set_spend_limit(self, limit: SpendLimit, target_id: str) -> WriteResult:
        self._refuse("set_spend_limit")

    def delete_spend_limit(self, limit: SpendLimit) -> WriteResult:
        self._refuse("delete_spend_limit")

    def approve_increase_request(self, request_id: str, amount_cents: int,
                                 period: str) -> WriteResult:  # fmt: skip
        self._refuse("approve_increase_request")

    def deny_increase_request(self, request_id: str) -> WriteResult:
        self._refuse("deny_increase_request")
