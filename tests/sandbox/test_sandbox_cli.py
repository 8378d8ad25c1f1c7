"""``seatctl sandbox seed|reset|serve``: what a user types, what they get back."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys

import anthropic
from conftest import ROOT, run_cli

from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.store import SandboxStore


def test_seed_demo_then_reset(tmp_path: pathlib.Path) -> None:
    db = str(tmp_path / "s.db")
    result = run_cli("sandbox", "seed", "--demo", "--db", db, "--today", "2026-11-25")
    assert result.exit_code == 0 and "Acme demo org" in result.stdout
    assert SandboxStore(db).scalar("SELECT COUNT(*) FROM users WHERE deleted = 0") == 19
    assert run_cli("sandbox", "reset", "--db", db).exit_code == 0
    assert SandboxStore(db).scalar("SELECT COUNT(*) FROM users") == 0


def test_seed_generated(tmp_path: pathlib.Path) -> None:
    db = str(tmp_path / "g.db")
    result = run_cli("sandbox", "seed", "--members", "500", "--groups", "20", "--db", db)
    assert result.exit_code == 0
    assert SandboxStore(db).scalar("SELECT COUNT(*) FROM rbac_groups") == 20


def test_seed_needs_exactly_one_source(tmp_path: pathlib.Path) -> None:
    db = str(tmp_path / "x.db")
    for args in ((), ("--demo", "--members", "5")):
        result = run_cli("sandbox", "seed", *args, "--db", db)
        assert result.exit_code == 1
        assert "exactly one of --demo or --members" in result.stderr
        assert "Traceback" not in result.stderr


def test_default_db_lives_under_the_working_directory(tmp_path: pathlib.Path) -> None:
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        assert run_cli("sandbox", "seed", "--demo").exit_code == 0
    finally:
        os.chdir(cwd)
    assert (tmp_path / ".seatctl" / "sandbox.db").is_file()


def test_serve_answers_the_sdk_and_stops_on_sigterm(tmp_path: pathlib.Path) -> None:
    db = str(tmp_path / "serve.db")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "reconciler.cli.main",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--db",
            db,
            "--seed-demo",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + (proc.stderr.read() if proc.stderr else "")
        url = line.split(" on ")[1].split(" ")[0]
        client = anthropic.Anthropic(api_key=SANDBOX_KEY, base_url=url, max_retries=0)
        assert client.organization.retrieve().name == "Acme Corp"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err


def test_serve_enforces_rate_limit_from_the_command_line(tmp_path: pathlib.Path) -> None:
    """``--rate-limit`` turns the documented limit on: over it the SDK gets a 429."""
    db = str(tmp_path / "rl.db")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.cli.main", "sandbox", "serve", "--port", "0",
         "--db", db, "--seed-demo", "--rate-limit", "3"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + (proc.stderr.read() if proc.stderr else "")
        url = line.split(" on ")[1].split(" ")[0]
        assert "3 requests per 60 s window" in proc.stdout.readline()
        client = anthropic.Anthropic(api_key=SANDBOX_KEY, base_url=url, max_retries=0)
        for _ in range(3):
            client.organization.retrieve()
        try:
            client.organization.retrieve()
            raise AssertionError("the fourth request in a minute was not refused")
        except anthropic.RateLimitError:
            pass
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
