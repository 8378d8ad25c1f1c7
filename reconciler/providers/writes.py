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

The shared guards and create/delete protocol are in ``write_base``; RBAC group writes
in ``group_writes``; workspace writes in ``workspace_writes``.
"""

from __future__ import annotations

from typing import Any

from reconciler.errors import ApiRejectedError, ProviderError
from reconciler.model import Invite, Member, OrgType, SpendLimit, normalize_email
from reconciler.providers.base import WriteResult
from reconciler.providers.group_writes import GroupWrites
from reconciler.providers.paging import after_kw, walk_id_pages
from reconciler.providers.parse import Item, invite_from, member_from, newer_invite
from reconciler.providers.workspace_writes import WorkspaceWrites
from reconciler.providers.write_base import _is_status, _rejected


class WriteOps(GroupWrites, WorkspaceWrites):
    """Mixin of ``AnthropicProvider``: the write half of the ``Provider`` protocol."""

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
