"""Terminal and Markdown injection from the live org (issue 16, defect 7).

A live group name and the live org name hold OSC 8 (a hyperlink), BEL, CR and ESC.
``drift`` and ``status`` print them visibly (``\\u001b``), never raw, so no line can
be forged; drift's Markdown keeps no control character either. The demo org is seeded
on ``DEMO_DATE`` (2026-11-25) and every command runs on the sandbox's date.
"""

from __future__ import annotations

import pathlib
import shutil

import pytest
from conftest import EXAMPLE_POLICIES, run_cli

from reconciler.sandbox.demo import DEMO_DATE

OSC = "\x1b]8;;http://evil.example\x07Click\x1b]8;;\x07"
HOSTILE_GROUP = f"team-x{OSC}\rIn sync\x1b[2K"
HOSTILE_ORG = f"Acme{OSC}\r\x1b[31mAll good"
RAW = ("\x1b", "\x07", "\r")


@pytest.fixture
def hostile(tmp_path: pathlib.Path) -> dict[str, pathlib.Path]:
    from reconciler.cli.demo import seed_demo_org
    from reconciler.sandbox.store import SandboxStore

    policies = tmp_path / "policies"
    shutil.copytree(EXAMPLE_POLICIES, policies)
    store = SandboxStore(str(tmp_path / "sandbox.db"))
    try:
        seed_demo_org(store, DEMO_DATE, EXAMPLE_POLICIES)
        store.execute("UPDATE rbac_groups SET name = ? WHERE name = ?",
                      (HOSTILE_GROUP, "team-backend"))
        store.set_meta("org_name", HOSTILE_ORG)
    finally:
        store.close()
    return {"policies": policies, "sandbox": tmp_path / "sandbox.db",
            "state": tmp_path / "last-apply.json"}


def _common(h: dict[str, pathlib.Path]) -> list[str]:
    return [str(h["policies"]), "--sandbox", str(h["sandbox"]), "--state", str(h["state"])]


def test_drift_text_and_markdown_show_control_characters(
        hostile: dict[str, pathlib.Path]) -> None:
    text = run_cli("drift", *_common(hostile))
    assert text.exit_code == 2, text.stderr
    assert not any(c in text.stdout for c in RAW)
    assert "team-x\\u001b]8;;http://evil.example\\u0007Click" in text.stdout
    md = run_cli("drift", *_common(hostile), "--format", "markdown")
    assert md.exit_code == 2, md.stderr
    assert not any(c in md.stdout for c in RAW)
    assert "\\u001b" in md.stdout and "http://evil" not in md.stdout


def test_status_text_shows_control_characters() -> None:
    """Status text and Markdown of an org whose name (live or policy) is hostile."""
    from reconciler.gitops.render_status import render_status
    from reconciler.gitops.status import ActiveSeats, OrgStatus, TierLine

    status = OrgStatus(HOSTILE_ORG, "enterprise", "anthropic", DEMO_DATE, 10,
                       (TierLine(f"std{OSC}", "Standard", 3000, 2),), 2, 0,
                       ActiveSeats(None, DEMO_DATE, DEMO_DATE, "", f"note{OSC}"), 10, 15,
                       None, "drift", {"unknown": 1}, None, None)
    text = render_status(status, "text")
    assert not any(c in text for c in RAW)
    assert "Acme\\u001b]8;;http://evil.example\\u0007Click" in text
    md = render_status(status, "markdown")
    assert not any(c in md for c in RAW) and "http://evil" not in md
