"""The spend-limit diff rule: set missing or different caps, delete caps the policy
no longer sets on subjects it manages.

Why its own module: each area of the diff is a rule in ``plan.diff.DIFF_RULES``; this
one and its views of a limit (target, before/after, apply data) belong together.
Limits are planned for live members and existing (or planned) groups only: a limit
needs a user or group id, so an invitee's cap is set once the invite is accepted. A
user limit an increase request was granted within the role's ``spend_increases`` rule
is kept (``granted_within_rule``).
"""

from __future__ import annotations

from reconciler.model import OrgState, Policy, SpendLimit
from reconciler.plan.changes import Change, ChangeKind, make_change
from reconciler.plan.desired import DesiredAt, member_source, where


def spend_limit_rule(
    policy: Policy, want: DesiredAt, live: OrgState, removed: set[str], out: list[Change]
) -> None:
    """Set missing or different limits; delete limits on subjects the policy manages."""
    desired = want.state
    creatable = set(live.groups) | set(desired.groups)
    for key, limit in desired.spend_limits.items():
        current = live.spend_limits.get(key)
        if current is not None and (current.amount_cents, current.currency) == (
            limit.amount_cents,
            limit.currency,
        ):
            continue
        if current is not None and granted_within_rule(policy, key.key, current, limit):
            continue
        if key.scope == "user":
            member = live.members.get(key.key)
            if member is None:
                continue  # set once the invite is accepted (a limit needs a user id)
            target_id = member.id
            src = member_source(policy, key.key)
        elif key.scope == "rbac_group":
            if key.key not in creatable:
                continue
            group = live.groups.get(key.key)
            target_id = group.id if group is not None else None
            src = None
        else:
            target_id, src = None, None
        out.append(
            make_change(
                ChangeKind.SET_SPEND_LIMIT,
                _limit_target(limit),
                before=_limit_view(current) if current is not None else None,
                after=_limit_view(limit),
                reason=f"{_limit_why(policy, key.key)}: {where(src)}" if src else "in policy",
                source=src,
                data=_limit_data(limit, target_id, current),
            )
        )
    managed_groups = desired.groups.keys()
    for key, current in live.spend_limits.items():
        if key in desired.spend_limits:
            continue
        managed = (key.scope == "user" and key.key in desired.members) or (
            key.scope == "rbac_group" and key.key in managed_groups
        )
        if not managed or key.key in removed:
            continue
        out.append(
            make_change(
                ChangeKind.DELETE_SPEND_LIMIT,
                _limit_target(current),
                before=_limit_view(current),
                reason="policy sets no spend cap here",
                data=_limit_data(current, None, current),
            )
        )


def granted_within_rule(policy: Policy, email: str, current: SpendLimit,
                        desired: SpendLimit) -> bool:  # fmt: skip
    """A member's live monthly limit above their role's cap but within the role's
    ``spend_increases`` ceiling was granted on request by that rule (``usage requests
    --apply``): it is policy, not drift, so the plan keeps it instead of lowering it."""
    key = current.scope
    if key.scope != "user" or key.period != "monthly" or current.currency != desired.currency:
        return False
    assignment = policy.assignments.get(email)
    role = policy.roles.get(assignment.role) if assignment is not None else None
    rule = role.spend_increases if role is not None else None
    ceiling = rule.auto_approve_up_to_cents if rule is not None else None
    return ceiling is not None and desired.amount_cents < current.amount_cents <= ceiling


def _limit_target(limit: SpendLimit) -> str:
    key = limit.scope
    return f"{key.scope}:{key.key}/{key.period}" if key.key else f"{key.scope}/{key.period}"


def _limit_view(limit: SpendLimit) -> dict[str, object]:
    return {"amount_cents": limit.amount_cents, "currency": limit.currency}


def _limit_data(
    limit: SpendLimit, target_id: str | None, current: SpendLimit | None
) -> dict[str, object]:
    return {
        "scope": limit.scope.scope,
        "key": limit.scope.key,
        "period": limit.scope.period,
        "amount_cents": limit.amount_cents,
        "currency": limit.currency,
        "target_id": target_id,
        "spend_limit_id": current.id if current is not None else None,
    }


def _limit_why(policy: Policy, email: str) -> str:
    assignment = policy.assignments.get(email)
    return f"role {assignment.role} spend cap" if assignment is not None else "spend cap"
