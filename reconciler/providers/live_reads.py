"""Mixin of ``AnthropicProvider``: the listings ``fetch`` reads, one method per part.

Members, invites, RBAC groups and their members, workspaces and their members, spend
limits: every list at its largest page, every object checked against the contract
(``parse.py``), every page against the envelope (``paging.py``). A listing that
changed while being read raises ``LiveReadInconsistent``, which ``fetch`` retries
once from the start (see ``anthropic``'s module docstring for the steps).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

import anthropic

from reconciler.errors import LiveReadError
from reconciler.model import (
    WORKSPACE_ROLES,
    Group,
    Invite,
    Member,
    OrgType,
    SpendLimit,
    SpendLimitKey,
    Workspace,
)
from reconciler.providers.calls import Caller
from reconciler.providers.paging import (
    LiveReadInconsistent,
    after_kw,
    page_kw,
    walk_id_pages,
    walk_token_pages,
)
from reconciler.providers.parse import (
    SDK_PERIODS,
    Item,
    cents,
    group_from,
    invite_from,
    member_from,
    newer_invite,
)
from reconciler.providers.resume import ReadProgress

PAGE_LIMIT = 1000
SPEND_SCOPES: tuple[Literal["user", "rbac_group", "seat_tier"], ...] = (
    "user",
    "rbac_group",
    "seat_tier",
)
READABLE_WORKSPACE_ROLES = WORKSPACE_ROLES | {"workspace_billing"}


class LiveReads:
    """The live listings of ``AnthropicProvider``; its ``__init__`` sets these attributes."""

    org_type: OrgType
    key_env_name: str
    progress: ReadProgress | None
    _api: anthropic.Anthropic
    _caller: Caller

    def _read_members(self) -> tuple[dict[str, Member], dict[str, str]]:
        endpoint = "GET /v1/organizations/users"
        users = self._api.organization.users.with_raw_response
        members: dict[str, Member] = {}
        by_id: dict[str, str] = {}
        pages = walk_id_pages(
            self._caller, endpoint, lambda c: users.list(limit=PAGE_LIMIT, **after_kw(c))
        )
        for page_no, page in enumerate(pages, 1):
            for index, raw in enumerate(page):
                member = member_from(Item(raw, endpoint, f"page {page_no} item {index}"),
                                     self.org_type)
                if member.email in members:
                    raise LiveReadInconsistent(
                        f"live read inconsistent: {endpoint} lists {member.email} twice",
                        hint="run again",
                    )
                members[member.email] = member
                by_id[member.id or ""] = member.email
        if not members:
            raise LiveReadError(
                "live org looks empty; refusing",
                hint=f"{endpoint} returned no members at all — check base_url and that the key "
                f"in {self.key_env_name} belongs to the right organization",
            )
        return members, by_id

    def _read_invites(self) -> dict[str, Invite]:
        endpoint = "GET /v1/organizations/invites"
        api = self._api.organization.invites.with_raw_response
        newest: dict[str, Invite] = {}
        pages = walk_id_pages(
            self._caller,
            endpoint,
            lambda c: api.list(limit=PAGE_LIMIT, statuses=["pending", "expired"], **after_kw(c)),
        )
        for page_no, page in enumerate(pages, 1):
            for index, raw in enumerate(page):
                invite = invite_from(Item(raw, endpoint, f"page {page_no} item {index}"),
                                     self.org_type)
                if invite.status not in ("pending", "expired"):
                    continue
                held = newest.get(invite.email)
                if held is None or newer_invite(invite, held):
                    newest[invite.email] = invite
        return newest

    def _read_groups(self, by_id: Mapping[str, str]) -> tuple[dict[str, Group], dict[str, str]]:
        endpoint = "GET /v1/organizations/rbac_groups"
        api = self._api.organization.rbac_groups.with_raw_response
        found: list[Group] = []
        progress = self.progress
        if progress is not None and progress.groups is not None:
            found = list(progress.groups)
        else:
            pages = walk_token_pages(
                self._caller, endpoint, lambda t: api.list(limit=PAGE_LIMIT, **page_kw(t))
            )
            for page_no, page in enumerate(pages, 1):
                found += [group_from(Item(raw, endpoint, f"page {page_no} item {i}"))
                          for i, raw in enumerate(page)]
            if progress is not None:
                progress.done_group_list(found)
        groups: dict[str, Group] = {}
        names: dict[str, str] = {}
        for group in found:
            if group.name in groups:
                raise LiveReadError(
                    f"{endpoint}: two RBAC groups are named {group.name!r} "
                    f"({groups[group.name].id} and {group.id})",
                    hint="seatctl keys groups by name: rename one of them in claude.ai",
                )
            kept = progress.group_members.get(group.id or "") if progress is not None else None
            if kept is not None:
                emails: set[str] | frozenset[str] = kept
            else:
                emails = self._read_group_members(group.id or "", by_id)
                if progress is not None:
                    progress.done_group(group.id or "", frozenset(emails))
            groups[group.name] = Group(group.name, frozenset(emails), group.id, group.source)
            names[group.id or ""] = group.name
        return groups, names

    def _read_group_members(self, group_id: str, by_id: Mapping[str, str]) -> set[str]:
        endpoint = f"GET /v1/organizations/rbac_groups/{group_id}/members"
        api = self._api.organization.rbac_groups.members.with_raw_response
        emails: set[str] = set()
        pages = walk_token_pages(
            self._caller,
            endpoint,
            lambda t: api.list(group_id, limit=PAGE_LIMIT, **page_kw(t)),
            id_field="user_id",
        )
        for page_no, page in enumerate(pages, 1):
            for index, raw in enumerate(page):
                user_id = Item(raw, endpoint, f"page {page_no} item {index}").string("user_id")
                emails.add(self._email_of(user_id, by_id, endpoint))
        return emails

    def _read_workspaces(self, by_id: Mapping[str, str]) -> dict[str, Workspace]:
        endpoint = "GET /v1/organizations/workspaces"
        api = self._api.organization.workspaces.with_raw_response
        result: dict[str, Workspace] = {}
        pages = walk_id_pages(
            self._caller, endpoint, lambda c: api.list(limit=PAGE_LIMIT, **after_kw(c))
        )
        rows = [Item(raw, endpoint, f"page {p} item {i}")
                for p, page in enumerate(pages, 1) for i, raw in enumerate(page)]
        for item in rows:
            if item.opt_string("archived_at"):
                continue
            name, ws_id = item.string("name"), item.string("id")
            if name in result:
                raise LiveReadError(
                    f"{endpoint}: two workspaces are named {name!r}",
                    hint="seatctl keys workspaces by name: rename one of them in the Console",
                )
            result[name] = Workspace(name, self._read_workspace_members(ws_id, by_id), ws_id)
        return result

    def _read_workspace_members(self, ws_id: str, by_id: Mapping[str, str]) -> Mapping[str, str]:
        endpoint = f"GET /v1/organizations/workspaces/{ws_id}/members"
        api = self._api.organization.workspaces.members.with_raw_response
        roles: dict[str, str] = {}
        pages = walk_id_pages(
            self._caller,
            endpoint,
            lambda c: api.list(ws_id, limit=PAGE_LIMIT, **after_kw(c)),
            id_field="user_id",
        )
        for page_no, page in enumerate(pages, 1):
            for index, raw in enumerate(page):
                item = Item(raw, endpoint, f"page {page_no} item {index}")
                email = self._email_of(item.string("user_id"), by_id, endpoint)
                roles[email] = item.enum("workspace_role", READABLE_WORKSPACE_ROLES)
        return MappingProxyType(roles)

    def _read_spend_limits(
        self, by_id: Mapping[str, str], group_names: Mapping[str, str]
    ) -> dict[SpendLimitKey, SpendLimit]:
        endpoint = "GET /v1/organizations/spend_limits"
        api = self._api.beta.organization.spend_limits.with_raw_response
        limits: dict[SpendLimitKey, SpendLimit] = {}
        pages = walk_token_pages(
            self._caller,
            endpoint,
            lambda t: api.list(limit=PAGE_LIMIT, scope_type=list(SPEND_SCOPES), **page_kw(t)),
        )
        for page_no, page in enumerate(pages, 1):
            for index, raw in enumerate(page):
                item = Item(raw, endpoint, f"page {page_no} item {index}")
                limit = self._spend_limit_from(item, by_id, group_names, endpoint)
                if limit is not None:
                    limits[limit.scope] = limit
        return limits

    def _spend_limit_from(
        self, item: Item, by_id: Mapping[str, str], group_names: Mapping[str, str], endpoint: str
    ) -> SpendLimit | None:
        scope = item.obj("scope")
        kind = scope.enum("type", frozenset(SPEND_SCOPES))
        period = item.enum("period", SDK_PERIODS)
        if kind == "user":
            key = self._email_of(scope.string("user_id"), by_id, endpoint)
        elif kind == "rbac_group":
            group_id = scope.string("rbac_group_id")
            if group_id not in group_names:
                raise LiveReadInconsistent(
                    f"live read inconsistent: {endpoint} has a limit for group {group_id}, "
                    "which the group listing does not hold",
                    hint="run again",
                )
            key = group_names[group_id]
        else:
            key = scope.string("seat_tier")
        amount = cents(item)
        if amount is None:
            # An explicit "no limit" override: nothing to cap, so not a SpendLimit.
            return None
        spend_key = SpendLimitKey(kind, key, period)  # type: ignore[arg-type]
        return SpendLimit(spend_key, amount, item.string("currency"), item.string("id"))

    @staticmethod
    def _email_of(user_id: str, by_id: Mapping[str, str], endpoint: str) -> str:
        email = by_id.get(user_id)
        if email is None:
            raise LiveReadInconsistent(
                f"live read inconsistent: {endpoint} refers to user {user_id}, "
                "who is not in the member listing",
                hint="run again",
            )
        return email
