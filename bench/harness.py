"""Shared timing harness: median of several runs, peak memory, ratios in one run.

A benchmark measures its target and its baseline in the same process and run, so
the ratio holds whatever machine CI lands on. Results are printed as one Markdown
table row each, ready to paste into ``bench/RESULTS.md``.
"""

from __future__ import annotations

import gc
import json
import pathlib
import re
import statistics
import subprocess
import sys
import time
import tracemalloc
import urllib.request
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


class ServedSandbox:
    """``seatctl sandbox serve`` in a subprocess on 127.0.0.1, and its own counters.

    Why: request counts that benchmarks record come from the server, not the client.
    """

    def __init__(self, db: pathlib.Path, *extra: str, cwd: pathlib.Path | None = None) -> None:
        exe = pathlib.Path(sys.executable).with_name("seatctl")
        self.proc = subprocess.Popen(
            [str(exe), "sandbox", "serve", "--port", "0", "--sandbox", str(db), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=cwd)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if not match:
            self.stop()
            raise RuntimeError(f"sandbox serve did not start: {line!r}")
        self.url = match.group(1)

    def stats(self, method: str = "GET") -> dict[str, object]:
        """``/_sandbox/stats`` (``DELETE`` resets the counters)."""
        from reconciler.sandbox.routing import SANDBOX_KEY

        req = urllib.request.Request(self.url + "/_sandbox/stats", method=method,
                                     headers={"x-api-key": SANDBOX_KEY})
        with urllib.request.urlopen(req) as resp:
            body = resp.read()
        return dict(json.loads(body)) if body.strip() else {}

    def reset(self) -> None:
        self.stats("DELETE")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
