"""Shared timing harness: median of several runs, peak memory, ratios in one run.

A benchmark measures its target and its baseline in the same process and run, so
the ratio holds whatever machine CI lands on. Results are printed as one Markdown
table row each, ready to paste into ``bench/RESULTS.md``.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    median_s: float
    runs: tuple[float, ...]

    @property
    def min_s(self) -> float:
        return min(self.runs)


def time_median(fn: Callable[[], object], *, runs: int = 5, warmup: int = 1) -> Timing:
    """Wall time of ``fn`` over ``runs`` runs (after ``warmup``), garbage collected between."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return Timing(statistics.median(samples), tuple(samples))


def peak_memory_mb(fn: Callable[[], object]) -> float:
    """Peak Python heap allocated while ``fn`` runs (tracemalloc), in MiB."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / (1024 * 1024)


@dataclass(frozen=True)
class Result:
    name: str
    value: str
    target: str = ""
    note: str = ""

    def row(self) -> str:
        return f"| {self.name} | {self.value} | {self.target} | {self.note} |"
