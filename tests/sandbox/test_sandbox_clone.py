"""``seatctl sandbox clone`` and ``sandbox diff``: a rehearsal copy of an org served over HTTP.

Dates: every org here is seeded on the sandbox's own today (``store.now().date()``)
and the copy and the plan are evaluated on that same clock, so the tests hold on any date.
"""

from __future__ import annotations

import math
import pathlib

import pytest
from conftest import run_cli

from reconciler.sandbox import managed_settings
from reconciler.sandbox.app import create_app
from reconciler.sandbox.clone import Pseudonymiser
from reconciler.sandbox.demo import seed_generated
from reconciler.sandbox.groups import insert_role
from reconciler.sandbox.invites import insert_invite
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.server import running_server
from reconciler.sandbox.spend_limits import upsert_limit
from reconciler.sandbox.store import SandboxStore

KEY_ENV = {"SEATCTL_ADMIN_KEY": SANDBOX_KEY}


def _seed_source(path: pathlib.Path, members: int, groups: int, *,
                 invite: bool = True) -> SandboxStore:
    """A generated org plus one of each other kind (a pending invite only when asked:
    ``import`` leaves pending invites out of the policy, so its plan would withdraw it)."""
    store = SandboxStore(str(path))
    seed_generated(store, members, groups, today=store.now().date())
    with store.transaction():
        if invite:
            insert_invite(store, "new.hire@gen.example", "user")
        uid = store.scalar("SELECT id FROM users ORDER BY seq LIMIT 1")
        upsert_limit(store, "user", uid, "monthly", "50000")
        insert_role(store, "Member", [("read", {"type": "organization"})])
    gid = store.scalar("SELECT id FROM rbac_groups ORDER BY seq LIMIT 1")
    managed_settings.seed_settings(store, mode="rbac_groups",
                                   groups=[(gid, {"model": "opus"})], default={"x": 1})
    return store


def _expected_pages(members: int, groups: int) -> int:
    per_group = math.ceil(members / groups / 1000)
    return (1  # me
            + max(1, math.ceil(groups / 1000))  # groups (also tells the org type)
            + math.ceil(members / 1000)  # users
            + 1  # invites (an empty page)
            + groups * per_group  # members of each group
            + 1 + 1  # roles, the one role's permissions
            + 1  # spend limits
            + 1 + 1 + 1 + 1)  # settings: configuration, list, the one group, default


def _clone_over_http(src: SandboxStore, copy: pathlib.Path, *extra: str) -> tuple[int, str]:
    with running_server(create_app(src), 0) as url:
        src.reset_stats()
        res = run_cli("sandbox", "clone", "--base-url", url, "--sandbox", str(copy), *extra,
                      env=KEY_ENV)
        assert res.exit_code == 0, res.stderr
        return sum(src.request_counts().values()), res.stdout


@pytest.mark.parametrize("members,groups", [
    (2_500, 25),
    pytest.param(10_000, 500, marks=pytest.mark.slow),
])
def test_clone_over_http_plans_no_changes_with_requests_equal_to_pages(
        tmp_path: pathlib.Path, members: int, groups: int) -> None:
    src_db, copy_db, policy = tmp_path / "src.db", tmp_path / "copy.db", tmp_path / "policy"
    src = _seed_source(src_db, members, groups, invite=False)
    requests, out = _clone_over_http(src, copy_db)
    src.close()
    assert requests == _expected_pages(members, groups)
    assert f"{requests} read requests (one per page)" in out
    imported = run_cli("import", "--out", str(policy), "--sandbox", str(src_db))
    assert imported.exit_code == 0, imported.stderr
    plan = run_cli("plan", str(policy), "--sandbox", str(copy_db), "--format", "json",
                   "--state-dir", str(tmp_path / "state"))
    assert plan.exit_code == 0, plan.stdout + plan.stderr  # 0 = no changes
    same = run_cli("sandbox", "diff", str(src_db), str(copy_db))
    assert same.exit_code == 0, same.stdout


def test_the_copy_keeps_ids_settings_limits_and_roles(tmp_path: pathlib.Path) -> None:
    src = _seed_source(tmp_path / "src.db", 30, 3)
    _clone_over_http(src, tmp_path / "copy.db")
    copy = SandboxStore(str(tmp_path / "copy.db"))
    for sql in ("SELECT id, email, name, role, added_at FROM users ORDER BY seq",
                "SELECT id, email, role, invited_at, expires_at FROM invites ORDER BY seq",
                "SELECT group_id, user_id FROM rbac_group_members ORDER BY group_id, user_id",
                "SELECT scope_type, scope_key, period, amount FROM spend_limits",
                "SELECT display_name FROM rbac_roles"):
        assert [tuple(r) for r in copy.query(sql)] == [tuple(r) for r in src.query(sql)], sql
    managed_settings.install(copy)
    assert copy.get_meta("ccms_config")["mode"] == "rbac_groups"
    assert copy.scalar("SELECT COUNT(*) FROM ccms_groups") == 1
    assert copy.get_meta("org_id") == src.get_meta("org_id")


def test_pseudonymised_clone_is_consistent_under_one_key(tmp_path: pathlib.Path) -> None:
    src = _seed_source(tmp_path / "src.db", 30, 3)
    env = {**KEY_ENV, "SEATCTL_PSEUDONYM_KEY": "k1"}
    with running_server(create_app(src), 0) as url:
        for name in ("a.db", "b.db"):
            res = run_cli("sandbox", "clone", "--base-url", url, "--sandbox", str(tmp_path / name),
                          "--pseudonymise", env=env)
            assert res.exit_code == 0, res.stderr
    a, b = SandboxStore(str(tmp_path / "a.db")), SandboxStore(str(tmp_path / "b.db"))
    emails = [r[0] for r in a.query("SELECT email FROM users ORDER BY seq")]
    assert emails == [r[0] for r in b.query("SELECT email FROM users ORDER BY seq")]
    real = {r[0] for r in src.query("SELECT email FROM users")}
    assert not real & set(emails) and all(e.endswith("@gen.example") for e in emails)
    pseudo = Pseudonymiser(b"k1")
    first = src.scalar("SELECT email FROM users ORDER BY seq LIMIT 1")
    assert emails[0] == pseudo.email(first)
    assert Pseudonymiser(b"k2").email(first) != pseudo.email(first)
    invite = a.scalar("SELECT email FROM invites")
    assert invite == pseudo.email("new.hire@gen.example")
    assert "@" not in str(a.scalar("SELECT name FROM users LIMIT 1"))


def test_diff_shows_what_a_rehearsal_changed(tmp_path: pathlib.Path) -> None:
    from reconciler.sandbox.client import sandbox_client

    src = _seed_source(tmp_path / "src.db", 30, 3)
    _clone_over_http(src, tmp_path / "copy.db")
    copy = SandboxStore(str(tmp_path / "copy.db"))
    client = sandbox_client(copy)
    victim = copy.scalar("SELECT id FROM users ORDER BY seq DESC LIMIT 1")
    email = copy.scalar("SELECT email FROM users WHERE id = ?", (victim,))
    client.organization.users.remove(victim)
    client.organization.invites.create(email="late@gen.example", role="managed")
    copy.close()
    res = run_cli("sandbox", "diff", str(tmp_path / "src.db"), str(tmp_path / "copy.db"))
    assert res.exit_code == 2
    assert f"- member {email}" in res.stdout
    assert "+ invite late@gen.example  groups: [], role: managed" not in res.stdout  # [] omitted
    assert "+ invite late@gen.example  role: managed" in res.stdout
    assert "group " in res.stdout and f"-{email}" in res.stdout  # left its group too


def test_clone_refuses_bad_sources_cleanly(tmp_path: pathlib.Path) -> None:
    copy = str(tmp_path / "copy.db")
    both = run_cli("sandbox", "clone", "--sandbox", copy)
    assert both.exit_code == 1 and "exactly one source" in both.stderr
    plain = run_cli("sandbox", "clone", "--sandbox", copy, "--base-url", "http://example.com",
                    env=KEY_ENV)
    assert plain.exit_code == 1 and "loopback" in plain.stderr
    nokey = run_cli("sandbox", "clone", "--sandbox", copy, "--base-url", "http://127.0.0.1:9",
                    env={"SEATCTL_ADMIN_KEY": ""})
    assert nokey.exit_code == 1 and "SEATCTL_ADMIN_KEY is not set" in nokey.stderr
    src = _seed_source(tmp_path / "src.db", 5, 1)
    src.close()
    assert run_cli("sandbox", "clone", "--from", str(tmp_path / "src.db"),
                   "--sandbox", copy).exit_code == 0
    again = run_cli("sandbox", "clone", "--from", str(tmp_path / "src.db"), "--sandbox", copy)
    assert again.exit_code == 1 and "already holds an org" in again.stderr
    for res in (both, plain, nokey, again):
        assert "Traceback" not in res.stderr and SANDBOX_KEY not in res.stdout + res.stderr


def test_a_console_org_clones_with_its_workspaces(tmp_path: pathlib.Path) -> None:
    """Demo org on ``DEMO_DATE`` turned Console, with a workspace and a member in it."""
    from reconciler.sandbox.demo import DEMO_DATE, seed_demo
    from reconciler.sandbox.workspaces import insert_workspace

    src = SandboxStore(str(tmp_path / "src.db"))
    seed_demo(src, DEMO_DATE)
    src.configure_org(org_type="console")
    wid = insert_workspace(src, "research")
    uid = src.scalar("SELECT id FROM users WHERE role = 'user' LIMIT 1")
    src.execute("INSERT INTO workspace_members(workspace_id, user_id, workspace_role) "
                "VALUES (?, ?, 'workspace_developer')", (wid, uid))
    _clone_over_http(src, tmp_path / "copy.db")
    copy = SandboxStore(str(tmp_path / "copy.db"))
    assert copy.org_type == "console"
    assert copy.scalar("SELECT COUNT(*) FROM workspaces WHERE is_default = 1") == 1
    assert copy.scalar("SELECT workspace_role FROM workspace_members WHERE user_id = ?",
                       (uid,)) == "workspace_developer"
    res = run_cli("sandbox", "diff", str(tmp_path / "src.db"), str(tmp_path / "copy.db"))
    assert res.exit_code == 0, res.stdout


def test_clone_copies_days_of_analytics(tmp_path: pathlib.Path) -> None:
    """The demo org seeded for ``DEMO_DATE`` has 90 days of analytics ending the day before."""
    import datetime as dt

    from reconciler.sandbox.demo import DEMO_DATE, seed_demo

    src = SandboxStore(str(tmp_path / "src.db"))
    seed_demo(src, DEMO_DATE)
    days = 7
    requests, out = _clone_over_http(src, tmp_path / "copy.db", "--analytics-days", str(days),
                                     "--analytics-until", DEMO_DATE.isoformat())
    assert src.request_counts().get("GET /v1/organizations/analytics/users") == days
    first = (DEMO_DATE - dt.timedelta(days=days)).isoformat()
    sql = ("SELECT day, user_id, email, sessions, lines_added, commits, chat_messages"
           " FROM analytics_user_days WHERE day >= ? ORDER BY day, user_id")
    copy = SandboxStore(str(tmp_path / "copy.db"))
    want = [tuple(r) for r in src.query(sql, (first,))
            if r["day"] < DEMO_DATE.isoformat()]
    assert want and [tuple(r) for r in copy.query(sql, (first,))] == want
