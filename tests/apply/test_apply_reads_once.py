"""Apply reads the organization once; ``--auto-approve`` shares its plan's read.

Why: at 100,000 members a full read is about 5,200 requests (52 minutes at the
documented 100/minute). Apply used to read twice (check, then last-apply record)
and ``--auto-approve`` three times. The sandbox's own counters show one read now,
and the record built from the read plus the outcomes equals a fresh read's. The
plan is made at a fixed instant (``NOW``), the sandbox org is generated directly.
"""

from __future__ import annotations

import datetime as dt
import math
import pathlib

from apply_fixtures import Org, generated_org, generated_policy

from reconciler.apply.progress import NoProgress
from reconciler.apply.session import ApplyOptions, run_apply
from reconciler.gitops.state import load_last_apply, state_entities
from reconciler.plan import build_plan, fingerprint
from reconciler.providers.snapshot import load_snapshot

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
MEMBERS, GROUPS = 2_400, 3


def _gets(org: Org) -> int:
    return sum(n for k, n in org.store.request_counts().items() if k.startswith("GET "))


def _pages() -> int:
    return (math.ceil(MEMBERS / 1000) + 1 + 1 + GROUPS * math.ceil(MEMBERS / GROUPS / 1000)
            + 1)


def _apply(org: Org, tmp_path: pathlib.Path, *, share: bool) -> int:
    policy = generated_policy(MEMBERS, GROUPS, extra=3, move=[5, 6])
    org.store.reset_stats()
    live = org.provider.fetch()
    plan = build_plan(policy, live, at=NOW.date(), created_at=NOW, commit=policy.commit)
    assert plan.changes
    run_apply(plan, policy, org.provider, options=ApplyOptions(state_dir=tmp_path),
              progress=NoProgress(), now=lambda: NOW, limiter=org.limiter,
              prepared=live if share else None)
    return _gets(org)


def test_apply_reads_once_and_records_what_a_fresh_read_sees(tmp_path: pathlib.Path) -> None:
    org = generated_org(MEMBERS, GROUPS)
    gets = _apply(org, tmp_path, share=False)
    # one read for the plan, one for apply's check; nothing for the record
    assert gets == 2 * _pages()
    fresh = org.provider.fetch()
    record = load_last_apply(tmp_path / "last-apply.json")
    assert record is not None and dict(record.entities) == state_entities(fresh)
    snap = load_snapshot(tmp_path, fingerprint=fingerprint)
    assert snap is not None and state_entities(snap.live) == state_entities(fresh)


def test_auto_approve_shares_the_plans_read(tmp_path: pathlib.Path) -> None:
    org = generated_org(MEMBERS, GROUPS)
    assert _apply(org, tmp_path, share=True) == _pages()
    record = load_last_apply(tmp_path / "last-apply.json")
    assert record is not None
    assert dict(record.entities) == state_entities(org.provider.fetch())
