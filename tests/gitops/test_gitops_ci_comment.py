"""The sticky comment body: one marker, an honest status line, bounded size."""

from __future__ import annotations

import pathlib

from reconciler.gitops.ci import COMMENT_LIMIT, MARKER, build_comment, main


def test_no_changes_and_changes_have_their_own_status_line() -> None:
    assert "No changes" in build_comment("plan", exit_code=0, blocked=False)
    assert "Changes" in build_comment("plan", exit_code=2, blocked=False)


def test_an_error_is_never_shown_as_no_changes_and_carries_the_message() -> None:
    body = build_comment("", exit_code=1, blocked=False,
                         stderr="Error: authentication failed ```rm -rf```")
    assert "No changes" not in body and "Error** (exit 1)" in body
    assert "authentication failed" in body and "```rm" not in body


def test_a_blocked_plan_says_blocked() -> None:
    assert "Blocked" in build_comment("plan", exit_code=1, blocked=True)


def test_two_thousand_changes_stay_under_the_comment_limit() -> None:
    huge = "\n".join(f"| + | user{i}@acme.example | invite |" for i in range(200_000))
    body = build_comment(huge, exit_code=2, blocked=False)
    assert len(body) <= COMMENT_LIMIT < 65_536
    assert "truncated; the full plan is in the `seatctl-plan` artifact" in body
    assert body.count(MARKER) == 1 and body.startswith(MARKER)


def test_pr_comment_command_writes_outputs_and_summary(tmp_path: pathlib.Path,
                                                       monkeypatch: object) -> None:
    import pytest

    mp = pytest.MonkeyPatch()
    try:
        (tmp_path / "plan.md").write_text(f"{MARKER}\n### plan\n")
        (tmp_path / "plan.json").write_text('{"blocked": true}')
        mp.setenv("GITHUB_OUTPUT", str(tmp_path / "out"))
        mp.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary"))
        rc = main(["pr-comment", "--body", str(tmp_path / "plan.md"), "--exit-code", "1",
                   "--out", str(tmp_path / "c.md"), "--plan-json", str(tmp_path / "plan.json")])
    finally:
        mp.undo()
    assert rc == 0
    out = (tmp_path / "out").read_text().splitlines()
    assert "exitcode=1" in out and "blocked=true" in out
    comment = (tmp_path / "c.md").read_text()
    assert comment.count(MARKER) == 1 and (tmp_path / "summary").read_text() == comment
