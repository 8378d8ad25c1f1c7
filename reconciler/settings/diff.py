"""Pure diff of desired vs live Claude Code managed settings → ordered ``Change``s.

Why this order (ADMIN_API.md §17.6): the default is set first so switching the mode
never triggers the service's implicit copy of the organization settings; group
documents come next (a new group is appended to the end of ``rbac_group_order``);
settings of groups the policy does not list, or whose RBAC group was deleted, are
deleted (which also removes them from the order); then one configuration write sets
the final order (with the version read fresh at apply time) and the mode, atomically.

Rules:

- A document is written only when its canonical JSON differs (or it is missing or
  damaged). Every write spends the settings history cap, which nothing lowers.
- Groups with status ``unknown`` are left alone (kept after the policy's groups).
- Console organizations get no settings changes (no API; MDM files only).
- ``before``/``after`` show field-level differences (deepdiff) for people; ``data``
  carries what apply needs: group name, the id when known, the full document, and
  a ``cause`` (``missing``, ``changed``, ``damaged``, ``unlisted``, ``deleted``,
  ``order``, ``mode``) that drift reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.model import ManagedSettingsState, OrgState, OrgType, Policy
from reconciler.plan.changes import Change, make_change, order_changes
from reconciler.plan.kinds import SETTINGS_KINDS, ChangeKind
from reconciler.settings.compile import canonical_json
from reconciler.settings.desired import desired_managed_settings

SET_DEFAULT = ChangeKind.SET_SETTINGS_DEFAULT
SET_GROUP = ChangeKind.SET_GROUP_SETTINGS
DELETE_GROUP = ChangeKind.DELETE_GROUP_SETTINGS
CONFIGURE = ChangeKind.UPDATE_SETTINGS_CONFIGURATION


def field_changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[
    dict[str, Any]
]:
    """Field-level differences as ``[{"path", "before", "after"}]`` sorted by path.

    deepdiff compares the two documents (small objects, so cheap); list changes are
    shown per list, not per index, because rule lists are sorted sets.
    """
    if before is None or after is None:
        return [{"path": "(document)", "before": before, "after": after}]
    from deepdiff import DeepDiff  # imported when a document changed: it costs ~0.2 s

    diff = DeepDiff(dict(before), dict(after), ignore_order=True, view="tree")
    paths: dict[str, dict[str, Any]] = {}
    for level in (lvl for levels in diff.values() for lvl in levels):
        path = _display_path(level.path(output_format="list"))
        top = _lookup(before, path)
        bottom = _lookup(after, path)
        paths[".".join(path) or "(document)"] = {"before": top, "after": bottom}
    return [{"path": p, **v} for p, v in sorted(paths.items())]


def _display_path(parts: list[Any]) -> list[str]:
    """Cut list indexes off: a change inside a rule list is shown as the whole list."""
    out: list[str] = []
    for part in parts:
        if isinstance(part, int):
            break
        out.append(str(part))
    return out


def _lookup(doc: Mapping[str, Any], path: list[str]) -> Any:
    node: Any = doc
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _same(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is b
    return canonical_json(_plain(a)) == canonical_json(_plain(b))


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def diff_settings(
    desired: ManagedSettingsState, live: ManagedSettingsState, group_ids: Mapping[str, str]
) -> list[Change]:
    """Changes that turn ``live`` into ``desired`` (see module docstring for the order).

    ``group_ids`` maps RBAC group names to live ids; a desired group without an id is
    one the same plan creates, and apply resolves its id by name.
    """
    changes: list[Change] = []
    if desired.default_set:
        if live.default_set and live.default is None:
            cause = "damaged"
        elif not live.default_set:
            cause = "missing"
        else:
            cause = "changed"
        if cause != "changed" or not _same(desired.default, live.default):
            changes.append(
                make_change(
                    SET_DEFAULT, "claude_code:default",
                    before=_before_after(live.default, desired.default)[0],
                    after=_before_after(live.default, desired.default)[1],
                    reason=f"default settings {cause} (baseline role)",
                    data={"settings": _plain(desired.default), "cause": cause},
                )
            )  # fmt: skip

    wanted_ids: dict[str, str] = {}
    appended: list[str] = []
    for name in desired.order:
        want = desired.groups[name]
        gid = group_ids.get(name)
        have = live.groups.get(gid) if gid else None
        role = want.role or name
        if have is None:
            cause = "missing"
            appended.append(name)
        elif have.settings is None:
            cause = "damaged"
        elif not _same(want.settings, have.settings):
            cause = "changed"
        else:
            wanted_ids[name] = gid or name
            continue
        wanted_ids[name] = gid or f"group:{name}"
        before, after = _before_after(have.settings if have else None, want.settings)
        changes.append(
            make_change(
                SET_GROUP, f"claude_code:{name}", before=before, after=after,
                reason=f"role {role}: group settings {cause}",
                data={"group": name, "group_id": gid, "role": role, "cause": cause,
                      "settings": _plain(want.settings)},
            )
        )  # fmt: skip

    desired_ids = {gid for gid in wanted_ids.values()}
    kept_unknown: list[str] = []
    deleted: set[str] = set()
    for gid in live.order:
        if gid in desired_ids:
            continue
        have = live.groups.get(gid)
        status = have.status if have else "active"
        if status == "unknown":
            kept_unknown.append(gid)
            continue
        cause = "deleted" if status == "deleted" else "unlisted"
        name = have.group if have else gid
        deleted.add(gid)
        changes.append(
            make_change(
                DELETE_GROUP, f"claude_code:{name}", before={"group_id": gid}, after=None,
                reason=(
                    "RBAC group was deleted; its settings match no one"
                    if cause == "deleted"
                    else "group has settings the policy does not list (set in claude.ai?)"
                ),
                data={"group": name, "group_id": gid, "cause": cause},
            )
        )  # fmt: skip

    final_order = [wanted_ids[n] for n in desired.order] + kept_unknown
    predicted = [g for g in live.order if g not in deleted] + [
        wanted_ids[n] for n in sorted(appended)
    ]
    order_differs = predicted != final_order
    mode_differs = live.mode != desired.mode
    if order_differs or mode_differs:
        names = {gid: n for n, gid in wanted_ids.items()}
        changes.append(
            make_change(
                CONFIGURE, "claude_code:configuration",
                before={"mode": live.mode, "order": [_name(live, g) for g in live.order]},
                after={"mode": desired.mode,
                       "order": [names.get(g, _name(live, g)) for g in final_order]},
                reason=", ".join(
                    r for r, on in (("order differs from role priority", order_differs),
                                    (f"mode is {live.mode}", mode_differs)) if on
                ),
                data={"mode": desired.mode, "order": final_order,
                      "reorder": order_differs,
                      "cause": "order" if order_differs else "mode"},
            )
        )  # fmt: skip
    return list(order_changes(changes))


def _name(live: ManagedSettingsState, gid: str) -> str:
    have = live.groups.get(gid)
    return have.group if have else gid


def _before_after(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    if before is None:
        return None, {"(document)": "new document"} if after is not None else None
    fields = field_changes(_plain(before), _plain(after) if after is not None else None)
    return (
        {f["path"]: f["before"] for f in fields},
        {f["path"]: f["after"] for f in fields},
    )


def settings_changes(policy: Policy, live: OrgState) -> list[Change]:
    """The managed-settings changes of a plan (the planner calls this).

    Nothing for Console organizations or when the live side has no managed-settings
    state (provider could not or did not read it).
    """
    if policy.org_type is not OrgType.ENTERPRISE or live.managed_settings is None:
        return []
    ids = {name: g.id for name, g in live.groups.items() if g.id}
    return diff_settings(desired_managed_settings(policy), live.managed_settings, ids)


def count_writes(changes: list[Change] | tuple[Change, ...]) -> int:
    """API writes the settings changes will make (one per change)."""
    return sum(1 for c in changes if c.kind in SETTINGS_KINDS)
