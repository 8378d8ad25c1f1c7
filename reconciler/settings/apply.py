"""Apply managed-settings changes: one change → one write, plus a re-plan loop on 409.

Why here and not only in the general executor: the configuration write needs the
order *version* from a read made just before it, and a stale version (409) means
someone changed the order since the plan was made, so the right reaction is to
re-read and plan again (ADMIN_API.md §17.6), not to retry the same write.

``apply_settings_change`` is what an executor calls for one change of a settings
kind; ``converge_settings`` runs read → diff → apply until nothing is left, re-planning
after an ``OrderConflict`` at most ``max_replans`` times.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from reconciler.errors import ApplyIncompleteError, PlanError, ProviderError
from reconciler.model import ManagedSettingsState
from reconciler.plan.changes import Change, thaw
from reconciler.providers.anthropic_settings import ManagedSettingsApi, OrderConflict
from reconciler.providers.base import WriteResult
from reconciler.settings.diff import CONFIGURE, DELETE_GROUP, SET_DEFAULT, SET_GROUP, diff_settings


@dataclass(frozen=True, slots=True)
class SettingsApplyReport:
    """What a converge run did: changes applied, writes made, re-plans after a 409."""

    applied: tuple[Change, ...]
    writes: int
    replans: int


def _group_id(change: Change, group_ids: Mapping[str, str]) -> str:
    gid = change.data.get("group_id")
    if isinstance(gid, str) and gid:
        return gid
    name = str(change.data.get("group"))
    if name in group_ids:
        return group_ids[name]
    raise PlanError(
        f"{change.target}: RBAC group {name!r} does not exist",
        hint="create the group first (the plan's create_group step) and run again",
    )


def _resolve(entry: str, group_ids: Mapping[str, str]) -> str:
    if entry.startswith("group:"):
        name = entry.removeprefix("group:")
        if name not in group_ids:
            raise PlanError(f"RBAC group {name!r} has no id yet", hint="run apply again")
        return group_ids[name]
    return entry


def apply_settings_change(
    api: ManagedSettingsApi, change: Change, group_ids: Mapping[str, str]
) -> WriteResult:
    """Perform one settings change. ``group_ids`` maps group names to ids *now*."""
    data = thaw(change.data)
    assert isinstance(data, dict)
    if change.kind == SET_DEFAULT:
        return api.set_default(data["settings"])
    if change.kind == SET_GROUP:
        return api.set_group(_group_id(change, group_ids), data["settings"])
    if change.kind == DELETE_GROUP:
        try:
            return api.delete_group(_group_id(change, group_ids))
        except ProviderError as exc:
            if exc.error_code == "rbac_group_managed_settings_not_found":
                return WriteResult(already_done=True)
            raise
    if change.kind == CONFIGURE:
        mode, current, version = api.configuration()
        order = [_resolve(g, group_ids) for g in data["order"]]
        want_order = order if data.get("reorder") and tuple(order) != current else None
        want_mode = data["mode"] if data["mode"] != mode else None
        if want_order is None and want_mode is None:
            return WriteResult(already_done=True)
        if want_order is None and want_mode is not None:
            # Switch only if the order is still what we planned against (§17.3 rule 3).
            want_order, version = list(current), version
        return api.configure(mode=want_mode, order=want_order, version=version)
    raise PlanError(f"{change.kind} is not a managed-settings change")


def converge_settings(
    api: ManagedSettingsApi,
    desired: ManagedSettingsState,
    group_ids: Mapping[str, str],
    *,
    max_replans: int = 2,
    on_change: Callable[[Change, WriteResult], None] | None = None,
) -> SettingsApplyReport:
    """Read, diff, apply; after a 409 read again and apply the fresh plan.

    Raises ``ApplyIncompleteError`` when the order keeps moving (some changes may be
    done; the next run finishes them).
    """
    names = {gid: name for name, gid in group_ids.items()}
    applied: list[Change] = []
    writes = 0
    for replans in range(max_replans + 1):
        live = api.read(names)
        changes = diff_settings(desired, live, group_ids)
        try:
            for change in changes:
                result = apply_settings_change(api, change, group_ids)
                writes += 0 if result.already_done else 1
                applied.append(change)
                if on_change is not None:
                    on_change(change, result)
        except OrderConflict:
            continue
        return SettingsApplyReport(tuple(applied), writes, replans)
    raise ApplyIncompleteError(
        f"managed settings: the group order changed {max_replans + 1} times during apply",
        hint="someone is editing managed settings in claude.ai; run apply again",
    )
