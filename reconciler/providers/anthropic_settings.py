"""Claude Code managed settings through the official SDK (beta, ADMIN_API.md §17.3/§17.6).

``ManagedSettingsApi(client)`` reads the live state in 3 + N calls and performs the
four kinds of write. Rules it keeps:

- Reads: ``configuration.retrieve``, every page of ``rbac_groups.list`` (SDK retries
  off: the SDK would retry a 409), ``rbac_groups.retrieve`` per group,
  ``rbac_group_default.retrieve``. A 409 while listing, or a list that disagrees with
  the configuration's order (the order moved between calls), restarts the whole read;
  after ``max_restarts`` it is an error, never a partial state.
- ``configuration.update`` goes out once (SDK retries off); its 409 raises
  ``OrderConflict`` so the caller re-reads and re-plans.
- Other writes are retried on 503 (a 503 may have been applied; a retry is safe).
  A delete that answers ``rbac_group_managed_settings_not_found`` after a 503 is
  done (``already_done=True``).
- Every SDK error becomes the ``reconciler.errors`` tree with the key scrubbed; a 404
  without ``error_code`` means the beta is not available to this organization.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

import anthropic

from reconciler.errors import LiveReadError, ProviderError
from reconciler.errors import OrderConflict as OrderConflict
from reconciler.model import GroupSettings, ManagedSettingsState
from reconciler.providers.base import WriteResult
from reconciler.providers.calls import CallStats
from reconciler.providers.errors import Scrubber, map_connection_error, map_status_error

BASE = "/v1/organizations/claude_code/managed_settings"
NOT_FOUND = "rbac_group_managed_settings_not_found"
T = TypeVar("T")




class ManagedSettingsApi:
    """Reads and writes one organization's managed settings (see module docstring)."""

    def __init__(
        self,
        client: anthropic.Anthropic,
        *,
        key_env: str = "SEATCTL_ADMIN_KEY",
        write_attempts: int = 3,
        max_restarts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        stats: CallStats | None = None,
    ) -> None:
        quiet = client.with_options(max_retries=0)
        self._api = quiet.beta.organization.claude_code.managed_settings
        self._scrubber = Scrubber(client.api_key)
        self.key_env = key_env
        self.write_attempts = write_attempts
        self.max_restarts = max_restarts
        self._sleep = sleep
        self._stats = stats
        self.calls = 0

    # -- plumbing ---------------------------------------------------------------

    def _call(self, endpoint: str, fn: Callable[[], T], *, reading: bool) -> T:
        self.calls += 1
        if self._stats is not None:  # the provider's request count includes settings calls
            self._stats.requests += 1
            self._stats.by_endpoint[endpoint] = self._stats.by_endpoint.get(endpoint, 0) + 1
        try:
            return fn()
        except anthropic.ConflictError as exc:
            raise self._scrubber.scrub_error(
                OrderConflict(
                    f"{endpoint} answered 409: the group order changed since it was read",
                    hint="seatctl re-reads and plans again",
                    status=409,
                    request_id=exc.request_id,
                )
            ) from None
        except anthropic.NotFoundError as exc:
            if exc.error_code is None:
                raise self._scrubber.scrub_error(
                    ProviderError(
                        f"{endpoint} answered 404: Claude Code managed settings are not "
                        "available to this organization",
                        hint="the API is a beta for Claude Enterprise organizations; for "
                        "other organizations deploy the files from `seatctl settings render`",
                        status=404,
                        request_id=exc.request_id,
                    )
                ) from None
            raise self._mapped(exc, endpoint, reading) from None
        except anthropic.APIStatusError as exc:
            raise self._mapped(exc, endpoint, reading) from None
        except anthropic.APIConnectionError as exc:
            raise self._scrubber.scrub_error(map_connection_error(exc, endpoint=endpoint)) from None

    def _mapped(self, exc: anthropic.APIStatusError, endpoint: str, reading: bool) -> ProviderError:
        err = map_status_error(exc, endpoint=endpoint, key_env=self.key_env, reading=reading)
        return self._scrubber.scrub_error(err)

    def _write(self, endpoint: str, fn: Callable[[], T]) -> tuple[T | None, bool]:
        """Run a write, retrying 503s; returns (result, saw_503)."""
        saw_503 = False
        for attempt in range(self.write_attempts):
            try:
                return self._call(endpoint, fn, reading=False), saw_503
            except ProviderError as exc:
                if exc.status == 503 and attempt + 1 < self.write_attempts:
                    saw_503 = True
                    self._sleep(min(0.5 * 2**attempt, 4.0))
                    continue
                if saw_503 and exc.error_code == NOT_FOUND:
                    return None, True
                raise
        raise AssertionError("unreachable")

    # -- read -------------------------------------------------------------------

    def read(self, group_names: Mapping[str, str] | None = None) -> ManagedSettingsState:
        """The live managed-settings state; ``group_names`` maps group id → name."""
        for _ in range(self.max_restarts):
            try:
                state = self._read_once(group_names or {})
            except OrderConflict:
                continue
            if state is not None:
                return state
        raise LiveReadError(
            f"GET {BASE}/rbac_groups: the group order kept changing while it was read "
            f"({self.max_restarts} attempts)",
            hint="someone is editing managed settings in claude.ai; run again in a minute",
        )

    def _read_once(self, names: Mapping[str, str]) -> ManagedSettingsState | None:
        config = self._call(f"GET {BASE}/configuration", self._api.configuration.retrieve,
                            reading=True)  # fmt: skip
        listed: list[Any] = self._call(
            f"GET {BASE}/rbac_groups",
            lambda: list(self._api.rbac_groups.list(limit=100)),
            reading=True,
        )
        self.calls += max(0, (len(listed) - 1) // 100)
        if [s.rbac_group_id for s in listed] != list(config.rbac_group_order):
            return None
        groups: dict[str, GroupSettings] = {}
        for summary in listed:
            gid = summary.rbac_group_id
            retrieve = functools.partial(self._api.rbac_groups.retrieve, gid)
            try:
                one = self._call(f"GET {BASE}/rbac_groups/{gid}", retrieve, reading=True)
            except ProviderError as exc:
                if exc.error_code == NOT_FOUND:
                    return None
                raise
            groups[gid] = GroupSettings(
                group=names.get(gid, gid),
                settings=one.settings,
                group_id=gid,
                status=one.rbac_group_status.type,
            )
        default = self._call(f"GET {BASE}/rbac_group_default",
                             self._api.rbac_group_default.retrieve, reading=True)  # fmt: skip
        return ManagedSettingsState(
            mode=config.mode.type,
            order=tuple(config.rbac_group_order),
            groups=MappingProxyType(groups),
            default=default.settings,
            default_set=default.updated_at is not None,
            order_version=config.rbac_group_order_version,
        )

    def configuration(self) -> tuple[str, tuple[str, ...], str]:
        """(mode, order, order version) from one fresh ``configuration.retrieve``."""
        config = self._call(f"GET {BASE}/configuration", self._api.configuration.retrieve,
                            reading=True)  # fmt: skip
        return config.mode.type, tuple(config.rbac_group_order), config.rbac_group_order_version

    # -- writes -----------------------------------------------------------------

    def set_default(self, settings: Mapping[str, Any] | None) -> WriteResult:
        body = dict(settings) if settings is not None else None
        _, _ = self._write(f"POST {BASE}/rbac_group_default",
                           lambda: self._api.rbac_group_default.update(settings=body))  # fmt: skip
        return WriteResult(obj=body)

    def set_group(self, group_id: str, settings: Mapping[str, Any]) -> WriteResult:
        body = dict(settings)
        result, _ = self._write(f"POST {BASE}/rbac_groups/{group_id}",
                                lambda: self._api.rbac_groups.set(group_id, settings=body))
        return WriteResult(obj=result)

    def delete_group(self, group_id: str) -> WriteResult:
        result, saw_503 = self._write(f"DELETE {BASE}/rbac_groups/{group_id}",
                                      lambda: self._api.rbac_groups.delete(group_id))
        return WriteResult(obj=result, already_done=result is None and saw_503)

    def configure(self, *, mode: str | None, order: list[str] | None,
                  version: str | None) -> WriteResult:  # fmt: skip
        """One ``configuration.update``: order (with its version) and/or mode, atomically."""
        kwargs: dict[str, Any] = {}
        if mode is not None:
            kwargs["mode"] = {"type": mode}
        if order is not None:
            kwargs["rbac_group_order"] = order
            kwargs["rbac_group_order_version"] = version
        result = self._call(f"POST {BASE}/configuration",
                            lambda: self._api.configuration.update(**kwargs),
                            reading=False)  # fmt: skip
        return WriteResult(obj=result)
