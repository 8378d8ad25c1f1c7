"""Apply handlers for the four Claude Code managed-settings change kinds.

Why here: the executor performs every change through ``handlers.HANDLERS`` (which
lists ``apply_settings`` for the kinds ``plan.kinds`` declares as managed settings) so each
settings write gets its limiter slot, intent and outcome records in the audit log and
the same stop-on-first-failure rule as any other change. This module only adapts:

- the settings client comes from the provider (``managed_settings_api()``: same SDK
  client, key and clock); a provider without one cannot apply settings;
- group names resolve to ids from the fresh live read, then from groups this apply
  created; a name still unknown (created by this apply but not returned, or renamed)
  is looked up once more with a fresh group listing;
- a 409 on the configuration write means the order moved since the plan: the change
  fails with ``ORDER_CHANGED`` and the apply stops; re-planning reads the new version.

The settings kinds are declared *sequential* in ``plan.kinds``: their order is the safe order of
ADMIN_API.md §17.6 (default → group documents → deletes → order and mode), and the
configuration write reads the order version after the group writes, so none of them
may run in parallel.
"""

from __future__ import annotations

from collections.abc import Iterable

from reconciler.apply.context import ApplyContext
from reconciler.plan.changes import Change
from reconciler.providers.anthropic_settings import OrderConflict
from reconciler.providers.base import Provider, WriteResult
from reconciler.settings.apply import apply_settings_change
from reconciler.settings.diff import CONFIGURE

ORDER_CHANGED = "managed settings order changed since the plan; run `seatctl plan` again"


def _names_needed(change: Change) -> Iterable[str]:
    if change.kind == CONFIGURE:
        order = change.data.get("order")
        for entry in order if isinstance(order, tuple | list) else ():
            if isinstance(entry, str) and entry.startswith("group:"):
                yield entry.removeprefix("group:")
        return
    if not change.data.get("group_id") and change.data.get("group"):
        yield str(change.data["group"])


def group_ids_for(provider: Provider, change: Change, ctx: ApplyContext) -> dict[str, str]:
    """Group name → id now: live read, then this apply's creations, then a fresh listing."""
    ids = {name: g.id for name, g in ctx.live.groups.items() if g.id}
    with ctx.lock:
        ids.update({name: g.id for name, g in ctx.created_groups.items() if g.id})
        ids.update(ctx.group_ids)
    missing = [n for n in _names_needed(change) if n not in ids]
    if missing:
        fresh = provider.read_group_ids()
        with ctx.lock:
            ctx.group_ids.update(fresh)
        ids.update(fresh)
    return ids


def apply_settings(provider: Provider, change: Change, ctx: ApplyContext) -> WriteResult:
    """One settings change through the provider's managed-settings client."""
    ids = group_ids_for(provider, change, ctx)
    try:
        result: WriteResult = apply_settings_change(provider.managed_settings_api(), change, ids)
    except OrderConflict as exc:
        raise OrderConflict(
            ORDER_CHANGED,
            hint="someone changed the order in claude.ai (or another apply ran); "
            "`seatctl plan` reads the new order version and plans again",
            status=409,
            request_id=exc.request_id,
        ) from None
    return result

