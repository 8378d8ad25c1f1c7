"""Typed changes and the one order they are applied in.

A ``Change`` is one logical write against the live organization. Its ``kind`` names
the provider method that performs it (``ChangeKind.INVITE`` → ``Provider.invite``),
``data`` carries everything apply needs (ids, emails, roles, amounts), ``before`` and
``after`` are for people, and ``reason`` says which policy line asked for it. Apply
decides from ``kind`` and ``data`` only, never from ``reason``.

Order: every kind is registered once in ``KIND_SPECS`` with its phase and its rank
inside the phase. The single sort key is ``(phase, kind rank, target)``:

    phase  kinds                                                   why
    0      create_group                                            groups exist before anyone joins
    1      delete_invite (replaced), invite, update_role           a wrong invite goes before its
                                                                   replacement for the same email
    2      add_group_member, add_workspace_member,                 grants
           update_workspace_member
    3      set_spend_limit (+ managed-settings kinds, registered   limits and settings on people
           by their own module with ``register_kind``)             who now hold their grants
    4      remove_group_member, remove_workspace_member,           revocations of access
           delete_spend_limit
    5      remove_member, then delete_invite (not replaced)        people leave last
    6      delete_group                                            groups go once empty of intent

Grants come before revocations, so a failed apply never leaves someone with less
access than both the old and the new policy give.

``delete_invite`` is the one kind whose phase depends on ``data``: an invite that a new
invite replaces (wrong role) goes in phase 1 before it; a withdrawn invite (person not in
the policy, or expired from it) is a removal and goes in phase 5.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from reconciler.model import SourceRef

#: A JSON value as carried by ``before``/``after``/``data``: frozen (tuples, read-only maps).
JsonValue = object

Symbol = Literal["+", "~", "-"]


class ChangeKind(StrEnum):
    """Built-in change kinds; each value is the ``Provider`` method that performs it."""

    CREATE_GROUP = "create_group"
    DELETE_INVITE = "delete_invite"
    INVITE = "invite"
    UPDATE_ROLE = "update_role"
    ADD_GROUP_MEMBER = "add_group_member"
    ADD_WORKSPACE_MEMBER = "add_workspace_member"
    UPDATE_WORKSPACE_MEMBER = "update_workspace_member"
    SET_SPEND_LIMIT = "set_spend_limit"
    REMOVE_GROUP_MEMBER = "remove_group_member"
    REMOVE_WORKSPACE_MEMBER = "remove_workspace_member"
    DELETE_SPEND_LIMIT = "delete_spend_limit"
    REMOVE_MEMBER = "remove_member"
    DELETE_GROUP = "delete_group"


@dataclass(frozen=True, slots=True)
class KindSpec:
    """How one kind is ordered and shown.

    ``rank`` orders kinds inside a phase; ``symbol`` is the Terraform-like sign;
    ``removal_phase`` (only ``delete_invite``) is the phase used when nothing replaces
    the deleted object; ``revokes`` marks kinds that take access away.
    """

    kind: str
    phase: int
    rank: int
    symbol: Symbol
    title: str
    revokes: bool = False
    removal_phase: int | None = None
    removal_rank: int = 0
    removal_title: str = ""


KIND_SPECS: dict[str, KindSpec] = {}


def register_kind(spec: KindSpec) -> KindSpec:
    """Add a kind to the order table (e.g. managed-settings kinds, phase 3).

    Registering the same spec twice is harmless; a different spec under an existing
    name is a programming error, so it raises.
    """
    existing = KIND_SPECS.get(spec.kind)
    if existing is not None and existing != spec:
        raise ValueError(f"change kind {spec.kind!r} is already registered as {existing}")
    if not 0 <= spec.phase <= 6:
        raise ValueError(f"phase {spec.phase} of {spec.kind!r} is outside 0..6")
    KIND_SPECS[spec.kind] = spec
    return spec


for _spec in (
    KindSpec("create_group", 0, 0, "+", "Create groups"),
    KindSpec("delete_invite", 1, 0, "-", "Replace invites", revokes=True, removal_phase=5,
             removal_rank=1, removal_title="Withdraw invites"),
    KindSpec("invite", 1, 1, "+", "Invite members"),
    KindSpec("update_role", 1, 2, "~", "Change roles"),
    KindSpec("add_group_member", 2, 0, "+", "Add to groups"),
    KindSpec("add_workspace_member", 2, 1, "+", "Add to workspaces"),
    KindSpec("update_workspace_member", 2, 2, "~", "Change workspace roles"),
    KindSpec("set_spend_limit", 3, 0, "~", "Set spend limits"),
    KindSpec("remove_group_member", 4, 0, "-", "Remove from groups", revokes=True),
    KindSpec("remove_workspace_member", 4, 1, "-", "Remove from workspaces", revokes=True),
    KindSpec("delete_spend_limit", 4, 2, "-", "Delete spend limits", revokes=True),
    KindSpec("remove_member", 5, 0, "-", "Remove members", revokes=True),
    KindSpec("delete_group", 6, 0, "-", "Delete groups", revokes=True),
):
    register_kind(_spec)


def kind_spec(kind: str) -> KindSpec:
    """The spec of ``kind``; an unknown kind fails closed (a plan we cannot order is refused)."""
    try:
        return KIND_SPECS[str(kind)]
    except KeyError:
        raise KeyError(f"unknown change kind {kind!r}") from None


def freeze(value: object) -> object:
    """Deep-freeze a JSON-like value: dicts → read-only maps (sorted keys), lists → tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({str(k): freeze(v) for k, v in sorted(value.items())})
    if isinstance(value, list | tuple | set | frozenset):
        items = [freeze(v) for v in value]
        if isinstance(value, set | frozenset):
            items.sort(key=repr)
        return tuple(items)
    return value


def thaw(value: object) -> object:
    """The inverse of ``freeze`` for JSON output: read-only maps → dicts, tuples → lists."""
    if isinstance(value, Mapping):
        return {str(k): thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class Change:
    """One planned write. Invariants: ``kind`` is registered; ``data`` and the values are
    frozen JSON (``freeze``); ``target`` is the email, group or limit the change is about."""

    kind: str
    target: str
    before: JsonValue = None
    after: JsonValue = None
    reason: str = ""
    source: SourceRef | None = None
    data: Mapping[str, JsonValue] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def spec(self) -> KindSpec:
        return kind_spec(self.kind)

    @property
    def is_removal_variant(self) -> bool:
        """True for a kind with a removal phase whose object nothing replaces."""
        return self.spec.removal_phase is not None and not self.data.get("replaced")

    @property
    def phase(self) -> int:
        spec = self.spec
        return spec.removal_phase if self.is_removal_variant and spec.removal_phase else spec.phase

    @property
    def rank(self) -> int:
        return self.spec.removal_rank if self.is_removal_variant else self.spec.rank

    @property
    def symbol(self) -> Symbol:
        return self.spec.symbol


def make_change(
    kind: str,
    target: str,
    *,
    before: object = None,
    after: object = None,
    reason: str = "",
    source: SourceRef | None = None,
    data: Mapping[str, object] | None = None,
) -> Change:
    """Build a ``Change`` with frozen values; the kind must be registered."""
    kind_spec(kind)
    frozen = freeze(dict(data or {}))
    assert isinstance(frozen, Mapping)
    return Change(str(kind), target, freeze(before), freeze(after), reason, source, frozen)


def sort_key(change: Change) -> tuple[int, int, str, str]:
    """The one documented order: ``(phase, kind rank, target)`` (kind name breaks rank ties)."""
    return (change.phase, change.rank, change.target, change.kind)


def order_changes(changes: list[Change] | tuple[Change, ...]) -> tuple[Change, ...]:
    return tuple(sorted(changes, key=sort_key))
