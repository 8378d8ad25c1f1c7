"""Seed data: the Acme demo org (docs/acme-demo.md) and large generated orgs.

``seed_demo`` builds exactly the live side that docs/acme-demo.md describes — the
policy's members, groups and spend limits with exactly four drifts (an unlisted
member, a wrong role, an expired invite, a missing member), the protected primary
owner, a SCIM group, a 50-seat pool, and 90 days of analytics — deterministically
for a given ``today``. ``seed_generated`` builds large orgs fast (``executemany``).
Both start from an empty store.

The demo's Claude Code managed settings are whatever the example policy compiles to,
so they are not drift; the sandbox cannot compile policies (layering), so the caller
passes them in (``DemoManagedSettings``; ``reconciler.cli.demo.seed_demo_org`` does).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox import increase_requests
from reconciler.sandbox.groups import insert_group, insert_role
from reconciler.sandbox.invites import insert_invite
from reconciler.sandbox.managed_settings_controls import seed_settings
from reconciler.sandbox.spend_limits import upsert_limit
from reconciler.sandbox.store import SandboxStore, make_id
from reconciler.sandbox.wire import rfc3339

DOMAIN = "acme.example"
#: The day the example policy (``policies/``) and this demo org are written for. The
#: demo org is seeded as of this day and its sandbox clock stands on it, so the quick
#: start shows the same plan whatever the calendar says (docs/acme-demo.md).
DEMO_DATE = dt.date(2026, 11, 25)
#: policy role → (org role, seat tier, RBAC group, monthly spend cap in cents)
ROLES = {
    "senior_developer": ("user", "standard", "claude-senior-developers", None),
    "developer": ("user", "standard", "claude-developers", None),
    "intern": ("user", "learning", "claude-interns", 5000),
    "contractor": ("managed", "restricted", "claude-contractors", 10000),
}
TEAMS = {
    "team-platform": [
        ("dana.owner", "senior_developer"), ("alice.nguyen", "senior_developer"),
        ("bob.martin", "developer"), ("carol.diaz", "developer"), ("dev.patel", "developer"),
        ("erin.kim", "contractor"), ("farid.haddad", "intern"),
    ],
    "team-frontend": [
        ("grace.lee", "senior_developer"), ("henry.wong", "developer"),
        ("isla.moreno", "developer"), ("jack.brown", "contractor"), ("kate.silva", "intern"),
    ],
    "team-backend": [
        ("liam.jones", "senior_developer"), ("maya.cohen", "developer"),
        ("noah.smith", "developer"), ("olivia.rossi", "developer"),
        ("pablo.garcia", "developer"), ("quinn.taylor", "contractor"),
        ("rosa.ivanova", "developer"), ("sam.obi", "intern"),
    ],
}  # fmt: skip
SEAT_POOL = [("standard", 40), ("restricted", 5), ("learning", 5)]
NOT_MEMBERS = {"kate.silva", "sam.obi"}  # drift 3 (expired invite) and 4 (missing)
LIVE_ROLE = {"dana.owner": "primary_owner", "quinn.taylor": "user"}  # quinn: drift 2
UNLISTED = ("zoe.unlisted", "user")  # drift 1
INACTIVE = {"carol.diaz", "olivia.rossi", "jack.brown"}  # no activity in the last 30 days
#: Pending spend-limit increase requests (member, hours before the day began): a
#: contractor within the example's auto-approve rule, an intern outside any rule, and
#: the unlisted member no policy covers (``seatctl usage requests``).
INCREASE_REQUESTS = (("erin.kim", 30), ("farid.haddad", 20), ("zoe.unlisted", 6))
BUILT_IN_ROLES = [
    ("Claude Code user", [("use_claude_code", {"type": "organization"})]),
    ("Connector user", [("use_connector", {"type": "all_connectors"})]),
]


@dataclass(frozen=True, slots=True)
class DemoManagedSettings:
    """Managed settings for the demo org: (RBAC group *name*, document) highest precedence
    first, the default document (or ``None``: no default), and the mode."""

    groups: tuple[tuple[str, Mapping[str, Any]], ...] = ()
    default: Mapping[str, Any] | None = None
    mode: str = "rbac_groups"


def _name(local: str) -> str:
    return " ".join(part.capitalize() for part in local.split("."))


def _at(day: dt.date, hour: int = 9) -> str:
    return rfc3339(dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC))


def seed_demo(
    store: SandboxStore, today: dt.date, managed_settings: DemoManagedSettings | None = None
) -> None:
    """The Acme Corp org of docs/acme-demo.md, as live on ``today``.

    ``managed_settings`` (group names must be demo groups) is stored as already set;
    without it the org has none (mode ``organization``).
    """
    increase_requests.install(store)  # before reset, so reset clears earlier requests
    store.reset()
    start = today - dt.timedelta(days=150)
    with store.transaction():
        store.configure_org(
            name="Acme Corp",
            org_type="enterprise",
            allowed_domains=[DOMAIN],
            seat_tiers=SEAT_POOL,
            org_id="6a0c3d0e-7d4b-4c1e-9a51-acme00000001",
        )
        for display, perms in BUILT_IN_ROLES:
            insert_role(store, display, perms)
        gids = {
            name: insert_group(
                store, name, group_id=make_id("rbac_group", name), created_at=_at(start, 8)
            )
            for name in [*TEAMS, *(r[2] for r in ROLES.values())]
        }
        scim = insert_group(
            store,
            "all-engineering",
            source_type="scim",
            group_id=make_id("rbac_group", "all-engineering"),
            created_at=_at(start, 8),
        )
        users, members = [], []
        position = 0
        for team, people in TEAMS.items():
            for local, role_key in people:
                position += 1
                org_role, tier, role_group, cap = ROLES[role_key]
                email = f"{local}@{DOMAIN}"
                if local in NOT_MEMBERS:
                    continue
                uid = make_id("user", email)
                added = start + dt.timedelta(days=position)
                users.append(
                    (uid, email, _name(local), LIVE_ROLE.get(local, org_role), _at(added), tier)
                )
                for gid in (gids[team], gids[role_group], scim):
                    members.append((gid, uid, _at(added, 10)))
                if cap is not None:
                    upsert_limit(store, "user", uid, "monthly", str(cap))
        local, role = UNLISTED
        users.append(
            (
                make_id("user", f"{local}@{DOMAIN}"),
                f"{local}@{DOMAIN}",
                _name(local),
                role,
                _at(today - dt.timedelta(days=20)),
                "standard",
            )
        )
        store.executemany(
            "INSERT INTO users(id, email, name, role, added_at, seat_tier) VALUES (?,?,?,?,?,?)",
            users,
        )
        store.executemany(
            "INSERT INTO rbac_group_members(group_id, user_id, created_at) VALUES (?,?,?)", members
        )
        invited = dt.datetime.combine(today - dt.timedelta(days=30), dt.time(9), tzinfo=dt.UTC)
        insert_invite(
            store,
            f"kate.silva@{DOMAIN}",
            "user",
            group_ids=[gids["team-frontend"], gids["claude-interns"]],
            invited_at=invited,
            invite_id=make_id("invite", "kate.silva"),
            seat_tier="learning",
        )
        seed_analytics(
            store,
            [(u[0], u[1]) for u in users],
            today,
            days=90,
            inactive={f"{x}@{DOMAIN}" for x in INACTIVE},
        )
    if managed_settings is not None:
        # after the seed's transaction: installing the plug-in's tables commits
        _seed_managed_settings(store, managed_settings, gids)
    for local, hours_ago in INCREASE_REQUESTS:
        email = f"{local}@{DOMAIN}"
        created = dt.datetime.combine(today, dt.time(0), tzinfo=dt.UTC) - dt.timedelta(
            hours=hours_ago)
        increase_requests.insert_request(store, make_id("user", email), "monthly",
                                         request_id=make_id("slir", local),
                                         created_at=rfc3339(created))


def _seed_managed_settings(
    store: SandboxStore, settings: DemoManagedSettings, gids: Mapping[str, str]
) -> None:
    unknown = sorted(name for name, _ in settings.groups if name not in gids)
    if unknown:
        raise ValueError(f"managed settings for groups the demo org does not have: {unknown}")
    seed_settings(
        store,
        mode=settings.mode,
        groups=[(gids[name], _plain(doc)) for name, doc in settings.groups],
        default=_plain(settings.default) if settings.default is not None else None,
    )


def _plain(doc: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON copy (read-only maps and tuples become dicts and lists)."""

    def convert(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {str(k): convert(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [convert(v) for v in value]
        return value

    result: dict[str, Any] = convert(doc)
    return result


def seed_analytics(
    store: SandboxStore,
    users: list[tuple[str, str]],
    today: dt.date,
    *,
    days: int = 90,
    inactive: set[str] | frozenset[str] = frozenset(),
    rng_seed: int = 42,
) -> None:
    """Per-user per-day rows ending yesterday: weekday peaks, quiet weekends.

    Users in ``inactive`` have no activity in the last 30 days.
    """
    rng = random.Random(rng_seed)
    rows = []
    for offset in range(days, 0, -1):
        day = today - dt.timedelta(days=offset)
        weekday = day.weekday() < 5
        for uid, email in users:
            if email in inactive and offset <= 30:
                continue
            if rng.random() > (0.8 if weekday else 0.12):
                continue
            scale = 1.0 if weekday else 0.3
            sessions = max(1, int(rng.randint(1, 6) * scale))
            added = int(rng.randint(20, 800) * scale)
            edits = rng.randint(2, 40)
            writes = rng.randint(0, 10)
            rows.append(
                (
                    day.isoformat(),
                    uid,
                    email,
                    sessions,
                    added,
                    int(added * rng.uniform(0.1, 0.5)),
                    rng.randint(0, 5),
                    rng.randint(0, 2),
                    edits,
                    rng.randint(0, edits // 4),
                    writes,
                    rng.randint(0, max(1, writes // 3)),
                    rng.randint(0, 30),
                    rng.randint(0, 5),
                )
            )
    store.executemany(
        "INSERT OR REPLACE INTO analytics_user_days(day, user_id, email, sessions, lines_added,"
        " lines_removed, commits, pull_requests, edit_accepted, edit_rejected, write_accepted,"
        " write_rejected, chat_messages, web_searches) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )


def generated_email(i: int) -> str:
    return f"member{i:06d}@gen.example"


def seed_generated(
    store: SandboxStore,
    members: int,
    groups: int,
    *,
    seed: int = 0,
    drift_pct: float = 0.0,
    today: dt.date | None = None,
) -> None:
    """A large Enterprise org: ``member{i:06d}@gen.example`` in group ``team-{i % groups:04d}``.

    Every member has role ``user``, except ``drift_pct`` percent of them (chosen with
    ``random.Random(seed)``) who have ``managed``: the drift a generated policy of
    all-``user`` members would show. No seat limit; no analytics rows.
    """
    day = today or store.now().date()
    store.reset()
    rng = random.Random(seed)
    drifted = set(rng.sample(range(members), int(members * drift_pct / 100)))
    added = _at(day - dt.timedelta(days=30))
    with store.transaction():
        store.configure_org(
            name="Generated Org", org_type="enterprise", allowed_domains=["gen.example"]
        )
        gids = [make_id("rbac_group", f"team-{g:04d}") for g in range(groups)]
        store.executemany(
            "INSERT INTO rbac_groups(id, name, source_type, role_ids, created_at, updated_at)"
            " VALUES (?, ?, 'direct', '[]', ?, ?)",
            [(gid, f"team-{g:04d}", added, added) for g, gid in enumerate(gids)],
        )
        uids = [make_id("user", generated_email(i)) for i in range(members)]
        store.executemany(
            "INSERT INTO users(id, email, name, role, added_at) VALUES (?, ?, ?, ?, ?)",
            (
                (
                    uids[i],
                    generated_email(i),
                    f"Member {i:06d}",
                    "managed" if i in drifted else "user",
                    added,
                )
                for i in range(members)
            ),
        )
        if gids:
            store.executemany(
                "INSERT INTO rbac_group_members(group_id, user_id, created_at) VALUES (?, ?, ?)",
                ((gids[i % groups], uids[i], added) for i in range(members)),
            )
    store.set_meta("generated", json.dumps({"members": members, "groups": groups}))
