"""The kept snapshot: the last full live read, with when it was read and its fingerprint.

Why: a full read of a 100,000-member organization is about 5,200 requests, close to
an hour at the Admin API's 100 requests/minute. Every full read (drift, apply, a
plan without ``--base``) stores what it read in ``<state-dir>/snapshot.json``, so a
pull-request plan can re-read only the slice the pull request can change and take
the rest from here, saying how old it is (``providers.targeted``).

The file is written atomically (temporary file + rename in the same folder), so a
crash leaves the previous snapshot or the new one, never half of either. Managed
settings are not kept: a plan that needs them reads the organization in full.
"""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import orjson

from reconciler.errors import ConfigError
from reconciler.model import (
    Group,
    Invite,
    Member,
    OrgState,
    OrgType,
    SpendLimit,
    SpendLimitKey,
    Workspace,
)

#: ``plan.fingerprint.fingerprint`` (providers sit below ``plan``, so callers pass it in).
FingerprintOf = Callable[[OrgState], str]
SNAPSHOT_FILE = "snapshot.json"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A complete live state as read at ``read_at`` (UTC); ``fingerprint`` of ``live``."""

    live: OrgState
    read_at: dt.datetime
    fingerprint: str

    def age(self, now: dt.datetime) -> dt.timedelta:
        """How old the snapshot is at ``now`` (never negative: a clock skew reads as 0)."""
        return max(dt.timedelta(0), now - self.read_at)


def snapshot_path(state_dir: str | os.PathLike[str]) -> pathlib.Path:
    return pathlib.Path(state_dir) / SNAPSHOT_FILE


def _time(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _parse_time(value: object) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def state_to_doc(live: OrgState) -> dict[str, Any]:
    """The state as plain JSON values, sorted, so the same state gives the same file."""
    return {
        "org_type": live.org_type.value,
        "org_name": live.org_name,
        "members": [[m.email, m.role, m.name, m.id, _time(m.added_at)]
                    for _, m in sorted(live.members.items())],
        "invites": [{"email": i.email, "role": i.role, "status": i.status,
                     "group_ids": sorted(i.group_ids), "id": i.id,
                     "invited_at": _time(i.invited_at), "expires_at": _time(i.expires_at)}
                    for _, i in sorted(live.invites.items())],
        "groups": [{"name": g.name, "id": g.id, "source": g.source, "members": sorted(g.members)}
                   for _, g in sorted(live.groups.items())],
        "spend_limits": [{"scope": s.scope.scope, "key": s.scope.key, "period": s.scope.period,
                          "amount_cents": s.amount_cents, "currency": s.currency, "id": s.id}
                         for s in sorted(live.spend_limits.values(),
                                         key=lambda s: (s.scope.scope, s.scope.key,
                                                        s.scope.period))],
        "workspaces": [{"name": w.name, "id": w.id, "members": dict(sorted(w.members.items()))}
                       for _, w in sorted(live.workspaces.items())],
    }


def state_from_doc(doc: Mapping[str, Any]) -> OrgState:
    """The inverse of ``state_to_doc``; raises KeyError/TypeError/ValueError on a bad file."""
    times: dict[object, dt.datetime | None] = {}  # joins repeat: parse each time once

    def when(text: object) -> dt.datetime | None:
        if text not in times:
            times[text] = _parse_time(text)
        return times[text]

    members = {row[0]: Member(row[0], row[1], row[2], row[3], when(row[4]))
               for row in doc["members"]}
    invites = {i["email"]: Invite(i["email"], i["role"], i["status"], frozenset(i["group_ids"]),
                                  i["id"], _parse_time(i["invited_at"]),
                                  _parse_time(i["expires_at"]))
               for i in doc["invites"]}
    groups = {g["name"]: Group(g["name"], frozenset(g["members"]), g["id"], g["source"])
              for g in doc["groups"]}
    limits = {}
    for s in doc["spend_limits"]:
        key = SpendLimitKey(s["scope"], s["key"], s["period"])
        limits[key] = SpendLimit(key, int(s["amount_cents"]), s["currency"], s["id"])
    workspaces = {w["name"]: Workspace(w["name"], MappingProxyType(dict(w["members"])), w["id"])
                  for w in doc["workspaces"]}
    return OrgState(
        org_type=OrgType(doc["org_type"]), members=MappingProxyType(members),
        invites=MappingProxyType(invites), groups=MappingProxyType(groups),
        spend_limits=MappingProxyType(limits), workspaces=MappingProxyType(workspaces),
        org_name=str(doc.get("org_name", "")), complete=True,
    )


def save_snapshot(live: OrgState, state_dir: str | os.PathLike[str], *,
                  read_at: dt.datetime, fingerprint: FingerprintOf) -> pathlib.Path:
    """Keep ``live`` (a complete full read) as the snapshot; atomic (temp file + rename)."""
    if not live.complete:
        raise ValueError("only a complete live read can be kept as the snapshot")
    target = snapshot_path(state_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the fingerprint is of what the file holds: managed settings are not kept
    kept = replace(live, managed_settings=None)
    doc = {"format_version": FORMAT_VERSION, "read_at": _time(read_at),
           "fingerprint": fingerprint(kept), **state_to_doc(kept)}
    fd, tmp = tempfile.mkstemp(prefix=".snapshot-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:  # orjson: ~14 MB at 100k members, in a fraction
            fh.write(orjson.dumps(doc) + b"\n")
        os.replace(tmp, target)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
    return target


def load_snapshot(state_dir: str | os.PathLike[str], *,
                  fingerprint: FingerprintOf) -> Snapshot | None:
    """The kept snapshot, or None when there is none yet.

    A damaged file is a ``ConfigError`` naming it (delete it; the next full read
    writes a new one); a file whose state no longer matches its fingerprint is one too.
    """
    path = snapshot_path(state_dir)
    if not path.exists():
        return None
    try:
        doc = orjson.loads(path.read_bytes())
        if not isinstance(doc, dict):
            raise ValueError("not a JSON object")
        if doc.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"format_version {doc.get('format_version')!r} is not supported")
        live = state_from_doc(doc)
        read_at = _parse_time(doc["read_at"])
        if read_at is None or read_at.tzinfo is None:
            raise ValueError("read_at is missing or has no time zone")
        kept = str(doc["fingerprint"])
    except (OSError, ValueError, KeyError, TypeError, IndexError,
            orjson.JSONDecodeError) as exc:
        raise ConfigError(
            f"{path}: the live-state snapshot is unreadable ({exc})",
            hint="delete it; the next full read (plan without --base, drift, apply) keeps a "
            "fresh one",
        ) from None
    if fingerprint(live) != kept:
        raise ConfigError(
            f"{path}: the live-state snapshot does not match its fingerprint (edited or damaged)",
            hint="delete it; the next full read (plan without --base, drift, apply) keeps a "
            "fresh one",
        )
    return Snapshot(live, read_at.astimezone(dt.UTC), kept)
