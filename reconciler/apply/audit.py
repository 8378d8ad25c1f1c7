"""Append-only, hash-chained audit log: one canonical JSON line per record.

Why a chain: an auditor must be able to tell that nobody edited, removed, inserted or
reordered a line after the fact. Every record carries ``prev`` = sha256 of the
previous line's canonical form and a monotonically increasing ``seq``; the first line
anchors to ``GENESIS`` (or, after ``prune``, to the hash of the last pruned entry,
kept in an ``anchor`` header line). The head (last ``seq`` and its hash) is written
beside the log in ``<log>.head``; the head file must name the log's last entry, so a
line appended without it, or a cut-off tail, is caught.

Both files travel together, so whoever can rewrite one can rewrite both (re-chain the
whole log and write a matching head). The real anchor is *outside* the log: apply
prints the head as ``SEQ:HASH`` (job summary), records it in ``last-apply.json`` (kept
in git history), and ``verify(head="SEQ:HASH")`` checks the log ends exactly there.

An anchor header is only accepted when the chain itself confirms it: ``prune`` writes,
in the same atomic replacement, an ``audit_pruned`` event after the kept lines whose
``anchor_line`` is the hash of the header line — so the header's ``anchor``, ``seq``,
``pruned`` and ``cutoff`` are all covered by the chain, and a forged header (after
dropping the first lines) needs a new event, which moves the head.

Lines are ``json.dumps(..., sort_keys=True, ensure_ascii=True)``: newlines, carriage
returns, ANSI escapes and any non-ASCII character are escaped, so a name coming from
the API can never forge a line (S6). Every append is flushed and fsynced; a failed
write raises ``AuditError`` so the executor makes no further change (F16).

File layout::

    {"anchor": "<hash>", "kind": "anchor", "pruned": 12, "seq": 12, ...}   (optional)
    {"kind": "intent",  "prev": "<anchor or GENESIS>", "seq": 12, ...}
    {"kind": "outcome", "prev": "<sha256 of line above>", "seq": 13, ...}

Modules: the chain's form and head file in ``audit_chain``, checking it in
``audit_verify``, reading records in ``audit_show``, pruning in ``audit_prune``; this
module writes. Every name stays importable from here.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import pathlib
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.apply.audit_chain import (
    GENESIS,
    _iso,
    _write_head,
    canonical,
    format_head,
    line_hash,
    parse_time,
    read_head,
)
from reconciler.apply.audit_prune import PruneReport, prune
from reconciler.apply.audit_show import iter_records, record_mentions, show
from reconciler.apply.audit_verify import VerifyReport, verify
from reconciler.errors import AuditError

__all__ = [
    "GENESIS", "REDACTED", "Actor", "AuditLog", "PruneReport", "VerifyReport", "canonical",
    "current_actor", "format_head", "iter_records", "line_hash", "parse_time", "prune",
    "read_head", "record_mentions", "show", "verify",
]

REDACTED = "[redacted]"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who ran the apply: the CI actor and run id, or the local user and a fresh run id."""

    name: str
    run_id: str
    source: str  # "github-actions" | "local"


def current_actor(env: Mapping[str, str] | None = None) -> Actor:
    """Read the actor from the CI environment (GITHUB_ACTOR/GITHUB_RUN_ID) or the OS user."""
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTOR"):
        run = env.get("GITHUB_RUN_ID", "")
        attempt = env.get("GITHUB_RUN_ATTEMPT")
        return Actor(env["GITHUB_ACTOR"], f"{run}.{attempt}" if run and attempt else run,
                     "github-actions")
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid-{os.getuid()}"
    return Actor(user, f"local-{uuid.uuid4().hex[:12]}", "local")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    """Replace any secret substring in strings, recursively (defence in depth for S4)."""
    if not secrets:
        return value
    if isinstance(value, str):
        for s in secrets:
            if s and s in value:
                value = value.replace(s, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(v, secrets) for v in value]
    return value


class AuditLog:
    """A writer for one log file; thread-safe, so concurrent apply workers share it.

    ``context`` (actor, run id, policy commit, plan hash) is stamped on every record.
    ``secrets`` are scrubbed from every string before writing: the key must never
    reach the log even if an error message carried it.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        context: Mapping[str, Any] | None = None,
        secrets: Iterable[str] = (),
        clock: Any = _now,
    ) -> None:
        self.path = pathlib.Path(path)
        self.context = dict(context or {})
        self._secrets = tuple(s for s in secrets if s)
        self._clock = clock
        self._lock = threading.Lock()
        self._seq: int | None = None
        self._prev = GENESIS
        self.records_written = 0

    # -- tail discovery -------------------------------------------------------------

    def _load_tail(self) -> None:
        """Find the last seq and hash so appends continue the chain."""
        self._seq, self._prev = 0, GENESIS
        try:
            with self.path.open("r", encoding="ascii") as fh:
                last = ""
                for raw in fh:
                    if raw.strip():
                        last = raw.rstrip("\n")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditError(f"cannot read audit log {self.path}: {exc}",
                             hint="fix the file's permissions or move it aside") from exc
        if not last:
            return
        try:
            rec = json.loads(last)
        except json.JSONDecodeError as exc:
            raise AuditError(f"audit log {self.path} ends in a damaged line",
                             hint="run `seatctl audit verify` and investigate") from exc
        if rec.get("kind") == "anchor":
            self._seq, self._prev = int(rec["seq"]), str(rec["anchor"])
        else:
            self._seq, self._prev = int(rec["seq"]) + 1, line_hash(last)

    # -- writing --------------------------------------------------------------------

    def append(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Write one record durably, or raise ``AuditError`` (nothing else may follow)."""
        with self._lock:
            if self._seq is None:
                self._load_tail()
            assert self._seq is not None
            record: dict[str, Any] = {**self.context, **fields}
            record = _scrub(record, self._secrets)
            record.update(kind=kind, seq=self._seq, prev=self._prev,
                          time=_iso(self._clock()))
            line = canonical(record)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
                try:
                    data = (line + "\n").encode("ascii")
                    if os.write(fd, data) != len(data):
                        raise OSError("short write")
                    os.fsync(fd)
                finally:
                    os.close(fd)
                _write_head(self.path, self._seq, line_hash(line))
            except OSError as exc:
                raise AuditError(
                    f"cannot write audit log {self.path}: {exc.strerror or exc}",
                    hint="no further change was made; free disk space or fix permissions, "
                    "then re-plan and apply",
                ) from exc
            self._seq += 1
            self._prev = line_hash(line)
            self.records_written += 1
            return record

    def intent(self, change: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
        return self.append("intent", change=dict(change), **fields)

    def outcome(self, change: Mapping[str, Any], outcome: str, **fields: Any) -> dict[str, Any]:
        return self.append("outcome", change=dict(change), outcome=outcome, **fields)

    def event(self, event: str, **fields: Any) -> dict[str, Any]:
        return self.append("event", event=event, **fields)
