"""Hand-built policies and live states for plan tests and golden scenarios.

``make_policy`` compiles a small team → members table the way the policy compiler
does (members with their role's org role, one group per team and per role, per-user
spend limits for capped roles), with file:line sources, so the planner can be tested
without YAML. ``live_from`` turns a policy into the matching live org, which each
scenario then drifts. ``SCENARIOS`` maps a golden directory name to its builder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from types import MappingProxyType

from reconciler.model import (
    Assignment,
    Group,
    Invite,
    Member,
    OrgState,
    OrgType,
    Policy,
    Role,
    Safety,
    SeatBudget,
    SeatTier,
    SourceRef,
    SpendLimit,
    SpendLimitKey,
    Team,
    UsageSettings,
    Workspace,
)

DOMAIN = "acme.example"
AT = dt.date(2026, 11, 25)
CREATED = dt.datetime(2026, 11, 25, 9, 30, tzinfo=dt.UTC)

TIERS = {
    "standard": SeatTier("standard", 3000),
    "restricted": SeatTier("restricted", 2000),
    "learning": SeatTier("learning", 2000),
}

ROLES = {
    "senior_developer": Role("senior_developer", "Senior Developer", "user", "standard",
                             None, ("full_code_edit", "audit"), None, 10,
                             "claude-senior-developers", source=SourceRef("roles.yaml", 4)),
    "developer": Role("developer", "Developer", "user", "standard", None, ("full_code_edit",),
                      None, 20, "claude-developers", source=SourceRef("roles.yaml", 12)),
    "intern": Role("intern", "Intern", "user", "learning", 6, ("full_code_edit", "mentoring"),
                   5000, 30, "claude-interns", source=SourceRef("roles.yaml", 19)),
    "contractor": Role("contractor", "Contractor", "managed", "restricted", 4,
                       ("read_only", "suggestions"), 10000, 40, "claude-contractors",
                       source=SourceRef("roles.yaml", 28)),
}

#: (email local part, role key, expiry) per team, as in docs/acme-demo.md.
ACME_TEAMS: dict[str, tuple[str, list[tuple[str, str, dt.date | None]]]] = {
    "platform": ("PLAT-001", [
        ("dana.owner", "senior_developer", None),
        ("alice.nguyen", "senior_developer", None),
        ("bob.martin", "developer", None),
        ("carol.diaz", "developer", None),
        ("dev.patel", "developer", None),
        ("erin.kim", "contractor", dt.date(2027, 3, 31)),
        ("farid.haddad", "intern", dt.date(2027, 6, 30)),
    ]),
    "frontend": ("FE-001", [
        ("grace.lee", "senior_developer", None),
        ("henry.wong", "developer", None),
        ("isla.moreno", "developer", None),
        ("jack.brown", "contractor", dt.date(2027, 1, 31)),
        ("kate.silva", "intern", None),
    ]),
    "backend": ("BE-001", [
        ("liam.jones", "senior_developer", None),
        ("maya.cohen", "developer", None),
        ("noah.smith", "developer", None),
        ("olivia.rossi", "developer", None),
        ("pablo.garcia", "developer", None),
        ("quinn.taylor", "contractor", None),
        ("rosa.ivanova", "developer", None),
        ("sam.obi", "intern", None),
    ]),
}
ACME_SEATS = {"platform": 8, "frontend": 6, "backend": 10}


def email(local: str) -> str:
    return f"{local}@{DOMAIN}"


def display_name(local: str) -> str:
    return " ".join(p.capitalize() for p in local.split("."))


def make_policy(
    teams: Mapping[str, tuple[str, list[tuple[str, str, dt.date | None]]]],
    *,
    seats: Mapping[str, int] | None = None,
    roles: Mapping[str, Role] = ROLES,
    purchased: int = 50,
    safety: Safety | None = None,
    org_type: OrgType = OrgType.ENTERPRISE,
    overflow_allowed: bool = True,
    workspaces: Mapping[str, Mapping[str, str]] | None = None,
    domains: Iterable[str] = (DOMAIN,),
) -> Policy:
    """Compile a team table into a ``Policy`` the way ``policy/`` does."""
    members: dict[str, Member] = {}
    assignments: dict[str, Assignment] = {}
    groups: dict[str, set[str]] = {}
    limits: dict[SpendLimitKey, SpendLimit] = {}
    team_objs: dict[str, Team] = {}
    for tname, (center, rows) in teams.items():
        file = f"teams/{tname}.yaml"
        emails = []
        for i, (local, role_key, expires) in enumerate(rows):
            addr = local if "@" in local else email(local)
            role = roles[role_key]
            src = SourceRef(file, 8 + 3 * i, 5)
            members[addr] = Member(addr, role.org_role, display_name(local.split("@")[0]),
                                   expires_on=expires)
            assignments[addr] = Assignment(addr, tname, role_key, expires, src)
            groups.setdefault(f"team-{tname}", set()).add(addr)
            if role.group:
                groups.setdefault(role.group, set()).add(addr)
            if role.monthly_spend_cap_cents is not None:
                key = SpendLimitKey("user", addr)
                limits[key] = SpendLimit(key, role.monthly_spend_cap_cents)
            emails.append(addr)
        groups.setdefault(f"team-{tname}", set())
        team_objs[tname] = Team(tname, center, (seats or ACME_SEATS).get(tname, 5),
                                f"team-{tname}", tuple(emails), source=SourceRef(file, 1))
    ws = {
        name: Workspace(name, MappingProxyType(dict(m)))
        for name, m in (workspaces or {}).items()
    }
    desired = OrgState(
        org_type,
        MappingProxyType(members),
        groups=MappingProxyType({n: Group(n, frozenset(m)) for n, m in groups.items()}),
        spend_limits=MappingProxyType(limits),
        workspaces=MappingProxyType(ws),
        org_name="Acme Corp",
    )
    budget = SeatBudget(purchased, TIERS, "standard", overflow_allowed=overflow_allowed)
    return Policy(
        org_name="Acme Corp",
        org_type=org_type,
        provider="sandbox",
        admin_key_env="SEATCTL_ADMIN_KEY",
        budget=budget,
        safety=safety or Safety(5, 25.0, 10, 25.0, frozenset({email("dana.owner")}), "report"),
        usage=UsageSettings(),
        roles=MappingProxyType(dict(roles)),
        teams=MappingProxyType(team_objs),
        assignments=MappingProxyType(assignments),
        desired=desired,
        allowed_domains=frozenset(domains),
    )


def live_from(policy: Policy) -> OrgState:
    """The live org exactly as the policy wants it (ids assigned, groups direct)."""
    d = policy.desired
    members = {
        e: replace(m, id=f"user_{e.split('@')[0].replace('.', '_')}", expires_on=None)
        for e, m in d.members.items()
    }
    groups = {n: replace(g, id=f"rbac_group_{n}") for n, g in d.groups.items()}
    limits = {k: replace(v, id=f"limit_{k.key}") for k, v in d.spend_limits.items()}
    ws = {n: replace(w, id=f"wrkspc_{n}") for n, w in d.workspaces.items()}
    return replace(d, members=MappingProxyType(members), groups=MappingProxyType(groups),
                   spend_limits=MappingProxyType(limits), workspaces=MappingProxyType(ws))


def acme_demo() -> tuple[Policy, OrgState]:
    """docs/acme-demo.md: the example policy and the seeded live org with its four drifts."""
    policy = make_policy(ACME_TEAMS)
    live = live_from(policy)
    quinn = live.members[email("quinn.taylor")]
    dana = live.members[email("dana.owner")]
    members = dict(live.members)
    members[email("zoe.unlisted")] = Member(email("zoe.unlisted"), "user", "Zoe Unlisted",
                                            id="user_zoe_unlisted")
    members[quinn.email] = replace(quinn, role="user")
    members[dana.email] = replace(dana, role="primary_owner")
    for gone in ("kate.silva", "sam.obi"):
        members.pop(email(gone))
    groups = {
        n: replace(g, members=g.members - {email("kate.silva"), email("sam.obi")})
        for n, g in live.groups.items()
    }
    groups["all-engineering"] = Group("all-engineering", frozenset(policy.desired.members),
                                      "rbac_group_all_engineering", "scim")
    limits = {k: v for k, v in live.spend_limits.items()
              if k.key not in (email("kate.silva"), email("sam.obi"))}
    kate = email("kate.silva")
    invites = {kate: Invite(kate, "user", "expired",
                            frozenset({"rbac_group_team-frontend", "rbac_group_claude-interns"}),
                            "invite_kate", dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
                            dt.datetime(2026, 10, 22, tzinfo=dt.UTC))}
    live = replace(live, members=MappingProxyType(members), groups=MappingProxyType(groups),
                   spend_limits=MappingProxyType(limits), invites=MappingProxyType(invites))
    return policy, live


def in_sync() -> tuple[Policy, OrgState]:
    policy = make_policy(ACME_TEAMS)
    return policy, live_from(policy)


def expiry_and_removals() -> tuple[Policy, OrgState]:
    """jack.brown's contract lapsed; an unlisted member with unmanaged: remove; a stray
    invite; a wrong-role pending invite; a leftover group; a changed spend cap."""
    safety = Safety(5, 25.0, 10, 25.0, frozenset({email("dana.owner")}), "remove")
    center, rows = ACME_TEAMS["frontend"]
    lapsed = [(r[0], r[1], dt.date(2026, 10, 31) if r[0] == "jack.brown" else r[2])
              for r in rows]
    policy = make_policy({**ACME_TEAMS, "frontend": (center, lapsed)}, safety=safety)
    live = live_from(policy)
    members = dict(live.members)
    members[email("zed.extra")] = Member(email("zed.extra"), "user", "Zed Extra",
                                         id="user_zed_extra")
    sam = members.pop(email("sam.obi"))
    groups = dict(live.groups)
    groups["old-project"] = Group("old-project", frozenset({email("bob.martin")}),
                                  "rbac_group_old_project")
    groups["claude-interns"] = replace(groups["claude-interns"],
                                       members=groups["claude-interns"].members - {sam.email})
    groups["team-backend"] = replace(groups["team-backend"],
                                     members=groups["team-backend"].members - {sam.email})
    invites = {
        sam.email: Invite(sam.email, "managed", "pending", frozenset(), "invite_sam"),
        email("ghost"): Invite(email("ghost"), "user", "pending", frozenset(), "invite_ghost"),
    }
    limits = dict(live.spend_limits)
    limits.pop(SpendLimitKey("user", sam.email))
    key = SpendLimitKey("user", email("erin.kim"))
    limits[key] = replace(limits[key], amount_cents=25000)
    live = replace(live, members=MappingProxyType(members), groups=MappingProxyType(groups),
                   invites=MappingProxyType(invites), spend_limits=MappingProxyType(limits))
    return policy, live


def injection() -> tuple[Policy, OrgState]:
    """Live names and emails crafted to break Markdown, HTML and terminals (S6, S7);
    ``unmanaged: remove`` so the names appear in planned removals."""
    safety = Safety(5, 25.0, 10, 25.0, frozenset({email("dana.owner")}), "remove")
    policy = make_policy(ACME_TEAMS, safety=safety)
    live = live_from(policy)
    members = dict(live.members)
    nasty = [
        ("`rm -rf`|<b>x</b>@acme.example", "@acme/everyone **No changes**"),
        ("eve@acme.example", "Eve\n## No changes. Plan is empty\x1b[31m"),
        ("mallory@acme.example", "<img src=x onerror=alert(1)> [click](http://evil)"),
    ]
    for i, (addr, name) in enumerate(nasty):
        members[addr] = Member(addr, "user", name, id=f"user_nasty_{i}")
    return policy, replace(live, members=MappingProxyType(members))


def console_workspaces() -> tuple[Policy, OrgState]:
    """A Console org: workspace members added, re-roled and removed (one removal in
    three members is 33 %, so the removal cap allows 50 % here)."""
    teams = {"backend": ("BE-001", [("liam.jones", "developer", None),
                                    ("maya.cohen", "developer", None),
                                    ("noah.smith", "developer", None)])}
    roles = {"developer": replace(ROLES["developer"], org_role="developer", group=None)}
    ws = {"Claude Code": {email("liam.jones"): "workspace_developer",
                          email("maya.cohen"): "workspace_developer"}}
    policy = make_policy(teams, roles=roles, org_type=OrgType.CONSOLE, workspaces=ws,
                         purchased=5, seats={"backend": 3},
                         safety=Safety(max_removals_pct=50.0))
    policy = replace(policy, desired=replace(policy.desired, groups=MappingProxyType({})))
    live = live_from(policy)
    live_ws = {"Claude Code": Workspace("Claude Code", MappingProxyType({
        email("liam.jones"): "workspace_user",
        email("noah.smith"): "workspace_developer",
    }), "wrkspc_claude_code")}
    return policy, replace(live, workspaces=MappingProxyType(live_ws))


SCENARIOS: dict[str, Callable[[], tuple[Policy, OrgState]]] = {
    "acme_demo": acme_demo,
    "in_sync": in_sync,
    "expiry_and_removals": expiry_and_removals,
    "injection": injection,
    "console_workspaces": console_workspaces,
}
