"""The official TypeScript SDK against ``running_server``: the sandbox is not Python-shaped.

Needs ``node`` and ``@anthropic-ai/sdk`` installed under ``.seatctl/ts-sdk`` (or the
directory in ``SEATCTL_TS_SDK_DIR``): ``npm install --prefix .seatctl/ts-sdk
@anthropic-ai/sdk``. Skipped, with the reason, when either is missing.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess

import pytest
from conftest import ROOT

from reconciler.sandbox.app import create_app
from reconciler.sandbox.demo import seed_demo
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.server import running_server
from reconciler.sandbox.store import SandboxStore

SDK_DIR = pathlib.Path(os.environ.get("SEATCTL_TS_SDK_DIR", ROOT / ".seatctl" / "ts-sdk"))
SCRIPT = pathlib.Path(__file__).with_name("sandbox_ts_smoke.mjs")


@pytest.mark.network
def test_typescript_sdk_pages_creates_and_gets_typed_errors(tmp_path: pathlib.Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    if not (SDK_DIR / "node_modules" / "@anthropic-ai" / "sdk").is_dir():
        pytest.skip(f"@anthropic-ai/sdk not installed in {SDK_DIR} (npm install --prefix ...)")
    # ESM imports resolve from the script's own folder (NODE_PATH is not read): the test's
    # copy sits beside a link to the installed node_modules, outside the checkout
    script = tmp_path / SCRIPT.name
    shutil.copyfile(SCRIPT, script)
    (tmp_path / "node_modules").symlink_to(SDK_DIR.resolve() / "node_modules",
                                           target_is_directory=True)
    store = SandboxStore(":memory:")
    seed_demo(store, store.now().date())
    with running_server(create_app(store)) as url:
        done = subprocess.run(
            [node, str(script), url, SANDBOX_KEY], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(seen["users"]) == 19 and len(set(seen["users"])) == 19  # 4 pages of 5
    assert len(seen["groups"]) == 8  # 3 pages of 3
    assert seen["invite"] == "pending" and seen["deleted"] == "invite_deleted"
    assert seen["duplicate"]["status"] == 400
    assert seen["duplicate"]["code"] == "invite_already_exists"
