"""Audit forgeries of issue 16 (defect 6), as an attacker who can rewrite the log *and*
its head file: each is detected, by the chain itself or by the head kept outside the
log (``SEQ:HASH``, from the job summary or ``last-apply.json`` in git).

Records are stamped by a fake clock from 2025-01-01 (``T0``); prunes evaluate at fixed
times after it, so nothing depends on today's date.
"""

from __future__ import annotations

import datetime as dt
import json
import pathlib
from typing import Any

from conftest import run_cli
from test_apply_audit import T0, lines_of, write_log

from reconciler.apply import audit


def head_of(path: pathlib.Path) -> str:
    """The anchor an honest run printed: ``SEQ:HASH`` of the last entry."""
    report = audit.verify(path)
    assert report.ok, report.problem
    return report.anchor


def rechain(path: pathlib.Path, records: list[dict[str, Any]], *, header: str | None = None,
            write_head: bool = True) -> None:
    """Write ``records`` as a perfectly chained log (what a forger with the file can do),
    optionally after an anchor ``header`` line, and a matching head file."""
    lines = [header] if header else []
    if header:
        h = json.loads(header)
        prev, seq = h["anchor"], h["seq"]
    else:
        prev, seq = audit.GENESIS, 0
    for rec in records:
        line = audit.canonical({**rec, "prev": prev, "seq": seq})
        lines.append(line)
        prev, seq = audit.line_hash(line), seq + 1
    path.write_text("\n".join(lines) + "\n")
    if write_head:
        path.with_name(path.name + ".head").write_text(
            audit.canonical({"hash": prev, "seq": seq - 1}) + "\n")


def records_of(path: pathlib.Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in lines_of(path) if json.loads(x).get("kind") != "anchor"]


def forged_header(dropped_last: str, seq: int, pruned: int) -> str:
    return audit.canonical({"anchor": audit.line_hash(dropped_last),
                            "cutoff": "2025-01-05T00:00:00.000000Z", "kind": "anchor",
                            "pruned": pruned, "seq": seq,
                            "time": "2025-01-11T00:00:00.000000Z"})


def test_dropping_the_first_lines_behind_a_forged_anchor_is_detected(
        tmp_path: pathlib.Path) -> None:
    log = tmp_path / "audit.jsonl"
    write_log(log, 10)
    lines = lines_of(log)
    log.write_text("\n".join([forged_header(lines[3], 4, 4), *lines[4:]]) + "\n")
    report = audit.verify(log)
    assert not report.ok and "anchor header is not confirmed by the chain" in report.problem


def test_editing_the_anchor_fields_after_a_real_prune_is_detected(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "audit.jsonl"
    write_log(log, 10)
    audit.prune(log, retention_days=4, now=T0 + dt.timedelta(days=10))
    assert audit.verify(log).ok
    lines = lines_of(log)
    for field, value in (("pruned", 1), ("cutoff", "2024-01-01T00:00:00.000000Z")):
        header = json.loads(lines[0])
        header[field] = value
        log.write_text("\n".join([audit.canonical(header), *lines[1:]]) + "\n")
        report = audit.verify(log)
        assert not report.ok and "not confirmed" in report.problem, field


def test_dropping_more_lines_after_a_real_prune_is_detected(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "audit.jsonl"
    write_log(log, 10)
    audit.prune(log, retention_days=4, now=T0 + dt.timedelta(days=10))
    lines = lines_of(log)  # header, seq 6..9, the prune record (seq 10)
    log.write_text("\n".join([forged_header(lines[2], 8, 8), *lines[3:]]) + "\n")
    assert not audit.verify(log).ok


def test_an_appended_line_without_the_head_file_is_detected(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "audit.jsonl"
    write_log(log, 4)
    last = lines_of(log)[-1]
    extra = audit.canonical({"kind": "event", "event": "apply_start", "actor": "mallory",
                             "prev": audit.line_hash(last), "seq": 4,
                             "time": "2025-01-05T00:00:00.000000Z"})
    with log.open("a") as fh:
        fh.write(extra + "\n")
    report = audit.verify(log)
    assert not report.ok and "lines were appended" in report.problem


def test_appended_lines_with_a_rewritten_head_file_fail_against_the_kept_head(
        tmp_path: pathlib.Path) -> None:
    log = tmp_path / "audit.jsonl"
    write_log(log, 4)
    kept = head_of(log)
    rechain(log, [*records_of(log), {"kind": "event", "event": "x", "actor": "mallory",
                                     "time": "2025-01-05T00:00:00.000000Z"}])
    assert audit.verify(log).ok  # the files agree with each other...
    report = audit.verify(log, head=kept)  # ...but not with the head kept outside
    assert not report.ok and "goes on after the anchored head" in report.problem


def test_a_rechained_log_with_its_head_file_fails_against_the_kept_head(
        tmp_path: pathlib.Path) -> None:
    log = tmp_path / "audit.jsonl"
    write_log(log, 6)
    kept = head_of(log)
    records = records_of(log)
    records[2]["change"]["target"] = "someone-else@corp.example"
    rechain(log, records)
    assert audit.verify(log).ok
    report = audit.verify(log, head=kept)
    assert not report.ok and "re-chained" in report.problem


def test_truncation_with_a_rewritten_head_file_fails_against_the_kept_head(
        tmp_path: pathlib.Path) -> None:
    log = tmp_path / "audit.jsonl"
    write_log(log, 6)
    kept = head_of(log)
    rechain(log, records_of(log)[:4])
    assert audit.verify(log).ok
    assert not audit.verify(log, head=kept).ok


def test_a_forged_prune_with_its_own_record_fails_against_the_kept_head(
        tmp_path: pathlib.Path) -> None:
    """The full forgery: drop lines, forge the anchor, forge its confirming record and
    the head file. Only the head kept outside the log can catch it."""
    log = tmp_path / "audit.jsonl"
    write_log(log, 10)
    kept = head_of(log)
    lines = lines_of(log)
    header = forged_header(lines[3], 4, 4)
    confirm = {"kind": "event", "event": "audit_pruned", "anchor_line": audit.line_hash(header),
               "time": "2025-01-11T00:00:00.000000Z"}
    rechain(log, [json.loads(x) for x in lines[4:]] + [confirm], header=header)
    assert audit.verify(log).ok
    assert not audit.verify(log, head=kept).ok


def test_cli_verify_takes_the_head_as_seq_and_hash(tmp_path: pathlib.Path) -> None:
    log = tmp_path / "audit.jsonl"
    write_log(log, 4)
    kept = head_of(log)
    ok = run_cli("audit", "verify", "--log", str(log), "--head", kept)
    assert ok.exit_code == 0 and f"head {kept}" in ok.stdout
    rechain(log, records_of(log)[:3])
    bad = run_cli("audit", "verify", "--log", str(log), "--head", kept)
    assert bad.exit_code == 1 and "entry 3 is missing or differs" in bad.stderr
    garbage = run_cli("audit", "verify", "--log", str(log), "--head", "x:y")
    assert garbage.exit_code == 1 and "is not SEQ:HASH" in garbage.stderr
