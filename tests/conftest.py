"""Shared fixtures: paths, the CLI runner, and (as the parts land) sandbox orgs."""

from __future__ import annotations

import pathlib
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from reconciler.cli.main import main

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE_POLICIES = ROOT / "policies"
SHARED = ROOT.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden", action="store_true", help="rewrite golden files from current output"
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> CliResult:
    """Run ``seatctl`` in-process exactly as the console script does (same exit codes)."""
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _):
        code = main(list(args))
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture
def seatctl():
    return run_cli
