"""The provider's change operations: one logical change each, never blindly repeated.

Rules every method here follows:

- Guard first, without a request: protected members (admins, owners), roles the
  org type cannot assign, SCIM groups, resources the org type does not have.
- Deletes and "set to this value" writes are idempotent and retried like reads; a
  404 on a delete means "already gone" (``already_done=True``, RELIABILITY F5).
- Creates (invite, group, group/workspace member) are not idempotent. When their
  outcome is unknown (timeout, dropped connection, 5xx after sending) the object is
  looked up, a few times for eventual consistency (F20): found → done; still absent
  → one more attempt, whose duplicate (if the first did land after all) the server
  refuses, which is then recognised as done (F3, F4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from reconciler.errors import ApiRejectedError, ProviderError
from reconciler.model import (
    ASSIGNABLE_ROLES,
    PROTECTED_ROLES,
    Group,
    Invite,
    Member,
    OrgType,
    SpendLimit,
    normalize_email,
)
from reconciler.providers.base import WriteResult
from reconciler.providers.calls import Answer, OutcomeUnknown
from reconciler.providers.errors import CODE_MESSAGES
from reconciler.providers.paging import after_kw, page_kw, walk_id_pages, walk_token_pages
from reconciler.providers.parse import Item, group_from, invite_from, member_from, newer_invite

if TYPE_CHECKING:
    from reconciler.providers.anthropic import AnthropicProvider

T = TypeVar("T")


def _rejected(code: str, subject: str) -> ApiRejectedError:
    what, todo = CODE_MESSAGES[code]
    return ApiRejectedError(f"{subject}: {what}", hint=todo, error_code=code)


def _is_status(exc: ProviderError, status: int) -> bool:
    return exc.status == status


class WriteOps:
    """Mixin of ``AnthropicProvider``: the write half of the ``Provider`` protocol."""

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

    # -- invites ----------------------------------------------------------------

    def find_invite(self, email: str) -> Invite | None:
        """The newest pending invite for exactly this email (the filter also matches +tags)."""
        p = self._p()
        email = normalize_email(email)
        endpoint = "GET /v1/organizations/invites"
        api = p._api.organization.invites.with_raw_response
        best: Invite | None = None
        pages = walk_id_pages(
            p._caller,
            endpoint,
            lambda c: api.list(
                limit=1000, email=email, statuses=["pending"], **after_kw(c)
            ),
        )
        for page in pages:
            for index, raw in enumerate(page):
                invite = invite_from(Item(raw, endpoint, f"item {index}"), p.org_type)
                if invite.email != email or invite.status != "pending":
                    continue
                if best is None or newer_invite(invite, best):
                    best = invite
        return best

    def invite(self, email: str, role: str, group_ids: frozenset[str]) -> WriteResult:
        p = self._p()
        email = normalize_email(email)
        self._assignable(role, f"invite {email}")
        if group_ids and p.org_type is not OrgType.ENTERPRISE:
            raise _rejected("organization_type_not_supported", f"invite {email} with groups")
        endpoint = "POST /v1/organizations/invites"
        extra: dict[str, Any] = {"rbac_group_ids": sorted(group_ids)} if group_ids else {}

        def matches() -> Invite | None:
            found = self.find_invite(email)
            if found is not None and found.role == role and found.group_ids == group_ids:
                return found
            return None

        def rejected(exc: ProviderError) -> WriteResult:
            if exc.error_code == "invite_already_exists":
                found = self._settle(matches)
                if found is not None:
                    return WriteResult(found, already_done=True, request_id=exc.request_id)
                current = self.find_invite(email)
                if current is not None:
                    exc.message += (
                        f" (the pending invite has role {current.role!r} and "
                        f"{len(current.group_ids)} group(s); wanted {role!r})"
                    )
            raise exc

        return self._create(
            endpoint,
            lambda: p._api.organization.invites.with_raw_response.create(
                email=email, role=role, **extra  # type: ignore[arg-type]
            ),
            matches,
            rejected,
            lambda a: WriteResult(
                invite_from(Item(a.body, endpoint, "answer"), p.org_type),
                request_id=a.request_id,
            ),
        )

    def delete_invite(self, invite: Invite) -> WriteResult:
        p = self._p()
        invite_id = self._need_id(invite.id, f"invite for {invite.email}")
        try:
            return self._delete(
                f"DELETE /v1/organizations/invites/{invite_id}",
                lambda: p._api.organization.invites.with_raw_response.delete(invite_id),
            )
        except ProviderError as exc:
            # Only a pending invite can be deleted (400 otherwise): one already deleted
            # — by an earlier attempt whose answer was lost — is done.
            if not _is_status(exc, 400):
                raise
            endpoint = f"GET /v1/organizations/invites/{invite_id}"
            answer = p._caller.read(
                endpoint, lambda: p._api.organization.invites.with_raw_response.retrieve(invite_id)
            )
            if Item(answer.body, endpoint, "answer").string("status") == "deleted":
                return WriteResult(None, already_done=True, request_id=exc.request_id)
            raise

    # -- members ----------------------------------------------------------------

    def update_role(self, member: Member, role: str) -> WriteResult:
        p = self._p()
        self._not_protected(member)
        self._assignable(role, f"role change for {member.email}")
        user_id = self._need_id(member.id, member.email)
        endpoint = f"POST /v1/organizations/users/{user_id}"
        answer = p._caller.write(
            endpoint,
            lambda: p._api.organization.users.with_raw_response.update(user_id, role=role),  # type: ignore[arg-type]
            idempotent=True,
        )
        updated = member_from(Item(answer.body, endpoint, "answer"), p.org_type)
        return WriteResult(updated, already_done=member.role == role, request_id=answer.request_id)

    def remove_member(self, member: Member) -> WriteResult:
        p = self._p()
        self._not_protected(member)
        user_id = self._need_id(member.id, member.email)
        return self._delete(
            f"DELETE /v1/organizations/users/{user_id}",
            lambda: p._api.organization.users.with_raw_response.remove(user_id),
        )

    # -- RBAC groups --------------------------------------------------------------

    def _group_named(self, name: str) -> Group | None:
        p = self._p()
        endpoint = "GET /v1/organizations/rbac_groups"
        api = p._api.organization.rbac_groups.with_raw_response
        pages = walk_token_pages(
            p._caller, endpoint, lambda t: api.list(limit=1000, **page_kw(t))
        )
        for page in pages:
            for index, raw in enumerate(page):
                group = group_from(Item(raw, endpoint, f"item {index}"))
                if group.name == name:
                    return group
        return None

    def create_group(self, name: str) -> WriteResult:
        p = self._p()
        self._enterprise_only(f"create RBAC group {name!r}")
        endpoint = "POST /v1/organizations/rbac_groups"

        def rejected(exc: ProviderError) -> WriteResult:
            raise exc

        return self._create(
            endpoint,
            lambda: p._api.organization.rbac_groups.with_raw_response.create(name=name),
            lambda: self._group_named(name),
            rejected,
            lambda a: WriteResult(group_from(Item(a.body, endpoint, "answer")),
                                  request_id=a.request_id),
        )

    def delete_group(self, group: Group) -> WriteResult:
        p = self._p()
        self._enterprise_only(f"delete RBAC group {group.name!r}")
        self._writable(group)
        group_id = self._need_id(group.id, f"RBAC group {group.name!r}")
        return self._delete(
            f"DELETE /v1/organizations/rbac_groups/{group_id}",
            lambda: p._api.organization.rbac_groups.with_raw_response.delete(group_id),
        )

    def _in_group(self, group_id: str, user_id: str) -> bool | None:
        p = self._p()
        endpoint = f"GET /v1/organizations/rbac_groups/{group_id}/members"
        api = p._api.organization.rbac_groups.members.with_raw_response
        pages = walk_token_pages(
            p._caller,
            endpoint,
            lambda t: api.list(group_id, limit=1000, **page_kw(t)),
            id_field="user_id",
        )
        present = any(raw.get("user_id") == user_id for page in pages for raw in page)
        return True if present else None

    def add_group_member(self, group: Group, member: Member) -> WriteResult:
        p = self._p()
        self._enterprise_only(f"add {member.email} to RBAC group {group.name!r}")
        self._writable(group)
        group_id = self._need_id(group.id, f"RBAC group {group.name!r}")
        user_id = self._need_id(member.id, member.email)
        endpoint = f"POST /v1/organizations/rbac_groups/{group_id}/members"

        def rejected(exc: ProviderError) -> WriteResult:
            if _is_status(exc, 400) and self._in_group(group_id, user_id):
                return WriteResult(None, already_done=True, request_id=exc.request_id)
            raise exc

        return self._create(
            endpoint,
            lambda: p._api.organization.rbac_groups.members.with_raw_response.add(
                group_id, user_id=user_id
            ),
            lambda: self._in_group(group_id, user_id),
            rejected,
            lambda a: WriteResult(a.body, request_id=a.request_id),
        )

    def remove_group_member(self, group: Group, member: Member) -> WriteResult:
        p = self._p()
        self._enterprise_only(f"remove {member.email} from RBAC group {group.name!r}")
        self._writable(group)
        group_id = self._need_id(group.id, f"RBAC group {group.name!r}")
        user_id = self._need_id(member.id, member.email)
        return self._delete(
            f"DELETE /v1/organizations/rbac_groups/{group_id}/members/{user_id}",
            lambda: p._api.organization.rbac_groups.members.with_raw_response.remove(
                user_id, rbac_group_id=group_id
            ),
        )

    # -- workspaces (Console) -----------------------------------------------------

    def _workspace_role(self, workspace_id: str, user_id: str) -> str | None:
        p = self._p()
        endpoint = f"GET /v1/organizations/workspaces/{workspace_id}/members/{user_id}"
        try:
            answer = p._caller.read(
                endpoint,
                lambda: p._api.organization.workspaces.members.with_raw_response.retrieve(
                    user_id, workspace_id=workspace_id
                ),
            )
        except ProviderError as exc:
            if _is_status(exc, 404):
                return None
            raise
        return Item(answer.body, endpoint, "answer").string("workspace_role")

    def add_workspace_member(self, workspace_id: str, member: Member, role: str) -> WriteResult:
        p = self._p()
        self._console_only(f"add {member.email} to workspace {workspace_id}")
        user_id = self._need_id(member.id, member.email)
        endpoint = f"POST /v1/organizations/workspaces/{workspace_id}/members"

        def same_role() -> str | None:
            found = self._workspace_role(workspace_id, user_id)
            return found if found == role else None

        def rejected(exc: ProviderError) -> WriteResult:
            if _is_status(exc, 400) and same_role() is not None:
                return WriteResult(None, already_done=True, request_id=exc.request_id)
            raise exc

        return self._create(
            endpoint,
            lambda: p._api.organization.workspaces.members.with_raw_response.add(
                workspace_id, user_id=user_id, workspace_role=role  # type: ignore[arg-type]
            ),
            same_role,
            rejected,
            lambda a: WriteResult(a.body, request_id=a.request_id),
        )

    def update_workspace_member(self, workspace_id: str, member: Member, role: str) -> WriteResult:
        p = self._p()
        self._console_only(f"change {member.email}'s role in workspace {workspace_id}")
        user_id = self._need_id(member.id, member.email)
        answer = p._caller.write(
            f"POST /v1/organizations/workspaces/{workspace_id}/members/{user_id}",
            lambda: p._api.organization.workspaces.members.with_raw_response.update(
                user_id, workspace_id=workspace_id, workspace_role=role  # type: ignore[arg-type]
            ),
            idempotent=True,
        )
        return WriteResult(answer.body, request_id=answer.request_id)

    def remove_workspace_member(self, workspace_id: str, member: Member) -> WriteResult:
        p = self._p()
        self._console_only(f"remove {member.email} from workspace {workspace_id}")
        user_id = self._need_id(member.id, member.email)
        return self._delete(
            f"DELETE /v1/organizations/workspaces/{workspace_id}/members/{user_id}",
            lambda: p._api.organization.workspaces.members.with_raw_response.remove(
                user_id, workspace_id=workspace_id
            ),
        )

    # -- spend limits ---------------------------------------------------------------

    def set_spend_limit(self, limit: SpendLimit, target_id: str) -> WriteResult:
        """Upsert keyed on (scope, period); ``target_id`` is the user or workspace id."""
        p = self._p()
        kind = limit.scope.scope
        scope: dict[str, str]
        if kind == "user":
            scope = {"type": "user", "user_id": target_id}
        elif kind == "workspace":
            scope = {"type": "workspace", "workspace_id": target_id}
        elif kind == "organization":
            scope = {"type": "organization"}
        else:
            raise ApiRejectedError(
                f"spend limit for {kind} {limit.scope.key!r}: the API cannot set {kind} limits",
                hint="seat-tier and group limits are configured in claude.ai",
            )
        answer = p._caller.write(
            "POST /v1/organizations/spend_limits",
            lambda: p._api.beta.organization.spend_limits.with_raw_response.set(
                amount=str(limit.amount_cents), scope=scope,  # type: ignore[arg-type]
                period=limit.scope.period,
            ),
            idempotent=True,
        )
        new_id = answer.body.get("id") if isinstance(answer.body.get("id"), str) else limit.id
        return WriteResult(
            SpendLimit(limit.scope, limit.amount_cents, limit.currency, new_id),
            request_id=answer.request_id,
        )

    def delete_spend_limit(self, limit: SpendLimit) -> WriteResult:
        p = self._p()
        limit_id = self._need_id(limit.id, f"spend limit {limit.scope.scope} {limit.scope.key!r}")
        return self._delete(
            f"DELETE /v1/organizations/spend_limits/{limit_id}",
            lambda: p._api.beta.organization.spend_limits.with_raw_response.delete(limit_id),
        )
