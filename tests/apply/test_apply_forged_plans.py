"""Apply does only what was reviewed: every forged plan of issue 16 (defects 1 and 2),
written as an attacker who can edit the JSON and recompute its sha256.

Each forgery is refused with exit 1, a message naming what differs, and nothing
written: no write request reaches the sandbox org, no member changes, no intent record.
The demo sandbox lives on its own day, ``DEMO_DATE`` (2026-11-25): plans and applies
against it evaluate there, whatever today is.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import pytest
from conftest import run_cli
from test_apply_cli import apply, demo_dirs, live_members, plan

from reconciler.apply import audit as audit_mod
from reconciler.plan.model import compute_checksum
from reconciler.sandbox.store import SandboxStore

Doc = dict[str, Any]


@pytest.fixture
def demo(tmp_path: pathlib.Path) -> dict[str, str]:
    return demo_dirs(tmp_path)


def forge(d: dict[str, str], edit: Callable[[Doc], None], *, rehash: bool = True) -> None:
    """Edit the saved plan as an attacker would, recomputing its (public) checksum."""
    path = pathlib.Path(d["plan"])
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    if rehash:
        doc["checksum"] = compute_checksum(doc)
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")


def writes(d: dict[str, str]) -> int:
    """Mutating Admin API requests the sandbox received since the last reset."""
    store = SandboxStore(d["db"])
    try:
        return sum(n for k, n in store.request_counts().items()
                   if k.split(" ")[0] in ("POST", "DELETE") and " /v1/" in k)
    finally:
        store.close()


def reset_stats(d: dict[str, str]) -> None:
    store = SandboxStore(d["db"])
    store.reset_stats()
    store.close()


def intents(d: dict[str, str]) -> int:
    log = pathlib.Path(d["state"]) / "audit.jsonl"
    if not log.exists():
        return 0
    return sum(r.get("kind") == "intent" for r in audit_mod.iter_records(log))


def refused(d: dict[str, str], *expected: str, extra: tuple[str, ...] = ()) -> str:
    """Apply the forged plan; assert it was refused naming ``expected`` and wrote nothing."""
    before = live_members(d)
    reset_stats(d)
    result = apply(d, *extra)
    assert result.exit_code == 1, result.stdout + result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert writes(d) == 0 and live_members(d) == before and intents(d) == 0
    return result.stderr


def remove_members(d: dict[str, str]) -> None:
    """Policy edit that removes 9 of 19 members (backend's 8 and the unlisted one) against
    a cap of 5 / 25 %: the plan is blocked by ``removal_cap``."""
    root = pathlib.Path(d["policies"])
    (root / "teams" / "backend.yaml").unlink()
    org = root / "org.yaml"
    org.write_text(org.read_text().replace("unmanaged: report", "unmanaged: remove"))


def test_deleting_the_error_findings_of_a_blocked_plan_is_refused(demo) -> None:
    remove_members(demo)
    assert plan(demo).exit_code == 1  # blocked by removal_cap

    def drop_errors(doc: Doc) -> None:
        doc["findings"] = [f for f in doc["findings"] if f["severity"] != "error"]
        doc["blocked"] = False

    forge(demo, drop_errors)
    refused(demo, "does not match the plan apply derives",
            "finding missing from the file: error removal_cap")


def test_a_plan_file_cannot_grant_an_override(demo) -> None:
    remove_members(demo)
    # the attacker makes a well-formed plan with an override "approved by nobody"
    assert plan(demo, "--allow-large-removal", "--approver", "nobody").exit_code == 2
    refused(demo, "the plan records --allow-large-removal approved by 'nobody', but this "
                  "apply was given no override", "Overrides come only from the apply command")
    # an override at apply that the reviewed plan does not show is refused as well
    refused(demo, "but this apply was given --allow-large-removal approved by 'alice'",
            extra=("--allow-large-removal", "--approver", "alice"))
    # the same override given to apply itself (as CI does through env) is honoured
    # when planned with it for review, and the audit log records who approved it
    assert plan(demo, "--allow-large-removal", "--approver", "alice").exit_code == 2
    result = apply(demo, env={"SEATCTL_ALLOW_LARGE_REMOVAL": "1", "SEATCTL_APPROVER": "alice"})
    assert result.exit_code == 0, result.stderr
    assert "quinn.taylor@acme.example" not in live_members(demo)
    log = pathlib.Path(demo["state"]) / "audit.jsonl"
    (start,) = [r for r in audit_mod.iter_records(log) if r.get("event") == "apply_start"]
    assert start["approved_by"] == "alice" and start["overrides"]["allow_large_removal"]
    assert start["plan_overrides"]["approver"] == "alice"
    assert all(r["approved_by"] == "alice" for r in audit_mod.iter_records(log))


def test_an_override_at_apply_needs_an_approver(demo) -> None:
    plan(demo)
    refused(demo, "an override needs an approver", extra=("--allow-large-removal",))


def test_a_forged_override_field_is_refused(demo) -> None:
    remove_members(demo)
    plan(demo)
    forge(demo, lambda doc: doc.update(allow_large_removal=True))
    refused(demo, "unknown field(s) allow_large_removal")
    forge(demo, lambda doc: (doc.pop("allow_large_removal"),
                             doc["overrides"].update(approver=1)))
    refused(demo, "plan file is malformed")


REMOVE_PROTECTED = {
    "kind": "remove_member", "phase": 5, "target": "dana.owner@acme.example",
    "before": {"role": "primary_owner", "name": "Dana Owner"}, "after": None,
    "reason": "not in policy", "source": None,
    "data": {"email": "dana.owner@acme.example", "user_id": "user_dana_owner"},
}
DEMOTE = {
    "kind": "update_role", "phase": 1, "target": "erin.kim@acme.example",
    "before": "managed", "after": "user", "reason": "policy asks for user", "source": None,
    "data": {"email": "erin.kim@acme.example", "role": "user", "user_id": "user_erin_kim"},
}
OFF_DOMAIN = {
    "kind": "invite", "phase": 1, "target": "mallory@evil.example", "before": None,
    "after": {"groups": [], "role": "user"}, "reason": "in policy", "source": None,
    "data": {"email": "mallory@evil.example", "group_ids": [], "groups": [], "role": "user"},
}


@pytest.mark.parametrize("change", [REMOVE_PROTECTED, DEMOTE, OFF_DOMAIN],
                         ids=["remove-protected", "demote", "invite-off-domain"])
def test_an_added_change_is_refused_naming_it(demo, change: Doc) -> None:
    plan(demo)
    forge(demo, lambda doc: doc["changes"].append(change))
    refused(demo, f"added in the file (apply does not derive it): {change['kind']} "
                  f"{change['target']}")


def test_a_changed_change_is_refused_naming_the_fields(demo) -> None:
    plan(demo)

    def promote(doc: Doc) -> None:
        quinn = next(c for c in doc["changes"] if c["kind"] == "update_role")
        quinn["after"] = quinn["data"]["role"] = "admin"

    forge(demo, promote)
    refused(demo, "changed in the file: update_role quinn.taylor@acme.example (after, data)")


def test_a_dropped_change_and_reordered_changes_are_refused(demo) -> None:
    plan(demo)
    forge(demo, lambda doc: doc["changes"].pop(0))
    refused(demo, "missing from the file (apply derives it): invite kate.silva@acme.example")
    plan(demo)
    forge(demo, lambda doc: doc["changes"].reverse())
    refused(demo, "the same changes in another order")


def test_an_edit_without_a_new_checksum_is_refused(demo) -> None:
    plan(demo)
    forge(demo, lambda doc: doc["changes"].append(DEMOTE), rehash=False)
    refused(demo, "plan checksum does not match its content")


def test_an_old_plan_cannot_be_made_to_look_new(demo) -> None:
    # a contractor's access ends on 2026-11-23; a plan evaluated on 2026-11-21 keeps them
    team = pathlib.Path(demo["policies"]) / "teams" / "frontend.yaml"
    team.write_text(team.read_text().replace("expires: 2027-01-31", "expires: 2026-11-23"))
    assert plan(demo, "--at", "2026-11-21").exit_code == 2
    forge(demo, lambda doc: doc.update(created_at="2026-11-25T00:00:00Z"))
    refused(demo, "plan was evaluated on 2026-11-21, outside the 24-hour window ending "
                  "today (2026-11-25)")
    forge(demo, lambda doc: doc.update(evaluated_on="2026-11-25"))
    refused(demo, "desired state differs as of 2026-11-25")
    # with every fingerprint forged too, the changes still are not what apply derives
    fresh = pathlib.Path(demo["tmp"]) / "fresh.json"
    run_cli("plan", demo["policies"], "--sandbox", demo["db"], "--out", str(fresh),
            "--state-dir", demo["plan_state"])
    today = json.loads(fresh.read_text())
    forge(demo, lambda doc: doc.update(desired_fingerprint=today["desired_fingerprint"]))
    refused(demo, "missing from the file (apply derives it): remove_member")


def test_a_plan_dated_in_the_future_is_refused(demo) -> None:
    plan(demo)
    forge(demo, lambda doc: doc.update(created_at="2027-01-01T00:00:00Z"))
    refused(demo, "plan is dated 2027-01-01")


def test_a_policy_edit_after_planning_is_refused_saying_so(demo) -> None:
    plan(demo)
    org = pathlib.Path(demo["policies"]) / "org.yaml"
    # the same members, but a looser limit: the plan would not change, the policy did
    org.write_text(org.read_text().replace("max_removals: 5", "max_removals: 50"))
    refused(demo, "policy files changed since the plan was made (settings, limits")
    org.write_text(org.read_text().replace("max_removals: 50", "max_removals: 5"))
    (pathlib.Path(demo["policies"]) / "teams" / "frontend.yaml").unlink()
    refused(demo, "policy files changed since the plan was made (desired state differs")


def test_an_honest_plan_still_applies_and_records_the_audit_head(demo) -> None:
    assert plan(demo).exit_code == 2
    summary = pathlib.Path(demo["tmp"]) / "summary.md"
    result = apply(demo, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.exit_code == 0, result.stderr
    assert run_cli("plan", demo["policies"], "--sandbox", demo["db"],
                   "--state-dir", demo["plan_state"]).exit_code == 0
    state = pathlib.Path(demo["state"])
    head = audit_mod.verify(state / "audit.jsonl").anchor
    assert f"audit head: {head}" in result.stderr
    assert f"`{head}`" in summary.read_text()
    record = json.loads((state / "last-apply.json").read_text())
    assert record["audit_head"] == head
    log = str(state / "audit.jsonl")
    assert run_cli("audit", "verify", "--log", log, "--head", head).exit_code == 0


def test_a_forged_target_cannot_write_control_characters_to_the_terminal(demo) -> None:
    plan(demo)
    evil = {**OFF_DOMAIN, "target": "x\x1b]0;owned\x07\r\nError: none@acme.example"}
    forge(demo, lambda doc: doc["changes"].append(evil))
    stderr = refused(demo, "added in the file (apply does not derive it): invite x")
    assert "\x1b" not in stderr and "\x07" not in stderr and "\r" not in stderr
    assert "\nError: none" not in stderr
