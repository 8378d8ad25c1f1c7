"""Progress: a redrawn bar with counts on a terminal, plain lines in CI; ETA for long runs."""

from __future__ import annotations

from reconciler.apply.progress import BarProgress, LineProgress, progress_for


def test_tty_gets_a_bar_ci_gets_plain_lines() -> None:
    out: list[str] = []
    assert isinstance(progress_for(out.append, tty=True, ci=False), BarProgress)
    assert isinstance(progress_for(out.append, tty=True, ci=True), LineProgress)
    assert isinstance(progress_for(out.append, tty=False, ci=False), LineProgress)


def test_bar_shows_counts_and_eta_line_for_long_applies() -> None:
    out: list[str] = []
    t = [0.0]
    bar = BarProgress(out.append, width=10, clock=lambda: t[0])
    bar.start(4, eta_s=600)
    assert out[0] == "apply: 4 changes; the client-side rate limits imply about 10m 00s\n"
    t[0] = 2.0
    bar.advance("done", "invite a@x")
    bar.advance("failed", "invite b@x")
    assert "[#####-----] 2/4 done 1, failed 1, ~2s left" in out[-1]
    bar.finish()
    assert out[-1] == "\n"


def test_ci_lines_have_no_escape_codes_and_report_failures() -> None:
    out: list[str] = []
    lines = LineProgress(out.append, every=2)
    lines.start(3, eta_s=1)
    for status in ("done", "failed", "done"):
        lines.advance(status, f"invite {status}@x")
    text = "".join(out)
    assert "\r" not in text and "\x1b" not in text
    assert "apply: FAILED invite failed@x" in text
    assert text.rstrip().endswith("apply: 3/3 done 2, failed 1")
    assert "imply" not in text  # a short apply gets no ETA line
