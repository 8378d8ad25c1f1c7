"""GitOps: drift classification and import on a generated 10,000-member org.

Baselines, measured in the same run: the live read itself (``fetch``), and
``build_plan`` alone, so the figures show what classification and import add on top.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import tempfile

from bench.harness import Result, peak_memory_mb, time_median

MEMBERS, GROUPS = 10_000, 500


def run() -> list[Result]:
    from reconciler.connect import open_provider
    from reconciler.gitops.drift import classify_drift
    from reconciler.gitops.importer import import_policy
    from reconciler.gitops.state import load_last_apply, record_last_apply
    from reconciler.plan import build_plan
    from reconciler.policy import load_policy, write_policy
    from reconciler.sandbox.demo import seed_generated
    from reconciler.sandbox.store import SandboxStore

    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        db, out = pathlib.Path(tmp) / "sb.db", pathlib.Path(tmp) / "policies"
        store = SandboxStore(str(db))
        seed_generated(store, MEMBERS, GROUPS, drift_pct=1.0)
        store.close()
        from reconciler.cli.importer import _bootstrap_policy
        from reconciler.model import OrgType

        provider = open_provider(_bootstrap_policy(OrgType.ENTERPRISE, "K"), sandbox=str(db))
        live = provider.fetch()
        t_fetch = time_median(provider.fetch, runs=3)
        t_import = time_median(lambda: import_policy(live), runs=5)
        write_policy(import_policy(live).policy, out)
        policy = load_policy(out)
        state = pathlib.Path(tmp) / "last.json"
        record_last_apply(live, commit="x", applied_at=now, fingerprint="f", path=state)
        last = load_last_apply(state)

        def plan() -> object:
            return build_plan(policy, live, at=now.date(), created_at=now, commit=None)

        p = build_plan(policy, live, at=now.date(), created_at=now, commit=None)
        t_plan = time_median(plan, runs=5)
        t_classify = time_median(lambda: classify_drift(p, live, last, checked_at=now), runs=5)
        mem = peak_memory_mb(lambda: classify_drift(p, live, last, checked_at=now))
    return [
        Result("gitops import_policy, 10k members / 500 groups", f"{t_import.median_s:.3f} s",
               "< fetch", f"fetch (baseline) {t_fetch.median_s:.2f} s; ratio "
               f"{t_import.median_s / t_fetch.median_s:.2f}×"),
        Result("gitops classify_drift, 10k members", f"{t_classify.median_s:.3f} s",
               "< build_plan", f"build_plan (baseline) {t_plan.median_s:.3f} s; ratio "
               f"{t_classify.median_s / t_plan.median_s:.2f}×; peak {mem:.1f} MiB"),
    ]
