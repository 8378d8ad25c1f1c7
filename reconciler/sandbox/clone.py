"""Copy a live organization into a sandbox database: the rehearsal org (issue 19).

``clone_org(client, target)`` reads an organization through an SDK client with GET
requests only (``PageReader`` has no other verb, so a read-only key suffices and
nothing in the source can change) and writes what it read into ``target``, keeping
IDs and timestamps so a policy imported from the source plans no changes on the copy.

One request per page, ``limit=1000`` (the maximum) everywhere except the managed
settings list (its maximum is 100): the count ``CloneResult.requests`` equals the
number of pages the source has, and a test holds it to that.

What the Admin API does not show cannot be copied, and the copy says so in
``CloneResult.notes``: seat tiers and seat counts (the copy has an unlimited pool),
allowed domains, org-settings documents of managed settings, API keys' secrets.

``Pseudonymiser`` replaces every email local part and every name with an HMAC of the
address under a key: the same address maps to the same pseudonym in members, invites
and group members, and in every clone made with the same key; domains are kept so
``allowed_domains`` rules still hold on the copy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anthropic
from anthropic._types import RequestOptions

from reconciler.sandbox import managed_settings
from reconciler.sandbox.spend_limits import READS_BETA, SCOPE_KEYS
from reconciler.sandbox.store import SandboxStore

ORG = "/v1/organizations"
PAGE_LIMIT = 1000
SETTINGS_PAGE_LIMIT = 100


@dataclass(frozen=True)
class Pseudonymiser:
    """Keyed, consistent replacement of emails and names (HMAC-SHA256 of the address)."""

    key: bytes

    def _digest(self, email: str) -> str:
        return hmac.new(self.key, email.strip().lower().encode(), hashlib.sha256).hexdigest()

    def email(self, email: str) -> str:
        domain = email.strip().lower().rpartition("@")[2]
        return f"member-{self._digest(email)[:12]}@{domain}"

    def name(self, email: str) -> str:
        return f"Member {self._digest(email)[:6].upper()}"


@dataclass(frozen=True)
class CloneResult:
    """What was copied (rows per kind), the requests it took, and what could not be."""

    org_type: str
    counts: Mapping[str, int]
    requests: int
    requests_by_path: Mapping[str, int]
    notes: tuple[str, ...] = field(default_factory=tuple)


class PageReader:
    """GET-only access to the Admin API through an SDK client; counts every request."""

    def __init__(self, client: anthropic.Anthropic) -> None:
        self._client = client.with_options(max_retries=2)
        self.requests: Counter[str] = Counter()

    def get(self, path: str, params: Mapping[str, Any] | None = None,
            beta: str | None = None) -> dict[str, Any]:  # fmt: skip
        self.requests[path] += 1
        options: RequestOptions = {"params": dict(params or {})}
        if beta:
            options["headers"] = {"anthropic-beta": beta}
        body = self._client.get(path, cast_to=object, options=options)
        if not isinstance(body, dict):
            raise ValueError(f"{path}: the answer is not a JSON object")
        return body

    def id_pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[Any]:
        """Every row of a scheme-A list (``after_id`` cursor), one request per page."""
        query = {**(params or {}), "limit": PAGE_LIMIT}
        while True:
            page = self.get(path, query)
            yield from page.get("data") or []
            if not page.get("has_more") or not page.get("last_id"):
                return
            query = {**query, "after_id": page["last_id"]}

    def token_pages(self, path: str, params: Mapping[str, Any] | None = None, *,
                    beta: str | None = None, limit: int = PAGE_LIMIT) -> Iterator[Any]:  # fmt: skip
        """Every row of a ``next_page`` list, one request per page."""
        query: dict[str, Any] = {**(params or {}), "limit": limit}
        while True:
            page = self.get(path, query, beta)
            yield from page.get("data") or []
            token = page.get("next_page")
            if not token:
                return
            query = {**query, "page": token}


def _is_enterprise(reader: PageReader) -> tuple[bool, list[Any]]:
    """The org type, learned from the first groups page (Console answers 400 there)."""
    try:
        page = reader.get(f"{ORG}/rbac_groups", {"limit": PAGE_LIMIT})
    except anthropic.BadRequestError as exc:
        if getattr(exc, "error_code", None) == "organization_type_not_supported" or (
            "organization_type_not_supported" in str(exc.body)
        ):
            return False, []
        raise
    rows = list(page.get("data") or [])
    if page.get("next_page"):
        rows.extend(reader.token_pages(f"{ORG}/rbac_groups", {"page": page["next_page"]}))
    return True, rows


def clone_org(
    client: anthropic.Anthropic,
    target: SandboxStore,
    *,
    pseudonymise: Pseudonymiser | None = None,
    analytics_days: Sequence[dt.date] = (),
) -> CloneResult:
    """Read the org behind ``client`` and make ``target`` (emptied first) a copy of it.

    ``analytics_days``: the days of per-member Enterprise analytics to copy too
    (``GET /analytics/users?date=``, one request per page of each day).
    """
    reader = PageReader(client)
    me = reader.get(f"{ORG}/me")
    enterprise, groups = _is_enterprise(reader)
    users = list(reader.id_pages(f"{ORG}/users"))
    invites = list(reader.id_pages(f"{ORG}/invites"))
    members = {g["id"]: list(reader.token_pages(f"{ORG}/rbac_groups/{g['id']}/members"))
               for g in groups}  # fmt: skip
    roles = list(reader.token_pages(f"{ORG}/rbac_roles")) if enterprise else []
    permissions = {r["id"]: list(reader.token_pages(f"{ORG}/rbac_roles/{r['id']}/permissions"))
                   for r in roles}  # fmt: skip
    workspaces: list[Any] = []
    ws_members: dict[str, list[Any]] = {}
    if not enterprise:
        workspaces = list(reader.id_pages(
            f"{ORG}/workspaces", {"include_archived": "true", "include_default": "true"}))
        ws_members = {w["id"]: list(reader.id_pages(f"{ORG}/workspaces/{w['id']}/members"))
                      for w in workspaces}  # fmt: skip
    limits = list(reader.token_pages(f"{ORG}/spend_limits", beta=READS_BETA))
    settings = _read_managed_settings(reader) if enterprise else None
    activity = [row for day in analytics_days if enterprise
                for row in _read_activity(reader, day)]  # fmt: skip

    emails = {u["id"]: u["email"] for u in users}
    pseudo = pseudonymise
    managed_settings.install(target)
    with target.transaction():
        target.reset()
        target.configure_org(name=str(me.get("name") or "Sandbox Org"),
                             org_type="enterprise" if enterprise else "console",
                             org_id=str(me.get("id") or ""))  # fmt: skip
        if limits:
            target.set_meta("currency", limits[0].get("currency") or "USD")
        target.executemany(
            "INSERT INTO users(id, email, name, role, added_at) VALUES (?, ?, ?, ?, ?)",
            [(u["id"], pseudo.email(u["email"]) if pseudo else u["email"],
              pseudo.name(u["email"]) if pseudo else u.get("name") or "",
              u["role"], u["added_at"]) for u in reversed(users)],
        )  # fmt: skip
        target.executemany(
            "INSERT INTO invites(id, email, role, status, invited_at, expires_at, accepted_at,"
            " rbac_group_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(i["id"], pseudo.email(i["email"]) if pseudo else i["email"], i["role"],
              i["status"], i["invited_at"], i["expires_at"], i.get("accepted_at"),
              json.dumps(i.get("rbac_group_ids") or [])) for i in reversed(invites)],
        )  # fmt: skip
        target.executemany(
            "INSERT INTO rbac_groups(id, name, source_type, role_ids, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(g["id"], g["name"], g.get("source_type") or "direct",
              json.dumps(g.get("role_ids") or []), g["created_at"], g["updated_at"])
             for g in groups],
        )  # fmt: skip
        target.executemany(
            "INSERT INTO rbac_group_members(group_id, user_id, created_at) VALUES (?, ?, ?)",
            [(gid, m["user_id"], m["created_at"]) for gid, rows in members.items()
             for m in rows if m["user_id"] in emails],
        )  # fmt: skip
        target.executemany(
            "INSERT INTO rbac_roles(id, display_name, source_type, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(r["id"], r.get("display_name") or r.get("name") or r["id"],
              (r.get("source") or {}).get("type", "built_in"), r["created_at"],
              r["updated_at"]) for r in roles],
        )  # fmt: skip
        target.executemany(
            "INSERT INTO rbac_role_permissions(role_id, action, resource) VALUES (?, ?, ?)",
            [(rid, p["action"], json.dumps(_plain_resource(p["resource"])))
             for rid, rows in permissions.items() for p in rows],
        )  # fmt: skip
        _write_workspaces(target, workspaces, ws_members)
        target.executemany(
            "INSERT OR REPLACE INTO analytics_user_days(day, user_id, email, sessions,"
            " lines_added, lines_removed, commits, pull_requests, edit_accepted, edit_rejected,"
            " write_accepted, write_rejected, chat_messages, web_searches)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(r[0], r[1], pseudo.email(r[2]) if pseudo else r[2], *r[3:]) for r in activity],
        )
        target.executemany(
            "INSERT INTO spend_limits(id, scope_type, scope_key, period, amount, currency,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(s["id"], s["scope"]["type"], _scope_key(s["scope"]), s["period"], s.get("amount"),
              s.get("currency") or "USD", s["created_at"], s["updated_at"]) for s in limits],
        )  # fmt: skip
    if settings is not None:  # after the commit: its schema step cannot run in one
        managed_settings.seed_settings(target, mode=settings["mode"], groups=settings["groups"],
                                       default=settings["default"])  # fmt: skip
    counts = {
        "members": len(users), "invites": len(invites), "rbac_groups": len(groups),
        "rbac_group_members": sum(len(v) for v in members.values()), "rbac_roles": len(roles),
        "workspaces": len(workspaces), "workspace_members": sum(map(len, ws_members.values())),
        "spend_limits": len(limits),
        "managed_settings_groups": len(settings["groups"]) if settings else 0,
        "analytics_rows": len(activity),
    }  # fmt: skip
    notes = ["seat tiers and purchased seats are not in the Admin API: the copy has an "
             "unlimited seat pool", "allowed domains are not in the Admin API: the copy "
             "accepts invites to any domain"]  # fmt: skip
    if enterprise and settings is None:
        notes.append("managed settings: the source answered 404 (not enrolled); none copied")
    return CloneResult("enterprise" if enterprise else "console", counts,
                       sum(reader.requests.values()), dict(reader.requests), tuple(notes))


def _read_activity(reader: PageReader, day: dt.date) -> list[tuple[Any, ...]]:
    """One day of ``GET /analytics/users`` as ``analytics_user_days`` rows."""
    rows = []
    for r in reader.token_pages(f"{ORG}/analytics/users", {"date": day.isoformat()}):
        user = r.get("user") or {}
        code = (r.get("claude_code_metrics") or {})
        core, tools = code.get("core_metrics") or {}, code.get("tool_actions") or {}
        lines = core.get("lines_of_code") or {}
        edit, write = tools.get("edit_tool") or {}, tools.get("write_tool") or {}
        rows.append((day.isoformat(), user.get("id"), user.get("email_address") or "",
                     core.get("distinct_session_count", 0), lines.get("added_count", 0),
                     lines.get("removed_count", 0), core.get("commit_count", 0),
                     core.get("pull_request_count", 0), edit.get("accepted_count", 0),
                     edit.get("rejected_count", 0), write.get("accepted_count", 0),
                     write.get("rejected_count", 0),
                     (r.get("chat_metrics") or {}).get("message_count", 0),
                     r.get("web_search_count", 0)))  # fmt: skip
    return [row for row in rows if row[1]]


def _plain_resource(resource: Mapping[str, Any]) -> dict[str, Any]:
    """A permission's resource without ``organization_id``: the copy serves its own."""
    return {k: v for k, v in resource.items() if k != "organization_id"}


def _scope_key(scope: Mapping[str, Any]) -> str:
    key_field = SCOPE_KEYS.get(str(scope.get("type")))
    return str(scope.get(key_field) or "") if key_field else ""


def _write_workspaces(store: SandboxStore, workspaces: list[Any],
                      members: Mapping[str, list[Any]]) -> None:  # fmt: skip
    """Workspaces in creation order; the Default is the oldest active one named Default."""
    ordered = sorted(workspaces, key=lambda w: (w["created_at"], w["id"]))
    default = next((w["id"] for w in ordered
                    if w["name"] == "Default" and not w.get("archived_at")), None)  # fmt: skip
    store.executemany(
        "INSERT INTO workspaces(id, name, display_color, created_at, archived_at, tags,"
        " data_residency, is_default) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(w["id"], w["name"], w.get("display_color") or "#6C5BB9", w["created_at"],
          w.get("archived_at"), json.dumps(w.get("tags") or {}),
          json.dumps(w.get("data_residency") or {}), int(w["id"] == default))
         for w in ordered],
    )  # fmt: skip
    store.executemany(
        "INSERT INTO workspace_members(workspace_id, user_id, workspace_role) VALUES (?, ?, ?)",
        [(wid, m["user_id"], m["workspace_role"]) for wid, rows in members.items() for m in rows],
    )


def _read_managed_settings(reader: PageReader) -> dict[str, Any] | None:
    """Mode, order and documents of Claude Code managed settings; None when not enrolled."""
    base = f"{ORG}/claude_code/managed_settings"
    beta = managed_settings.BETA
    try:
        config = reader.get(f"{base}/configuration", beta=beta)
    except anthropic.NotFoundError:
        return None
    summaries = list(reader.token_pages(f"{base}/rbac_groups", beta=beta,
                                        limit=SETTINGS_PAGE_LIMIT))  # fmt: skip
    groups = []
    for row in summaries:
        doc = reader.get(f"{base}/rbac_groups/{row['rbac_group_id']}", beta=beta)
        if doc.get("settings") is not None:
            groups.append((row["rbac_group_id"], doc["settings"]))
    default = reader.get(f"{base}/rbac_group_default", beta=beta).get("settings")
    return {"mode": (config.get("mode") or {}).get("type", "organization"),
            "groups": groups, "default": default}  # fmt: skip
