"""Semantic checks: each a small function over built objects returning findings.

They run after the schema passed, so shapes are known; they never raise for bad
policy content. Messages are the named constants of ``messages``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from reconciler.model import ASSIGNABLE_ROLES, OrgType, Role, Team
from reconciler.model.endpoints import base_url_problem
from reconciler.policy import messages as M
from reconciler.policy.compile import sprint_dates
from reconciler.policy.document import Document, at
from reconciler.policy.emails import check_email, plus_base
from reconciler.policy.findings import Finding
from reconciler.policy.members import Entry
from reconciler.policy.orgfile import OrgSettings, parse_date
from reconciler.policy.seating import allocated_seats_at


def check_org(org: OrgSettings, doc: Document) -> list[Finding]:
    out: list[Finding] = []
    b = org.budget
    if org.contract_start and org.contract_end and org.contract_end < org.contract_start:
        out.append(at(doc, "/contract/end", M.CONTRACT_ORDER, start=org.contract_start,
                      end=org.contract_end))
    assert doc.data is not None
    for key in ("start", "end"):
        text = doc.data.get("contract", {}).get(key)
        if text is not None and parse_date(text) is None:
            out.append(at(doc, f"/contract/{key}", M.BAD_DATE, value=text))
    if b.growth_buffer_min_pct > b.growth_buffer_max_pct:
        out.append(at(doc, "/seats/growth_buffer", M.BUFFER_ORDER, lo=b.growth_buffer_min_pct,
                      hi=b.growth_buffer_max_pct))
    if b.default_tier not in b.tiers:
        out.append(at(doc, "/seats/default_tier", M.TIER_DEFAULT, tier=b.default_tier,
                      allowed=", ".join(b.tiers)))
    if b.dynamic is not None and b.dynamic.max_seats > b.purchased_seats:
        out.append(at(doc, "/dynamic_seating/max_seats", M.DYNAMIC_MAX,
                      max_seats=b.dynamic.max_seats, purchased=b.purchased_seats))
    for name, hook in org.notifications.webhooks.items():
        ptr = f"/notifications/webhooks/{name}"
        if hook.url and hook.url_env:
            out.append(at(doc, ptr, M.WEBHOOK_BOTH, name=name))
        elif hook.url:
            out.append(at(doc, ptr + "/url", M.WEBHOOK_URL_INLINE, "warning", name=name))
    if org.base_url is not None and (why := base_url_problem(org.base_url)):
        out.append(at(doc, "/organization/base_url", M.BASE_URL_INSECURE, url=org.base_url,
                      why=why))
    out += _check_notify_targets(org, doc)
    out += _check_tracking(org, doc)
    for i, raw in enumerate(doc.data.get("safety", {}).get("protected", ())):
        for msg, severity, fields in check_email(raw, org.allowed_domains)[1]:
            out.append(at(doc, f"/safety/protected/{i}", msg, severity, **fields))
    email = doc.data.get("notifications", {}).get("email", {})
    for name, addresses in email.get("recipients", {}).items():
        for i, raw in enumerate(addresses):
            for msg, severity, fields in check_email(raw, None)[1]:
                out.append(at(doc, f"/notifications/email/recipients/{name}/{i}", msg,
                              severity, **fields))
    return out


_SECRET_NAME = re.compile(r"auth|token|secret|passw|api[-_]?key|cookie|credential|session",
                          re.IGNORECASE)
_SECRET_VALUE = re.compile(r"^(bearer|basic|token|digest)\s+\S|^(sk|pk|ghp|xox[abp])[-_][\w-]{8,}",
                           re.IGNORECASE)
_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def looks_secret(name: str, value: str) -> bool:
    """A header a settings document must not carry: named like a credential, or one."""
    return bool(_SECRET_NAME.search(name) or _SECRET_VALUE.search(value.strip()))


def _plain_http_off_host(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "http" and (parts.hostname or "") not in _LOOPBACK


def _check_tracking(org: OrgSettings, doc: Document) -> list[Finding]:
    t = org.usage.tracking
    if t is None:
        return []
    out = [
        at(doc, f"/usage/tracking/headers/{name}", M.TELEMETRY_SECRET_HEADER, header=name)
        for name, value in t.headers.items()
        if looks_secret(name, value)
    ]
    if t.endpoint and _plain_http_off_host(t.endpoint):
        out.append(at(doc, "/usage/tracking/endpoint", M.TELEMETRY_PLAIN_HTTP,
                      what="telemetry endpoint", url=t.endpoint))
    if t.query and _plain_http_off_host(t.query.url):
        out.append(at(doc, "/usage/tracking/query/url", M.TELEMETRY_PLAIN_HTTP,
                      what="telemetry query URL", url=t.query.url))
    return out


def _check_notify_targets(org: OrgSettings, doc: Document) -> list[Finding]:
    n = org.notifications
    known = set(n.webhooks) | set(n.email.recipients if n.email else ())
    out = []
    for key, alert in (("lowUtilization", org.usage.low_utilization),
                       ("highUsage", org.usage.high_usage)):
        for i, target in enumerate(alert.notify):
            if target in known or check_email(target, None)[0] is not None:
                continue
            out.append(at(doc, f"/usage/alerting/{key}/notify/{i}", M.NOTIFY_UNKNOWN,
                          target=target, known=", ".join(sorted(known)) or "none defined"))
    return out


def check_roles(roles: Mapping[str, Role], org: OrgSettings, doc: Document) -> list[Finding]:
    out: list[Finding] = []
    assignable = ASSIGNABLE_ROLES[org.org_type]
    for key, role in roles.items():
        ptr = f"/roles/{key}"
        if role.org_role not in assignable:
            out.append(at(doc, ptr + "/org_role", M.ORG_ROLE_BAD, role=key, org_role=role.org_role,
                          org_type=org.org_type.value, allowed=", ".join(sorted(assignable))))
        if role.seat_tier not in org.budget.tiers:
            out.append(at(doc, ptr + "/seat_tier", M.TIER_UNKNOWN, role=key, tier=role.seat_tier,
                          allowed=", ".join(org.budget.tiers)))
        if "read_only" in role.features and "full_code_edit" in role.features:
            out.append(at(doc, ptr + "/features", M.FEATURE_CONFLICT, role=key))
        out.extend(_check_increases(role, doc, ptr))
    baseline = [k for k, r in roles.items() if r.baseline]
    if len(baseline) > 1:
        out.append(at(doc, f"/roles/{baseline[1]}/baseline", M.BASELINE_TWICE,
                      roles=", ".join(baseline)))
    return out


def _check_increases(role: Role, doc: Document, ptr: str) -> list[Finding]:
    """A rule must be able to grant something: a cap to raise, and a ceiling above it."""
    rule = role.spend_increases
    if rule is None:
        return []
    cap = role.monthly_spend_cap_cents
    if cap is None:
        return [at(doc, ptr + "/spend_increases", M.INCREASE_NO_CAP, role=role.key)]
    ceiling = rule.auto_approve_up_to_cents
    if ceiling is not None and ceiling <= cap:
        return [at(doc, ptr + "/spend_increases/auto_approve_up_to", M.INCREASE_BELOW_CAP,
                   role=role.key, ceiling=f"{ceiling / 100:,.2f}", cap=f"{cap / 100:,.2f}")]
    return []


def check_groups(roles: Mapping[str, Role], teams: Mapping[str, Team],
                 roles_doc: Document | None, docs: Mapping[str, Document]) -> list[Finding]:
    """Each RBAC group belongs to one team or one role, else memberships would merge."""
    owner: dict[str, str] = {}
    out: list[Finding] = []
    for team in teams.values():
        doc = docs.get(team.source.file) if team.source else None
        if team.group in owner and doc is not None:
            out.append(at(doc, "/name", M.GROUP_CLASH, group=team.group, first=owner[team.group],
                          second=f"team {team.name!r}"))
        owner.setdefault(team.group, f"team {team.name!r}")
    for role in roles.values():
        if role.group and role.group in owner and roles_doc is not None:
            out.append(at(roles_doc, f"/roles/{role.key}/group", M.GROUP_CLASH, group=role.group,
                          first=owner[role.group], second=f"role {role.key!r}"))
        if role.group:
            owner.setdefault(role.group, f"role {role.key!r}")
    return out


def _suggest(role: str, known: Mapping[str, Role]) -> str:
    folded = [k for k in known if k.lower() == role.lower().replace(" ", "_")]
    close = folded or difflib.get_close_matches(role, list(known), n=1)
    return f"did you mean {close[0]!r}? " if close else ""


class MemberChecker:
    """Duplicates inside a team, unknown roles, one member with two roles, expiry: fed
    in file order, a file (or chunk) at a time. ``feed`` each batch of entries, then
    ``finish`` for every finding (sub-address warnings need all emails, so they come
    last)."""

    def __init__(self, roles: Mapping[str, Role] | None, org: OrgSettings,
                 today: dt.date) -> None:
        self.roles, self.org, self.today = roles, org, today
        self.out: list[Finding] = []
        # The first entry of each email (``role_of``) is also the first of its team;
        # later entries in other teams are remembered per (team, email) (rare).
        self.seen_in_team: dict[tuple[str, str], Entry] = {}
        self.role_of: dict[str, Entry] = {}
        self.plus: list[Entry] = []
        self.dates: dict[str, dt.date | None] = {}  # a policy repeats few expiry dates

    def feed(self, entries: list[Entry]) -> None:
        out, known, today, dates = self.out, self.roles, self.today, self.dates
        seen_in_team, role_of, plus = self.seen_in_team, self.role_of, self.plus
        contract_end = self.org.contract_end
        for entry in entries:
            norm, raw, role, team, doc, i, expires, _name, _line, _col = entry
            if known is not None and role not in known:
                out.append(at(doc, f"/members/{i}/role", M.ROLE_UNKNOWN, role=role,
                              suggest=_suggest(role, known), allowed=", ".join(sorted(known))))
            if expires is not None:
                date = dates[expires] if expires in dates else dates.setdefault(
                    expires, parse_date(expires))
                if date is None:
                    out.append(at(doc, f"/members/{i}/expires", M.BAD_DATE, value=expires))
                elif date < today:
                    out.append(at(doc, f"/members/{i}/expires", M.EXPIRED, "warning",
                                  email=norm or raw, date=date, today=today))
                elif contract_end is not None and date > contract_end:
                    out.append(at(doc, f"/members/{i}/expires", M.EXPIRY_AFTER_CONTRACT,
                                  "warning", email=norm or raw, date=date, end=contract_end))
            if norm is None:
                continue
            if "+" in norm:
                plus.append(entry)
            prior = role_of.get(norm)
            if prior is None:
                role_of[norm] = entry
                continue
            first = prior if prior[3] == team else seen_in_team.get((team, norm))
            if first is not None:
                out.append(at(doc, f"/members/{i}/email", M.EMAIL_DUPLICATE, email=norm,
                              other=first[8]))
                continue
            seen_in_team[(team, norm)] = entry
            if prior[2] != role:
                where = f"{prior[4].path}:{prior[8]}"
                out.append(at(doc, f"/members/{i}/role", M.ROLE_CONFLICT, email=norm,
                              role=role, other_role=prior[2], other=where))

    def finish(self) -> list[Finding]:
        out = list(self.out)
        for entry in self.plus:
            norm = entry[0]
            assert norm is not None
            base = plus_base(norm)
            if base in self.role_of:
                out.append(at(entry[4], f"/members/{entry[5]}/email", M.EMAIL_PLUS, "warning",
                              email=norm, base=base))
        return out


def check_protected(org: OrgSettings, entries: list[Entry], doc: Document) -> list[Finding]:
    listed = {e[0] for e in entries}
    assert doc.data is not None
    raw = doc.data.get("safety", {}).get("protected", ())
    return [at(doc, f"/safety/protected/{i}", M.PROTECTED_MISSING, email=email)
            for i, email in enumerate(raw)
            if email.strip().lower() not in listed]


def check_seats(teams: Mapping[str, Team], org: OrgSettings, members: int,
                docs: Mapping[str, Document], org_doc: Document, today: dt.date
                ) -> list[Finding]:
    """Allocations against purchased seats, members against allocations (as of today)."""
    out: list[Finding] = []
    b = org.budget
    team_based = b.allocation_model == "team_based"
    total = 0
    for team in teams.values():
        seats = allocated_seats_at(team, b, today)
        total += team.allocated_seats
        doc = docs.get(team.source.file) if team.source else None
        if doc is None or not team_based:
            continue
        count = len(team.members)
        if count > seats:
            used = members * 100 / b.purchased_seats
            fields: dict[str, Any] = {"team": team.name, "members": count, "seats": seats}
            if not b.overflow_allowed:
                out.append(at(doc, "/members", M.TEAM_OVER, **fields))
            elif used >= b.overflow_threshold_pct:
                out.append(at(doc, "/members", M.TEAM_OVERFLOW_BLOCKED, pct=used,
                              threshold=b.overflow_threshold_pct, **fields))
            else:
                approval = ("plan needs --approve-overflow (seat_policy.approval_required)"
                            if b.approval_required else "overflow is allowed without approval")
                out.append(at(doc, "/members", M.TEAM_OVERFLOW, "warning", approval=approval,
                              **fields))
        if team.workspaces and org.org_type is OrgType.ENTERPRISE:
            out.append(at(doc, "/workspaces", M.WORKSPACES_ENTERPRISE, team=team.name))
        for ptr, start, end in sprint_dates(doc):
            s, e = parse_date(start), parse_date(end)
            if s is None:
                out.append(at(doc, ptr + "/start", M.BAD_DATE, value=start))
            if e is None:
                out.append(at(doc, ptr + "/end", M.BAD_DATE, value=end))
            if s and e and e < s:
                out.append(at(doc, ptr + "/end", M.SPRINT_ORDER, start=s, end=e))
    if team_based and total > b.purchased_seats:
        out.append(at(org_doc, "/seats/purchased", M.SEATS_OVER_PURCHASED, allocated=total,
                      purchased=b.purchased_seats))
    if members > b.purchased_seats:
        out.append(at(org_doc, "/seats/purchased", M.MEMBERS_OVER_PURCHASED, members=members,
                      purchased=b.purchased_seats))
    return out
