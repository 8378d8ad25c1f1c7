"""Change kind → provider call: turn a planned ``Change`` into exactly one provider write.

Why a table: apply decides from ``kind`` and ``data`` only (never the reason text),
and every kind must have exactly one way to be performed. The kind's row in
``plan.kinds.KINDS`` names the provider call (``call``) and whether its changes run
one at a time (``sequential``); a handler here adapts ``data`` to that call's
arguments. A kind with no adapter is performed by calling its declared provider
method with ``data`` as keyword arguments; a plan holding a kind the provider
cannot perform is refused before anything is written.

Objects are taken from the fresh live state apply just read (its fingerprint matched
the plan's, so ids are current); groups created earlier in the same apply are looked
up by name in ``ApplyContext.created_groups`` (an invite then carries their ids, one
request instead of two).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from reconciler.apply.context import ApplyContext
from reconciler.apply.settings_handlers import apply_settings
from reconciler.errors import PlanError
from reconciler.model import Group, Invite, SpendLimit, SpendLimitKey
from reconciler.plan.changes import Change
from reconciler.plan.kinds import KINDS, ChangeKind, kind_spec
from reconciler.providers.base import Provider, WriteResult

__all__ = ["HANDLERS", "SEQUENTIAL_KINDS", "ApplyContext", "Handler", "handler_for",
           "is_sequential"]


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


_K = ChangeKind

#: Adapters from a change's ``data`` to its provider call, by kind.
HANDLERS: dict[str, Handler] = {
    _K.CREATE_GROUP: _create_group,
    _K.DELETE_INVITE: _delete_invite,
    _K.INVITE: _invite,
    _K.UPDATE_ROLE: _update_role,
    _K.ADD_GROUP_MEMBER: _add_group_member,
    _K.ADD_WORKSPACE_MEMBER: _add_ws_member,
    _K.UPDATE_WORKSPACE_MEMBER: _update_ws_member,
    _K.SET_SPEND_LIMIT: _set_spend_limit,
    _K.REMOVE_GROUP_MEMBER: _remove_group_member,
    _K.REMOVE_WORKSPACE_MEMBER: _remove_ws_member,
    _K.DELETE_SPEND_LIMIT: _delete_spend_limit,
    _K.REMOVE_MEMBER: _remove_member,
    _K.DELETE_GROUP: _delete_group,
    **{k: apply_settings for k, spec in KINDS.items() if spec.call == "managed_settings_api"},
}

#: Kinds whose changes never run in parallel, even inside one step (the table's
#: ``sequential``: managed settings, where each write depends on the state the
#: previous one left, §17.6).
SEQUENTIAL_KINDS: frozenset[str] = frozenset(k for k, s in KINDS.items() if s.sequential)


def is_sequential(change: Change) -> bool:
    return kind_spec(change.kind).sequential


def _declared_call(change: Change) -> Handler:
    """A kind without an adapter: its declared provider method, ``data`` as keywords."""
    call = kind_spec(change.kind).call

    def perform(p: Provider, c: Change, ctx: ApplyContext) -> WriteResult:
        method: Callable[..., WriteResult] | None = getattr(p, call, None)
        if method is None:
            raise PlanError(f"{c.kind} {c.target}: the provider has no {call}()",
                            hint="apply this plan with a provider that performs it")
        return method(**dict(c.data))

    return perform


def handler_for(change: Change, provider: Provider | None = None) -> Handler:
    """The handler of ``change``'s kind; unknown kinds, and kinds whose declared call
    ``provider`` lacks, are refused (a ``PlanError`` before anything is written)."""
    handler = HANDLERS.get(change.kind)
    if handler is not None:
        return handler
    spec = KINDS.get(change.kind)
    if spec is not None and (provider is None or callable(getattr(provider, spec.call, None))):
        return _declared_call(change)
    raise PlanError(f"this seatctl cannot apply change kind {change.kind!r} "
                    f"({change.target})",
                    hint="upgrade seatctl or re-plan without that change")
