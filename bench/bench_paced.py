"""Reads and applies paced against the documented rate limit, on a real clock (issue 20).

``seatctl sandbox serve --rate-limit 100`` enforces the documented 100 Admin API
requests per minute (a sliding 60 s window; 429 above it). Against it, as a user runs
them (subprocesses, the real clock):

(a) ``seatctl plan`` of an org of 20,000 members in 250 RBAC groups: a full read of
    about 276 pages (20 users pages, 250 group-member pages, ...), ~3 minutes;
(b) ``seatctl apply`` of that plan with 100 changes (50 members each moved to the next
    team: 50 group removals + 50 group adds): its pre-apply full read, then the writes,
    all through one limiter.

Counted by the sandbox itself (``GET /_sandbox/stats`` → ``rate_limit``): requests it
allowed, 429s it answered, and the span from the first to the last allowed request.
Utilisation = requests ÷ (span × limit/60); the command's wall time (process start,
policy load and plan included) is given too. Targets: 0 × 429, >= 90 % utilisation.

``--quick`` scales the limit and the window together, 600 requests/min over a 10 s
window (still 100 per window), and the client's limit by the same factor, so a run
takes ~1 minute instead of ~7 and crosses many windows. ``org.yaml`` caps
``apply.requests_per_minute`` at 100, so the quick commands run as ``seatctl`` in a
wrapper (``_scaled_cli``) that multiplies the limiter ``org.yaml`` yields by 6; the
full run uses the ``seatctl`` executable unchanged.
``--runs N`` repeats (each run reseeds and waits out the previous run's window).

Run: ``python -m bench.bench_paced [--quick] [--runs N]`` (``python -m bench paced``
runs one full-limit run).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.harness import Result, ServedSandbox

MEMBERS, GROUPS = 20_000, 250
MOVES = 50  # members moved to the next team: 2 changes each
DOCUMENTED_PER_MIN = 100
#: The client-side limit as a fraction of the documented one: org.yaml's default 90/100.
CLIENT_SHARE = 0.9


@dataclass(frozen=True)
class Mode:
    """The server's limit and window; the client's limit is ``org.yaml``'s × ``scale``."""

    name: str
    limit_per_min: float
    window_s: float
    scale: int

    @property
    def seatctl(self) -> list[str]:
        """How a command is started: the executable, or the scaling wrapper."""
        if self.scale == 1:
            return [str(pathlib.Path(sys.executable).with_name("seatctl"))]
        return [sys.executable, "-m", "bench.bench_paced", "--as-seatctl-scaled",
                str(self.scale)]


FULL = Mode("full", DOCUMENTED_PER_MIN, 60.0, 1)
QUICK = Mode("quick", DOCUMENTED_PER_MIN * 6, 10.0, 6)


@dataclass(frozen=True)
class Counted:
    """One command as the sandbox counted it."""

    what: str
    requests: int  # allowed by the rate limit
    refused: int  # answered 429 by the rate limit
    span_s: float  # first to last allowed request
    wall_s: float  # the whole command, process start included
    limit_per_min: float

    @property
    def utilisation(self) -> float:
        return self.requests / (self.span_s * self.limit_per_min / 60) if self.span_s else 0.0

    @property
    def wall_utilisation(self) -> float:
        return self.requests / (self.wall_s * self.limit_per_min / 60)


class Served(ServedSandbox):
    """``seatctl sandbox serve`` with the rate limit on, in a subprocess."""

    def __init__(self, db: pathlib.Path, mode: Mode, cwd: pathlib.Path) -> None:
        super().__init__(db, "--rate-limit", f"{mode.limit_per_min:g}",
                         "--rate-window", f"{mode.window_s:g}", cwd=cwd)

    def counters(self) -> dict[str, float]:
        rate = self.stats()["rate_limit"]
        assert isinstance(rate, dict)
        return rate


def _policy(db: pathlib.Path, root: pathlib.Path) -> pathlib.Path:
    """The org imported as a policy, then 50 members each moved to the next team (in a
    ring, so no team's seat count changes): 100 changes."""
    from reconciler.gitops.importer import import_policy
    from reconciler.model import OrgType
    from reconciler.policy import write_policy
    from reconciler.providers.anthropic import AnthropicProvider
    from reconciler.sandbox.client import sandbox_client
    from reconciler.sandbox.store import SandboxStore

    store = SandboxStore(str(db))
    try:  # read in-process, before the server (and its limit) is up
        live = AnthropicProvider(sandbox_client(store, max_retries=0),
                                 org_type=OrgType.ENTERPRISE, key_env_name="BENCH").fetch()
    finally:
        store.close()
    policies = root / "policies"
    write_policy(import_policy(live).policy, policies)
    org = policies / "org.yaml"  # 50 group removals are over the default cap of 10
    org.write_text(org.read_text().replace("max_removals: 10\n", "max_removals: 1000\n", 1))
    teams = [policies / "teams" / f"{t:04d}.yaml" for t in range(1, MOVES + 1)]
    texts = [t.read_text() for t in teams]
    entry = re.compile(r"- email: [^\n]+\n  name: [^\n]+\n  role: [^\n]+\n")
    moved = []
    for i, text in enumerate(texts):
        first = entry.search(text)
        assert first, teams[i]
        moved.append(first.group(0))
        texts[i] = text[:first.start()] + text[first.end():]
    for i, text in enumerate(texts):
        texts[i] = text + moved[i - 1]  # team i gets team i-1's member (ring)
    for path, text in zip(teams, texts, strict=True):
        path.write_text(text)
    return policies


def _with_url(policies: pathlib.Path, url: str) -> None:
    org = policies / "org.yaml"
    text = re.sub(r"\n  base_url: [^\n]*", "", org.read_text())
    org.write_text(text.replace("  provider: anthropic\n",
                                f"  provider: anthropic\n  base_url: {url}\n", 1))


def _run(served: Served, mode: Mode, what: str, args: list[str], cwd: pathlib.Path,
         ok: tuple[int, ...]) -> Counted:
    from reconciler.sandbox.routing import SANDBOX_KEY

    here = str(pathlib.Path(__file__).resolve().parent.parent)
    env = {**os.environ, "SEATCTL_ADMIN_KEY": SANDBOX_KEY, "NO_COLOR": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, (here, os.environ.get("PYTHONPATH"))))}
    served.reset()
    t0 = time.perf_counter()
    done = subprocess.run([*mode.seatctl, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)
    wall = time.perf_counter() - t0
    if done.returncode not in ok:
        raise RuntimeError(f"{what}: exit {done.returncode}\n{done.stdout[-2000:]}\n"
                           f"{done.stderr[-2000:]}")
    c = served.counters()
    return Counted(what, int(c["allowed"]), int(c["refused"]), float(c["span_s"]), wall,
                   mode.limit_per_min)


def one_run(mode: Mode, members: int = MEMBERS, groups: int = GROUPS) -> tuple[Counted, Counted]:
    """Seed, import, serve with the limit on, then plan (full read) and apply.

    Plan and apply both evaluate at UTC today (no ``--at``): apply takes a plan only on
    the day it was made, and nothing in this org depends on the date."""
    from bench.bench_refresh import seed_large

    with tempfile.TemporaryDirectory(prefix="seatctl-bench-paced-") as tmp:
        root = pathlib.Path(tmp)
        db = root / "sandbox.db"
        seed_large(db, members, groups, members // groups)
        policies = _policy(db, root)
        served = Served(db, mode, root)
        try:
            _with_url(policies, served.url)
            state, locks = root / "state", root / "locks"
            plan = _run(served, mode, "plan (full read)",
                        ["plan", str(policies), "--out",
                         str(root / "plan.json"), "--state-dir", str(state)], root, (2,))
            changes = len(json.loads((root / "plan.json").read_text())["changes"])
            assert changes == 2 * MOVES, changes
            apply = _run(served, mode, f"apply ({changes} changes)",
                         ["apply", str(root / "plan.json"), str(policies), "--state-dir",
                          str(state), "--lock-dir", str(locks)], root, (0,))
        finally:
            served.stop()
    return plan, apply


def _rows(mode: Mode, runs: list[tuple[Counted, Counted]]) -> list[Result]:
    out = []
    for index, label in ((0, "read"), (1, "apply")):
        got = [r[index] for r in runs]

        def med(f: Callable[[Counted], float], got: list[Counted] = got) -> float:
            return statistics.median(f(c) for c in got)

        limit = f"{mode.limit_per_min:g}/min over a {mode.window_s:g} s sliding window"
        out.append(Result(
            f"paced {label} against {limit}: {got[0].what}",
            f"{med(lambda c: c.utilisation):.1%} of the limit, "
            f"{max(c.refused for c in got)} × 429",
            ">= 90 %, 0 × 429",
            f"{mode.name}; median of {len(got)}; requests {med(lambda c: c.requests):.0f}, "
            f"span {med(lambda c: c.span_s):.1f} s, command wall {med(lambda c: c.wall_s):.1f} s "
            f"({med(lambda c: c.wall_utilisation):.1%} of the limit over the wall time); "
            f"per run: " + ", ".join(f"{c.utilisation:.1%}/{c.refused}" for c in got)))
    return out


def run(mode: Mode = FULL, runs: int = 1) -> list[Result]:
    done = []
    for n in range(runs):
        if n:
            time.sleep(mode.window_s)  # a fresh server anyway; keep runs apart
        done.append(one_run(mode))
        for c in done[-1]:
            print(f"# run {n + 1}: {json.dumps(dataclasses.asdict(c))} "
                  f"utilisation={c.utilisation:.3f}", file=sys.stderr, flush=True)
    return _rows(mode, done)


def _scaled_cli(scale: int, argv: list[str]) -> int:
    """``seatctl`` with the limiter ``org.yaml`` yields run ``scale`` times faster (quick)."""
    from reconciler.apply import session
    from reconciler.apply.limiter import RateLimiter
    from reconciler.cli.main import main
    from reconciler.model import Policy

    plain = session.limiter_for

    def scaled(policy: Policy) -> RateLimiter:
        limits = plain(policy).limits
        rpm = (limits.requests_per_minute or 0) * scale or None
        return RateLimiter(dataclasses.replace(limits, requests_per_minute=rpm))

    session.limiter_for = scaled  # before cli.apply imports it
    return main(argv)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--as-seatctl-scaled"]:
        sys.exit(_scaled_cli(int(sys.argv[2]), sys.argv[3:]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="600/min over a 10 s window (100 per window), ~30 s a run")
    parser.add_argument("--runs", type=int, default=1, help="runs; the figures are medians")
    opts = parser.parse_args()
    print("| benchmark | measured | target | note |\n|---|---|---|---|")
    for result in run(QUICK if opts.quick else FULL, opts.runs):
        print(result.row(), flush=True)
