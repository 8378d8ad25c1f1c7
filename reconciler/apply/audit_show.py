"""Read the audit log back: every chained record, filtered by time or member."""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.apply.audit_chain import _read_lines, parse_time


def iter_records(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Every chained record (the anchor header is skipped); does not verify."""
    for raw in _read_lines(pathlib.Path(path)):
        if not raw.strip():
            continue
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict) and rec.get("kind") != "anchor":
            yield rec


def record_mentions(rec: Mapping[str, Any], member: str) -> bool:
    """True when a record's change targets or involves ``member`` (case-insensitive)."""
    needle = member.strip().lower()
    change = rec.get("change") or {}
    blob = json.dumps(change, sort_keys=True).lower()
    return needle in blob


def show(
    path: str | os.PathLike[str],
    *,
    since: dt.datetime | None = None,
    member: str | None = None,
) -> list[dict[str, Any]]:
    """Records at or after ``since`` that involve ``member`` (either filter optional)."""
    out = []
    for rec in iter_records(path):
        if since is not None:
            try:
                if parse_time(str(rec.get("time"))) < since:
                    continue
            except ValueError:
                continue
        if member and not record_mentions(rec, member):
            continue
        out.append(rec)
    return out
