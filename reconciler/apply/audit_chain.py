"""The chain's on-disk form: canonical lines, their hashes, the head file beside the log.

Shared by the writer (``audit``), ``audit_verify``, ``audit_show`` and ``audit_prune``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import pathlib
from collections.abc import Mapping
from typing import Any

from reconciler.errors import AuditError

#: What the first line of a never-pruned log points back to.
GENESIS = hashlib.sha256(b"seatctl audit log genesis v1").hexdigest()


def canonical(record: Mapping[str, Any]) -> str:
    """The one byte form that is written and hashed: sorted keys, ASCII only, no spaces."""
    return json.dumps(record, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def line_hash(line: str) -> str:
    return hashlib.sha256(line.encode("ascii")).hexdigest()


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _head_path(path: pathlib.Path) -> pathlib.Path:
    return path.with_name(path.name + ".head")


def _write_head(path: pathlib.Path, seq: int, digest: str) -> None:
    head = _head_path(path)
    tmp = head.with_name(head.name + f".{os.getpid()}.tmp")
    tmp.write_text(canonical({"hash": digest, "seq": seq}) + "\n", encoding="ascii")
    os.replace(tmp, head)


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


def format_head(seq: int, digest: str) -> str:
    """The anchor to keep outside the log: ``SEQ:HASH`` of its last entry."""
    return f"{seq}:{digest}"
