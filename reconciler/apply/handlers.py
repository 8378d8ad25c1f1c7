"""Change kind → provider call: turn a planned ``Change`` into exactly one provider write.

Why a table: apply decides from ``kind`` and ``data`` only (never the reason text),
and every kind must have exactly one way to be performed. Kinds registered by other
modules (managed settings) register their handler here with ``register_handler``;
a plan holding a kind without a handler is refused before anything is written.

Objects are taken from the fresh live state apply just read (its fingerprint matched
the plan's, so ids are current); groups created earlier in the same apply are looked
up by name in ``ApplyContext.created_groups`` (an invite then carries their ids, one
request instead of two).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import PlanError
from reconciler.model import Group, Invite, Member, OrgState, SpendLimit, SpendLimitKey
from reconciler.plan.changes import Change
from reconciler.providers.base import Provider, WriteResult


@dataclass
class ApplyContext:
    """What handlers share during one apply: the live state and what apply created."""

    live: OrgState
    created_groups: dict[str, Group] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: Group name → id re-read during this apply (groups created since the live read).
    group_ids: dict[str, str] = field(default_factory=dict)

    def group(self, name: str, group_id: str | None = None) -> Group:
        with self.lock:
            created = self.created_groups.get(name)
        if created is not None:
            return created
        live = self.live.groups.get(name)
        if live is not None:
            return live
        if group_id:
            return Group(name=name, id=group_id)
        raise PlanError(f"group {name!r} is neither live nor created by this apply",
                        hint="its creation failed or was not planned; re-plan")

    def member(self, email: str, user_id: str | None = None) -> Member:
        live = self.live.members.get(email)
        if live is not None:
            return live
        return Member(email=email, role="", id=user_id)


Handler = Callable[[Provider, Change, ApplyContext], WriteResult]


def _d(change: Change) -> Mapping[str, Any]:
    return change.data


def _create_group(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    name = str(_d(c)["name"])
    result = p.create_group(name)
    if isinstance(result.obj, Group):
        with ctx.lock:
            ctx.created_groups[name] = result.obj
    return result


def _invite(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    d = _d(c)
    ids = {str(i) for i in d.get("group_ids") or ()}
    for name in d.get("groups") or ():
        gid = ctx.group(str(name)).id
        if not gid:
            raise PlanError(f"group {name!r} has no id; cannot invite {c.target} into it")
        ids.add(gid)
    return p.invite(str(d["email"]), str(d["role"]), frozenset(ids))


def _delete_invite(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    d = _d(c)
    live = ctx.live.invites.get(str(d["email"]))
    if live is not None and live.id == d.get("invite_id"):
        return p.delete_invite(live)
    return p.delete_invite(Invite(email=str(d["email"]), role="", id=d.get("invite_id")))


def _update_role(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    d = _d(c)
    return p.update_role(ctx.member(str(d["email"]), d.get("user_id")), str(d["role"]))


def _remove_member(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    d = _d(c)
    return p.remove_member(ctx.member(str(d["email"]), d.get("user_id")))


def _add_group_member(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    d = _d(c)
    return p.add_group_member(ctx.group(str(d["group"]), d.get("group_id")),
                              ctx.member(str(d["email"]), d.get("user_id")))


def _remove_group_member(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    d = _d(c)
    return p.remove_group_member(ctx.group(str(d["group"]), d.get("group_id")),
                                 ctx.member(str(d["email"]), d.get("user_id")))


def _delete_group(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    d = _d(c)
    return p.delete_group(ctx.group(str(d["name"]), d.get("group_id")))


def _ws(c: Change) -> str:
    wid = _d(c).get("workspace_id")
    if not wid:
        raise PlanError(f"workspace for {c.target} has no id", hint="re-plan")
    return str(wid)


def _add_ws_member(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    d = _d(c)
    return p.add_workspace_member(_ws(c), ctx.member(str(d["email"]), d.get("user_id")),
                                  str(d["role"]))


def _update_ws_member(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    d = _d(c)
    return p.update_workspace_member(_ws(c), ctx.member(str(d["email"]), d.get("user_id")),
                                     str(d["role"]))


def _remove_ws_member(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    d = _d(c)
    return p.remove_workspace_member(_ws(c), ctx.member(str(d["email"]), d.get("user_id")))


def _limit(c: Change) -> SpendLimit:
    d = _d(c)
    key = SpendLimitKey(d["scope"], str(d["key"]), d["period"])
    return SpendLimit(key, int(d["amount_cents"]), str(d.get("currency") or "USD"),
                      d.get("spend_limit_id"))


def _set_spend_limit(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    limit = _limit(c)
    target = _d(c).get("target_id")
    if not target:
        if limit.scope.scope == "user":
            target = ctx.member(limit.scope.key).id
        elif limit.scope.scope == "rbac_group":
            target = ctx.group(limit.scope.key).id
    return p.set_spend_limit(limit, str(target or ""))


def _delete_spend_limit(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
    return p.delete_spend_limit(_limit(c))


HANDLERS: dict[str, Handler] = {
    "create_group": _create_group,
    "delete_invite": _delete_invite,
    "invite": _invite,
    "update_role": _update_role,
    "add_group_member": _add_group_member,
    "add_workspace_member": _add_ws_member,
    "update_workspace_member": _update_ws_member,
    "set_spend_limit": _set_spend_limit,
    "remove_group_member": _remove_group_member,
    "remove_workspace_member": _remove_ws_member,
    "delete_spend_limit": _delete_spend_limit,
    "remove_member": _remove_member,
    "delete_group": _delete_group,
}


#: Kinds whose changes never run in parallel, even inside one step (managed settings:
#: each write depends on the state the previous one left, §17.6).
SEQUENTIAL_KINDS: set[str] = set()


def register_handler(kind: str, handler: Handler, *, sequential: bool = False) -> None:
    """Let a module that registers its own change kind say how apply performs it.

    ``sequential`` kinds run one change at a time, in plan order.
    """
    existing = HANDLERS.get(kind)
    if existing is not None and existing is not handler:
        raise ValueError(f"change kind {kind!r} already has an apply handler")
    HANDLERS[kind] = handler
    if sequential:
        SEQUENTIAL_KINDS.add(kind)


def is_sequential(change: Change) -> bool:
    return change.kind in SEQUENTIAL_KINDS


def handler_for(change: Change) -> Handler:
    try:
        return HANDLERS[change.kind]
    except KeyError:
        raise PlanError(f"this seatctl cannot apply change kind {change.kind!r} "
                        f"({change.target})",
                        hint="upgrade seatctl or re-plan without that change") from None
