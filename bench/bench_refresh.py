"""A pull-request plan at 100,000 members: full read vs targeted refresh (``plan --base``).

The org: 100,000 members in 5,000 RBAC groups, one of them (``team-0000``) holding
80,000 members, the other 20,000 spread over 4,999 groups; seeded straight into
SQLite (``seed_large``) and served by ``seatctl sandbox serve`` in a subprocess.
Requests are counted by the sandbox's own counters (``GET /_sandbox/stats``).

Steps: import the org as a policy and commit it (the base); a full read over HTTP
(kept as the snapshot); then a branch that adds two people to team 0042 and raises
its seats by two, planned with a targeted read over the snapshot. Done when the
targeted plan takes <= 10 requests and equals the full-read plan (same changes,
same live fingerprint). Run: ``python -m bench.bench_refresh``.
"""

from __future__ import annotations

import datetime as dt
import math
import pathlib
import re
import sys
import tempfile
import time

from bench.harness import Result, ServedSandbox

MEMBERS, GROUPS, BIG = 100_000, 5_000, 80_000
TEAM = "0042"
NEW = ("pr-one@gen.example", "pr-two@gen.example")
RATE_PER_MIN = 100


def seed_large(db: pathlib.Path, members: int = MEMBERS, groups: int = GROUPS,
               big: int = BIG) -> float:
    """Seed the org directly into SQLite; returns the seconds it took."""
    from reconciler.sandbox.demo import DEMO_DATE, generated_email
    from reconciler.sandbox.store import SandboxStore, make_id

    t0 = time.perf_counter()
    store = SandboxStore(str(db))
    store.reset()
    added = "2026-10-26T00:00:00Z"
    with store.transaction():
        store.configure_org(name="Large Org", org_type="enterprise",
                            allowed_domains=["gen.example"])
        gids = [make_id("rbac_group", f"team-{g:04d}") for g in range(groups)]
        store.executemany(
            "INSERT INTO rbac_groups(id, name, source_type, role_ids, created_at, updated_at)"
            " VALUES (?, ?, 'direct', '[]', ?, ?)",
            [(gid, f"team-{g:04d}", added, added) for g, gid in enumerate(gids)])
        uids = [make_id("user", generated_email(i)) for i in range(members)]
        store.executemany(
            "INSERT INTO users(id, email, name, role, added_at) VALUES (?, ?, ?, 'user', ?)",
            ((uids[i], generated_email(i), f"Member {i:06d}", added) for i in range(members)))

        def group_of(i: int) -> str:
            return gids[0] if i < big else gids[1 + (i - big) % (groups - 1)]

        store.executemany(
            "INSERT INTO rbac_group_members(group_id, user_id, created_at) VALUES (?, ?, ?)",
            ((group_of(i), uids[i], added) for i in range(members)))
    store.set_date(DEMO_DATE)
    store.close()
    return time.perf_counter() - t0


def group_pages_sql(db: pathlib.Path, group: str = "team-0000") -> tuple[int, float, float]:
    """Seconds to page the big group's members in SQLite: keyset (now) vs LIMIT/OFFSET
    (before), the same 1,000-row pages with the same join; returns (pages, keyset, offset)."""
    from reconciler.sandbox.store import SandboxStore

    store = SandboxStore(str(db))
    try:
        gid = store.scalar("SELECT id FROM rbac_groups WHERE name = ?", (group,))
        join = ("SELECT m.seq, m.group_id, m.user_id, m.created_at, u.email FROM "
                "rbac_group_members m JOIN users u ON u.id = m.user_id AND u.deleted = 0 "
                "WHERE m.group_id = ?")
        t0, pages, last = time.perf_counter(), 0, -1
        while True:
            rows = store.query(join + " AND m.seq > ? ORDER BY m.seq LIMIT 1001", (gid, last))
            pages += 1
            if len(rows) <= 1000:
                break
            last = rows[999]["seq"]
        keyset = time.perf_counter() - t0
        t0 = time.perf_counter()
        for page in range(pages):
            store.query(join + " ORDER BY m.seq LIMIT 1001 OFFSET ?", (gid, page * 1000))
        return pages, keyset, time.perf_counter() - t0
    finally:
        store.close()


class Served(ServedSandbox):
    """``seatctl sandbox serve`` and the Admin API requests it counted."""

    def __init__(self, db: pathlib.Path) -> None:
        super().__init__(db)

    def requests(self) -> int:
        counts = self.stats()
        counts = counts.get("requests", counts)  # type: ignore[assignment]
        return sum(int(n) for k, n in counts.items() if " /v1/" in k)  # type: ignore[call-overload]


def _write_policy(live: object, root: pathlib.Path) -> pathlib.Path:
    import git

    from reconciler.gitops.importer import import_policy
    from reconciler.policy import write_policy

    policies = root / "policies"
    write_policy(import_policy(live).policy, policies)  # type: ignore[arg-type]
    org = policies / "org.yaml"
    org.write_text(re.sub(r"purchased: (\d+)", lambda m: f"purchased: {int(m[1]) + 100}",
                          org.read_text()))
    repo = git.Repo.init(root)
    repo.git.add("policies")
    repo.index.commit("base policy")
    return policies


def _branch(policies: pathlib.Path) -> None:
    """One team's members and seat count: two people join team 0042, two more seats."""
    team = policies / "teams" / f"{TEAM}.yaml"
    team.write_text(team.read_text() + "".join(
        f"- email: {e}\n  name: New\n  role: user\n" for e in NEW))
    org = policies / "org.yaml"
    text = org.read_text()
    marker = f"- name: '{TEAM}'\n  allocated_seats: "
    head, _, tail = text.partition(marker)
    seats, _, rest = tail.partition("\n")
    org.write_text(f"{head}{marker}{int(seats) + 2}\n{rest}")


def run(members: int = MEMBERS, groups: int = GROUPS, big: int = BIG) -> list[Result]:
    import anthropic

    from reconciler.gitops.targeted import load_base, read_for_plan
    from reconciler.model import OrgType, Policy
    from reconciler.plan import fingerprint
    from reconciler.plan.build import build_plan
    from reconciler.policy import load_policy
    from reconciler.providers.anthropic import AnthropicProvider
    from reconciler.providers.snapshot import save_snapshot
    from reconciler.sandbox.demo import DEMO_DATE
    from reconciler.sandbox.routing import SANDBOX_KEY

    now = dt.datetime.combine(DEMO_DATE, dt.time(12), tzinfo=dt.UTC)
    with tempfile.TemporaryDirectory(prefix="seatctl-bench-refresh-") as tmp:
        root = pathlib.Path(tmp)
        db, state = root / "sandbox.db", root / "state"
        seed_s = seed_large(db, members, groups, big)
        pages, keyset_s, offset_s = group_pages_sql(db)
        served = Served(db)
        try:
            def provider() -> AnthropicProvider:
                client = anthropic.Anthropic(api_key=SANDBOX_KEY, base_url=served.url,
                                             max_retries=0)
                return AnthropicProvider(client, org_type=OrgType.ENTERPRISE,
                                         key_env_name="SEATCTL_ADMIN_KEY")

            served.reset()
            t0 = time.perf_counter()
            live = provider().fetch()
            full_s = time.perf_counter() - t0
            full_requests = served.requests()
            save_snapshot(live, state, read_at=now, fingerprint=fingerprint)
            policies = _write_policy(live, root / "repo")
            _branch(policies)
            # the 80,000-member team file is ~5.5 MB, over the default 5 MiB per file
            def load(root: pathlib.Path) -> Policy:
                return load_policy(root, max_file_bytes=64 * 1024 * 1024)

            head = load(policies)
            base = load_base(policies, "HEAD", load)

            served.reset()
            t0 = time.perf_counter()
            got = read_for_plan(provider(), head=head, base=base, base_error="",
                                state_dir=state, max_age=dt.timedelta(hours=24), now=now)
            targeted_s = time.perf_counter() - t0
            targeted_requests = served.requests()
        finally:
            served.stop()
        assert got.targeted, got.notes
        plan_full = build_plan(head, live, at=DEMO_DATE, created_at=now, commit=None)
        plan_targeted = build_plan(head, got.live, at=DEMO_DATE, created_at=now, commit=None)
        same = (plan_full.changes == plan_targeted.changes
                and plan_full.live_fingerprint == plan_targeted.live_fingerprint)
        assert same, "targeted plan differs from the full-read plan"
        assert len(plan_full.changes) >= len(NEW), plan_full.changes
    groups_big = f"{groups:,} groups, one of {big:,}"
    return [
        Result(f"refresh: seed {members:,} members / {groups_big} into SQLite",
               f"{seed_s:.1f} s", "quick", "direct executemany, no API calls"),
        Result(f"refresh: sandbox SQL, {pages} member pages of the {big:,}-member group",
               f"{keyset_s:.2f} s keyset", "seconds", f"LIMIT/OFFSET (before): {offset_s:.1f} s"),
        Result(f"refresh: full read over HTTP (`seatctl sandbox serve`), {members:,} / "
               f"{groups:,} groups", f"{full_requests:,} requests, {full_s:.1f} s",
               "= pages required",
               f"{math.ceil(full_requests / RATE_PER_MIN)} min at {RATE_PER_MIN} requests/min"),
        Result("refresh: one-team PR (2 members + 2 seats), plan --base over the snapshot",
               f"{targeted_requests} requests, {targeted_s:.2f} s", "<= 10 requests",
               f"{targeted_requests / RATE_PER_MIN * 60:.0f} s at {RATE_PER_MIN} requests/min; "
               f"plan equal to the full-read plan ({len(plan_full.changes)} changes, "
               "same live fingerprint)"),
    ]


if __name__ == "__main__":
    scale = [int(a) for a in sys.argv[1:4]]  # e.g. 5000 250 4000 for a quick check
    for result in run(*scale):
        print(result.row())
