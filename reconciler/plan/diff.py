"""``diff``: the changes that take the live organization to the policy, as of a date.

Pure and linear: every comparison is a dict or set join on normalized email, group
name or spend-limit key, so 100,000 members diff in a few hundredths of a second.
What it plans (and what it deliberately leaves to the guards to report):

- members: invite the missing (with their role and the groups to join on acceptance),
  re-invite when the old invite expired, replace an invite with the wrong role
  (delete + invite), change a role — never for a live ``PROTECTED_ROLES`` holder,
  which the API cannot change — and remove people whose expiry date has passed or,
  only with ``safety.unmanaged: remove``, people the policy does not list;
- pending invites are withdrawn like members are removed: entry expired, or unlisted
  with ``safety.unmanaged: remove`` (under ``report`` the guards report them);
- groups: create the missing, add/remove live members, and delete unlisted direct
  groups only with ``unmanaged: remove``; SCIM groups are never written;
- spend limits: set or delete, for live members and existing groups only;
- workspaces (Console): add, re-role or remove live members of declared workspaces;
- Claude Code managed settings of role groups (``settings.diff``).

Invites carry group *names* in ``data["groups"]`` and the ids known now in
``data["group_ids"]``; a group created earlier in the same plan is resolved by name
at apply time, so one request puts the person in every group on acceptance.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from reconciler.model import PROTECTED_ROLES, Invite, OrgState, Policy
from reconciler.plan.changes import Change, ChangeKind, make_change, order_changes
from reconciler.plan.desired import (
    DesiredAt,
    desired_at,
    group_origins,
    member_label,
    member_source,
    where,
)
from reconciler.plan.spend_limits import spend_limit_rule
from reconciler.settings.diff import settings_changes


def diff(policy: Policy, live: OrgState, at: dt.date) -> list[Change]:
    """All changes, in apply order, that make ``live`` match ``policy`` as of ``at``."""
    return diff_desired(policy, desired_at(policy, at), live)


#: One diff rule: appends its area's changes to ``out``. ``removed`` holds the emails
#: leaving the org (filled by the member rule, first), whose other removals are implied.
DiffRule = Callable[[Policy, DesiredAt, OrgState, set[str], list[Change]], None]


def diff_desired(policy: Policy, want: DesiredAt, live: OrgState) -> list[Change]:
    """``diff`` for a desired state already evaluated at its date (``desired_at``): every
    rule of ``DIFF_RULES`` (a new change kind adds its rule there), in the one order."""
    changes: list[Change] = []
    removed: set[str] = set()
    for rule in DIFF_RULES:
        rule(policy, want, live, removed, changes)
    return list(order_changes(changes))


def removal_reason(policy: Policy, want: DesiredAt, email: str) -> str:
    lapsed = want.expired.get(email)
    if lapsed is not None:
        return f"expired on {lapsed.isoformat()} ({where(member_source(policy, email))})"
    return "not in policy"


def _members(policy: Policy, want: DesiredAt, live: OrgState, removed: set[str],
             out: list[Change]) -> None:
    """Invites, role changes, invite withdrawals and member removals; fills ``removed``."""
    desired = want.state
    live_members = live.members
    missing = {e for e in desired.members if e not in live_members}
    groups_of = _groups_by_email(desired, missing)
    live_groups = live.groups
    for email, member in desired.members.items():
        current = live_members.get(email)
        if current is not None:
            if current.role != member.role and current.role not in PROTECTED_ROLES:
                src = member_source(policy, email)
                label = f"{where(src)} ({member_label(policy, email)})"
                out.append(
                    make_change(
                        ChangeKind.UPDATE_ROLE,
                        email,
                        before=current.role,
                        after=member.role,
                        reason=f"policy asks for {member.role}: {label}",
                        source=src,
                        data={"email": email, "user_id": current.id, "role": member.role},
                    )
                )
            continue
        src = member_source(policy, email)
        label = f"{where(src)} ({member_label(policy, email)})"
        invite = live.invites.get(email)
        names = [g for g in groups_of.get(email, ()) if _writable(live_groups.get(g))]
        ids = [gid for g in names if (gid := _group_id(live_groups.get(g))) is not None]
        invite_data = {"email": email, "role": member.role, "groups": names, "group_ids": ids}
        after = {"role": member.role, "groups": names}
        if invite is not None and invite.status == "pending":
            if invite.role == member.role:
                continue
            out.append(
                make_change(
                    ChangeKind.DELETE_INVITE,
                    email,
                    before=_invite_view(invite),
                    reason=f"pending invite has role {invite.role}, policy asks for "
                    f"{member.role}: {label}",
                    source=src,
                    data={"email": email, "invite_id": invite.id, "replaced": True},
                )
            )
            reason = f"re-invite as {member.role}: {label}"
        elif invite is not None and invite.status == "expired":
            expired_on = invite.expires_at.date().isoformat() if invite.expires_at else "?"
            reason = f"invite expired on {expired_on}; re-invite: {label}"
        else:
            reason = f"in policy: {label}"
        out.append(
            make_change(
                ChangeKind.INVITE,
                email,
                before=_invite_view(invite) if invite is not None else None,
                after=after,
                reason=reason,
                source=src,
                data=invite_data,
            )
        )

    remove_unlisted = policy.safety.unmanaged == "remove"
    for email, current in live.members.items():
        if email in desired.members or current.role in PROTECTED_ROLES:
            continue
        if email not in want.expired and not remove_unlisted:
            continue
        removed.add(email)
        out.append(
            make_change(
                ChangeKind.REMOVE_MEMBER,
                email,
                before={"role": current.role, "name": current.name},
                reason=removal_reason(policy, want, email),
                source=member_source(policy, email),
                data={"email": email, "user_id": current.id},
            )
        )
    for email, invite in live.invites.items():
        if invite.status != "pending" or email in desired.members:
            continue
        if email not in want.expired and not remove_unlisted:
            continue  # an unlisted invite is reported, like an unlisted member
        out.append(
            make_change(
                ChangeKind.DELETE_INVITE,
                email,
                before=_invite_view(invite),
                reason=removal_reason(policy, want, email),
                source=member_source(policy, email),
                data={"email": email, "invite_id": invite.id, "replaced": False},
            )
        )


def _groups(
    policy: Policy, want: DesiredAt, live: OrgState, removed: set[str], out: list[Change]
) -> None:
    """Group creation, membership adds/removes, and (opt-in) deletion of unlisted groups."""
    origins = group_origins(policy)
    for name, group in want.state.groups.items():
        current = live.groups.get(name)
        src, label = origins.get(name, (None, "policy"))
        if current is not None and current.source == "scim":
            continue  # owned by the identity provider: the guards report drift
        group_id = current.id if current is not None else None
        if current is None:
            out.append(
                make_change(
                    ChangeKind.CREATE_GROUP,
                    name,
                    after={"name": name},
                    reason=f"{label}: {where(src)}",
                    source=src,
                    data={"name": name},
                )
            )
            have: frozenset[str] = frozenset()
        else:
            have = current.members
        for email in sorted(group.members - have):
            member = live.members.get(email)
            if member is None:
                continue  # joins through the invite's groups on acceptance
            msrc = member_source(policy, email)
            out.append(
                make_change(
                    ChangeKind.ADD_GROUP_MEMBER,
                    f"{name}/{email}",
                    after=email,
                    reason=f"{label} member: {where(msrc)}",
                    source=msrc,
                    data={"group": name, "group_id": group_id, "email": email,
                          "user_id": member.id},
                )
            )
        for email in sorted(have - group.members):
            if email in removed:
                continue  # leaving the organization takes them out of every group
            member = live.members.get(email)
            out.append(
                make_change(
                    ChangeKind.REMOVE_GROUP_MEMBER,
                    f"{name}/{email}",
                    before=email,
                    reason=f"not in {name} in policy"
                    + (f" ({removal_reason(policy, want, email)})" if email in want.expired
                       else ""),
                    source=src,
                    data={"group": name, "group_id": group_id, "email": email,
                          "user_id": member.id if member is not None else None},
                )
            )
    if policy.safety.unmanaged != "remove":
        return
    for name, current in live.groups.items():
        if name in want.state.groups or current.source == "scim":
            continue
        out.append(
            make_change(
                ChangeKind.DELETE_GROUP,
                name,
                before={"name": name, "members": len(current.members)},
                reason="not in policy",
                data={"name": name, "group_id": current.id},
            )
        )


def _workspaces(
    policy: Policy, want: DesiredAt, live: OrgState, removed: set[str], out: list[Change]
) -> None:
    """Console workspaces the policy declares: add, re-role or remove live members."""
    for name, ws in want.state.workspaces.items():
        current = live.workspaces.get(name)
        if current is None:
            continue  # the API cannot create workspaces; the guards report it
        for email, role in sorted(ws.members.items()):
            member = live.members.get(email)
            if member is None or member.role in PROTECTED_ROLES:
                continue
            have = current.members.get(email)
            if have == role:
                continue
            src = member_source(policy, email)
            kind = ChangeKind.ADD_WORKSPACE_MEMBER if have is None else (
                ChangeKind.UPDATE_WORKSPACE_MEMBER
            )
            out.append(
                make_change(
                    kind,
                    f"{name}/{email}",
                    before=have,
                    after=role,
                    reason=f"workspace {name} as {role}: {where(src)}",
                    source=src,
                    data={"workspace": name, "workspace_id": current.id, "email": email,
                          "user_id": member.id, "role": role},
                )
            )
        for email, have in sorted(current.members.items()):
            if email in ws.members or email in removed:
                continue
            member = live.members.get(email)
            if member is None or member.role in PROTECTED_ROLES:
                continue
            out.append(
                make_change(
                    ChangeKind.REMOVE_WORKSPACE_MEMBER,
                    f"{name}/{email}",
                    before=have,
                    reason=f"not in workspace {name} in policy",
                    data={"workspace": name, "workspace_id": current.id, "email": email,
                          "user_id": member.id},
                )
            )


def _groups_by_email(state: OrgState, emails: set[str]) -> dict[str, list[str]]:
    """Desired groups (sorted by name) of each of ``emails``: set intersections, not a
    full reverse index, because only people being invited need it."""
    out: dict[str, list[str]] = {}
    if not emails:
        return out
    for name in sorted(state.groups):
        for email in state.groups[name].members & emails:
            out.setdefault(email, []).append(name)
    return out


def _writable(group: object) -> bool:
    return group is None or getattr(group, "source", "direct") != "scim"


def _group_id(group: object) -> str | None:
    return getattr(group, "id", None) if group is not None else None


def _invite_view(invite: Invite) -> dict[str, object]:
    return {"role": invite.role, "status": invite.status}


def _managed_settings(policy: Policy, want: DesiredAt, live: OrgState, removed: set[str],
                      out: list[Change]) -> None:
    """Claude Code settings per role group (``settings.diff``: Enterprise, when read)."""
    out.extend(settings_changes(policy, live))


#: The diff rules, in the order they run (members first: it fills ``removed``).
DIFF_RULES: tuple[DiffRule, ...] = (_members, _groups, spend_limit_rule, _workspaces,
                                    _managed_settings)
