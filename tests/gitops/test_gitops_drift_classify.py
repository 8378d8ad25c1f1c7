"""Drift classification: every difference gets its cause; state record round-trips."""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from types import MappingProxyType

import pytest
from gitops_builders import make_policy

from reconciler.errors import ConfigError, LiveReadError
from reconciler.gitops.drift import detect_drift, drift_from_live
from reconciler.gitops.render_drift import render_drift
from reconciler.gitops.state import load_last_apply, record_last_apply
from reconciler.model import Group, Member, OrgState, OrgType
from reconciler.providers.readonly import ReadOnlyProvider

TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
A, B, C, Z = ("alice@acme.example", "bob@acme.example", "carol@acme.example",
              "zoe@acme.example")


def _live(members: dict[str, str], groups: dict[str, Group] | None = None) -> OrgState:
    return OrgState(OrgType.ENTERPRISE,
                    MappingProxyType({e: Member(e, r, id=f"user_{e[:3]}")
                                      for e, r in members.items()}),
                    groups=MappingProxyType(groups or {}), org_name="Acme Corp")


def _record(tmp_path: pathlib.Path, live: OrgState, commit: str = "c1") -> pathlib.Path:
    return record_last_apply(live, commit=commit, applied_at=NOW - dt.timedelta(days=1),
                             fingerprint="sha256:x", path=tmp_path / "last-apply.json")


def test_in_sync_exits_zero(tmp_path: pathlib.Path) -> None:
    policy = make_policy({"platform": (8, {A: "developer"})})
    live = _live({A: "user"})
    last = load_last_apply(_record(tmp_path, live))
    report = drift_from_live(policy, live, at=TODAY, now=NOW, last=last)
    assert report.exit_code == 0 and not report.items
    assert "in sync" in render_drift(report, "text")


def test_console_edit_since_last_apply_is_changed_outside(tmp_path: pathlib.Path) -> None:
    policy = make_policy({"platform": (8, {A: "developer", B: "developer"})})
    applied = _live({A: "user", B: "user"})
    last = load_last_apply(_record(tmp_path, applied))
    now_live = _live({A: "user", B: "managed", Z: "user"})  # bob re-roled, zoe added by hand
    report = drift_from_live(policy, now_live, at=TODAY, now=NOW, last=last)
    causes = {(i.cause, i.target) for i in report.items}
    assert ("changed_outside", B) in causes
    assert ("changed_outside", Z) in causes  # unlisted and new since the apply
    assert report.exit_code == 2


def test_merged_change_not_applied_yet(tmp_path: pathlib.Path) -> None:
    applied = _live({A: "user"})
    last = load_last_apply(_record(tmp_path, applied))
    policy = make_policy({"platform": (8, {A: "developer", C: "developer"})})  # carol merged
    report = drift_from_live(policy, applied, at=TODAY, now=NOW, last=last)
    assert [(i.cause, i.kind, i.target) for i in report.items] == [
        ("not_applied", "invite", C)]
    assert report.counts["not_applied"] == 1 and report.exit_code == 2


def test_without_a_record_the_cause_is_unknown_and_unlisted_is_only_reported() -> None:
    policy = make_policy({"platform": (8, {A: "developer"})})
    live = _live({A: "managed", Z: "user"})
    report = drift_from_live(policy, live, at=TODAY, now=NOW, last=None)
    assert {(i.cause, i.target) for i in report.items} == {("unknown", A), ("unmanaged", Z)}
    assert report.notes and "last-apply.json" in report.notes[0]


def test_only_unmanaged_members_is_in_sync(tmp_path: pathlib.Path) -> None:
    live = _live({A: "user", Z: "user"})
    last = load_last_apply(_record(tmp_path, live))
    report = drift_from_live(make_policy({"platform": (8, {A: "developer"})}), live,
                             at=TODAY, now=NOW, last=last)
    assert report.exit_code == 0 and report.counts["unmanaged"] == 1


def test_scim_group_differences_belong_to_the_identity_provider() -> None:
    policy = make_policy({"platform": (8, {A: "developer"})})
    want = policy.desired
    scim = Group("all-eng", frozenset({A}), id="g1", source="scim")
    policy = type(policy)(**{**{f: getattr(policy, f) for f in policy.__dataclass_fields__},
                             "desired": OrgState(want.org_type, want.members,
                                                 groups=MappingProxyType({"all-eng": scim}))})
    live = _live({A: "user"}, {"all-eng": Group("all-eng", frozenset(), id="g1",
                                                source="scim")})
    report = drift_from_live(policy, live, at=TODAY, now=NOW, last=None)
    assert [(i.cause, i.target) for i in report.items] == [("identity_provider", "all-eng")]


class _Recorder:
    """A provider double that records calls; drift must only ever call fetch."""

    def __init__(self, state: OrgState) -> None:
        from reconciler.providers.base import Capabilities

        self.capabilities = Capabilities(True, False, True, True)
        self.state, self.calls = state, []  # type: list[str]

    def fetch(self) -> OrgState:
        self.calls.append("fetch")
        return self.state

    def __getattr__(self, name: str) -> object:
        def write(*a: object, **k: object) -> None:
            self.calls.append(name)
        return write


def test_drift_reads_once_through_a_read_only_wrapper() -> None:
    rec = _Recorder(_live({A: "managed"}))
    report = detect_drift(make_policy({"platform": (8, {A: "developer"})}), rec,  # type: ignore[arg-type]
                          at=TODAY, now=NOW, last=None)
    assert report.exit_code == 2 and rec.calls == ["fetch"]
    ro = ReadOnlyProvider(rec)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="read-only"):
        ro.update_role(Member(A, "managed"), "user")
    assert rec.calls == ["fetch"]


def test_an_incomplete_read_is_an_error_never_in_sync() -> None:
    state = OrgState(OrgType.ENTERPRISE, MappingProxyType({}), complete=False)
    with pytest.raises(LiveReadError):
        detect_drift(make_policy({}), _Recorder(state), at=TODAY, now=NOW, last=None)  # type: ignore[arg-type]


def test_json_and_markdown_views_carry_causes_and_escape_names() -> None:
    policy = make_policy({"platform": (8, {A: "developer"})})
    report = drift_from_live(policy, _live({A: "managed", "x`@here@acme.example": "user"}),
                             at=TODAY, now=NOW, last=None)
    doc = json.loads(render_drift(report, "json"))
    assert doc["in_sync"] is False and doc["exit_code"] == 2
    assert doc["counts"]["unknown"] == 1 and doc["counts"]["unmanaged"] == 1
    md = render_drift(report, "markdown")
    assert "<code>x&#96;&#64;here&#64;acme.example</code>" in md and "Drift found" in md
    assert "@here" not in md


def test_state_record_is_atomic_json_and_a_damaged_one_is_a_clear_error(
        tmp_path: pathlib.Path) -> None:
    path = _record(tmp_path, _live({A: "user"}))
    last = load_last_apply(path)
    assert last is not None and last.entities == {f"member:{A}": "user"} and last.commit == "c1"
    assert load_last_apply(tmp_path / "missing.json") is None
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="unreadable"):
        load_last_apply(path)


def test_a_pending_invite_the_policy_does_not_list_is_reported_not_withdrawn(
    tmp_path: pathlib.Path,
) -> None:
    from reconciler.model import Invite

    policy = make_policy({"platform": (8, {A: "developer"})})  # unmanaged: report
    invite = Invite(Z, "user", "pending", frozenset(), "invite_zoe",
                    NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=20))
    applied = _live({A: "user"})
    live = OrgState(applied.org_type, applied.members, MappingProxyType({Z: invite}),
                    org_name="Acme Corp")
    last = load_last_apply(_record(tmp_path, applied))
    report = drift_from_live(policy, live, at=TODAY, now=NOW, last=last)
    assert [(i.cause, i.kind, i.target) for i in report.items] == [
        ("changed_outside", "unlisted_invite", Z)]  # sent by hand since the last apply
