"""Progress of a running apply: a bar with counts on a terminal, quiet lines in CI.

Why two shapes: a person at a terminal wants one redrawn line with done / failed /
left and the time left; a CI log wants a few plain lines it can keep (no carriage
returns, no escape codes), one every ``every`` changes and one per failure. The
library never prints: the CLI passes ``write`` (e.g. ``click.echo`` to stderr).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from reconciler.apply.limiter import format_eta


class Progress(Protocol):
    def start(self, total: int, eta_s: float) -> None: ...
    def advance(self, status: str, label: str) -> None: ...
    def finish(self) -> None: ...


class NoProgress:
    """For library callers and tests that want nothing shown."""

    def start(self, total: int, eta_s: float) -> None:
        pass

    def advance(self, status: str, label: str) -> None:
        pass

    def finish(self) -> None:
        pass


#: Below this many seconds the ETA is not worth a line.
ETA_SHOWN_FROM_S = 5.0


def eta_message(total: int, eta_s: float) -> str:
    return (f"apply: {total} changes; the client-side rate limits imply about "
            f"{format_eta(eta_s)}\n")


class _Counts:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.total = 0
        self.done = 0
        self.failed = 0
        self.clock = clock
        self.t0 = clock()
        self.lock = threading.Lock()

    def add(self, status: str) -> None:
        if status == "failed":
            self.failed += 1
        else:
            self.done += 1

    @property
    def finished(self) -> int:
        return self.done + self.failed

    def left_s(self) -> float:
        if not self.finished:
            return 0.0
        rate = (self.clock() - self.t0) / self.finished
        return rate * (self.total - self.finished)


class BarProgress:
    """``[#########-----------]  45/100 done, 0 failed, ~12s left`` redrawn in place."""

    def __init__(self, write: Callable[[str], None], *, width: int = 30,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.write = write
        self.width = width
        self.c = _Counts(clock)

    def start(self, total: int, eta_s: float) -> None:
        self.c.total = total
        self.c.t0 = self.c.clock()
        if eta_s >= ETA_SHOWN_FROM_S:
            self.write(eta_message(total, eta_s))
        self._draw()

    def advance(self, status: str, label: str) -> None:
        with self.c.lock:
            self.c.add(status)
            self._draw()

    def _draw(self) -> None:
        c = self.c
        filled = int(self.width * c.finished / c.total) if c.total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        left = f", ~{format_eta(c.left_s())} left" if 0 < c.finished < c.total else ""
        self.write(f"\r[{bar}] {c.finished:>{len(str(c.total))}}/{c.total} "
                   f"done {c.done}, failed {c.failed}{left}\x1b[K")

    def finish(self) -> None:
        self.write("\n")


class LineProgress:
    """Plain lines for CI logs: a start line, every ``every`` changes, each failure."""

    def __init__(self, write: Callable[[str], None], *, every: int = 50,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.write = write
        self.every = max(1, every)
        self.c = _Counts(clock)

    def start(self, total: int, eta_s: float) -> None:
        self.c.total = total
        self.c.t0 = self.c.clock()
        if eta_s >= ETA_SHOWN_FROM_S:
            self.write(eta_message(total, eta_s))

    def advance(self, status: str, label: str) -> None:
        with self.c.lock:
            self.c.add(status)
            c = self.c
            if status == "failed":
                self.write(f"apply: FAILED {label}\n")
            if c.finished % self.every == 0 or c.finished == c.total:
                self.write(f"apply: {c.finished}/{c.total} done {c.done}, failed {c.failed}\n")

    def finish(self) -> None:
        pass


def progress_for(write: Callable[[str], None], *, tty: bool, ci: bool) -> Progress:
    """The bar on an interactive terminal, quiet lines anywhere else (CI, pipes)."""
    if tty and not ci:
        return BarProgress(write)
    return LineProgress(write)
