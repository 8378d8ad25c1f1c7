"""End to end on the Acme demo sandbox: every report's figures, recomputed here.

The expected numbers come straight from the sandbox's seeded analytics table (raw SQL)
and the policy YAML (plain ``yaml.safe_load``) — never from ``reconciler.usage``.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import io
import json
import re
import shutil
import sqlite3
from decimal import Decimal

import pytest
import yaml
from conftest import EXAMPLE_POLICIES, run_cli

from reconciler import escape
from reconciler.sandbox.demo import seed_demo
from reconciler.sandbox.store import SandboxStore

TODAY = dt.date(2026, 11, 25)
YESTERDAY = TODAY - dt.timedelta(days=1)


def _cents(value: object) -> int:
    return int(Decimal(str(value)) * 100)


@pytest.fixture(scope="module")
def acme(tmp_path_factory):
    """A seeded demo sandbox, synced once into a usage store, plus independent facts."""
    tmp = tmp_path_factory.mktemp("acme")
    sandbox = str(tmp / "sandbox.db")
    store = SandboxStore(sandbox)
    seed_demo(store, TODAY)
    store.set_date(TODAY)  # the org lives on TODAY, as `sandbox seed --demo` puts it
    store.close()
    db = str(tmp / "usage.db")
    common = ["--policy", str(EXAMPLE_POLICIES), "--db", db, "--today", TODAY.isoformat()]
    res = run_cli("usage", "sync", *common, "--sandbox", sandbox)
    assert res.exit_code == 0, res.stderr
    raw = sqlite3.connect(sandbox)
    rows = [
        dict(
            zip(
                (
                    "day",
                    "email",
                    "sessions",
                    "lines_added",
                    "lines_removed",
                    "commits",
                    "pull_requests",
                    "accepted",
                    "rejected",
                ),
                r,
                strict=True,
            )
        )
        for r in raw.execute(
            "SELECT day, email, sessions, lines_added, lines_removed, commits, pull_requests,"
            " edit_accepted + write_accepted, edit_rejected + write_rejected"
            " FROM analytics_user_days"
        )
    ]
    users = {
        e: dt.date.fromisoformat(a[:10])
        for e, a in raw.execute("SELECT email, added_at FROM users")
    }
    raw.close()
    org = yaml.safe_load((EXAMPLE_POLICIES / "org.yaml").read_text())
    roles = yaml.safe_load((EXAMPLE_POLICIES / "roles.yaml").read_text())["roles"]
    teams = {}
    for path in sorted((EXAMPLE_POLICIES / "teams").glob("*.yaml")):
        t = yaml.safe_load(path.read_text())
        teams[t["name"]] = t
    # Reports use the plan's allocation on the period's last day (sprint seats
    # included), so the expectation comes from the planner's function, not usage.
    from reconciler.policy import load_policy
    from reconciler.policy.seating import allocated_seats_at

    loaded = load_policy(EXAMPLE_POLICIES)

    def allocated_on(name, day):
        return allocated_seats_at(loaded.teams[name], loaded.budget, day)

    allocated = {t["name"]: allocated_on(t["name"], YESTERDAY) for t in org["teams"]}
    member_team = {m["email"]: name for name, t in teams.items() for m in t["members"]}
    member_role = {m["email"]: m["role"] for t in teams.values() for m in t["members"]}
    price = {k: _cents(v["monthly_price"]) for k, v in org["seats"]["tiers"].items()}
    metrics = org["usage"]["active"]["metrics"]
    column = {"tool_accepted": "accepted"}

    def active(r):
        return any(r[column.get(m, m)] > 0 for m in metrics)

    return dict(
        common=common,
        sandbox=sandbox,
        rows=rows,
        users=users,
        org=org,
        roles=roles,
        teams=teams,
        allocated=allocated,
        allocated_on=allocated_on,
        member_team=member_team,
        member_role=member_role,
        price=price,
        active=active,
        db=db,
        tmp=tmp,
    )


def _json(acme, *args):
    res = run_cli("usage", *args, *acme["common"], "--format", "json")
    assert res.exit_code in (0, 2), res.stderr
    return res.exit_code, json.loads(res.stdout)


def _in(day: str, start: dt.date, end: dt.date) -> bool:
    return start.isoformat() <= day <= end.isoformat()


def _expected_members(acme, start, end):
    sums = collections.defaultdict(collections.Counter)
    for r in acme["rows"]:
        if _in(r["day"], start, end):
            s = sums[r["email"]]
            s["active_days"] += acme["active"](r)
            for k in (
                "sessions",
                "lines_added",
                "lines_removed",
                "commits",
                "pull_requests",
                "accepted",
                "rejected",
            ):
                s[k] += r[k]
    return sums


def test_sync_stores_exactly_the_seeded_rows(acme) -> None:
    stored = (
        sqlite3.connect(acme["db"])
        .execute(
            "SELECT count(*), sum(sessions), sum(tool_accepted), min(day), max(day) FROM activity"
        )
        .fetchone()
    )
    start = (TODAY - dt.timedelta(days=90)).isoformat()
    seeded = [r for r in acme["rows"] if r["day"] >= start]
    assert stored == (
        len(seeded),
        sum(r["sessions"] for r in seeded),
        sum(r["accepted"] for r in seeded),
        min(r["day"] for r in seeded),
        max(r["day"] for r in seeded),
    )
    again = run_cli("usage", "sync", *acme["common"], "--sandbox", acme["sandbox"])
    assert again.exit_code == 0 and "3 days" in again.stdout  # the revised tail only
    assert sqlite3.connect(acme["db"]).execute("SELECT count(*) FROM activity").fetchone()[
        0
    ] == len(seeded)


@pytest.mark.parametrize("period", ["30d", "7d", "2026-10-01..2026-10-31"])
def test_report_by_team_matches_the_seeded_rows(acme, period) -> None:
    if period.endswith("d"):
        end = YESTERDAY
        start = end - dt.timedelta(days=int(period[:-1]) - 1)
    else:
        start, end = (dt.date.fromisoformat(x) for x in period.split(".."))
    _, doc = _json(acme, "report", "--by", "team", "--period", period)
    sums = _expected_members(acme, start, end)
    got = {r["key"]: r for r in doc["tables"]["rows"]}
    for name, team in acme["teams"].items():
        emails = [m["email"] for m in team["members"]]
        row = got[name]
        active = sum(1 for e in emails if sums[e]["active_days"] > 0)
        acc = sum(sums[e]["accepted"] for e in emails)
        rej = sum(sums[e]["rejected"] for e in emails)
        assert row["seats"] == len(emails)
        assert row["allocated_seats"] == acme["allocated_on"](name, end)
        assert row["active_members"] == active
        assert row["utilisation_pct"] == round(100 * active / acme["allocated_on"](name, end), 2)
        for key in (
            "active_days",
            "sessions",
            "lines_added",
            "lines_removed",
            "commits",
            "pull_requests",
        ):
            assert row[key] == sum(sums[e][key] for e in emails), key
        assert row["acceptance_rate_pct"] == round(100 * acc / (acc + rej), 2)
        per_dev = {r["member"]: r for r in doc["tables"][f"team:{name}"]}
        assert sorted(per_dev) == sorted(emails)
        for e in emails:
            assert per_dev[e]["sessions"] == sums[e]["sessions"]
            assert per_dev[e]["active_days"] == sums[e]["active_days"]
    assert doc["meta"]["active"].startswith("active = any of [sessions, lines_added")


@pytest.mark.parametrize("by", ["member", "role", "cost-center"])
def test_report_by_member_role_and_cost_center(acme, by) -> None:
    _, doc = _json(acme, "report", "--by", by, "--period", "30d")
    sums = _expected_members(acme, YESTERDAY - dt.timedelta(days=29), YESTERDAY)
    cc = {name: t["cost_center"] for name, t in acme["teams"].items()}

    def group(email):
        if by == "member":
            return email
        if email not in acme["member_team"]:
            return "(unlisted)"
        return {
            "member": email,
            "role": acme["member_role"].get(email),
            "cost-center": cc[acme["member_team"][email]],
        }[by]

    expected = collections.defaultdict(collections.Counter)
    for email in set(acme["member_team"]) | set(sums):
        g = expected[group(email)]
        g["seats"] += 1
        g["active"] += sums[email]["active_days"] > 0
        g["sessions"] += sums[email]["sessions"]
        g["commits"] += sums[email]["commits"]
    key = "member" if by == "member" else "key"
    got = {r[key]: r for r in doc["tables"]["rows"]}
    assert set(got) == set(expected)
    for name, e in expected.items():
        row = got[name]
        if by != "member":
            assert (row["seats"], row["active_members"]) == (e["seats"], e["active"])
        assert (row["sessions"], row["commits"]) == (e["sessions"], e["commits"])
    if by == "cost-center":
        assert got["PLAT-001"]["allocated_seats"] == acme["allocated"]["platform"]


def test_inactive_seats_cost_and_saving_date(acme) -> None:
    code, doc = _json(acme, "inactive", "--days", "14", "--sandbox", acme["sandbox"])
    assert code == 0
    cutoff = (TODAY - dt.timedelta(days=14)).isoformat()
    last = {}
    for r in acme["rows"]:
        if acme["active"](r):
            last[r["email"]] = max(last.get(r["email"], ""), r["day"])
    expected = {
        e
        for e, added in acme["users"].items()
        if added <= TODAY - dt.timedelta(days=14) and last.get(e, "") < cutoff
    }
    assert expected == {
        "carol.diaz@acme.example",
        "olivia.rossi@acme.example",
        "jack.brown@acme.example",
    }
    got = {s["member"]: s for s in doc["tables"]["seats"]}
    assert set(got) == expected
    tier = {k: v["seat_tier"] for k, v in acme["roles"].items()}
    total = 0
    for e in expected:
        cost = acme["price"][tier[acme["member_role"][e]]]
        total += cost
        assert got[e]["monthly_cost_cents"] == cost
        assert got[e]["days_inactive"] == (TODAY - dt.date.fromisoformat(last[e])).days
        assert got[e]["saves_from"] == "2026-12-01"  # contract started 2026-07-01
    assert doc["monthly_savings_cents"] == total == 8000
    assert "a removal saves from the next billing date" in doc["meta"]["billing rule"]


def test_alerts_fire_as_recomputed_and_exit_2(acme) -> None:
    code, doc = _json(acme, "alerts", "--period", "30d")
    start = YESTERDAY - dt.timedelta(days=29)
    sums = _expected_members(acme, start, YESTERDAY)
    low = acme["org"]["usage"]["alerting"]["lowUtilization"]["threshold"]
    high = acme["org"]["usage"]["alerting"]["highUsage"]["threshold"]
    expected = set()
    for name, team in acme["teams"].items():
        active = sum(1 for m in team["members"] if sums[m["email"]]["active_days"] > 0)
        pct = 100 * active / acme["allocated"][name]
        if pct < low:
            expected.add(("low_utilisation", name))
        elif pct > high:
            expected.add(("high_usage", name))
    caps = {
        k: v["max_daily_hours"]
        for k, v in acme["roles"].items()
        if isinstance(v["max_daily_hours"], int | float)
    }
    over = collections.Counter()
    for r in acme["rows"]:
        role = acme["member_role"].get(r["email"])
        if _in(r["day"], start, YESTERDAY) and role in caps and r["sessions"] * 1.0 > caps[role]:
            over[r["email"]] += 1
    expected |= {("max_daily_hours", e) for e in over}
    got = {(a["kind"], a["target"]) for a in doc["tables"]["alerts"]}
    assert got == expected and got
    assert code == 2
    for a in doc["tables"]["alerts"]:
        if a["kind"] == "max_daily_hours":
            assert a["estimated"] == "yes" and f"on {over[a['target']]} day(s)" in a["message"]


def test_chargeback_csv_totals_add_up_in_cents(acme) -> None:
    """Without the live org the policy's members stand in; unassigned seats are a line."""
    res = run_cli("usage", "chargeback", "--month", "2026-11", *acme["common"])
    assert res.exit_code == 0, res.stderr
    main, members = res.stdout.split("\n\n")
    lines = list(csv.DictReader(io.StringIO(main)))
    *body, unassigned, total = lines
    # zoe (not in the policy) holds no seat without the live org: metered cost only
    (stray,) = [r for r in body if r["cost_center"] == "(unlisted)"]
    body.remove(stray)
    assert int(stray["seats"]) == 0 and _cents(stray["metered_usd"]) > 0
    tier = {k: v["seat_tier"] for k, v in acme["roles"].items()}
    expected = collections.Counter()
    for team in acme["teams"].values():
        for m in team["members"]:
            expires = m.get("expires")
            if expires is None or str(expires) >= "2026-11-01":
                expected[(team["cost_center"], tier[m["role"]])] += 1
    assert {(r["cost_center"], r["tier"]): int(r["seats"]) for r in body} == expected
    for r in body:
        assert _cents(r["seat_cost_usd"]) == int(r["seats"]) * acme["price"][r["tier"]]
        assert _cents(r["total_usd"]) == _cents(r["seat_cost_usd"]) + _cents(r["metered_usd"])
    held = sum(expected.values())
    purchased = acme["org"]["seats"]["purchased"]
    default = acme["price"][acme["org"]["seats"]["default_tier"]]
    assert unassigned["cost_center"] == "(unassigned)"
    assert int(unassigned["seats"]) == purchased - held
    assert _cents(unassigned["seat_cost_usd"]) == (purchased - held) * default
    assert total["cost_center"] == "TOTAL" and int(total["seats"]) == held
    assert _cents(total["total_usd"]) == sum(_cents(r["total_usd"])
                                             for r in [*body, stray, unassigned])
    per_member = list(csv.DictReader(io.StringIO(members)))
    assert len([m for m in per_member if _cents(m["seat_cost_usd"])]) == held
    # the sync read the cost report: metered cost per member adds up to the lines'
    metered = sum(_cents(m["metered_usd"]) for m in per_member)
    assert metered > 0 and metered == _cents(total["metered_usd"])
    assert "no metered cost synced" not in res.stderr


@pytest.mark.parametrize(("month", "seats", "invoice"),
                         [("2026-11", 19, 146000), ("2026-01", 0, 0), ("2030-01", 0, 0)])
def test_chargeback_against_the_live_org_bills_seat_holders_inside_the_contract(
        acme, month, seats, invoice) -> None:
    """The demo org (DEMO_DATE 2026-11-25) holds 19 seats ($530) of 50 purchased; the
    contract runs 2026-07-01..2027-06-30, so months outside it bill nothing."""
    code, doc = _json(acme, "chargeback", "--month", month, "--sandbox", acme["sandbox"])
    assert code == 0
    rows = {r["cost_center"]: r for r in doc["tables"]["lines"]}
    assert int(rows["TOTAL"]["seats"]) == seats
    assert rows["TOTAL"]["total_cents"] == invoice + rows["TOTAL"]["metered_cents"]
    assert bool(rows["TOTAL"]["metered_cents"]) == bool(seats)  # synced cost, in-contract
    if seats:
        held = sum(r["seat_cost_cents"] for r in doc["tables"]["lines"]
                   if r["cost_center"] not in {"TOTAL", "(unassigned)"})
        assert held == 53000 and rows["(unassigned)"]["seats"] == 31
        emails = {m["member"] for m in doc["tables"]["members"]}
        assert len(emails) == 19
    else:
        assert any("outside the contract" in n for n in doc["notes"])


def test_dashboard_file_holds_every_chart(acme) -> None:
    out = acme["tmp"] / "report.html"
    res = run_cli(
        "usage", "dashboard", "--out", str(out), *acme["common"], "--sandbox", acme["sandbox"]
    )
    assert res.exit_code == 0, res.stderr
    page = out.read_text()
    charts = dict(re.findall(r'data-chart="([^"]+)" data-points="(\d+)"', page))
    assert charts == {
        "active-per-day": "90",  # the whole retention window (usage.retentionDays)
        "team-utilisation": "3",
        "inactive-seats": "3",
        "cost-per-cost-center": "5",
        "tool-mix": "2",  # edit_tool and write_tool (the sandbox seeds those two)
    }  # + (unlisted) zoe, + the 31 purchased seats nobody holds
    start = YESTERDAY - dt.timedelta(days=89)
    per_day = collections.Counter(
        r["day"] for r in acme["rows"] if _in(r["day"], start, YESTERDAY) and acme["active"](r)
    )
    first = start.isoformat()
    assert f'data-label="{first}" data-value="{per_day[first]}"' in page


def test_propose_marks_idle_members_to_expire_and_plan_removes_them(acme, tmp_path) -> None:
    from reconciler.connect import open_provider
    from reconciler.plan.diff import diff
    from reconciler.policy import load_policy

    policy_dir = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, policy_dir)
    before = (policy_dir / "teams" / "platform.yaml").read_text()
    common = ["--policy", str(policy_dir), "--db", acme["db"], "--today", TODAY.isoformat()]
    res = run_cli("usage", "inactive", *common, "--sandbox", acme["sandbox"], "--propose")
    assert res.exit_code == 0, res.stderr
    after = (policy_dir / "teams" / "platform.yaml").read_text()
    # carol: 2026-12-01 bill, two days' margin → last day 2026-11-29; the rest unchanged
    assert "    expires: 2026-11-29  # seatctl usage: inactive" in after
    assert [
        ln for ln in after.splitlines() if "expires: 2026-11-29" not in ln
    ] == before.splitlines()
    policy = load_policy(policy_dir)
    idle = {"carol.diaz@acme.example", "olivia.rossi@acme.example", "jack.brown@acme.example"}
    assert {
        e for e, a in policy.assignments.items() if a.expires_on == dt.date(2026, 11, 29)
    } == idle
    live = open_provider(policy, sandbox=acme["sandbox"]).fetch()

    def removals(at):
        return {c.target for c in diff(policy, live, at) if c.kind == "remove_member"}

    assert removals(dt.date(2026, 11, 29)) == set()  # still their last day
    assert removals(dt.date(2026, 11, 30)) == idle  # planned the day before the bill


@pytest.mark.parametrize("unmanaged", ["report", "remove"])
def test_propose_remove_release_seats_on_the_example_frees_the_seats(
        acme, tmp_path, unmanaged) -> None:
    """The shipped example states allocations in org.yaml and the team files; both drop.
    Either ``unmanaged`` mode, the plan on TODAY (2026-11-25) removes the idle three."""
    from reconciler.connect import open_provider
    from reconciler.plan.diff import diff
    from reconciler.policy import load_policy

    policy_dir = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, policy_dir)
    org = policy_dir / "org.yaml"
    org.write_text(org.read_text().replace("unmanaged: report", f"unmanaged: {unmanaged}"))
    before = load_policy(policy_dir)
    common = ["--policy", str(policy_dir), "--db", acme["db"], "--today", TODAY.isoformat()]
    res = run_cli("usage", "inactive", *common, "--sandbox", acme["sandbox"],
                  "--propose", "remove", "--release-seats")
    assert res.exit_code == 0, res.stderr
    assert "they save $80.00/month" in res.stderr
    policy = load_policy(policy_dir)
    idle = {"carol.diaz@acme.example", "olivia.rossi@acme.example", "jack.brown@acme.example"}
    teams = {"platform": 1, "backend": 1, "frontend": 1}
    for name, released in teams.items():
        assert policy.teams[name].allocated_seats == before.teams[name].allocated_seats - released
    live = open_provider(policy, sandbox=acme["sandbox"]).fetch()
    removed = {c.target for c in diff(policy, live, TODAY) if c.kind == "remove_member"}
    assert idle <= removed


def test_review_with_the_live_org_agrees_with_usage_inactive(acme, tmp_path) -> None:
    """The review of 2026-11 lists the same idle seats and savings as `usage inactive
    --sandbox` on the day the review evaluates them: the org's today, TODAY (the review
    takes the earlier of that and the day after the month)."""
    policy_dir = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, policy_dir)
    res = run_cli("usage", "inactive", "--policy", str(EXAMPLE_POLICIES), "--db", acme["db"],
                  "--today", TODAY.isoformat(), "--sandbox", acme["sandbox"], "--format",
                  "json")
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    res = run_cli("review", str(policy_dir), "--month", "2026-11", "--db", acme["db"],
                  "--sandbox", acme["sandbox"])
    assert res.exit_code == 0, res.stderr
    dollars = doc["monthly_savings_cents"] // 100
    assert f"saves **${dollars}/month**" in res.stdout
    for seat in doc["tables"]["seats"]:  # names from the org reach Markdown escaped
        assert escape.markdown_code(seat["member"]) in res.stdout
    assert f"Inactive seats ({len(doc['tables']['seats'])}," in res.stdout
    assert "policy's members stand in" not in res.stdout


def test_status_shows_the_same_bill_as_chargeback(acme) -> None:
    """`seatctl status` and `usage chargeback` price this month from one money model:
    the sandbox's month (its clock), held seats + unassigned seats, seats only."""
    res = run_cli("status", str(EXAMPLE_POLICIES), "--sandbox", acme["sandbox"],
                  "--format", "json")
    assert res.exit_code == 0, res.stderr
    bill = json.loads(res.stdout)["bill"]
    month = bill["cycle_start"][:7]
    charge = run_cli("usage", "chargeback", "--month", month, "--policy",
                     str(EXAMPLE_POLICIES), "--sandbox", acme["sandbox"], "--format", "json",
                     "--db", str(acme["tmp"] / "no-store.db"))
    assert charge.exit_code == 0, charge.stderr
    lines = {r["cost_center"]: r for r in json.loads(charge.stdout)["tables"]["lines"]}
    assert bill["total_cents"] == lines["TOTAL"]["total_cents"]
    # (outside the contract, e.g. with the clock moved years ahead, both are zero)
    unassigned = lines.get("(unassigned)", {"seat_cost_cents": 0})
    assert bill["unassigned_cents"] == unassigned["seat_cost_cents"]
    assert bill["held_seats"] == lines["TOTAL"]["seats"]


def test_empty_store_is_refused_not_reported_as_all_idle(tmp_path) -> None:
    res = run_cli(
        "usage",
        "inactive",
        "--policy",
        str(EXAMPLE_POLICIES),
        "--db",
        str(tmp_path / "empty.db"),
        "--today",
        TODAY.isoformat(),
    )
    assert res.exit_code == 1
    assert "holds no analytics" in res.stderr and "seatctl usage sync" in res.stderr


def test_alerts_notify_posts_to_a_webhook_and_a_dead_one_only_warns(acme) -> None:
    import http.server
    import threading

    received: list[dict] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append(json.loads(body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook/SECRET"
        dead = "http://127.0.0.1:9/hook/OTHERSECRET"
        res = run_cli("usage", "alerts", *acme["common"], "--notify", url, "--notify", dead)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert res.exit_code == 2  # the alerts' result stands despite the dead webhook
    assert len(received) == 1
    assert received[0]["text"].startswith("seatctl:") and "usage alert" in received[0]["text"]
    assert "max_daily_hours" in received[0]["text"]
    assert "notified webhook usage alerts\n" in res.stderr
    assert "warning: could not notify webhook usage alerts #2: webhook http://127.0.0.1:9/…" \
        in res.stderr
    assert "SECRET" not in res.stderr


def test_markdown_report_escapes_and_csv_report_is_clean(acme) -> None:
    md = run_cli("usage", "report", "--by", "member", *acme["common"], "--format", "markdown")
    assert md.exit_code == 0
    assert "| zoe.unlisted&#64;acme.example |" in md.stdout  # no @-mentions in PR comments
    out = run_cli("usage", "report", "--by", "cost-center", *acme["common"], "--format", "csv")
    main, *more = out.stdout.split("\n\n")  # every table, the main one first
    rows = list(csv.DictReader(io.StringIO(main)))
    assert [r["key"] for r in rows] == ["BE-001", "FE-001", "PLAT-001", "(unlisted)"]
    assert more and all(section.strip() for section in more)
    assert "active: active = any of" in out.stderr
