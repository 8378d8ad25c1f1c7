"""The quick start shows what the README says, on whatever day it runs.

The commands are read from the Makefile's ``demo`` recipe and the expected lines from the
README's sample plan, so neither can drift from what users see. The demo org and the
example policy are written for ``DEMO_DATE``; CI also runs this file with the clock moved
one and three years ahead (``make test-calendar``), which is where a date leaking into the
demo would show.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest
from conftest import ROOT, run_cli

from reconciler.sandbox.demo import DEMO_DATE

README = (ROOT / "README.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def _make_var(name: str) -> str:
    m = re.search(rf"^{name}\s*:?\??=\s*(\S+)\s*$", MAKEFILE, re.M)
    assert m, f"Makefile sets no {name}"
    return m.group(1)


def _demo_commands(tmp: pathlib.Path) -> list[list[str]]:
    """The recipe's seatctl commands, with the sandbox and plan moved into ``tmp``."""
    recipe = MAKEFILE.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    out = []
    for line in recipe.splitlines():
        line = line.strip()
        if not line.startswith("$(BIN)/seatctl "):
            continue
        line = line.split("||")[0]
        line = (line.replace("$(SANDBOX_DB)", str(tmp / "sandbox.db"))
                .replace("$(DEMO_AT)", _make_var("DEMO_AT"))
                .replace(".seatctl/plan.json", str(tmp / "plan.json")))
        out.append(shlex.split(line)[1:])
    return out


def _readme_sample() -> list[str]:
    """The sample plan block the README shows after `make demo`."""
    intro = README.index("The sandbox is")
    block = README[README.index("```\n", intro) + 4:]
    return [line for line in block[:block.index("```")].splitlines() if line.strip()]


def test_demo_date_is_the_one_the_makefile_pins() -> None:
    assert _make_var("DEMO_AT") == DEMO_DATE.isoformat()


def test_make_demo_prints_the_readme_plan_then_apply_converges(
        tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluated at the demo org's own date (DEMO_DATE), whatever today is."""
    monkeypatch.chdir(ROOT)  # the recipe names `policies` relative to the checkout
    commands = _demo_commands(tmp_path)
    assert [c[0] for c in commands] == ["sandbox", "validate", "plan"]
    state = ["--state-dir", str(tmp_path / "state")]  # the plan's snapshot: not in the checkout
    results = [run_cli(*c, *(state if c[0] == "plan" else ())) for c in commands]
    assert [r.exit_code for r in results] == [0, 0, 2], [r.stderr for r in results]

    shown = results[2].stdout.splitlines()
    expected = _readme_sample()
    assert len(expected) >= 5
    at = 0
    for line in expected:  # the README's lines, in its order (it elides hints and costs)
        assert line in shown[at:], f"README line not printed by make demo: {line!r}"
        at = shown.index(line, at) + 1
    assert f"evaluated on {DEMO_DATE.isoformat()}" in results[2].stdout

    db = str(tmp_path / "sandbox.db")
    applied = run_cli("apply", str(tmp_path / "plan.json"), "--sandbox", db, *state)
    assert applied.exit_code == 0, applied.stderr
    again = run_cli("plan", "policies", "--sandbox", db, *state)
    assert again.exit_code == 0, again.stdout
    assert "No changes" in again.stdout


def test_the_calendar_harness_moves_every_python_process() -> None:
    """CI's shifted runs rely on this: a child Python sees the clock moved by the days
    asked for, relative to the day this test runs (itself maybe shifted by CI)."""
    own = int(os.environ.get("CLOCK_SHIFT_DAYS") or 0)
    env = dict(os.environ, CLOCK_SHIFT_DAYS="400",
               PYTHONPATH=str(ROOT / "tests" / "timeshift"))
    code = "import datetime; print(datetime.datetime.now(datetime.UTC).date().isoformat())"
    before = dt.datetime.now(dt.UTC).date()
    got = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, timeout=60).stdout.strip()
    after = dt.datetime.now(dt.UTC).date()
    moved = dt.timedelta(days=400 - own)
    assert dt.date.fromisoformat(got) - moved in (before, after)
