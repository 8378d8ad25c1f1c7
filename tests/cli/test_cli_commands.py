"""Every command, walked: an example in its help, help on every option, usage errors exit 1,
one spelling per concept with the old ones still working, and a root --help that imports
no command.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import click
import pytest
from conftest import run_cli

from reconciler.cli.main import COMMANDS, SUMMARIES, cli

EXAMPLE_POLICIES = pathlib.Path(__file__).resolve().parents[2] / "policies"


def _walk(cmd: click.Command, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, cmd)]
    if isinstance(cmd, click.Group):
        ctx = click.Context(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            assert sub is not None, name
            found += _walk(sub, (*path, name))
    return found


ALL = _walk(cli, ())
LEAVES = [(path, cmd) for path, cmd in ALL if not isinstance(cmd, click.Group)]


@pytest.mark.parametrize(("path", "cmd"), ALL, ids=[" ".join(p) or "seatctl" for p, _ in ALL])
def test_help_ends_with_an_example_and_every_option_has_help(
        path: tuple[str, ...], cmd: click.Command) -> None:
    res = run_cli(*path, "--help")
    assert res.exit_code == 0, res.stderr
    assert "Example:\n" in res.stdout, f"seatctl {' '.join(path)} --help has no example"
    tail = res.stdout.split("Example:\n", 1)[1].split("\n\n", 1)[0]
    assert tail.strip().startswith("seatctl "), tail
    for param in cmd.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"seatctl {' '.join(path)} {param.opts[0]} has no help text"


@pytest.mark.parametrize(("path", "cmd"), ALL, ids=[" ".join(p) or "seatctl" for p, _ in ALL])
def test_a_usage_error_exits_1_not_2(path: tuple[str, ...], cmd: click.Command) -> None:
    res = run_cli(*path, "--no-such-option")
    assert res.exit_code == 1, (res.exit_code, res.stderr)
    assert "No such option" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize(("path", "cmd"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_one_spelling_per_concept(path: tuple[str, ...], cmd: click.Command) -> None:
    """POLICY_DIR is positional, the day is --at DATE, a sandbox is --sandbox PATH."""
    visible = {opt for p in cmd.params if isinstance(p, click.Option) and not p.hidden
               for opt in p.opts}
    assert not visible & {"--policy", "--policy-dir", "--today"}, visible
    if "--db" in visible:  # --db is only ever the usage store
        db = next(p for p in cmd.params if "--db" in getattr(p, "opts", ()))
        assert "Usage store" in (db.help or ""), (path, db.help)
    args = [p for p in cmd.params if isinstance(p, click.Argument)]
    for arg in args:
        if "policy" in (arg.name or ""):
            assert arg.make_metavar(click.Context(cmd)) == "[POLICY_DIR]"


def test_root_summaries_match_each_command_and_help_imports_no_command() -> None:
    ctx = click.Context(cli)
    assert set(SUMMARIES) == set(COMMANDS)
    for name, summary in SUMMARIES.items():
        cmd = cli.get_command(ctx, name)
        assert cmd is not None and cmd.get_short_help_str(limit=1000) == summary, name
    code = ("import sys; from reconciler.cli.main import main; rc = main(['--help']); "
            "heavy = [m for m in sys.modules if m.startswith(('anthropic', 'reconciler.cli.', "
            "'reconciler.policy', 'httpx'))]; "
            "print(sorted(m for m in heavy if m != 'reconciler.cli.main'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().endswith("[]"), out


def test_old_spellings_still_work_with_a_note_on_stderr(tmp_path: pathlib.Path) -> None:
    """Evaluated at 2026-11-25 (the example policy's day), given as --at and as --today."""
    new = run_cli("validate", str(EXAMPLE_POLICIES), "--at", "2026-11-25")
    old = run_cli("validate", "--policy", str(EXAMPLE_POLICIES), "--today", "2026-11-25")
    assert new.exit_code == old.exit_code == 0, old.stderr
    assert new.stdout.replace(str(EXAMPLE_POLICIES), "P") == \
        old.stdout.replace(str(EXAMPLE_POLICIES), "P")
    assert "--policy is deprecated" in old.stderr and "use the POLICY_DIR argument" in old.stderr
    assert "--today is deprecated" in old.stderr and "use --at" in old.stderr
    assert new.stderr == ""

    db = tmp_path / "sandbox.db"
    seeded = run_cli("sandbox", "seed", "--demo", "--db", str(db), "--today", "2026-11-25")
    assert seeded.exit_code == 0, seeded.stderr
    assert "--db is deprecated" in seeded.stderr and db.exists()
    reset = run_cli("sandbox", "reset", "--sandbox", str(db))
    assert reset.exit_code == 0 and reset.stderr == ""


def test_both_spellings_at_once_is_a_usage_error() -> None:
    res = run_cli("validate", str(EXAMPLE_POLICIES), "--policy", str(EXAMPLE_POLICIES))
    assert res.exit_code == 1
    assert "give the POLICY_DIR argument or --policy, not both" in res.stderr


def test_a_bad_date_names_the_option_and_the_format() -> None:
    res = run_cli("plan", str(EXAMPLE_POLICIES), "--demo", "--at", "2026-13-01")
    assert res.exit_code == 1
    assert "'--at'" in res.stderr and "use YYYY-MM-DD" in res.stderr
    assert "Traceback" not in res.stderr


#: Commands that evaluate the policy on a day take that day as --at (and only as --at).
DATED = {("plan",), ("validate",), ("drift",), ("status",), ("review",), ("sandbox", "seed"),
         *[("usage", name) for name in ("sync", "report", "inactive", "alerts", "chargeback",
                                         "dashboard")]}


@pytest.mark.parametrize("path", sorted(DATED), ids=[" ".join(p) for p in sorted(DATED)])
def test_every_dated_command_takes_at(path: tuple[str, ...]) -> None:
    cmd = dict(LEAVES)[path]
    at = [p for p in cmd.params if isinstance(p, click.Option) and "--at" in p.opts]
    assert len(at) == 1 and at[0].metavar == "DATE"
