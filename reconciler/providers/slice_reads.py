"""Targeted refresh: re-read only the members, invites and groups a change can touch.

Why: a pull request that adds two people to one team should not cost the 5,200
requests of a full read of a 100,000-member organization. ``fetch_slice`` starts
from a kept snapshot (``providers.snapshot``) and replaces exactly the slice named:

- each email through the users list's ``email`` filter and the invite list's
  ``email`` + ``statuses[]`` filters (ADMIN_API.md §3, §4): one request each;
- each group through its own member list (token pages); a group the snapshot does
  not know by id (new in the policy, or created by the last apply) costs one pass
  over the group list first, which also notices groups created or deleted since;
- the spend-limit list, only when asked;
- Claude Code managed settings, whole (a few documents, which the snapshot does not
  keep), when the provider reads them (the policy's roles carry settings).

The filters' matches are checked, not trusted: the ``email`` filter also returns
``+tag`` variants, which are fresh members too and are overlaid as such. A group
member the snapshot does not know is looked up by the email the listing gives.
Someone the slice shows is no longer a member leaves every group in the result, as
the API does. Reads go through the same ``Caller`` as a full read: paced, retried,
counted, and refused when inconsistent; nothing partial is returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from reconciler.errors import LiveReadError, ProviderError
from reconciler.model import Group, Invite, Member, OrgState, normalize_email
from reconciler.providers.paging import after_kw, page_kw, walk_id_pages, walk_token_pages
from reconciler.providers.parse import Item, group_from, invite_from, member_from, newer_invite

if TYPE_CHECKING:
    from reconciler.providers.anthropic import AnthropicProvider

PAGE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Slice:
    """What to re-read: normalized emails, group names, and whether spend limits too."""

    emails: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    spend_limits: bool = False


@dataclass(frozen=True, slots=True)
class SliceRead:
    """The snapshot with the slice replaced by what was read now, and what that cost."""

    live: OrgState
    requests: int
    members_read: int
    invites_read: int
    groups_read: tuple[str, ...]
    group_list_read: bool


class SliceReads:
    """Mixin for ``AnthropicProvider``: ``fetch_slice`` over its ``_api`` and ``_caller``."""

    def _ap(self) -> AnthropicProvider:
        return self  # type: ignore[return-value]

    def fetch_slice(self, snapshot: OrgState, wanted: Slice) -> SliceRead:
        before = self._ap()._caller.stats.requests
        members = dict(snapshot.members)
        invites = dict(snapshot.invites)
        groups = dict(snapshot.groups)
        read: set[str] = set()

        def reread(email: str) -> None:
            found = self._members_by_email(email)
            members.pop(email, None)
            for member in found:  # ``+tag`` variants the filter matched are fresh too
                members[member.email] = member
            invites.pop(email, None)
            invite = self._invite_by_email(email)
            if invite is not None:
                invites[email] = invite
            read.add(email)

        for email in sorted(wanted.emails):
            reread(email)
        listed = False
        if wanted.groups and self._ap().capabilities.rbac_groups:
            if any(groups.get(n) is None or not groups[n].id for n in wanted.groups):
                groups = self._merge_group_list(groups)
                listed = True
            for name in sorted(wanted.groups):
                group = groups.get(name)
                if group is None or not group.id:
                    continue  # not in the org (yet): the plan creates it
                emails = self._group_emails(group.id, members)
                if emails is None:
                    del groups[name]  # deleted since the snapshot
                    moved = set(group.members)
                else:
                    groups[name] = replace(group, members=frozenset(emails))
                    moved = set(group.members) ^ set(emails)
                # someone who left or joined the group since the snapshot may have left or
                # joined the org too: their own records are re-read, not taken from it
                for email in sorted(moved - read):
                    reread(email)
        gone = {e for e in read if e not in members}
        if gone:
            groups = {n: replace(g, members=g.members - gone) if g.members & gone else g
                      for n, g in groups.items()}
        limits = snapshot.spend_limits
        if wanted.spend_limits and self._ap().capabilities.spend_limits:
            by_id = {m.id or "": e for e, m in members.items()}
            names = {g.id or "": n for n, g in groups.items() if g.id}
            limits = MappingProxyType(self._ap()._read_spend_limits(by_id, names))
        # managed settings are a few documents (one per role that carries settings) and
        # the snapshot does not keep them: read whole, live, when the policy has any
        settings = self._ap()._read_managed_settings({g.id: n for n, g in groups.items()
                                                      if g.id})
        live = replace(snapshot, members=MappingProxyType(members),
                       invites=MappingProxyType(invites), groups=MappingProxyType(groups),
                       spend_limits=limits, complete=True, managed_settings=settings)
        return SliceRead(live, self._ap()._caller.stats.requests - before, len(read),
                         len(read), tuple(sorted(wanted.groups)), listed)

    # -- members and invites ----------------------------------------------------

    def _members_by_email(self, email: str) -> list[Member]:
        """Members the ``email`` filter returns (it also matches ``+tag`` variants)."""
        endpoint = "GET /v1/organizations/users"
        users = self._ap()._api.organization.users.with_raw_response
        found: list[Member] = []
        pages = walk_id_pages(self._ap()._caller, endpoint,
                              lambda c: users.list(limit=PAGE_LIMIT, email=email, **after_kw(c)))
        for page_no, page in enumerate(pages, 1):
            org_type = self._ap().org_type
            found += [member_from(Item(raw, endpoint, f"page {page_no} item {i}"), org_type)
                      for i, raw in enumerate(page)]
        return found

    def _invite_by_email(self, email: str) -> Invite | None:
        """The newest pending or expired invite for exactly ``email``."""
        endpoint = "GET /v1/organizations/invites"
        api = self._ap()._api.organization.invites.with_raw_response
        newest: Invite | None = None
        pages = walk_id_pages(
            self._ap()._caller, endpoint,
            lambda c: api.list(limit=PAGE_LIMIT, email=email, statuses=["pending", "expired"],
                               **after_kw(c)))
        for page_no, page in enumerate(pages, 1):
            for i, raw in enumerate(page):
                invite = invite_from(Item(raw, endpoint, f"page {page_no} item {i}"),
                                     self._ap().org_type)
                if invite.email != email or invite.status not in ("pending", "expired"):
                    continue
                if newest is None or newer_invite(invite, newest):
                    newest = invite
        return newest

    # -- groups -------------------------------------------------------------------

    def _merge_group_list(self, groups: Mapping[str, Group]) -> dict[str, Group]:
        """Every group's name and id now; members kept from the snapshot where known."""
        endpoint = "GET /v1/organizations/rbac_groups"
        api = self._ap()._api.organization.rbac_groups.with_raw_response
        merged: dict[str, Group] = {}
        pages = walk_token_pages(self._ap()._caller, endpoint,
                                 lambda t: api.list(limit=PAGE_LIMIT, **page_kw(t)))
        for page_no, page in enumerate(pages, 1):
            for i, raw in enumerate(page):
                group = group_from(Item(raw, endpoint, f"page {page_no} item {i}"))
                if group.name in merged:
                    raise LiveReadError(
                        f"{endpoint}: two RBAC groups are named {group.name!r}",
                        hint="seatctl keys groups by name: rename one of them in claude.ai")
                known = groups.get(group.name)
                members = known.members if known is not None and known.id in (None, group.id) \
                    else frozenset()
                merged[group.name] = Group(group.name, members, group.id, group.source)
        return merged

    def _group_emails(self, group_id: str, members: dict[str, Member]) -> set[str] | None:
        """The group's members now (None when the group is gone); unknown ones looked up."""
        endpoint = f"GET /v1/organizations/rbac_groups/{group_id}/members"
        api = self._ap()._api.organization.rbac_groups.members.with_raw_response
        by_id = {m.id: e for e, m in members.items() if m.id}
        emails: set[str] = set()
        unknown: dict[str, str] = {}
        pages = walk_token_pages(self._ap()._caller, endpoint,
                                 lambda t: api.list(group_id, limit=PAGE_LIMIT, **page_kw(t)),
                                 id_field="user_id")
        try:
            for page_no, page in enumerate(pages, 1):
                for i, raw in enumerate(page):
                    item = Item(raw, endpoint, f"page {page_no} item {i}")
                    user_id = item.string("user_id")
                    email = by_id.get(user_id)
                    if email is None:
                        unknown[user_id] = normalize_email(item.string("email"))
                    else:
                        emails.add(email)
        except ProviderError as exc:
            if exc.status == 404:
                return None
            raise
        for user_id, email in unknown.items():
            fresh = {m.id: m for m in self._members_by_email(email)}
            member = fresh.get(user_id)
            if member is None:
                raise LiveReadError(
                    f"live read inconsistent: {endpoint} lists user {user_id}, whom the "
                    "member list does not hold",
                    hint="the organization changed while it was read; run again")
            members[member.email] = member
            emails.add(member.email)
        return emails


def slice_of(emails: Iterable[str], groups: Iterable[str], spend_limits: bool) -> Slice:
    return Slice(frozenset(normalize_email(e) for e in emails), frozenset(groups), spend_limits)
