"""The ``seatctl usage`` CLI stays split along its seam, each module under ~400 lines."""

from __future__ import annotations

from conftest import ROOT

from reconciler.cli.usage import usage

LIMIT = 400


def test_usage_cli_modules_stay_under_the_style_limit() -> None:
    modules = sorted((ROOT / "reconciler" / "cli").glob("usage*.py"))
    assert len(modules) >= 2, "usage CLI split into report and output modules"
    sizes = {m.name: len(m.read_text(encoding="utf-8").splitlines()) for m in modules}
    assert all(n < LIMIT for n in sizes.values()), sizes


def test_every_usage_command_is_still_registered() -> None:
    assert sorted(usage.commands) == [
        "alerts", "chargeback", "dashboard", "inactive", "report", "requests", "sync"]
