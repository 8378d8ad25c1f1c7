"""Policy → desired managed-settings state (mode, order, per-group documents, default).

Why its own step: the API keys everything by RBAC group and resolves a member's
document by ``rbac_group_order`` (first match wins), so the policy's roles must become
exactly that shape: one group per role, ordered by role ``priority`` (lower number =
higher precedence, ties broken by role key so the order is stable), and the
``baseline`` role's document as ``rbac_group_default``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from reconciler.model import GroupSettings, ManagedSettingsState, Policy, Role
from reconciler.settings.compile import carries_settings, compile_role_settings, settings_context


def ordered_roles(roles: Mapping[str, Role]) -> list[Role]:
    """Roles with settings and a group, highest precedence first (priority, then key)."""
    items = [r for r in roles.values() if carries_settings(r) and r.group]
    return sorted(items, key=lambda r: (r.priority, r.key))


def desired_managed_settings(policy: Policy) -> ManagedSettingsState:
    """The managed-settings state the policy asks for (keys are group *names*).

    A group named by two roles keeps the higher-precedence role's document (the
    validator reports the clash). Without a baseline role the default is left alone
    (``default_set=False``): seatctl neither sets nor clears it.
    """
    ctx = settings_context(policy)
    groups: dict[str, GroupSettings] = {}
    order: list[str] = []
    for role in ordered_roles(policy.roles):
        assert role.group is not None
        if role.group in groups:
            continue
        groups[role.group] = GroupSettings(
            group=role.group, settings=compile_role_settings(role, ctx), role=role.key
        )
        order.append(role.group)
    baseline = next(
        (r for _, r in sorted(policy.roles.items()) if r.baseline and carries_settings(r)), None
    )
    return ManagedSettingsState(
        mode="rbac_groups",
        order=tuple(order),
        groups=MappingProxyType(groups),
        default=compile_role_settings(baseline, ctx) if baseline else None,
        default_set=baseline is not None,
    )


def baseline_role(policy: Policy) -> Role | None:
    return next((r for _, r in sorted(policy.roles.items()) if r.baseline), None)
