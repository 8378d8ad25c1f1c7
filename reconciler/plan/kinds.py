"""Every change kind, declared once: its order, whether it reduces access, which
guards look at it, the provider call that performs it and how drift names it.

Why one table: a kind used to live in nine files (order, diff, simulate, guards,
apply, provider, read-only wrapper, drift, sandbox), matched by raw strings; one of
those matches (``"group" in kind``) mistook managed settings for a group write.
Diff, simulate, guards, apply and drift now read ``KINDS``; adding a kind means a
row here, a diff rule (``plan.diff.DIFF_RULES``) and the provider call it names.

Order: the single sort key is ``(phase, rank, target)``:

    phase  kinds                                                   why
    0      create_group                                            groups exist before anyone joins
    1      delete_invite (replaced), invite, update_role           a wrong invite goes before its
                                                                   replacement for the same email
    2      add_group_member, add_workspace_member,                 grants
           update_workspace_member
    3      set_spend_limit, managed settings (default → groups     limits and settings on people
           → deletes → order and mode, ADMIN_API.md §17.6)         who now hold their grants
    4      remove_group_member, remove_workspace_member,           revocations of access
           delete_spend_limit
    5      remove_member, then delete_invite (not replaced)        people leave last
    6      delete_group                                            groups go once empty of intent

``delete_invite`` is the one kind whose phase depends on ``data``: an invite that a new
invite replaces (wrong role) goes in phase 1 before it; a withdrawn invite is a removal
and goes in phase 5.

"Reduces access" (``reduces_access``) is the one definition every removal cap counts:
removing a member, a group membership or a workspace membership, withdrawing an invite
(not replacing it), deleting a group, lowering (or newly setting) a spend limit, and
managed settings that take a permission away.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from reconciler.plan.changes import Change

Symbol = Literal["+", "~", "-"]

#: Guard families: which guards look at a kind (``plan.guards`` selects by family).
#: ``group_write`` writes an RBAC group (never a SCIM one); ``protected`` removes or
#: demotes a person; ``role`` sets an organization role; ``domain`` sends an invite;
#: ``role_change`` counts toward the role-change cap.
GuardFamily = Literal["group_write", "protected", "role", "domain", "role_change"]


class ChangeKind(StrEnum):
    """The kinds seatctl plans; each value is the name used in plans and audit logs."""

    CREATE_GROUP = "create_group"
    DELETE_INVITE = "delete_invite"
    INVITE = "invite"
    UPDATE_ROLE = "update_role"
    ADD_GROUP_MEMBER = "add_group_member"
    ADD_WORKSPACE_MEMBER = "add_workspace_member"
    UPDATE_WORKSPACE_MEMBER = "update_workspace_member"
    SET_SPEND_LIMIT = "set_spend_limit"
    SET_SETTINGS_DEFAULT = "set_settings_default"
    SET_GROUP_SETTINGS = "set_group_settings"
    DELETE_GROUP_SETTINGS = "delete_group_settings"
    UPDATE_SETTINGS_CONFIGURATION = "update_settings_configuration"
    REMOVE_GROUP_MEMBER = "remove_group_member"
    REMOVE_WORKSPACE_MEMBER = "remove_workspace_member"
    DELETE_SPEND_LIMIT = "delete_spend_limit"
    REMOVE_MEMBER = "remove_member"
    DELETE_GROUP = "delete_group"


#: Does one change of a kind take access away? (see the module docstring)
Reduces = Callable[["Change"], bool]


def always(change: Change) -> bool:
    """Every change of the kind reduces access (removals, deletions)."""
    return True


def never(change: Change) -> bool:
    """No change of the kind reduces access (grants, creations, re-ordering)."""
    return False


def unless_replaced(change: Change) -> bool:
    """An invite withdrawn reduces access; one replaced by a new invite does not."""
    return not change.data.get("replaced")


def limit_lowered(change: Change) -> bool:
    """A new cap where none was, or a lower amount than the live one."""
    before = change.before
    if not isinstance(before, Mapping):
        return True
    return int(str(change.data.get("amount_cents", 0))) < int(str(before.get("amount_cents", 0)))


def settings_take_away(change: Change) -> bool:
    """A settings document takes a permission away when an ``allow`` list loses an
    entry, a ``deny`` or ``ask`` list gains one, or a ``true`` flag turns ``false``.

    ``before``/``after`` hold the field-level differences (path → value) against the
    live document. A first document (none live: ``before`` is ``None``) is a rollout,
    not a removal: it is reviewed as such and does not count toward removal caps.
    """
    before, after = change.before, change.after
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        return False
    for path in set(before) | set(after):
        was, now = before.get(path), after.get(path)
        leaf = str(path).rsplit(".", 1)[-1]
        if leaf == "allow" and _lost(was, now):
            return True
        if leaf in ("deny", "ask") and _lost(now, was):
            return True
        if was is True and now is False:
            return True
    return False


def _lost(had: object, has: object) -> bool:
    """``had`` holds an entry that ``has`` does not (lists, or a list against nothing)."""
    old = set(map(str, had)) if isinstance(had, tuple | list) else set()
    new = set(map(str, has)) if isinstance(has, tuple | list) else set()
    return bool(old - new)


@dataclass(frozen=True, slots=True)
class KindSpec:
    """One change kind.

    ``phase``/``rank`` order it; ``symbol`` and ``title`` show it; ``revokes`` marks the
    late phases (things taken away run after grants); ``reduces`` decides whether a
    change of this kind reduces access (every removal cap counts those); ``guards``
    names the guard families that look at it; ``call`` is the ``Provider`` method that
    performs it; ``entities`` are the drift keys a change is about (``str.format``
    templates over ``data``); ``modelled`` says the org model (``simulate``) applies it
    (seats and cost); ``sequential`` kinds never run in parallel (each write depends
    on the state the previous one left); ``sends_invite`` kinds spend the separate
    invite-creation rate budget. ``removal_*`` (only ``delete_invite``) is the
    phase used when nothing replaces the deleted object.
    """

    kind: str
    phase: int
    rank: int
    symbol: Symbol
    title: str
    call: str
    entities: tuple[str, ...] = ()
    reduces: Reduces = never
    guards: frozenset[GuardFamily] = frozenset()
    revokes: bool = False
    modelled: bool = True
    sequential: bool = False
    sends_invite: bool = False
    removal_phase: int | None = None
    removal_rank: int = 0
    removal_title: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.phase <= 6:
            raise ValueError(f"phase {self.phase} of {self.kind!r} is outside 0..6")


_MEMBER = ("member:{email}", "invite:{email}")
_GROUP_MEMBER = ("group_member:{group}:{email}",)
_GROUP = ("group:{name}",)
_SPEND = ("spend:{scope}:{key}:{period}",)
_WORKSPACE = ("workspace_member:{workspace}:{email}",)
_SETTINGS = "managed_settings_api"
_K = ChangeKind

#: The table. Order of rows is irrelevant; ``phase``/``rank`` decide the apply order.
KINDS: dict[str, KindSpec] = {s.kind: s for s in (
    KindSpec(_K.CREATE_GROUP, 0, 0, "+", "Create groups", "create_group", _GROUP,
             guards=frozenset({"group_write"})),
    KindSpec(_K.DELETE_INVITE, 1, 0, "-", "Replace invites", "delete_invite", _MEMBER,
             reduces=unless_replaced, revokes=True, removal_phase=5, removal_rank=1,
             removal_title="Withdraw invites"),
    KindSpec(_K.INVITE, 1, 1, "+", "Invite members", "invite", _MEMBER,
             guards=frozenset({"role", "domain"}), sends_invite=True),
    KindSpec(_K.UPDATE_ROLE, 1, 2, "~", "Change roles", "update_role", _MEMBER,
             guards=frozenset({"role", "protected", "role_change"})),
    KindSpec(_K.ADD_GROUP_MEMBER, 2, 0, "+", "Add to groups", "add_group_member",
             _GROUP_MEMBER, guards=frozenset({"group_write"})),
    KindSpec(_K.ADD_WORKSPACE_MEMBER, 2, 1, "+", "Add to workspaces", "add_workspace_member",
             _WORKSPACE),
    KindSpec(_K.UPDATE_WORKSPACE_MEMBER, 2, 2, "~", "Change workspace roles",
             "update_workspace_member", _WORKSPACE),
    KindSpec(_K.SET_SPEND_LIMIT, 3, 0, "~", "Set spend limits", "set_spend_limit", _SPEND,
             reduces=limit_lowered),
    KindSpec(_K.SET_SETTINGS_DEFAULT, 3, 10, "~", "Set default Claude Code settings",
             _SETTINGS, reduces=settings_take_away, modelled=False, sequential=True),
    KindSpec(_K.SET_GROUP_SETTINGS, 3, 11, "~", "Set group Claude Code settings", _SETTINGS,
             reduces=settings_take_away, modelled=False, sequential=True),
    KindSpec(_K.DELETE_GROUP_SETTINGS, 3, 12, "-", "Delete group Claude Code settings",
             _SETTINGS, revokes=True, modelled=False, sequential=True),
    KindSpec(_K.UPDATE_SETTINGS_CONFIGURATION, 3, 13, "~",
             "Reorder groups / switch settings mode", _SETTINGS, modelled=False,
             sequential=True),
    KindSpec(_K.REMOVE_GROUP_MEMBER, 4, 0, "-", "Remove from groups", "remove_group_member",
             _GROUP_MEMBER, reduces=always, guards=frozenset({"group_write"}), revokes=True),
    KindSpec(_K.REMOVE_WORKSPACE_MEMBER, 4, 1, "-", "Remove from workspaces",
             "remove_workspace_member", _WORKSPACE, reduces=always, revokes=True),
    KindSpec(_K.DELETE_SPEND_LIMIT, 4, 2, "-", "Delete spend limits", "delete_spend_limit",
             _SPEND, revokes=True),
    KindSpec(_K.REMOVE_MEMBER, 5, 0, "-", "Remove members", "remove_member", _MEMBER,
             reduces=always, guards=frozenset({"protected"}), revokes=True),
    KindSpec(_K.DELETE_GROUP, 6, 0, "-", "Delete groups", "delete_group", _GROUP,
             reduces=always, guards=frozenset({"group_write"}), revokes=True),
)}

#: The Claude Code managed-settings kinds (performed through the provider's
#: managed-settings client, in the order of ADMIN_API.md §17.6).
SETTINGS_KINDS: tuple[str, ...] = tuple(
    s.kind for s in sorted(KINDS.values(), key=lambda s: s.rank) if s.call == _SETTINGS
)


def kind_spec(kind: str) -> KindSpec:
    """The spec of ``kind``; an unknown kind fails closed (a plan we cannot order is refused)."""
    try:
        return KINDS[str(kind)]
    except KeyError:
        raise KeyError(f"unknown change kind {kind!r}") from None


def reduces_access(change: Change) -> bool:
    """The one definition of "this change takes access away" (module docstring)."""
    return kind_spec(change.kind).reduces(change)


def in_family(change: Change, family: GuardFamily) -> bool:
    """True when the guards of ``family`` look at ``change``'s kind."""
    return family in kind_spec(change.kind).guards


class _Blank(dict[str, object]):
    """``str.format_map`` source that shows a missing field as ``None``."""

    def __missing__(self, key: str) -> object:
        return None


def entities(change: Change) -> tuple[str, ...]:
    """The drift ``state_entities`` keys one change is about (from its kind's templates).

    ``group`` and ``name`` stand in for each other: group kinds carry one or the other.
    """
    data = _Blank(change.data)
    group = data.get("group") or data.get("name")
    data["group"] = data["name"] = group
    return tuple(t.format_map(data) for t in kind_spec(change.kind).entities)
