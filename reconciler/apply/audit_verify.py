"""Verify the audit log's chain: recompute it from the entries and report the first bad one."""

from __future__ import annotations

import json
import os
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.apply.audit_chain import (
    GENESIS,
    _read_lines,
    canonical,
    format_head,
    line_hash,
    read_head,
)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """``ok`` or the first bad entry: ``bad_index`` (0-based entry), ``bad_line`` (1-based)."""

    ok: bool
    entries: int
    head: str
    bad_index: int | None = None
    bad_line: int | None = None
    problem: str = ""
    last_seq: int = -1

    @property
    def anchor(self) -> str:
        """``SEQ:HASH`` of the last entry, to keep outside the log."""
        return format_head(self.last_seq, self.head)


def verify(
    path: str | os.PathLike[str],
    *,
    head: str | None = None,
    use_head_file: bool = True,
) -> VerifyReport:
    """Recompute the chain from the entries themselves and report the first bad one.

    Detects an edited line (its hash no longer matches the next ``prev``, or its own
    form is not canonical), a removed/inserted/reordered line (``prev`` or ``seq``
    breaks), and a cut-off tail when ``head`` (a last-known hash) is given or the
    head file says the log went further.
    """
    p = pathlib.Path(path)
    lines = _read_lines(p)
    expected_prev, expected_seq = GENESIS, 0
    hashes: dict[int, str] = {}
    index = 0
    last_hash = GENESIS

    header_hash = ""
    confirmed = ""  # anchor_line of the last audit_pruned event seen

    def bad(i: int, lineno: int, problem: str) -> VerifyReport:
        return VerifyReport(False, index, last_hash, i, lineno, problem)

    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            return bad(index, lineno, "blank line inside the log")
        try:
            rec = json.loads(raw)
        except json.JSONDecodeError:
            return bad(index, lineno, "line is not valid JSON (edited or damaged)")
        if not isinstance(rec, dict):
            return bad(index, lineno, "line is not a JSON object")
        if canonical(rec) != raw:
            return bad(index, lineno, "line is not in canonical form (edited)")
        if rec.get("kind") == "anchor":
            if lineno != 1:
                return bad(index, lineno, "anchor record after the first line (inserted)")
            try:
                expected_prev, expected_seq = str(rec.get("anchor")), int(rec.get("seq", -1))
            except (TypeError, ValueError):
                return bad(index, lineno, "anchor record has no valid seq (edited)")
            hashes[expected_seq - 1] = expected_prev
            last_hash = expected_prev
            header_hash = line_hash(raw)
            continue
        if rec.get("prev") != expected_prev:
            where = "anchor" if index == 0 else "previous line"
            return bad(index, lineno,
                       f"prev does not match the hash of the {where} "
                       "(a line was edited, removed, inserted or reordered)")
        if rec.get("seq") != expected_seq:
            return bad(index, lineno, f"seq {rec.get('seq')} where {expected_seq} was expected")
        last_hash = line_hash(raw)
        hashes[expected_seq] = last_hash
        if rec.get("kind") == "event" and rec.get("event") == "audit_pruned":
            confirmed = str(rec.get("anchor_line", ""))
        expected_prev, expected_seq = last_hash, expected_seq + 1
        index += 1

    end = len(lines) + 1
    if header_hash and confirmed != header_hash:
        return VerifyReport(False, index, last_hash, 0, 1,
                            "the anchor header is not confirmed by the chain (no later "
                            "audit_pruned record names it): lines were dropped and an anchor "
                            "forged, or its pruned/cutoff/seq fields were edited")
    last_seq = expected_seq - 1
    if head:
        problem = _check_anchored_head(head, hashes, last_seq)
        if problem:
            return VerifyReport(False, index, last_hash, index, end, problem)
    if use_head_file:
        file_head = read_head(p)
        if file_head and file_head != (last_seq, last_hash):
            seq, digest = file_head
            if seq < last_seq and hashes.get(seq) == digest:
                problem = (f"the log goes on after the head file's entry {seq} (to {last_seq}): "
                           "lines were appended without the writer")
            else:
                problem = (f"the head file records entry {seq}, which is missing or different "
                           "(the tail was cut off or rewritten)")
            return VerifyReport(False, index, last_hash, min(index, seq), end, problem)
    return VerifyReport(True, index, last_hash, last_seq=last_seq)


def _check_anchored_head(head: str, hashes: Mapping[int, str], last_seq: int) -> str:
    """``SEQ:HASH`` (kept outside the log): entry SEQ has HASH and is the last entry.
    A bare ``HASH`` (older artifacts) only has to be in the log."""
    text = head.strip()
    if ":" not in text:
        return "" if text in hashes.values() else (
            "the anchored head hash is not in the log (the tail was cut off or rewritten)")
    seq_text, _, digest = text.partition(":")
    try:
        seq = int(seq_text)
    except ValueError:
        return f"--head {head!r} is not SEQ:HASH"
    if hashes.get(seq) != digest:
        return (f"entry {seq} is missing or differs from the anchored head (the log was cut "
                "off, rewritten or re-chained)")
    if seq != last_seq:
        return (f"the log goes on after the anchored head (entry {seq}) to entry {last_seq}: "
                "lines were appended after the last recorded apply")
    return ""
