"""Shared fixtures: paths, the CLI runner, sandbox orgs, local notification receivers."""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import os
import pathlib
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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


@pytest.fixture(autouse=True)
def _isolated_lock_dir(tmp_path_factory: pytest.TempPathFactory,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Apply locks are per organization in one per-user directory (SEATCTL_LOCK_DIR);
    each test gets its own, so tests never see each other's (or the user's) locks."""
    monkeypatch.setenv("SEATCTL_LOCK_DIR", str(tmp_path_factory.mktemp("locks")))


#: Written by tools around the tests, not by a test.
_NOT_A_TEST_WRITE = (".pytest_cache", ".coverage", "__pycache__", ".mypy_cache", ".ruff_cache",
                     ".hypothesis")


def _cwd_state(cwd: pathlib.Path) -> dict[str, int]:
    """What a test could leave in the working directory: its top-level names, and every
    file under ``.seatctl`` (the commands' default state dir) with its mtime."""
    seen = {entry.name: 0 for entry in cwd.iterdir()
            if not entry.name.startswith(_NOT_A_TEST_WRITE)}
    # .ci/run installs the TypeScript SDK under .seatctl/ts-sdk: thousands of files that
    # are tooling, not state, and would be stat'ed twice per test
    for folder, dirs, files in os.walk(cwd / ".seatctl"):
        dirs[:] = [d for d in dirs if d != "node_modules"]
        for name in files:
            path = pathlib.Path(folder, name)
            seen[str(path.relative_to(cwd))] = path.stat().st_mtime_ns
    return seen


@pytest.fixture(autouse=True)
def _nothing_left_in_cwd() -> Iterator[None]:
    """Fail a test that writes into the working directory (the checkout when pytest runs
    from it): commands keep state under ``./.seatctl`` by default, so a test must pass
    ``--state-dir``/``--sandbox`` under ``tmp_path`` or ``monkeypatch.chdir(tmp_path)``."""
    cwd = pathlib.Path.cwd()
    before = _cwd_state(cwd)
    yield
    after = _cwd_state(cwd)
    left = sorted(k for k, v in after.items() if before.get(k) != v)
    if left:
        pytest.fail(f"the test left files in the working directory {cwd}: {', '.join(left)} "
                    "(use tmp_path: --state-dir, --sandbox, or monkeypatch.chdir)",
                    pytrace=False)


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


# --- notification receivers on 127.0.0.1: SMTP (aiosmtpd, STARTTLS) and webhooks ---

SMTP_USER, SMTP_PASS = "mailer", "s3cret-Smtp-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[pathlib.Path, pathlib.Path]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )
    return cert, key


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 OK"


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_USER.encode(), SMTP_PASS.encode())
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server(tls_files) -> Iterator[tuple[Inbox, int, ssl.SSLContext]]:
    """An SMTP server on 127.0.0.1 requiring STARTTLS and SMTP_USER/SMTP_PASS; yields
    (inbox, port, a client SSL context that trusts its certificate ``tls_files[0]``)."""
    from aiosmtpd.controller import Controller

    cert, key = tls_files
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, tls_context=server_ctx,
                            require_starttls=True, authenticator=_auth,
                            auth_require_tls=True)
    controller.start()
    client_ctx = ssl.create_default_context(cafile=str(cert))
    try:
        yield inbox, port, client_ctx
    finally:
        controller.stop()


class Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append({"path": self.path, "json": json.loads(body),
                                    "type": self.headers["Content-Type"]})
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok" if type(self).status < 300 else b"invalid_token")

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, type[Receiver]]]:
    handler = type("R", (Receiver,), {"received": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/services/T0/B0/tokenXYZ", handler
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def serve_sandbox(db: pathlib.Path, *extra: str, env: Mapping[str, str] | None = None,
                  cwd: pathlib.Path = ROOT) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """``seatctl sandbox serve`` on 127.0.0.1 (a free port) in a subprocess, stopped on
    exit; yields its base URL and the process (whose stdout has more to say)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler.cli.main", "sandbox", "serve", "--port", "0",
         "--sandbox", str(db), *extra],
        cwd=cwd, env=None if env is None else dict(env), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + (proc.stderr.read() if proc.stderr else "")
        yield line.split(" on ")[1].split(" ")[0], proc
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
