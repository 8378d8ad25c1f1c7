"""Mixin of ``AnthropicProvider``: Claude Code managed settings as part of ``fetch``.

Why a mixin: the managed-settings beta has its own client rules (``anthropic_settings``),
but its state belongs in the one live ``OrgState`` so plan, apply's fingerprint check
and drift see it with everything else, read inside the same consistency retry.

- Read only when the provider was opened with ``read_managed_settings`` (the policy
  is Enterprise and a role carries settings) and the org is Enterprise: 3 + N calls.
- A plain 404 (no ``error_code``: the beta is not available to this organization) is
  not an error: ``managed_settings`` is ``None``, ``managed_settings_available`` is
  False and ``notes`` holds ``MANAGED_SETTINGS_UNAVAILABLE`` for the CLI to print.
  Any other failure raises, as for every other part of the read.
- Requests the settings client makes are added to the provider's ``stats`` so apply
  charges them to its limiter like every other read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from reconciler.errors import ProviderError
from reconciler.model import ManagedSettingsState, OrgType
from reconciler.providers.anthropic_settings import ManagedSettingsApi
from reconciler.providers.paging import page_kw, walk_token_pages
from reconciler.providers.parse import Item, group_from

if TYPE_CHECKING:
    from reconciler.providers.anthropic import AnthropicProvider

#: What ``notes`` holds when the managed-settings beta answered a plain 404.
MANAGED_SETTINGS_UNAVAILABLE = (
    "managed settings API not available; deploy with `seatctl settings render`"
)
GROUP_PAGE_LIMIT = 1000


class ManagedSettingsReads:
    """Managed-settings reads and the settings client of ``AnthropicProvider``."""

    def _ap(self) -> AnthropicProvider:
        return self  # type: ignore[return-value]

    def managed_settings_api(self) -> ManagedSettingsApi:
        """The managed-settings client on this provider's SDK client (same key and deadline;
        its waits go through the provider's clock, so apply's limiter paces them)."""
        p = self._ap()
        if p._settings_api is None:
            p._settings_api = ManagedSettingsApi(
                p._api, key_env=p.key_env_name, sleep=lambda s: p.clock.sleep(s),
                stats=p._caller.stats,
            )
        return p._settings_api

    def _read_managed_settings(self, group_names: Mapping[str, str]) -> ManagedSettingsState | None:
        p = self._ap()
        if not (p.read_managed_settings and p.org_type is OrgType.ENTERPRISE):
            return None
        api = self.managed_settings_api()
        try:
            state = api.read(group_names)
        except ProviderError as exc:
            if exc.status == 404 and exc.error_code is None:
                p.managed_settings_available = False
                if MANAGED_SETTINGS_UNAVAILABLE not in p.notes:
                    p.notes.append(MANAGED_SETTINGS_UNAVAILABLE)
                return None
            raise
        p.managed_settings_available = True
        return state

    def read_group_ids(self) -> dict[str, str]:
        """RBAC group name → id, listed now (groups created since the last fetch)."""
        p = self._ap()
        endpoint = "GET /v1/organizations/rbac_groups"
        api = p._api.organization.rbac_groups.with_raw_response
        pages = walk_token_pages(
            p._caller, endpoint, lambda t: api.list(limit=GROUP_PAGE_LIMIT, **page_kw(t))
        )
        ids: dict[str, str] = {}
        for page_no, page in enumerate(pages, 1):
            for i, raw in enumerate(page):
                group = group_from(Item(raw, endpoint, f"page {page_no} item {i}"))
                if group.id:
                    ids[group.name] = group.id
        return ids
