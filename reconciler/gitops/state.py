"""The live state recorded at the last apply: what drift compares the org with.

Why: "the live org differs from the policy" has two very different causes — someone
changed the org in the console (changed outside the policy), or a merged policy
change has not been applied yet. Only a record of the live state right after the
last apply tells them apart: an item that differs from that record was changed
outside; one that still matches it is waiting for the policy to be applied.

The record is a flat map of *entities* (``member:<email>`` → role, ``group_member:
<group>:<email>`` → ``in``, ...), small enough for 100k members and easy to compare
per item. ``apply`` writes it after each run (``record_last_apply``); the apply
workflow keeps ``.seatctl/`` as an artifact and the drift workflow restores it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pathlib
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.errors import ConfigError
from reconciler.model import OrgState

DEFAULT_PATH = pathlib.Path(".seatctl") / "last-apply.json"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class LastApply:
    """The live state right after an apply, the policy commit applied, and when."""

    commit: str | None
    applied_at: dt.datetime
    fingerprint: str
    entities: Mapping[str, str]


def state_entities(state: OrgState) -> dict[str, str]:
    """Every fact a change can be about, as ``kind:key`` → value strings."""
    out: dict[str, str] = {}
    for email, m in state.members.items():
        out[f"member:{email}"] = m.role
    for email, inv in state.invites.items():
        out[f"invite:{email}"] = f"{inv.role}|{inv.status}"
    for name, g in state.groups.items():
        out[f"group:{name}"] = g.source
        for email in g.members:
            out[f"group_member:{name}:{email}"] = "in"
    for key, limit in state.spend_limits.items():
        out[f"spend:{key.scope}:{key.key}:{key.period}"] = f"{limit.amount_cents} {limit.currency}"
    for name, ws in state.workspaces.items():
        for email, role in ws.members.items():
            out[f"workspace_member:{name}:{email}"] = role
    return out


def record_last_apply(
    live_after: OrgState,
    *,
    commit: str | None,
    applied_at: dt.datetime,
    fingerprint: str,
    path: str | os.PathLike[str] = DEFAULT_PATH,
    audit_head: str | None = None,
) -> pathlib.Path:
    """Write the record atomically (temp file + rename), so a crash never leaves half.

    ``audit_head`` (``SEQ:HASH`` of the audit log's last entry) is kept here so the
    record, committed to git, anchors the audit log outside itself."""
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "format_version": FORMAT_VERSION,
        "commit": commit,
        "applied_at": applied_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "fingerprint": fingerprint,
        "entities": dict(sorted(state_entities(live_after).items())),
    }
    if audit_head:
        doc["audit_head"] = audit_head
    fd, tmp = tempfile.mkstemp(prefix=".last-apply-", dir=target.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, separators=(",", ":"), ensure_ascii=True)
        fh.write("\n")
    os.replace(tmp, target)
    return target


def load_last_apply(path: str | os.PathLike[str] = DEFAULT_PATH) -> LastApply | None:
    """The record, or None when no apply has been recorded here yet."""
    p = pathlib.Path(path)
    if not p.exists():
        return None
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
        if doc.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format_version {doc.get('format_version')!r} is not supported")
        entities = doc["entities"]
        if not isinstance(entities, dict):
            raise ValueError("entities is not an object")
        return LastApply(
            commit=doc.get("commit"),
            applied_at=dt.datetime.fromisoformat(str(doc["applied_at"]).replace("Z", "+00:00")),
            fingerprint=str(doc.get("fingerprint", "")),
            entities={str(k): str(v) for k, v in entities.items()},
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(
            f"{p}: the last-apply record is unreadable ({exc})",
            hint="delete it; the next `seatctl apply` records a fresh one",
        ) from exc
