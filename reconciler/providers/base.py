"""The provider seam: the only place seatctl reads or changes a live organization.

A provider implements ``Provider``. Rules for implementers:

- ``fetch()`` reads *everything* (every page, ``limit=1000``) and returns an
  ``OrgState`` with ``complete=True``, or raises. It never returns a partial read: a
  failed page, a cursor that repeats, a page that contradicts an earlier one, or an
  empty organization where members were expected raises ``LiveReadError``.
- Write methods perform exactly one logical change each and return the resulting
  object (or ``None`` for deletes). A write that timed out is never blindly sent
  again: the provider re-reads the object and decides (an invite that exists for
  the same email and role counts as done). "Already done" outcomes (invite exists
  with the same role, member already absent, group member already absent) return
  normally; the ``WriteResult.already_done`` flag says so.
- Errors raise the ``reconciler.errors`` tree with a plain-language message, the
  HTTP status, the stable ``error_code`` and the ``request_id``. The admin key never
  appears in a message.
- ``capabilities`` says which resources the organization type supports, so the
  planner never plans what the provider cannot do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from reconciler.model import (
    Group,
    Invite,
    Member,
    OrgState,
    SpendIncreaseRequest,
    SpendLimit,
    UserActivity,
)

if TYPE_CHECKING:
    from reconciler.providers.anthropic_settings import ManagedSettingsApi
    from reconciler.providers.calls import CallStats


@dataclass(frozen=True, slots=True)
class Capabilities:
    rbac_groups: bool
    workspaces: bool
    spend_limits: bool
    analytics: bool
    managed_settings: bool = False


@dataclass(frozen=True, slots=True)
class WriteResult:
    """Outcome of one write: the object, whether it was already so, the request id."""

    obj: object | None = None
    already_done: bool = False
    request_id: str | None = None


class Provider(Protocol):
    """Every call and attribute seatctl's callers use (no caller probes with ``getattr``).

    The write methods are the ``call`` names of ``plan.kinds.KINDS`` (a test pins them).
    """

    capabilities: Capabilities

    def fetch(self) -> OrgState: ...
    def org_name(self) -> str: ...

    @property
    def notes(self) -> list[str]:
        """Informational lines from the last read (e.g. managed settings unavailable)."""
        ...

    @property
    def stats(self) -> CallStats:
        """Requests made so far (the apply report counts its writes from it)."""
        ...

    # Claude Code managed settings (Enterprise)
    def managed_settings_api(self) -> ManagedSettingsApi: ...
    def read_group_ids(self) -> dict[str, str]: ...

    # members and invites
    def invite(self, email: str, role: str, group_ids: frozenset[str]) -> WriteResult: ...
    def delete_invite(self, invite: Invite) -> WriteResult: ...
    def update_role(self, member: Member, role: str) -> WriteResult: ...
    def remove_member(self, member: Member) -> WriteResult: ...

    # RBAC groups (Enterprise)
    def create_group(self, name: str) -> WriteResult: ...
    def delete_group(self, group: Group) -> WriteResult: ...
    def add_group_member(self, group: Group, member: Member) -> WriteResult: ...
    def remove_group_member(self, group: Group, member: Member) -> WriteResult: ...

    # workspaces (Console)
    def add_workspace_member(self, workspace_id: str, member: Member, role: str) -> WriteResult: ...
    def update_workspace_member(
        self, workspace_id: str, member: Member, role: str
    ) -> WriteResult: ...
    def remove_workspace_member(self, workspace_id: str, member: Member) -> WriteResult: ...

    # spend limits
    def set_spend_limit(self, limit: SpendLimit, target_id: str) -> WriteResult: ...
    def delete_spend_limit(self, limit: SpendLimit) -> WriteResult: ...

    # spend-limit increase requests (Enterprise): every page; approve sets the user limit
    def list_increase_requests(
        self, status: str | None = "pending"
    ) -> list[SpendIncreaseRequest]: ...
    def approve_increase_request(
        self, request_id: str, amount_cents: int, period: str
    ) -> WriteResult: ...
    def deny_increase_request(self, request_id: str) -> WriteResult: ...

    # usage
    def fetch_user_activity(self, start: dt.date, end: dt.date) -> Iterator[UserActivity]: ...


class SliceReader(Protocol):
    """A provider that can re-read a slice of the org over a kept snapshot (``plan --base``).

    ``fetch_slice(snapshot, wanted)`` returns ``providers.slice_reads.SliceRead``: the
    snapshot with the members, invites and groups in ``wanted`` read live now.
    """

    def fetch_slice(self, snapshot: OrgState, wanted: Any) -> Any: ...
