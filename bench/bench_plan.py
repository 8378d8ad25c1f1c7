"""Plan at scale: a 100,000-member, 5,000-team policy against a live org with 1 % drift.

Measured in one process pinned to one CPU (``os.sched_setaffinity``; ``load_policy``
parses in-process):

- the whole command minus the live read, as one timed call and as ``seatctl plan``
  runs it (the cyclic GC paused, ``reconciler.heap``): load + validate the policy,
  ``build_plan`` (diff, org model, guards, summary, fingerprints, checksum), and
  render it as text, Markdown and JSON — target ≤ 1.5 s median, peak memory ≤ 600 MB
  (Python heap by tracemalloc, and the process's peak RSS); the same pipeline with
  the collector running, for comparison;
- each stage alone (load, ``build_plan``, render), so the parts can be checked
  against the total;
- the baseline, in the same run: deepdiff(ignore_order) over the whole nested desired
  vs live state (what the planner avoids). It takes ≈ 10 s, so it runs once; the
  ratio is against our ``diff`` and ``build_plan`` on the same 100k state.

The live state is built in memory from the compiled policy (the provider's fetch is
measured by ``bench_fetch``): 1 % of members drift — a quarter missing (invites), a
quarter with another role, a quarter in the wrong team group, a quarter of unlisted
extra members.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

from bench.harness import Result, peak_memory_mb, time_median
from reconciler.model import Group, Member, OrgState, Policy, SpendLimit

AT = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def live_with_drift(policy: Policy, drift_pct: float = 1.0) -> OrgState:
    """The live org matching ``policy`` except for ``drift_pct`` % of members."""
    d = policy.desired
    emails = sorted(d.members)
    step = max(1, round(100 / drift_pct))
    drifted = emails[::step]
    missing, wrong_role, wrong_group = drifted[0::4], drifted[1::4], drifted[2::4]
    extras = len(drifted[3::4])
    members = {e: replace(m, id=f"user_{i}", expires_on=None)
               for i, (e, m) in enumerate(d.members.items())}
    for e in missing:
        del members[e]
    for e in wrong_role:
        members[e] = replace(members[e], role="managed" if members[e].role == "user" else "user")
    for i in range(extras):
        e = f"extra{i:05d}@bench.example"
        members[e] = Member(e, "user", id=f"user_extra_{i}")
    gone = set(missing) | set(wrong_group)
    groups = {n: Group(n, g.members - gone, f"rbac_group_{n}") for n, g in d.groups.items()}
    limits = {k: SpendLimit(k, v.amount_cents, id=f"limit_{k.key}")
              for k, v in d.spend_limits.items() if k.key not in set(missing)}
    return OrgState(d.org_type, MappingProxyType(members), groups=MappingProxyType(groups),
                    spend_limits=MappingProxyType(limits), org_name=d.org_name)


def nested(state: OrgState) -> dict[str, object]:
    """The state as plain nested data, the shape a deepdiff-based planner would compare."""
    return {
        "members": {e: {"role": m.role} for e, m in state.members.items()},
        "groups": {n: sorted(g.members) for n, g in state.groups.items()},
        "spend_limits": {f"{k.scope}:{k.key}": v.amount_cents
                         for k, v in state.spend_limits.items()},
    }


def _pin_one_cpu() -> tuple[set[int] | None, str]:
    """Pin this process to one CPU (the last allowed one); returns what to restore."""
    if not hasattr(os, "sched_setaffinity"):
        return None, "not pinned (no sched_setaffinity)"
    allowed = os.sched_getaffinity(0)
    cpu = max(allowed)
    os.sched_setaffinity(0, {cpu})
    return allowed, f"pinned to CPU {cpu}"


def _peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (Linux: ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def interleaved(a: Callable[[], object], b: Callable[[], object], runs: int
                ) -> tuple[tuple[float, float], tuple[float, float]]:
    """A and B in turn (A B A B ..., after one warm-up each): (wall, CPU) medians of each.

    On a shared machine the CPU time of this one-threaded process is the steadier
    figure; alternating keeps a drift in the machine's speed from favouring either."""
    a(), b()
    samples: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}
    for _ in range(runs):
        for name, fn in (("a", a), ("b", b)):
            gc.collect()
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            samples[name].append((time.perf_counter() - w0, time.process_time() - c0))

    def medians(rows: list[tuple[float, float]]) -> tuple[float, float]:
        return (statistics.median(r[0] for r in rows), statistics.median(r[1] for r in rows))

    return medians(samples["a"]), medians(samples["b"])


def run() -> list[Result]:
    from deepdiff import DeepDiff

    from bench.bench_validate import make_policy_repo
    from reconciler.heap import gc_paused
    from reconciler.plan import build_plan, diff
    from reconciler.policy import load_policy
    from reconciler.render import build_view, render_json, render_markdown, render_text

    out: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = make_policy_repo(Path(tmp) / "p100k", members=100_000, teams=5_000)
        restore, pinned = _pin_one_cpu()
        try:
            # only the live state is kept while the pipeline runs, as in ``seatctl plan``
            # (a second policy in memory would make every full GC pass slower)
            live = live_with_drift(load_policy(root))

            def plan_of(p: Policy):  # type: ignore[no-untyped-def]
                return build_plan(p, live, at=AT, created_at=NOW, commit=None)

            def render_all(plan) -> int:  # type: ignore[no-untyped-def]
                view = build_view(plan)
                return (len(render_text(view)) + len(render_markdown(view))
                        + len(render_json(view)))

            stages: list[tuple[float, float, float]] = []

            def pipeline() -> int:
                t0 = time.perf_counter()
                loaded = load_policy(root)
                t1 = time.perf_counter()
                planned = plan_of(loaded)
                t2 = time.perf_counter()
                size = render_all(planned)
                stages.append((t1 - t0, t2 - t1, time.perf_counter() - t2))
                return size

            def whole() -> int:
                # as ``seatctl plan`` runs it: the cyclic GC paused for the command
                with gc_paused():
                    return pipeline()

            t_whole = time_median(whole, runs=7)
            # each stage's median inside those same runs (the warm-up run left out)
            t_load, t_plan, t_render = (statistics.median(s)
                                        for s in zip(*stages[1:], strict=True))
            # the same pipeline with the collector running throughout, for comparison
            t_gc = time_median(pipeline, runs=5)
            # yaml-rs is a pure accelerator: the same pipeline with it off, interleaved
            from reconciler.policy import fastyaml

            def whole_without_yaml_rs() -> int:
                fastyaml.ENABLED = False
                try:
                    return whole()
                finally:
                    fastyaml.ENABLED = True

            (rs_wall, rs_cpu), (plain_wall, plain_cpu) = interleaved(
                whole, whole_without_yaml_rs, runs=5)
            mem = peak_memory_mb(whole)
            rss = _peak_rss_mb()  # before the deepdiff baseline, which needs far more
            # build_plan alone, on a policy loaded apart from the one ``live`` was built
            # from (as in the pipeline: no email or role string object shared with live)
            policy = load_policy(root)
            plan = plan_of(policy)
            n_changes = len(plan.changes)
            t_plan_alone = time_median(lambda: plan_of(policy), runs=7)
            t_diff = time_median(lambda: diff(policy, live, AT), runs=7)
            t_render_alone = time_median(lambda: render_all(plan), runs=7)
            want, have = nested(policy.desired), nested(live)
            base = time_median(lambda: DeepDiff(want, have, ignore_order=True), runs=1,
                               warmup=0)
        finally:
            if restore is not None:
                os.sched_setaffinity(0, restore)
    parts = t_load + t_plan + t_render
    out.append(Result(
        "plan: load+validate+plan+render 100k members / 5,000 teams, 1 % drift (1 core)",
        f"{t_whole.median_s:.2f} s", "≤ 1.5 s",
        f"one process, {pinned}, median of {len(t_whole.runs)} "
        f"(min {t_whole.min_s:.2f} s), cyclic GC paused as in `seatctl plan` "
        f"(with it running: {t_gc.median_s:.2f} s); {n_changes} changes, "
        f"{len(plan.findings)} findings. "
        f"Stage medians inside those runs: load_policy {t_load:.2f} s + build_plan "
        f"{t_plan:.3f} s + render text+md+json {t_render:.3f} s = {parts:.2f} s; "
        f"alone: build_plan {t_plan_alone.median_s:.3f} s (diff {t_diff.median_s:.3f} s), "
        f"render {t_render_alone.median_s:.3f} s"))
    out.append(Result(
        "plan: the same pipeline without yaml-rs (fastyaml.ENABLED off), 1 core",
        f"{plain_cpu:.2f} s CPU ({plain_wall:.2f} s wall)", "≤ 1.5 s",
        f"same run, interleaved with yaml-rs on, median of 5 each: on {rs_cpu:.2f} s CPU "
        f"({rs_wall:.2f} s wall); yaml-rs saves {plain_cpu - rs_cpu:.2f} s CPU "
        f"({(plain_cpu - rs_cpu) / plain_cpu:.0%})"))
    out.append(Result("plan: peak memory, whole pipeline at 100k",
                      f"{mem:.0f} MiB Python heap; {rss:.0f} MiB peak RSS", "≤ 600 MB",
                      "heap: tracemalloc over one whole run; RSS: ru_maxrss of the bench "
                      "process so far (all runs and the generated repo's data, before the "
                      "deepdiff baseline)"))
    out.append(Result(
        "plan: diff vs deepdiff baseline, whole 100k state",
        f"{t_diff.median_s * 1000:.0f} ms", "",
        f"deepdiff(ignore_order) over the nested desired vs live state: "
        f"{base.median_s:.1f} s, one run, same process ({base.median_s / t_diff.median_s:.0f}x "
        f"our diff; {base.median_s / t_plan_alone.median_s:.0f}x all of build_plan)"))
    return out


if __name__ == "__main__":
    for r in run():
        print(r.row())
