"""Mixin of ``AnthropicProvider``: RBAC group writes (Enterprise), groups and members."""

from __future__ import annotations

from reconciler.errors import ProviderError
from reconciler.model import Group, Member
from reconciler.providers.base import WriteResult
from reconciler.providers.paging import page_kw, walk_token_pages
from reconciler.providers.parse import Item, group_from
from reconciler.providers.write_base import WriteBase, _is_status


class GroupWrites(WriteBase):
    """Create and delete RBAC groups; add and remove their members."""

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
