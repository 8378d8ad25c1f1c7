"""A full read that is interrupted resumes where it stopped on the next run.

Why: at 100 requests/minute a full read of 100,000 members in 5,000 groups takes
52 minutes; a CI job that is cancelled or times out at minute 50 must not make the
next run start from the first page again. With ``ReadProgress`` attached
(``AnthropicProvider.progress``), the provider keeps what it has finished — the
member list, the invite list, the group list, and every group's members — in
``<state-dir>/read-progress.json``, written at most every ``save_every_s`` seconds
and whenever the read stops on an error. The next read made within ``max_age``
takes the finished parts from there and reads only the rest; a finished read deletes
the file. A part is only ever kept whole (a group's members all or nothing), so no
page is read twice and none is skipped. The parts kept are as old as the file, which
``max_age`` bounds; an inconsistent listing clears the file and starts over.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from reconciler.model import Group, Invite, Member, OrgState, OrgType
from reconciler.providers.snapshot import state_from_doc, state_to_doc

PROGRESS_FILE = "read-progress.json"
FORMAT_VERSION = 1


class ReadProgress:
    """The finished parts of one full read, kept so an interrupted read can resume."""

    def __init__(self, state_dir: str | os.PathLike[str], *, org_type: OrgType,
                 max_age: dt.timedelta = dt.timedelta(hours=6),
                 now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 save_every_s: float = 30.0) -> None:
        self.path = pathlib.Path(state_dir) / PROGRESS_FILE
        self.org_type = org_type
        self.save_every_s = save_every_s
        self._now = now
        self._last_save = time.monotonic()
        self.started_at = now()
        self.members: dict[str, Member] | None = None
        self.invites: dict[str, Invite] | None = None
        self.groups: list[Group] | None = None  # listed, members not yet read
        self.group_members: dict[str, frozenset[str]] = {}  # group id -> emails, finished
        #: True when this read picked up parts an earlier, interrupted read had finished.
        self.resumed = False
        self._load(max_age)

    # -- what the provider asks ----------------------------------------------------

    def finished_members(self) -> dict[str, Member] | None:
        return self.members

    def done_members(self, members: Mapping[str, Member]) -> None:
        self.members = dict(members)
        self.save()

    def done_invites(self, invites: Mapping[str, Invite]) -> None:
        self.invites = dict(invites)
        self.save()

    def done_group_list(self, groups: list[Group]) -> None:
        self.groups = list(groups)
        self.save()

    def done_group(self, group_id: str, emails: frozenset[str]) -> None:
        self.group_members[group_id] = emails
        if time.monotonic() - self._last_save >= self.save_every_s:
            self.save()

    # -- the file ------------------------------------------------------------------

    def save(self) -> None:
        """Write the finished parts atomically (temp file + rename); never raises."""
        groups = {g.name: g for g in self.groups or []}
        partial = OrgState(self.org_type, MappingProxyType(self.members or {}),
                           invites=MappingProxyType(self.invites or {}),
                           groups=MappingProxyType(groups))
        doc: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "started_at": self.started_at.astimezone(dt.UTC).isoformat(),
            "members_done": self.members is not None,
            "invites_done": self.invites is not None,
            "groups_done": self.groups is not None,
            "group_members": {k: sorted(v) for k, v in self.group_members.items()},
            "state": state_to_doc(partial),
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".read-progress-", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(doc, fh, separators=(",", ":"), ensure_ascii=True)
            os.replace(tmp, self.path)
        except OSError:
            return
        self._last_save = time.monotonic()

    def clear(self) -> None:
        """The read finished (or must start over): nothing to resume."""
        self.path.unlink(missing_ok=True)
        self.members = self.invites = self.groups = None
        self.group_members = {}
        self.resumed = False
        self.started_at = self._now()

    def _load(self, max_age: dt.timedelta) -> None:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            if doc.get("format_version") != FORMAT_VERSION:
                return
            started = dt.datetime.fromisoformat(doc["started_at"])
            if self._now() - started > max_age or started > self._now():
                return
            state = state_from_doc(doc["state"])
            if state.org_type is not self.org_type:
                return
            members = dict(state.members) if doc["members_done"] else None
            invites = dict(state.invites) if doc["invites_done"] else None
            groups = [replace(g, members=frozenset()) for g in state.groups.values()] \
                if doc["groups_done"] else None
            finished = {str(k): frozenset(v) for k, v in doc["group_members"].items()}
        except (OSError, ValueError, KeyError, TypeError, IndexError):
            return  # nothing usable: the read starts from the first page
        self.started_at = started
        self.members, self.invites, self.groups = members, invites, groups
        self.group_members = finished
        self.resumed = members is not None
