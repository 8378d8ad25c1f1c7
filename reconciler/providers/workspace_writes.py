"""Mixin of ``AnthropicProvider``: Console workspace membership writes."""

from __future__ import annotations

from reconciler.errors import ProviderError
from reconciler.model import Member
from reconciler.providers.base import WriteResult
from reconciler.providers.parse import Item
from reconciler.providers.write_base import WriteBase, _is_status


class WorkspaceWrites(WriteBase):
    """Add, change and remove a member's role in a workspace (Console only)."""

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
