"""What a rehearsal changed: the difference between two sandbox organizations.

``diff_stores(before, after)`` compares two sandbox databases (typically the clone
as it was made and the same clone after ``apply``) object by object and returns one
``Change`` per difference, keyed the way an admin thinks of the org: members and
invites by email, groups by ID (a renamed group is one change), spend limits by
scope and period, workspaces by ID, managed settings by group. Soft-deleted members
and withdrawn invites count as gone, as they do on the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox import managed_settings, rules
from reconciler.sandbox.store import SandboxStore


@dataclass(frozen=True, order=True)
class Change:
    """One difference: ``kind`` (``member``...), the object's key, and what moved."""

    kind: str
    key: str
    action: str  # added | removed | changed
    detail: str = ""

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "key": self.key, "action": self.action, "detail": self.detail}


def _members(store: SandboxStore) -> dict[str, dict[str, Any]]:
    rows = store.query("SELECT email, role, name FROM users WHERE deleted = 0")
    return {r["email"]: {"role": r["role"], "name": r["name"]} for r in rows}


def _invites(store: SandboxStore) -> dict[str, dict[str, Any]]:
    now = store.now_text()
    out: dict[str, dict[str, Any]] = {}
    for r in store.query("SELECT * FROM invites WHERE status != 'deleted' ORDER BY seq"):
        status = rules.effective_status(r["status"], r["expires_at"], now)
        if status == "pending":
            out[r["email"]] = {"role": r["role"], "groups": sorted(json.loads(r["rbac_group_ids"]))}
    return out


def _emails(store: SandboxStore) -> dict[str, str]:
    return {r["id"]: r["email"] for r in store.query("SELECT id, email FROM users")}


def _groups(store: SandboxStore) -> dict[str, dict[str, Any]]:
    if store.org_type != "enterprise":  # what the API shows: Console has no RBAC groups
        return {}
    emails = _emails(store)
    members: dict[str, list[str]] = {}
    for r in store.query("SELECT group_id, user_id FROM rbac_group_members"):
        members.setdefault(r["group_id"], []).append(emails.get(r["user_id"], r["user_id"]))
    return {r["id"]: {"name": r["name"], "members": sorted(members.get(r["id"], []))}
            for r in store.query("SELECT id, name FROM rbac_groups")}  # fmt: skip


def _limits(store: SandboxStore) -> dict[str, dict[str, Any]]:
    emails = _emails(store)
    out = {}
    for r in store.query("SELECT * FROM spend_limits"):
        who = emails.get(r["scope_key"], r["scope_key"]) if r["scope_type"] == "user" else (
            r["scope_key"])
        out[f"{r['scope_type']}:{who} {r['period']}"] = {"amount": r["amount"]}
    return out


def _workspaces(store: SandboxStore) -> dict[str, dict[str, Any]]:
    if store.org_type != "console":  # what the API shows: Enterprise has no workspaces
        return {}
    emails = _emails(store)
    members: dict[str, dict[str, str]] = {}
    for r in store.query("SELECT * FROM workspace_members"):
        members.setdefault(r["workspace_id"], {})[emails.get(r["user_id"], r["user_id"])] = (
            r["workspace_role"])
    return {r["id"]: {"name": r["name"], "archived": r["archived_at"] is not None,
                      "members": members.get(r["id"], {})}
            for r in store.query("SELECT * FROM workspaces")}  # fmt: skip


def _settings(store: SandboxStore) -> dict[str, dict[str, Any]]:
    if store.org_type != "enterprise":
        return {}
    managed_settings.install(store)
    rows = store.query("SELECT g.group_id, g.position, d.body FROM ccms_groups g "
                       "JOIN ccms_documents d ON d.id = g.doc_id")  # fmt: skip
    out: dict[str, dict[str, Any]] = {
        f"group {r['group_id']}": {"position": r["position"], "settings": json.loads(r["body"])}
        for r in rows
    }
    config = store.get_meta("ccms_config") or {}
    out["mode"] = {"mode": config.get("mode", "organization")}
    doc = (store.get_meta("ccms_default") or {}).get("doc_id")
    body = store.scalar("SELECT body FROM ccms_documents WHERE id = ?", (doc,)) if doc else None
    out["default"] = {"settings": json.loads(body) if body else None}
    return out


def _compare(kind: str, before: Mapping[str, Mapping[str, Any]],
             after: Mapping[str, Mapping[str, Any]]) -> Iterable[Change]:  # fmt: skip
    for key in sorted(before.keys() - after.keys()):
        yield Change(kind, key, "removed")
    for key in sorted(after.keys() - before.keys()):
        yield Change(kind, key, "added", _describe(after[key]))
    for key in sorted(before.keys() & after.keys()):
        moved = [f"{f}: {_short(before[key].get(f))} -> {_short(after[key].get(f))}"
                 for f in sorted(before[key].keys() | after[key].keys())
                 if f != "members" and before[key].get(f) != after[key].get(f)]  # fmt: skip
        old, new = before[key].get("members"), after[key].get("members")
        if old != new:
            moved.append(_member_delta(old, new))
        if moved:
            yield Change(kind, key, "changed", "; ".join(moved))


def _member_delta(old: Any, new: Any) -> str:
    if isinstance(old, dict) or isinstance(new, dict):
        old, new = dict(old or {}), dict(new or {})
        parts = [f"+{k} ({new[k]})" for k in sorted(new.keys() - old.keys())]
        parts += [f"-{k}" for k in sorted(old.keys() - new.keys())]
        parts += [f"{k}: {old[k]} -> {new[k]}" for k in sorted(old.keys() & new.keys())
                  if old[k] != new[k]]  # fmt: skip
    else:
        parts = [f"+{m}" for m in sorted(set(new or ()) - set(old or ()))]
        parts += [f"-{m}" for m in sorted(set(old or ()) - set(new or ()))]
    return "members: " + ", ".join(parts)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {_short(v)}" for k, v in sorted(values.items())
                     if k != "members" and v not in (None, "", [], {}))  # fmt: skip


def diff_stores(before: SandboxStore, after: SandboxStore) -> list[Change]:
    """Every difference from ``before`` to ``after``, grouped by kind, sorted by key."""
    changes: list[Change] = []
    if before.org_type != after.org_type:
        changes.append(Change("organization", "type", "changed",
                              f"{before.org_type} -> {after.org_type}"))
    for kind, read in (("member", _members), ("invite", _invites), ("group", _groups),
                       ("spend_limit", _limits), ("workspace", _workspaces),
                       ("managed_settings", _settings)):  # fmt: skip
        changes.extend(_compare(kind, read(before), read(after)))
    return changes
