"""One full read shared by everything a run needs it for, and kept as the snapshot.

Why: apply used to read the whole organization two or three times per run — once
for ``--auto-approve``'s plan, once to check the plan is still current, once more
for the last-apply record — at about 5,200 requests a read for 100,000 members.
``SharedRead`` wraps a provider: ``fetch()`` answers with a read the run already
made (``prepared``, e.g. the plan's) once, otherwise reads; every read it makes is
handed to ``on_read`` (which keeps it as the snapshot) and remembered as
``last_read``, from which apply builds its record with the outcomes of its writes.
Everything else (writes, ``stats``, ``notes``) is forwarded unchanged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from reconciler.model import OrgState


class SharedRead:
    """Forwards to ``provider``; ``fetch`` serves ``prepared`` once, then reads."""

    def __init__(self, provider: Any, *, prepared: OrgState | None = None,
                 on_read: Callable[[OrgState, dt.datetime], None] | None = None,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 first_read: Callable[[], tuple[OrgState, dt.datetime]] | None = None) -> None:
        self._provider = provider
        self._prepared = prepared
        #: Makes the first read instead of ``provider.fetch`` (apply ``--base``: a targeted
        #: read over the snapshot), returning the state and how old its oldest part is.
        self._first_read = first_read
        self._on_read = on_read
        self._clock = clock
        #: The state the last ``fetch`` returned (None before the first), and when the
        #: read began (a prepared read counts from when it was handed in).
        self.last_read: OrgState | None = None
        self.read_at: dt.datetime | None = clock() if prepared is not None else None
        #: How many reads went to the organization (a prepared read is not one).
        self.reads = 0

    def __repr__(self) -> str:
        return f"SharedRead({self._provider!r})"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def fetch(self) -> OrgState:
        if self._prepared is not None:
            live, self._prepared = self._prepared, None
        elif self._first_read is not None:
            reader, self._first_read = self._first_read, None
            live, self.read_at = reader()
            self.reads += 1
        else:
            started = self._clock()
            live = self._provider.fetch()
            self.reads += 1
            self.read_at = started
            if self._on_read is not None:
                self._on_read(live, started)
        self.last_read = live
        return live
