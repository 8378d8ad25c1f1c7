"""The Plan artefact: JSON round trip, checksum, versions, fingerprints."""

from __future__ import annotations

import importlib
import json
import pathlib
import sys
from dataclasses import replace
from types import MappingProxyType

import jsonschema
import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "golden"))

from conftest import ROOT  # noqa: E402
from scenarios import AT, CREATED, SCENARIOS, acme_demo, email  # noqa: E402

from reconciler.errors import PlanError  # noqa: E402
from reconciler.model import Group, Member  # noqa: E402
from reconciler.plan import Plan, build_plan, fingerprint, fingerprints_match  # noqa: E402

fingerprint_module = importlib.import_module("reconciler.plan.fingerprint")

SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())


def _demo_plan(**kw: object) -> Plan:
    policy, live = acme_demo()
    return build_plan(policy, live, at=AT, created_at=CREATED, commit="c0ffee", **kw)  # type: ignore[arg-type]


def test_schema_is_valid_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"].endswith("2020-12/schema")


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_every_scenario_plan_validates_and_round_trips(scenario: str) -> None:
    policy, live = SCENARIOS[scenario]()
    plan = build_plan(policy, live, at=AT, created_at=CREATED, commit=None)
    doc = json.loads(plan.to_json())
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    again = Plan.from_json(plan.to_json())
    assert again == plan
    assert again.to_json() == plan.to_json()


def test_schema_rejects_unknown_keys() -> None:
    doc = json.loads(_demo_plan().to_json())
    doc["changes"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(doc)


def test_checksum_covers_every_field_including_creation_time() -> None:
    import datetime as dt

    a = _demo_plan()
    policy, live = acme_demo()
    b = build_plan(policy, live, at=AT, created_at=CREATED + dt.timedelta(hours=3),
                   commit="c0ffee")
    assert a.checksum != b.checksum  # an old plan cannot be re-dated without a new checksum
    assert a.checksum == _demo_plan().checksum
    for field, value in (("created_at", "2030-01-01T00:00:00Z"), ("tool_version", "9"),
                         ("findings", []), ("summary", {}), ("blocked", True)):
        doc = json.loads(a.to_json())
        doc[field] = value
        with pytest.raises(PlanError, match="checksum does not match"):
            Plan.from_json(json.dumps(doc))
    other_commit = build_plan(policy, live, at=AT, created_at=CREATED, commit="beef")
    assert other_commit.checksum != a.checksum
    approved = _demo_plan(approve_overflow=True)
    assert approved.checksum != a.checksum


def test_edited_plan_file_is_refused() -> None:
    doc = json.loads(_demo_plan().to_json())
    doc["changes"][0]["data"]["role"] = "owner"
    with pytest.raises(PlanError, match="checksum does not match"):
        Plan.from_json(json.dumps(doc))


def test_unknown_format_version_and_garbage_are_refused_with_a_hint() -> None:
    doc = json.loads(_demo_plan().to_json())
    doc["format_version"] = 99
    with pytest.raises(PlanError, match="format version 99"):
        Plan.from_json(json.dumps(doc))
    with pytest.raises(PlanError, match="not JSON"):
        Plan.from_json("{nope")
    with pytest.raises(PlanError, match="malformed"):
        Plan.from_json(json.dumps({"format_version": 1}))


def test_fingerprint_is_stable_and_sensitive() -> None:
    _, live = acme_demo()
    shuffled = replace(live, members=MappingProxyType(dict(reversed(list(live.members.items())))))
    assert fingerprint(live) == fingerprint(shuffled)
    members = dict(live.members)
    members[email("bob.martin")] = replace(members[email("bob.martin")], role="managed")
    assert fingerprint(live) != fingerprint(replace(live, members=MappingProxyType(members)))
    members[email("new")] = Member(email("new"), "user", id="u")
    assert fingerprint(live) != fingerprint(replace(live, members=MappingProxyType(members)))


def test_empty_or_missing_fingerprint_never_matches() -> None:
    _, live = acme_demo()
    fp = fingerprint(live)
    assert fingerprints_match(fp, fp)
    assert fingerprint(replace(live, complete=False)) == ""
    assert not fingerprints_match("", "")
    assert not fingerprints_match(None, fp)
    assert not fingerprints_match(fp, "")


def test_plan_records_what_apply_needs() -> None:
    plan = _demo_plan()
    doc = plan.to_dict()
    assert doc["policy_commit"] == "c0ffee" and doc["evaluated_on"] == "2026-11-25"
    assert doc["created_at"] == "2026-11-25T09:30:00Z"
    assert doc["summary"]["counts"] == {"invite": 2, "update_role": 1}
    assert doc["summary"]["total"]["cost_after_cents"] - doc["summary"]["total"][
        "cost_before_cents"] == 4000
    assert not plan.blocked and plan.has_changes


def test_big_groups_fingerprint_as_their_sorted_members(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Big groups are picked out of the org's sorted emails rather than sorted: the
    fingerprint must be the one sorting gives, including for a group holding someone
    who is not a member (sorted after all)."""
    _, live = acme_demo()
    emails = sorted(live.members)
    members = dict(live.members)
    stranger = "zz.not.a.member@acme.example"
    groups = dict(live.groups)
    groups["everyone"] = Group("everyone", frozenset(emails), id="g1")
    groups["with-stranger"] = Group("with-stranger", frozenset([*emails[:3], stranger]), id="g2")
    big = replace(live, members=MappingProxyType(members), groups=MappingProxyType(groups))
    monkeypatch.setattr(fingerprint_module, "BIG_GROUP", 10**9)  # every group sorted
    by_sorting = fingerprint(big)
    monkeypatch.setattr(fingerprint_module, "BIG_GROUP", 2)  # every group picked out
    assert fingerprint(big) == by_sorting
    dropped = replace(big, groups=MappingProxyType(
        {**groups, "everyone": Group("everyone", frozenset(emails[1:]), id="g1")}))
    assert fingerprint(dropped) != by_sorting
