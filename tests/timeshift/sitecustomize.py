"""Move this process's clock when ``CLOCK_SHIFT_DAYS`` is set (CI's calendar runs).

On ``PYTHONPATH`` for the test run, so every Python process the suite starts (pytest
itself, ``seatctl`` subprocesses, a served sandbox) lives on the same shifted calendar.
The clock keeps ticking (``tick=True``): timeouts, pacing and lock ages behave as usual.
"""

from __future__ import annotations

import os

_shift = os.environ.get("CLOCK_SHIFT_DAYS", "").strip()
if _shift:
    import datetime as _dt

    import time_machine as _tm

    _tm.travel(_dt.datetime.now(_dt.UTC) + _dt.timedelta(days=int(_shift)), tick=True).start()
