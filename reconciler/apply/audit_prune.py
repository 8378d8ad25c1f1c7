"""Prune the audit log: drop old entries from the front behind a chain-confirmed anchor."""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.apply.audit_chain import (
    GENESIS,
    _iso,
    _read_lines,
    _write_head,
    canonical,
    line_hash,
    parse_time,
)
from reconciler.apply.audit_verify import verify
from reconciler.errors import AuditError


@dataclass(frozen=True, slots=True)
class PruneReport:
    removed: int
    kept: int
    anchor: str
    cutoff: dt.datetime


def prune(path: str | os.PathLike[str], retention_days: int, now: dt.datetime, *,
          context: Mapping[str, Any] | None = None) -> PruneReport:
    """Drop whole entries older than ``retention_days`` from the front, atomically.

    The log must verify first (pruning never launders tampering). The kept entries are
    written unchanged after an ``anchor`` header holding the hash of the last pruned
    entry, followed by an ``audit_pruned`` event (with ``context``: actor, run id) that
    names the header's hash, so the chain covers the header. All of it goes to a
    temporary file that is fsynced and renamed over the log, so a crash leaves either
    the old or the new log, never a mix.
    """
    if retention_days < 1:
        raise AuditError(f"retention_days must be at least 1, not {retention_days}")
    p = pathlib.Path(path)
    report = verify(p)
    if not report.ok:
        raise AuditError(
            f"audit log {p} does not verify (entry {report.bad_index}, line "
            f"{report.bad_line}: {report.problem}); refusing to prune",
            hint="investigate with `seatctl audit verify` before pruning",
        )
    cutoff = now - dt.timedelta(days=retention_days)
    lines = [ln for ln in _read_lines(p) if ln.strip()]
    header = json.loads(lines[0]) if lines and json.loads(lines[0]).get("kind") == "anchor" \
        else None
    body = lines[1:] if header else lines
    anchor = str(header["anchor"]) if header else GENESIS
    already = int(header.get("pruned", 0)) if header else 0
    drop = 0
    for raw in body:
        if parse_time(str(json.loads(raw)["time"])) >= cutoff:
            break
        drop += 1
    if drop == 0:
        return PruneReport(0, len(body), anchor, cutoff)
    anchor = line_hash(body[drop - 1])
    kept = body[drop:]
    first_seq = int(json.loads(body[drop - 1])["seq"]) + 1
    new_header = canonical({"anchor": anchor, "cutoff": _iso(cutoff), "kind": "anchor",
                            "pruned": already + drop, "seq": first_seq, "time": _iso(now)})
    last_prev = line_hash(kept[-1]) if kept else anchor
    event_seq = first_seq + len(kept)
    event = canonical({**(context or {}), "anchor": anchor, "anchor_line": line_hash(new_header),
                       "cutoff": _iso(cutoff), "event": "audit_pruned", "kind": "event",
                       "prev": last_prev, "pruned": already + drop, "removed": drop,
                       "retention_days": retention_days, "seq": event_seq, "time": _iso(now)})
    tmp = p.with_name(p.name + f".{os.getpid()}.prune.tmp")
    try:
        with tmp.open("w", encoding="ascii") as fh:
            fh.write("\n".join([new_header, *kept, event]) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
        _write_head(p, event_seq, line_hash(event))
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise AuditError(f"cannot prune audit log {p}: {exc.strerror or exc}",
                         hint="the log was left as it was") from exc
    return PruneReport(drop, len(kept), anchor, cutoff)
