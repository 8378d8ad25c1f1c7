"""Adding a change kind touches three things: its row in ``plan.kinds.KINDS``, its diff
rule in ``plan.diff.DIFF_RULES`` and the provider method the row names.

This test adds ``archive_group`` (rename a group the policy does not list to
``archived-<name>``) that way only — nothing in diff, simulate, guards, apply or drift
knows its name — and checks it is planned, guarded (its ``group_write`` family makes
the SCIM guard refuse it on a SCIM group), applied against the sandbox through the
official SDK, and shown in drift. Dates: plans are made at a fixed instant (``NOW``).
"""

from __future__ import annotations

import datetime as dt
import importlib
import pathlib
from dataclasses import replace
from types import MappingProxyType

import pytest
from apply_fixtures import FAST_RETRY, KEY_ENV, Org, generated_org, generated_policy

from reconciler.apply.audit import AuditLog
from reconciler.apply.executor import apply_plan
from reconciler.apply.limiter import PacingClock
from reconciler.apply.lock import acquire, lock_path
from reconciler.errors import PlanError
from reconciler.gitops.drift import drift_from_live
from reconciler.model import OrgState, Policy
from reconciler.plan import Plan, build_plan
from reconciler.plan.changes import Change, make_change
from reconciler.plan.desired import DesiredAt
from reconciler.plan.kinds import KINDS, KindSpec
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.providers.base import WriteResult
from reconciler.sandbox.client import sandbox_client

#: ``reconciler.plan.diff`` the module (the package re-exports a function of that name)
diff_mod = importlib.import_module("reconciler.plan.diff")
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
KIND = "archive_group"


class ArchivingProvider(AnthropicProvider):
    """The provider call the new row names: one SDK request, like every write."""

    def archive_group(self, group: str, group_id: str, name: str) -> WriteResult:
        """Rename ``group`` (id ``group_id``) to ``name``."""
        endpoint = f"POST /v1/organizations/rbac_groups/{group_id}"
        api = self._api.organization.rbac_groups.with_raw_response
        answer = self._caller.write(endpoint, lambda: api.update(group_id, name=name),
                                    idempotent=True)
        return WriteResult(answer.body, request_id=answer.request_id)


def archive_rule(policy: Policy, want: DesiredAt, live: OrgState, removed: set[str],
                 out: list[Change]) -> None:
    """The diff rule: unlisted groups get an ``archived-`` name."""
    for name, group in sorted(live.groups.items()):
        if name in want.state.groups or name.startswith("archived-"):
            continue
        out.append(make_change(KIND, name, before=name, after=f"archived-{name}",
                               reason="not in policy: archived",
                               data={"group": name, "group_id": group.id,
                                     "name": f"archived-{name}"}))


@pytest.fixture
def new_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(KINDS, KIND, KindSpec(
        KIND, 6, 1, "~", "Archive groups", "archive_group", ("group:{group}",),
        guards=frozenset({"group_write"}), modelled=False))
    monkeypatch.setattr(diff_mod, "DIFF_RULES", (*diff_mod.DIFF_RULES, archive_rule))


def _org() -> Org:
    org = generated_org(12, 2)
    provider = ArchivingProvider(
        sandbox_client(org.app, max_retries=0), org_type=org.provider.org_type,
        key_env_name=KEY_ENV, retry=FAST_RETRY, deadline_s=FAST_RETRY.request_deadline_s,
        clock=PacingClock(org.limiter))
    provider.create_group("legacy-tools")
    return replace(org, provider=provider)


def _plan(policy: Policy, live: OrgState) -> Plan:
    return build_plan(policy, live, at=NOW.date(), created_at=NOW, commit=policy.commit)


def test_a_kind_declared_in_the_table_is_planned_guarded_applied_and_drifted(
    new_kind: None, tmp_path: pathlib.Path
) -> None:
    org = _org()
    policy = generated_policy(12, 2)
    live = org.provider.fetch()

    plan = _plan(policy, live)
    assert [(c.kind, c.target) for c in plan.changes] == [(KIND, "legacy-tools")]
    assert not plan.blocked

    drift = drift_from_live(policy, live, at=NOW.date(), now=NOW, last=None)
    assert [(i.kind, i.target) for i in drift.items if i.kind == KIND] == [
        (KIND, "legacy-tools")]

    scim = {**live.groups, "legacy-tools": replace(live.groups["legacy-tools"],
                                                   source="scim")}
    guarded = _plan(policy, replace(live, groups=MappingProxyType(scim)))
    assert [f.code for f in guarded.findings_of("error")] == ["scim_write"]

    audit = AuditLog(tmp_path / "audit.jsonl", context={"actor": "tester"})
    with acquire(lock_path(policy.org_name, tmp_path), org=policy.org_name, owner="tester",
                 run_id="run-1") as held:
        report = apply_plan(plan, org.provider, policy=policy, audit=audit,
                            limiter=org.limiter, lock=held, now=lambda: NOW)
    assert report.complete and report.done == 1
    after = org.provider.fetch()
    assert "archived-legacy-tools" in after.groups and "legacy-tools" not in after.groups
    assert _plan(policy, after).changes == ()


def test_a_kind_the_provider_cannot_perform_is_refused_before_any_write(
    new_kind: None, tmp_path: pathlib.Path
) -> None:
    org = _org()
    policy = generated_policy(12, 2)
    plan = _plan(policy, org.provider.fetch())
    plain = AnthropicProvider(  # the same org without the new provider call
        sandbox_client(org.app, max_retries=0), org_type=org.provider.org_type,
        key_env_name=KEY_ENV, retry=FAST_RETRY, deadline_s=FAST_RETRY.request_deadline_s)
    writes = org.writes()
    audit = AuditLog(tmp_path / "audit.jsonl", context={"actor": "tester"})
    with acquire(lock_path(policy.org_name, tmp_path), org=policy.org_name, owner="tester",
                 run_id="run-1") as held, pytest.raises(PlanError, match="archive_group"):
        apply_plan(plan, plain, policy=policy, audit=audit, limiter=org.limiter, lock=held,
                   now=lambda: NOW)
    assert org.writes() == writes
    assert "legacy-tools" in plain.fetch().groups
