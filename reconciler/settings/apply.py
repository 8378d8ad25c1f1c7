"""Apply one managed-settings change: one change → one write.

Why its own function: the configuration write needs the order *version* from a read
made just before it, and a stale version (409, ``OrderConflict``) means someone
changed the order since the plan was made, so the right reaction is to stop and plan
again (ADMIN_API.md §17.6), not to retry the same write. The executor calls
``apply_settings_change`` (through ``apply.settings_handlers``) for every change of a
settings kind, with the same audit records and stop-on-failure rule as any change.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.errors import PlanError, ProviderError
from reconciler.plan.changes import Change, thaw
from reconciler.providers.anthropic_settings import ManagedSettingsApi
from reconciler.providers.base import WriteResult
from reconciler.settings.diff import CONFIGURE, DELETE_GROUP, SET_DEFAULT, SET_GROUP


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
