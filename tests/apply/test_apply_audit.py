"""The audit log: chained, tamper-evident, escaped, durable, prunable (S6, S13, F16)."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import pytest

from reconciler.apply import audit
from reconciler.errors import AuditError

T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


class StepClock:
    """A fake clock that moves one day per record, so retention is easy to reason about."""

    def __init__(self, start: dt.datetime = T0, step: dt.timedelta = dt.timedelta(days=1)):
        self.t = start
        self.step = step

    def __call__(self) -> dt.datetime:
        now = self.t
        self.t += self.step
        return now


def write_log(path: pathlib.Path, n: int, clock: StepClock | None = None) -> audit.AuditLog:
    log = audit.AuditLog(path, context={"actor": "ci-bot", "run_id": "42"},
                         clock=clock or StepClock())
    for i in range(n):
        change = {"kind": "invite", "target": f"user{i}@corp.example"}
        if i % 2 == 0:
            log.intent(change)
        else:
            log.outcome(change, "done", request_id=f"req_{i}")
    return log


def lines_of(path: pathlib.Path) -> list[str]:
    return path.read_text().splitlines()


def test_fresh_log_verifies_and_chains_every_line(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 6)
    records = [json.loads(x) for x in lines_of(log_path)]
    assert records[0]["prev"] == audit.GENESIS
    for before, after, raw in zip(records, records[1:], lines_of(log_path), strict=False):
        assert after["prev"] == audit.line_hash(raw)
        assert after["seq"] == before["seq"] + 1
    report = audit.verify(log_path)
    assert report.ok and report.entries == 6
    assert records[1]["actor"] == "ci-bot" and records[1]["request_id"] == "req_1"


def test_appends_from_a_second_writer_continue_the_chain(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 3)
    write_log(log_path, 3)
    assert audit.verify(log_path).ok
    assert [json.loads(x)["seq"] for x in lines_of(log_path)] == list(range(6))


@pytest.mark.parametrize("k", [0, 2, 5])
def test_edited_entry_is_reported_at_its_index(tmp_path: pathlib.Path, k: int) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 6)
    lines = lines_of(log_path)
    rec = json.loads(lines[k])
    rec["change"]["target"] = "mallory@corp.example"
    lines[k] = audit.canonical(rec)  # a careful forger keeps canonical form
    log_path.write_text("\n".join(lines) + "\n")
    report = audit.verify(log_path)
    assert not report.ok
    # The next line's prev breaks; the last line has no successor, the head catches it.
    assert report.bad_index == (k + 1 if k < 5 else 5)
    if k == 5:
        assert audit.verify(log_path, use_head_file=False).ok


def test_non_canonical_edit_is_caught_on_the_line_itself(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 4)
    lines = lines_of(log_path)
    lines[1] = lines[1].replace('"done"', '"failed"').replace(",", ", ", 1)
    log_path.write_text("\n".join(lines) + "\n")
    report = audit.verify(log_path)
    assert not report.ok and report.bad_index == 1 and report.bad_line == 2


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda ls: ls[:2] + ls[3:], id="removed"),
        pytest.param(lambda ls: ls[:2] + [ls[1]] + ls[2:], id="duplicated"),
        pytest.param(lambda ls: ls[:1] + [ls[2], ls[1]] + ls[3:], id="reordered"),
        pytest.param(lambda ls: ls[1:], id="first-removed"),
    ],
)
def test_removed_inserted_reordered_lines_are_detected(tmp_path: pathlib.Path, tamper) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 6)
    log_path.write_text("\n".join(tamper(lines_of(log_path))) + "\n")
    report = audit.verify(log_path)
    assert not report.ok
    assert report.bad_index is not None and report.bad_index <= 2


def test_truncated_tail_is_detected_against_the_head(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 6)
    last_known = audit.verify(log_path).head
    log_path.write_text("\n".join(lines_of(log_path)[:4]) + "\n")
    by_file = audit.verify(log_path)
    assert not by_file.ok and "cut off" in by_file.problem
    by_hash = audit.verify(log_path, head=last_known, use_head_file=False)
    assert not by_hash.ok and "cut off" in by_hash.problem
    # Without any anchored head a clean truncation cannot be seen: that is why it exists.
    assert audit.verify(log_path, use_head_file=False).ok


def test_control_characters_and_ansi_cannot_forge_a_line(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    log = audit.AuditLog(log_path)
    evil = 'eve@corp.example\n{"kind":"outcome","outcome":"done"}\r\x1b[2J\u202e'
    log.outcome({"kind": "invite", "target": evil}, "done")
    raw = log_path.read_bytes()
    assert raw.count(b"\n") == 1
    assert b"\x1b" not in raw and b"\r" not in raw
    assert all(b < 0x80 for b in raw)
    assert json.loads(raw)["change"]["target"] == evil
    assert audit.verify(log_path).ok


def test_secret_is_scrubbed_from_every_field(tmp_path: pathlib.Path) -> None:
    canary = "sk-ant-admin01-CANARY-audit-0123456789"
    log_path = tmp_path / "audit.jsonl"
    log = audit.AuditLog(log_path, secrets=[canary])
    log.outcome({"kind": "invite", "target": "a@corp.example"}, "failed",
                error=f"401 with key {canary} in the message")
    text = log_path.read_text() + (tmp_path / "audit.jsonl.head").read_text()
    assert canary not in text and "CANARY" not in text
    assert audit.REDACTED in text


def test_write_failure_raises_audit_error(tmp_path: pathlib.Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    log = audit.AuditLog(blocker / "audit.jsonl")
    with pytest.raises(AuditError, match="audit log"):
        log.intent({"kind": "invite", "target": "a@corp.example"})
    assert log.records_written == 0


def test_disk_full_raises_audit_error(tmp_path: pathlib.Path, monkeypatch) -> None:
    import errno
    import os

    def full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    log = audit.AuditLog(tmp_path / "audit.jsonl")
    monkeypatch.setattr(audit.os, "write", full)
    with pytest.raises(AuditError, match="No space left"):
        log.intent({"kind": "invite", "target": "a@corp.example"})


def test_show_filters_by_time_and_member(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 6)
    assert len(audit.show(log_path)) == 6
    assert len(audit.show(log_path, since=T0 + dt.timedelta(days=4))) == 2
    hits = audit.show(log_path, member="USER3@corp.example")
    assert [r["seq"] for r in hits] == [3]


def test_prune_keeps_the_chain_verifiable(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 10)  # days 0..9
    report = audit.prune(log_path, retention_days=4, now=T0 + dt.timedelta(days=10))
    assert report.removed == 6 and report.kept == 4
    kept = list(audit.iter_records(log_path))
    # the kept lines, then the prune's own record, which names the anchor header
    assert [r["seq"] for r in kept] == [6, 7, 8, 9, 10]
    assert kept[-1]["event"] == "audit_pruned" and kept[-1]["removed"] == 6
    assert kept[-1]["anchor_line"] == audit.line_hash(lines_of(log_path)[0])
    assert audit.verify(log_path).ok
    # New appends continue the chain after a prune.
    write_log(log_path, 2, StepClock(T0 + dt.timedelta(days=11)))
    assert audit.verify(log_path).ok
    # Pruning again builds on the earlier anchor.
    again = audit.prune(log_path, retention_days=2, now=T0 + dt.timedelta(days=12, hours=1))
    assert again.removed == 5  # days 6..9 and the first prune's record (day 10)
    assert json.loads(lines_of(log_path)[0])["pruned"] == 11
    assert audit.verify(log_path).ok


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda ls: [ls[0]] + ls[2:], id="first-kept-removed"),
        pytest.param(lambda ls: ls[1:], id="anchor-removed"),
        pytest.param(lambda ls: [ls[0], ls[2], ls[1]] + ls[3:], id="reordered"),
        pytest.param(lambda ls: ls[:2] + [ls[2].replace("user7", "userX")] + ls[3:],
                     id="edited"),
        pytest.param(lambda ls: ls[:-1], id="tail-cut"),
    ],
)
def test_tampering_after_prune_is_detected(tmp_path: pathlib.Path, tamper) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 10)
    audit.prune(log_path, retention_days=4, now=T0 + dt.timedelta(days=10))
    log_path.write_text("\n".join(tamper(lines_of(log_path))) + "\n")
    assert not audit.verify(log_path).ok


def test_prune_nothing_old_is_a_no_op(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 3)
    before = log_path.read_bytes()
    assert audit.prune(log_path, 365, now=T0 + dt.timedelta(days=5)).removed == 0
    assert log_path.read_bytes() == before


def test_prune_everything_then_append_still_verifies(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 3)
    assert audit.prune(log_path, 1, now=T0 + dt.timedelta(days=30)).kept == 0
    assert audit.verify(log_path).ok
    write_log(log_path, 2, StepClock(T0 + dt.timedelta(days=31)))
    assert audit.verify(log_path).ok
    assert [r["seq"] for r in audit.iter_records(log_path)] == [3, 4, 5]


def test_prune_refuses_a_tampered_log(tmp_path: pathlib.Path) -> None:
    log_path = tmp_path / "audit.jsonl"
    write_log(log_path, 4)
    lines = lines_of(log_path)
    log_path.write_text("\n".join([lines[0], lines[2], lines[3]]) + "\n")
    with pytest.raises(AuditError, match="refusing to prune"):
        audit.prune(log_path, 1, now=T0 + dt.timedelta(days=30))


def test_actor_comes_from_ci_env_or_local_user() -> None:
    ci = audit.current_actor({"GITHUB_ACTOR": "octocat", "GITHUB_RUN_ID": "991",
                              "GITHUB_RUN_ATTEMPT": "2"})
    assert (ci.name, ci.run_id, ci.source) == ("octocat", "991.2", "github-actions")
    local = audit.current_actor({})
    assert local.source == "local" and local.run_id.startswith("local-") and local.name
