"""Claude Code managed settings wired end to end: provider read, plan, apply, validate, demo.

Everything runs through ``seatctl`` (``run_cli``) against a sandbox database file and
the official SDK, except where a test pins one seam (provider flags, group-id lookup,
sequential execution). The example policy's roles carry no raw ``claude_code_settings``;
``policy_with_raw`` adds one to a role so the plan command shows settings changes
whichever way it decides that a policy carries settings.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import shutil
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import EXAMPLE_POLICIES, run_cli

from reconciler.apply import handlers as apply_handlers
from reconciler.apply.handlers import SEQUENTIAL_KINDS, ApplyContext
from reconciler.apply.settings_handlers import ORDER_CHANGED, group_ids_for
from reconciler.cli.demo import seed_demo_org
from reconciler.connect import open_provider
from reconciler.model import OrgType
from reconciler.plan.changes import kind_spec, make_change
from reconciler.policy import load_policy
from reconciler.providers.anthropic_managed import MANAGED_SETTINGS_UNAVAILABLE
from reconciler.providers.anthropic_settings import ManagedSettingsApi
from reconciler.providers.factory import reads_managed_settings
from reconciler.providers.retry import FakeClock
from reconciler.sandbox import managed_settings as sms
from reconciler.sandbox.demo import DEMO_DATE, seed_demo
from reconciler.sandbox.store import SandboxStore, make_id
from reconciler.settings.compile import carries_settings
from reconciler.settings.diff import (
    CONFIGURE,
    DELETE_GROUP,
    SET_DEFAULT,
    SET_GROUP,
    SETTINGS_KINDS,
    settings_changes,
)

TODAY = DEMO_DATE  # the example policy and the demo org are written for this day
SEAT_DRIFT_LINE = "Plan: 2 to add, 1 to change, 0 to remove."
INTERNS = "claude-interns"


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _state_in_tmp(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``plan`` keeps its full read as ``./.seatctl/snapshot.json``: here that is under
    tmp_path, never in the checkout (every path below is absolute)."""
    monkeypatch.chdir(tmp_path)


def copy_policy(tmp: pathlib.Path, *, raw: bool = True) -> pathlib.Path:
    """The example policy (its own client limits); ``raw`` adds raw settings to one role."""
    root = tmp / "policies"
    shutil.copytree(EXAMPLE_POLICIES, root)
    if raw:
        roles = root / "roles.yaml"
        text = roles.read_text()
        anchor = "    group: claude-senior-developers\n"
        assert anchor in text
        roles.write_text(text.replace(
            anchor, anchor + "    claude_code_settings:\n      cleanupPeriodDays: 30\n"))
    return root


@dataclasses.dataclass
class Demo:
    policies: pathlib.Path
    db: pathlib.Path
    state: pathlib.Path
    plan: pathlib.Path

    def run(self, *args: str) -> Any:
        return run_cli(*args)

    def plan_json(self) -> dict[str, Any]:
        result = run_cli("plan", str(self.policies), "--sandbox", str(self.db),
                         "--format", "json", "--out", str(self.plan))
        assert result.exit_code in (0, 2), result.stderr
        doc: dict[str, Any] = json.loads(self.plan.read_text())
        return doc

    def apply(self) -> Any:
        return run_cli("apply", str(self.plan), "--policy-dir", str(self.policies),
                       "--sandbox", str(self.db), "--state-dir", str(self.state))

    def store(self) -> SandboxStore:
        return SandboxStore(str(self.db))


@pytest.fixture
def demo(tmp_path: pathlib.Path) -> Demo:
    """A policy with raw settings and a sandbox seeded through `seatctl sandbox seed --demo`."""
    policies = copy_policy(tmp_path)
    db = tmp_path / "sandbox.db"
    seeded = run_cli("sandbox", "seed", "--demo", "--db", str(db), "--policy", str(policies))
    assert seeded.exit_code == 0, seeded.stderr
    assert "with the managed settings" in seeded.stdout
    return Demo(policies, db, tmp_path / "state", tmp_path / "plan.json")


def audited(state: pathlib.Path, record: str) -> list[tuple[str, str]]:
    """(change kind, target) of the audit log's ``intent`` or ``outcome`` records, in order."""
    rows = [json.loads(x) for x in (state / "audit.jsonl").read_text().splitlines()]
    return [(r["change"]["kind"], r["change"]["target"]) for r in rows if r["kind"] == record]


def settings_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in doc["changes"] if c["kind"] in SETTINGS_KINDS]


def seat_changes(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((c["kind"], c["target"]) for c in doc["changes"]
                  if c["kind"] not in SETTINGS_KINDS)


FOUR_DRIFTS = [
    ("invite", "kate.silva@acme.example"),
    ("invite", "sam.obi@acme.example"),
    ("update_role", "quinn.taylor@acme.example"),
]


# -- 1. provider ----------------------------------------------------------------------------


def test_provider_reads_managed_settings_for_an_enterprise_policy_with_settings(demo: Demo) -> None:
    provider = open_provider(load_policy(demo.policies), sandbox=str(demo.db))
    assert provider.read_managed_settings
    live = provider.fetch()
    ms = live.managed_settings
    assert ms is not None and ms.mode == "rbac_groups"
    assert [ms.groups[g].group for g in ms.order] == [
        "claude-senior-developers", "claude-developers", INTERNS, "claude-contractors"]
    assert ms.default_set and provider.notes == []
    assert provider.managed_settings_available is True


def test_factory_rule_matches_carries_settings_and_skips_console() -> None:
    policy = load_policy(EXAMPLE_POLICIES)
    assert reads_managed_settings(policy)
    bare = {k: dataclasses.replace(r, features=(), settings=None, baseline=False)
            for k, r in policy.roles.items()}
    assert not reads_managed_settings(dataclasses.replace(policy, roles=bare))
    for role in [*policy.roles.values(), *bare.values()]:
        one = dataclasses.replace(policy, roles={role.key: role})
        assert reads_managed_settings(one) == carries_settings(role)
    assert not reads_managed_settings(dataclasses.replace(policy, org_type=OrgType.CONSOLE))


def test_missing_beta_is_a_note_and_plan_still_works(demo: Demo) -> None:
    store = demo.store()
    sms.set_enrolled(store, False)
    store.close()
    provider = open_provider(load_policy(demo.policies), sandbox=str(demo.db))
    live = provider.fetch()
    assert live.managed_settings is None and live.complete
    assert provider.notes == [MANAGED_SETTINGS_UNAVAILABLE]
    assert provider.managed_settings_available is False
    doc = demo.plan_json()
    assert seat_changes(doc) == FOUR_DRIFTS and settings_of(doc) == []


def test_clock_reaches_the_retry_machinery(demo: Demo) -> None:
    clock = FakeClock()
    provider = open_provider(load_policy(demo.policies), sandbox=str(demo.db), clock=clock)
    assert provider.clock is clock and provider._caller.clock is clock


# -- 3. validate ----------------------------------------------------------------------------


def test_validate_reports_invalid_raw_settings_at_their_line(tmp_path: pathlib.Path) -> None:
    root = copy_policy(tmp_path, raw=False)
    roles = root / "roles.yaml"
    lines = roles.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if "group: claude-developers" in line)
    lines.insert(at + 1, "    claude_code_settings:\n      permissions:\n"
                         "        defaultMode: yolo\n")
    roles.write_text("".join(lines))
    result = run_cli("validate", str(root))
    assert result.exit_code == 1
    bad_line = at + 4  # 1-based line of `defaultMode: yolo`
    assert f"roles.yaml:{bad_line}:" in result.stdout
    assert "claude_code_settings/permissions/defaultMode: 'yolo' is not one of" in result.stdout
    assert run_cli("validate", str(EXAMPLE_POLICIES)).exit_code == 0


# -- 4. demo consistency --------------------------------------------------------------------


def test_demo_plan_shows_exactly_the_four_seeded_drifts() -> None:
    result = run_cli("plan", str(EXAMPLE_POLICIES), "--demo")
    assert result.exit_code == 2, result.stderr
    assert SEAT_DRIFT_LINE in result.stdout and "claude_code" not in result.stdout
    assert "unlisted_member: zoe.unlisted@acme.example" in result.stdout


@pytest.mark.parametrize("raw", [False, True], ids=["example policy", "with raw settings"])
def test_seeded_demo_holds_exactly_the_compiled_settings(tmp_path: pathlib.Path,
                                                         raw: bool) -> None:
    policies = copy_policy(tmp_path, raw=raw)
    db = str(tmp_path / "s.db")
    assert run_cli("sandbox", "seed", "--demo", "--db", db, "--policy",
                   str(policies)).exit_code == 0
    policy = load_policy(policies)
    live = open_provider(policy, sandbox=db).fetch()
    assert live.managed_settings is not None
    assert settings_changes(policy, live) == []
    result = run_cli("plan", str(policies), "--sandbox", db)
    assert result.exit_code == 2 and SEAT_DRIFT_LINE in result.stdout
    assert "claude_code" not in result.stdout


def test_seed_demo_org_without_a_policy_seeds_no_settings(tmp_path: pathlib.Path) -> None:
    store = SandboxStore(str(tmp_path / "s.db"))
    try:
        assert seed_demo_org(store, TODAY, tmp_path / "nowhere") is False
        assert seed_demo_org(store, TODAY, EXAMPLE_POLICIES) is True
    finally:
        store.close()


def test_settings_drift_is_planned_with_its_cause_and_applied(demo: Demo) -> None:
    store = demo.store()
    gid = make_id("rbac_group", INTERNS)
    doc = json.loads(store.scalar(
        "SELECT d.body FROM ccms_groups g JOIN ccms_documents d ON d.id = g.doc_id "
        "WHERE g.group_id = ?", (gid,)))
    doc["permissions"]["defaultMode"] = "acceptEdits"  # an owner's edit in claude.ai
    sms.put_group_settings(store, gid, doc)
    store.close()

    plan = demo.plan_json()
    assert seat_changes(plan) == FOUR_DRIFTS
    (change,) = settings_of(plan)
    assert (change["kind"], change["target"]) == (SET_GROUP, f"claude_code:{INTERNS}")
    assert change["data"]["cause"] == "changed"
    assert "role intern: group settings changed" in change["reason"]
    assert change["before"] == {"permissions.defaultMode": "acceptEdits"}
    assert change["after"] == {"permissions.defaultMode": "default"}
    text = run_cli("plan", str(demo.policies), "--sandbox", str(demo.db))
    assert f"claude_code:{INTERNS}" in text.stdout

    applied = demo.apply()
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    written = (SET_GROUP, f"claude_code:{INTERNS}")
    assert written in audited(demo.state, "intent") and written in audited(demo.state, "outcome")
    again = demo.plan_json()
    assert settings_of(again) == []


# -- 5. end to end --------------------------------------------------------------------------


def test_seed_plan_apply_plan_converges(demo: Demo) -> None:
    first = demo.plan_json()
    assert seat_changes(first) == FOUR_DRIFTS and settings_of(first) == []
    applied = demo.apply()
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    result = run_cli("plan", str(demo.policies), "--sandbox", str(demo.db))
    assert result.exit_code == 0, result.stdout
    assert "unlisted_member: zoe.unlisted@acme.example" in result.stdout
    assert "claude_code" not in result.stdout


@pytest.fixture
def bare_org(tmp_path: pathlib.Path) -> Demo:
    """The demo org *without* managed settings (mode organization): the first rollout."""
    policies = copy_policy(tmp_path)
    db = tmp_path / "bare.db"
    store = SandboxStore(str(db))
    seed_demo(store, TODAY)
    store.close()
    return Demo(policies, db, tmp_path / "state", tmp_path / "plan.json")


def test_first_rollout_applies_in_the_safe_order(bare_org: Demo) -> None:
    plan = bare_org.plan_json()
    kinds = [c["kind"] for c in settings_of(plan)]
    assert kinds == [SET_DEFAULT, SET_GROUP, SET_GROUP, SET_GROUP, SET_GROUP, CONFIGURE]
    applied = bare_org.apply()
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    order = [k for k, _ in audited(bare_org.state, "outcome") if k in SETTINGS_KINDS]
    assert order == kinds
    store = bare_org.store()
    try:
        config = sms._config_json(store)
    finally:
        store.close()
    assert config["mode"] == {"type": "rbac_groups"}
    assert config["rbac_group_order"] == [make_id("rbac_group", n) for n in (
        "claude-senior-developers", "claude-developers", INTERNS, "claude-contractors")]
    assert settings_of(bare_org.plan_json()) == []


def test_order_conflict_stops_apply_and_says_to_replan(
    bare_org: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    bare_org.plan_json()

    def stale(self: ManagedSettingsApi) -> tuple[str, tuple[str, ...], str]:
        return "organization", (), "ov_stale"  # the version a concurrent reorder replaced

    with monkeypatch.context() as patched:  # undo only this, not the chdir to tmp_path
        patched.setattr(ManagedSettingsApi, "configuration", stale)
        applied = bare_org.apply()
    assert applied.exit_code == 3
    assert ORDER_CHANGED in applied.stdout + applied.stderr
    replanned = bare_org.plan_json()
    assert [c["kind"] for c in settings_of(replanned)] == [CONFIGURE]


def test_settings_changes_never_run_in_parallel(
    bare_org: Demo, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert set(SETTINGS_KINDS) <= SEQUENTIAL_KINDS
    ranks = [kind_spec(k) for k in (SET_DEFAULT, SET_GROUP, DELETE_GROUP, CONFIGURE)]
    assert [(s.phase, s.rank) for s in ranks] == sorted((s.phase, s.rank) for s in ranks)
    in_flight, peak, lock = 0, 0, threading.Lock()
    original = apply_handlers.HANDLERS[SET_GROUP]

    def slow(provider: Any, change: Any, ctx: Any) -> Any:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        time.sleep(0.05)
        try:
            return original(provider, change, ctx)
        finally:
            with lock:
                in_flight -= 1

    monkeypatch.setitem(apply_handlers.HANDLERS, SET_GROUP, slow)
    bare_org.plan_json()
    applied = run_cli("apply", str(bare_org.plan), "--policy-dir", str(bare_org.policies),
                      "--sandbox", str(bare_org.db), "--state-dir", str(bare_org.state),
                      "--concurrency", "4")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert peak == 1


# -- groups created in the same apply -------------------------------------------------------


@pytest.fixture
def provider_ctx(demo: Demo) -> Iterator[tuple[Any, ApplyContext]]:
    provider = open_provider(load_policy(demo.policies), sandbox=str(demo.db))
    yield provider, ApplyContext(provider.fetch())


def test_group_ids_come_from_live_created_then_a_fresh_listing(
    provider_ctx: tuple[Any, ApplyContext],
) -> None:
    provider, ctx = provider_ctx
    change = make_change(SET_GROUP, "claude_code:new-group",
                         data={"group": "new-group", "group_id": None, "settings": {}})
    assert "new-group" not in group_ids_for(provider, change, ctx)
    provider.create_group("new-group")  # created after the live read, not recorded in ctx
    ids = group_ids_for(provider, change, ctx)
    assert ids["new-group"] and ctx.group_ids["new-group"] == ids["new-group"]
    assert ids[INTERNS] == make_id("rbac_group", INTERNS)


def test_a_role_group_created_by_the_same_apply_gets_its_settings(tmp_path: pathlib.Path) -> None:
    policies = copy_policy(tmp_path)
    roles = policies / "roles.yaml"
    roles.write_text(roles.read_text().replace("group: claude-interns", "group: claude-learners"))
    db = tmp_path / "s.db"
    assert run_cli("sandbox", "seed", "--demo", "--db", str(db), "--policy",
                   str(EXAMPLE_POLICIES)).exit_code == 0
    d = Demo(policies, db, tmp_path / "state", tmp_path / "plan.json")
    plan = d.plan_json()
    kinds = {(c["kind"], c["target"]) for c in plan["changes"]}
    assert ("create_group", "claude-learners") in kinds
    assert (SET_GROUP, "claude_code:claude-learners") in kinds
    applied = d.apply()
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    again = d.plan_json()
    assert settings_of(again) == []
