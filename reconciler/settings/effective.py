"""Which managed-settings document a member gets, and why (first match wins).

Why: documents never merge. In ``rbac_groups`` mode a member gets the document of
the first group in ``rbac_group_order`` they belong to, else the default, else
nothing; in ``organization`` mode everyone gets the organization settings (which
the API cannot read). A person in two role groups therefore gets exactly one role's
document, and admins need to see which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model import Group, ManagedSettingsState, normalize_email


@dataclass(frozen=True, slots=True)
class Effective:
    """The document one member receives, the group it came from, and the reason."""

    email: str
    source: str  # "group", "default", "organization" or "none"
    group: str | None
    role: str | None
    document: Mapping[str, Any] | None
    matched: tuple[str, ...]
    reason: str


def effective_settings(
    email: str,
    state: ManagedSettingsState,
    groups: Mapping[str, Group],
    *,
    names: Mapping[str, str] | None = None,
) -> Effective:
    """Resolve ``email``'s document in ``state``.

    ``groups`` holds group membership keyed by the same keys as ``state.order``
    (names on the desired side; on the live side pass groups keyed by id). ``names``
    optionally maps those keys to display names.
    """
    key = normalize_email(email)
    names = names or {}
    if state.mode == "organization":
        return Effective(
            key, "organization", None, None, None, (),
            "mode is organization: every member gets the organization settings set in "
            "claude.ai (not readable through the API)",
        )  # fmt: skip
    matched = tuple(
        gkey
        for gkey in state.order
        if gkey in groups and key in groups[gkey].members
        and (state.groups.get(gkey) is None or state.groups[gkey].status != "deleted")
    )
    shown = tuple(names.get(g, g) for g in matched)
    if matched:
        first = matched[0]
        gs = state.groups.get(first)
        role = gs.role if gs else None
        if len(matched) == 1:
            why = f"member of {shown[0]}, the only group with settings they belong to"
        else:
            others = ", ".join(shown[1:])
            why = (
                f"member of {len(matched)} groups with settings; {shown[0]} comes first in "
                f"rbac_group_order (higher priority), so {others} "
                f"{'is' if len(matched) == 2 else 'are'} ignored: documents never merge"
            )
        return Effective(
            key, "group", names.get(first, first), role, gs.settings if gs else None, shown, why
        )
    if state.default_set:
        return Effective(
            key, "default", None, None, state.default, (),
            "in no group with settings: gets the default (baseline role) document",
        )  # fmt: skip
    return Effective(
        key, "none", None, None, None, (),
        "in no group with settings and no default is set: gets no managed settings",
    )  # fmt: skip
