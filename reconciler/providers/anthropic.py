"""The ``anthropic`` provider: a live Claude organization through the official SDK.

``fetch()`` builds the whole live ``OrgState`` in these steps, each list at its
largest page (``limit=1000``), one request per page:

1. users (ID cursor) → members by normalized email; an org with no member is
   refused ("live org looks empty; refusing", RELIABILITY F9);
2. invites, pending and expired (ID cursor) → the newest invite per email;
3. Enterprise: RBAC groups (token pages) and each group's members (token pages);
   Console: workspaces (ID cursor) and each workspace's members (ID cursor);
4. Enterprise: spend limits (beta list; ``user``, ``rbac_group`` and ``seat_tier``
   scopes), scope ids mapped to emails and group names;
5. Enterprise with ``read_managed_settings``: Claude Code managed settings (beta,
   3 + N calls through ``ManagedSettingsApi``), group ids mapped to names. A plain
   404 (the beta is not available to this organization) is not an error: the state
   gets ``managed_settings=None`` and ``notes`` says so, so ``plan`` still works.

Every object is checked against the contract (``parse.py``), every page against
the envelope (``paging.py``). A listing that changed while being read (an id twice,
a group member who is not a member) is read once more from the start; a second
inconsistency is an error. Nothing partial is ever returned: ``fetch`` returns a
complete state or raises.

The listings are read in ``live_reads.py``; writes live in ``writes.py``; retries and
the outcome checks of writes in ``calls.py``.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

import anthropic

from reconciler.errors import LiveReadError
from reconciler.model import (
    Group,
    OrgState,
    OrgType,
    SpendLimit,
    SpendLimitKey,
    UserActivity,
    Workspace,
)
from reconciler.providers.anthropic_managed import ManagedSettingsReads
from reconciler.providers.anthropic_settings import ManagedSettingsApi
from reconciler.providers.base import Capabilities
from reconciler.providers.calls import Caller, CallStats
from reconciler.providers.errors import Scrubber
from reconciler.providers.increase_requests import IncreaseRequestOps
from reconciler.providers.live_reads import (
    PAGE_LIMIT,
    READABLE_WORKSPACE_ROLES,
    SPEND_SCOPES,
    LiveReads,
)
from reconciler.providers.paging import LiveReadInconsistent, page_kw, walk_token_pages
from reconciler.providers.parse import Item, activity_from
from reconciler.providers.resume import ReadProgress
from reconciler.providers.retry import Clock, RetryPolicy, SystemClock
from reconciler.providers.slice_reads import SliceReads
from reconciler.providers.transport import with_request_deadline
from reconciler.providers.usage_reads import ReadPacer, UsageReads
from reconciler.providers.writes import WriteOps

__all__ = [
    "PAGE_LIMIT",
    "READABLE_WORKSPACE_ROLES",
    "SPEND_SCOPES",
    "AnthropicProvider",
    "capabilities_for",
]


def capabilities_for(org_type: OrgType) -> Capabilities:
    """What each organization type can read and change through the Admin API (§1)."""
    if org_type is OrgType.ENTERPRISE:
        return Capabilities(rbac_groups=True, workspaces=False, spend_limits=True, analytics=True)
    return Capabilities(rbac_groups=False, workspaces=True, spend_limits=False, analytics=False)


class AnthropicProvider(WriteOps, IncreaseRequestOps, ManagedSettingsReads, SliceReads,
                        LiveReads):
    """``Provider`` over ``anthropic.Anthropic``; see the module docstring for ``fetch``.

    ``client`` is used through a copy with SDK retries off and a total per-request
    deadline of ``deadline_s``; ``retry`` bounds the provider's own retries;
    ``clock`` and ``rng`` are injectable so tests run retries on a fake clock (and
    apply paces every wait through its limiter; a clock with a ``pace()`` method, like
    apply's ``PacingClock``, also paces every read before it is sent).
    ``read_managed_settings`` makes ``fetch`` also read Claude Code managed settings
    (Enterprise only); ``notes``
    collects informational lines for the CLI (e.g. the beta is not available).
    """

    def __init__(
        self,
        client: anthropic.Anthropic,
        *,
        org_type: OrgType,
        key_env_name: str,
        deadline_s: float = 60.0,
        retry: RetryPolicy | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        read_managed_settings: bool = False,
        analytics_per_minute: float | None = None,
    ) -> None:
        self.org_type = OrgType(org_type)
        self.read_managed_settings = read_managed_settings
        #: Informational lines for the user (never errors), e.g. a missing beta.
        self.notes: list[str] = []
        #: Finished parts of an interrupted full read (``providers.resume``); None: off.
        self.progress: ReadProgress | None = None
        #: Set by a full read that resumed a cut-short one: when that one began.
        self.resumed_from: dt.datetime | None = None
        #: None until read; False when the managed-settings beta answered a plain 404.
        self.managed_settings_available: bool | None = None
        self._settings_api: ManagedSettingsApi | None = None
        self.capabilities = capabilities_for(self.org_type)
        self.key_env_name = key_env_name
        self.retry = retry or RetryPolicy(request_deadline_s=deadline_s)
        self.clock: Clock = clock or SystemClock()
        self._scrubber = Scrubber(client.api_key)
        self._api = with_request_deadline(
            client,
            deadline_s,
            connect_timeout_s=self.retry.connect_timeout_s,
            read_timeout_s=self.retry.read_timeout_s,
            clock=time.monotonic,
        )
        self._caller = Caller(
            policy=self.retry,
            clock=self.clock,
            rng=rng or random.Random(),
            scrubber=self._scrubber,
            key_env=key_env_name,
            pace=getattr(self.clock, "pace", None),
        )
        #: Spaces analytics and report reads (``usage_reads.ReadPacer``); None: no pacing.
        self.usage_pacer = ReadPacer(analytics_per_minute, self.clock)

    def __repr__(self) -> str:
        return f"AnthropicProvider(org_type={self.org_type.value!r}, key_env={self.key_env_name!r})"

    @property
    def stats(self) -> CallStats:
        """Requests made so far (total, list pages, retries, time slept)."""
        return self._caller.stats

    # -- fetch ----------------------------------------------------------------

    def fetch(self) -> OrgState:
        try:
            return self._fetch_kept()
        except LiveReadInconsistent:
            if self.progress is not None:
                self.progress.clear()  # start over: the parts kept may be the cause
        try:
            return self._fetch_kept()
        except LiveReadInconsistent as exc:
            if self.progress is not None:
                self.progress.clear()
            raise LiveReadError(
                f"live read inconsistent (twice in a row): {exc.message}",
                hint="the organization kept changing while it was read; run again when "
                "other admins or SCIM syncs are done",
            ) from None

    def _fetch_kept(self) -> OrgState:
        """``_fetch_once``, keeping finished parts when ``progress`` is attached: saved if
        the read stops (error, cancelled job), deleted when it completes."""
        if self.progress is None:
            return self._fetch_once()
        try:
            state = self._fetch_once()
        except LiveReadInconsistent:
            raise
        except BaseException:
            self.progress.save()
            raise
        #: When the read that just finished began (earlier when it resumed a cut-short one).
        self.resumed_from = self.progress.started_at if self.progress.resumed else None
        self.progress.clear()
        return state

    def _fetch_once(self) -> OrgState:
        progress = self.progress
        if progress is not None and progress.members is not None:
            members = progress.members
            by_id = {m.id or "": e for e, m in members.items()}
        else:
            members, by_id = self._read_members()
            if progress is not None:
                progress.done_members(members)
        if progress is not None and progress.invites is not None:
            invites = progress.invites
        else:
            invites = self._read_invites()
            if progress is not None:
                progress.done_invites(invites)
        groups: dict[str, Group] = {}
        group_names: dict[str, str] = {}
        workspaces: dict[str, Workspace] = {}
        limits: dict[SpendLimitKey, SpendLimit] = {}
        if self.capabilities.rbac_groups:
            groups, group_names = self._read_groups(by_id)
        if self.capabilities.workspaces:
            workspaces = self._read_workspaces(by_id)
        if self.capabilities.spend_limits:
            limits = self._read_spend_limits(by_id, group_names)
        settings = self._read_managed_settings(group_names)
        return OrgState(
            org_type=self.org_type,
            members=MappingProxyType(members),
            invites=MappingProxyType(invites),
            groups=MappingProxyType(groups),
            spend_limits=MappingProxyType(limits),
            workspaces=MappingProxyType(workspaces),
            complete=True,
            managed_settings=settings,
        )

    def org_name(self) -> str:
        """The organization's name (``GET /v1/organizations/me``), for ``seatctl import``.

        Not part of ``fetch``: the live fingerprint and the request count of a plan's
        read stay as they are; only import needs the name.
        """
        endpoint = "GET /v1/organizations/me"
        api = self._api.organization.with_raw_response
        body = self._caller.read(endpoint, api.retrieve).body
        name = body.get("name")
        return name.strip() if isinstance(name, str) else ""

    # -- usage ----------------------------------------------------------------

    def usage_reads(self) -> UsageReads:
        """Cost and usage report reads through this provider's client and caller."""
        return UsageReads(self._api, self._caller, self.org_type, self.usage_pacer)

    def fetch_user_activity(self, start: dt.date, end: dt.date) -> Iterator[UserActivity]:
        """Per-user, per-day activity for every UTC day from ``start`` to ``end`` inclusive.

        One ``date=`` query per day, all pages (``limit=1000``); aggregated rows are
        skipped. A failed day raises: the caller never gets a silently short range.
        """
        endpoint = "GET /v1/organizations/analytics/users"
        api = self._api.organization.analytics.users.with_raw_response
        day = start
        while day <= end:
            current = day

            def fetch_page(token: str | None, day_text: str = day.isoformat()) -> Any:
                self.usage_pacer.wait()
                return api.list(date=day_text, limit=PAGE_LIMIT, **page_kw(token))

            pages = walk_token_pages(
                self._caller,
                endpoint,
                fetch_page,
                id_field=None,
            )
            for page_no, page in enumerate(pages, 1):
                for index, raw in enumerate(page):
                    row = activity_from(
                        Item(raw, endpoint, f"{current} page {page_no} item {index}"), current
                    )
                    if row is not None:
                        yield row
            day += dt.timedelta(days=1)
