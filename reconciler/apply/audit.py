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
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import os
import pathlib
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import AuditError

#: What the first line of a never-pruned log points back to.
GENESIS = hashlib.sha256(b"seatctl audit log genesis v1").hexdigest()

REDACTED = "[redacted]"


def canonical(record: Mapping[str, Any]) -> str:
    """The one byte form that is written and hashed: sorted keys, ASCII only, no spaces."""
    return json.dumps(record, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def line_hash(line: str) -> str:
    return hashlib.sha256(line.encode("ascii")).hexdigest()


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


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _head_path(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + ".head")


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


def _write_head(path: pathlib.Path, seq: int, digest: str) -> None:
    head = _head_path(path)
    tmp = head.with_name(head.name + f".{os.getpid()}.tmp")
    tmp.write_text(canonical({"hash": digest, "seq": seq}) + "\n", encoding="ascii")
    os.replace(tmp, head)


# ---------------------------------------------------------------------------
# Reading, verifying, pruning
# ---------------------------------------------------------------------------


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


def _read_lines(path: pathlib.Path) -> list[str]:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise AuditError(f"audit log {path} does not exist",
                         hint="check the path (apply writes .seatctl/audit.jsonl)") from exc
    except OSError as exc:
        raise AuditError(f"cannot read audit log {path}: {exc.strerror}") from exc
    return data.decode("ascii", errors="replace").splitlines()


def read_head(path: str | os.PathLike[str]) -> tuple[int, str] | None:
    """The head written beside the log, or None when there is none."""
    try:
        data = json.loads(_head_path(pathlib.Path(path)).read_text(encoding="ascii"))
        return int(data["seq"]), str(data["hash"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise AuditError(f"audit head file for {path} is unreadable: {exc}") from exc


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


def format_head(seq: int, digest: str) -> str:
    """The anchor to keep outside the log: ``SEQ:HASH`` of its last entry."""
    return f"{seq}:{digest}"


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
