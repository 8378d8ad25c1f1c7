"""Typed changes and the one order they are applied in.

A ``Change`` is one logical write against the live organization. Its ``kind`` is a row
of ``plan.kinds.KINDS`` (order, access, guards, provider call, drift keys), ``data``
carries everything apply needs (ids, emails, roles, amounts), ``before`` and ``after``
are for people, and ``reason`` says which policy line asked for it. Apply decides from
``kind`` and ``data`` only, never from ``reason``. The single sort key is
``(phase, kind rank, target)``; grants come before revocations, so a failed apply never
leaves someone with less access than both the old and the new policy give.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from reconciler.model import SourceRef
from reconciler.plan.kinds import KINDS, ChangeKind, KindSpec, Symbol, kind_spec

#: A JSON value as carried by ``before``/``after``/``data``: frozen (tuples, read-only maps).
JsonValue = object

__all__ = ["KINDS", "Change", "ChangeKind", "JsonValue", "KindSpec", "Symbol", "freeze",
           "kind_spec", "make_change", "order_changes", "sort_key", "thaw"]


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
    """One planned write. Invariants: ``kind`` is in ``KINDS``; ``data`` and the values are
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
    """Build a ``Change`` with frozen values; the kind must be in ``KINDS``."""
    kind_spec(kind)
    frozen = freeze(dict(data or {}))
    assert isinstance(frozen, Mapping)
    return Change(str(kind), target, freeze(before), freeze(after), reason, source, frozen)


def sort_key(change: Change) -> tuple[int, int, str, str]:
    """The one documented order: ``(phase, kind rank, target)`` (kind name breaks rank ties)."""
    return (change.phase, change.rank, change.target, change.kind)


def order_changes(changes: list[Change] | tuple[Change, ...]) -> tuple[Change, ...]:
    return tuple(sorted(changes, key=sort_key))
