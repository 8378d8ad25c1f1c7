"""The guards and the create/delete protocol every write of ``AnthropicProvider`` shares.

The rules they implement are in ``writes``'s module docstring; the writes themselves
are in ``writes`` (invites, members, spend limits), ``group_writes`` (RBAC groups)
and ``workspace_writes`` (Console workspaces).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from reconciler.errors import ApiRejectedError, ProviderError
from reconciler.model import ASSIGNABLE_ROLES, PROTECTED_ROLES, Group, Member, OrgType
from reconciler.providers.base import WriteResult
from reconciler.providers.calls import Answer, OutcomeUnknown
from reconciler.providers.errors import CODE_MESSAGES

if TYPE_CHECKING:
    from reconciler.providers.anthropic import AnthropicProvider

T = TypeVar("T")


def _rejected(code: str, subject: str) -> ApiRejectedError:
    what, todo = CODE_MESSAGES[code]
    return ApiRejectedError(f"{subject}: {what}", hint=todo, error_code=code)


def _is_status(exc: ProviderError, status: int) -> bool:
    return exc.status == status


class WriteBase:
    """Mixin of ``AnthropicProvider``: the helpers of its writes."""

    # -- helpers --------------------------------------------------------------

    def _p(self) -> AnthropicProvider:
        return self  # type: ignore[return-value]

    def _settle(self, look: Callable[[], T | None]) -> T | None:
        """Look a few times, a short pause apart, for an object that may lag (F20)."""
        p = self._p()
        for attempt in range(p.retry.settle_attempts):
            found = look()
            if found is not None:
                return found
            if attempt + 1 < p.retry.settle_attempts:
                p.clock.sleep(p.retry.settle_delay_s)
        return None

    def _create(
        self,
        endpoint: str,
        send: Callable[[], Any],
        look: Callable[[], T | None],
        on_rejected: Callable[[ProviderError], WriteResult],
        build: Callable[[Answer], WriteResult],
    ) -> WriteResult:
        """Send a non-idempotent create; on an unknown outcome, re-read and decide."""
        p = self._p()
        for attempt in (1, 2):
            try:
                return build(p._caller.write(endpoint, send, idempotent=False))
            except OutcomeUnknown as unknown:
                found = self._settle(look)
                if found is not None:
                    return WriteResult(found, already_done=True)
                if attempt == 2:
                    raise unknown.error from None
            except ProviderError as exc:
                if exc.status is not None and 400 <= exc.status < 500:
                    return on_rejected(exc)
                raise
        raise AssertionError("unreachable")

    def _delete(self, endpoint: str, send: Callable[[], Any]) -> WriteResult:
        try:
            answer = self._p()._caller.write(endpoint, send, idempotent=True)
        except ProviderError as exc:
            if _is_status(exc, 404):
                return WriteResult(None, already_done=True, request_id=exc.request_id)
            raise
        return WriteResult(answer.body or None, request_id=answer.request_id)

    def _enterprise_only(self, what: str) -> None:
        p = self._p()
        if p.org_type is not OrgType.ENTERPRISE:
            raise _rejected("organization_type_not_supported", f"{what} (Console organization)")

    def _console_only(self, what: str) -> None:
        if self._p().org_type is not OrgType.CONSOLE:
            raise _rejected("organization_type_not_supported", f"{what} (Enterprise organization)")

    def _assignable(self, role: str, subject: str) -> None:
        p = self._p()
        allowed = ASSIGNABLE_ROLES[p.org_type]
        if role not in allowed:
            raise ApiRejectedError(
                f"{subject}: role {role!r} cannot be assigned through the API on a "
                f"{p.org_type.value} organization",
                hint=f"use one of: {', '.join(sorted(allowed))}",
            )

    @staticmethod
    def _not_protected(member: Member) -> None:
        if member.role in PROTECTED_ROLES:
            raise _rejected("protected_member", f"{member.email} ({member.role})")

    @staticmethod
    def _writable(group: Group) -> None:
        if group.source == "scim":
            raise _rejected("scim_group_read_only", f"RBAC group {group.name!r}")

    @staticmethod
    def _need_id(value: str | None, what: str) -> str:
        if not value:
            raise ApiRejectedError(f"{what} has no live id", hint="plan again from a fresh fetch")
        return value
