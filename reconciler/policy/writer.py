"""Policy → a complete policy repository (org.yaml, roles.yaml, teams/<team>.yaml).

``seatctl import`` builds a ``Policy`` from a live organization and calls
``write_policy``; what it writes loads back to an equal ``Policy`` (apart from where
things were declared: ``source`` fields and ``root``). Key names are the vendor guide's
where it has them (``seat_policy``, ``teams``, ``dynamic_seating``, ``retentionDays``,
``alerting``), allocations live in org.yaml's ``teams`` list, members in team files.
Output is plain YAML: no anchors or aliases (the strict loader refuses them), text that
would read as another type is quoted, money is dollars with cents.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from reconciler.escape import confined_path, file_stem
from reconciler.model import Alert, Policy, ScalingRule, Team

_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _PlainDumper(_Dumper):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _dollars(cents: int) -> float | int:
    return cents // 100 if cents % 100 == 0 else cents / 100


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _offset(days: int) -> str:
    return f"{'-' if days < 0 else '+'}{abs(days)}d"


def _rules(rules: tuple[ScalingRule, ...]) -> list[dict[str, Any]]:
    out = []
    for r in rules:
        rule: dict[str, Any] = {"trigger": r.trigger, "offset": _offset(r.offset_days)}
        if r.additional_seats:
            rule["additional_seats"] = r.additional_seats
        if r.release_seats:
            rule["release_seats"] = r.release_seats
        out.append(rule)
    return out


def _alert(a: Alert) -> dict[str, Any]:
    return {"threshold": _num(a.threshold_pct), "notify": list(a.notify)}


def org_document(policy: Policy) -> dict[str, Any]:
    b, s, u = policy.budget, policy.safety, policy.usage
    org: dict[str, Any] = {"name": policy.org_name, "type": policy.org_type.value,
                           "provider": policy.provider, "admin_key_env": policy.admin_key_env}
    if policy.base_url:
        org["base_url"] = policy.base_url
    if policy.org_uuid:
        org["org_uuid"] = policy.org_uuid
    org["allowed_domains"] = sorted(policy.allowed_domains)
    tiers: dict[str, dict[str, Any]] = {}
    for key, tier in b.tiers.items():
        tiers[key] = {"seat_type": tier.seat_type} if tier.seat_type else {}
        tiers[key]["monthly_price"] = _dollars(tier.monthly_price_cents)
    doc: dict[str, Any] = {"organization": org, "seats": {
        "purchased": b.purchased_seats, "default_tier": b.default_tier, "tiers": tiers,
        "growth_buffer": {"min_pct": _num(b.growth_buffer_min_pct),
                          "max_pct": _num(b.growth_buffer_max_pct)}}}
    if policy.contract_start and policy.contract_end:
        doc["contract"] = {"start": policy.contract_start.isoformat(),
                           "end": policy.contract_end.isoformat()}
    doc["seat_policy"] = {
        "allocation_model": b.allocation_model,
        "default_seats_per_team": b.default_seats_per_team,
        "overflow_allowed": b.overflow_allowed,
        "overflow_threshold": f"{_num(b.overflow_threshold_pct)}%",
        "approval_required": b.approval_required,
    }
    doc["teams"] = [{"name": t.name, "allocated_seats": t.allocated_seats,
                     "cost_center": t.cost_center, "group": t.group}
                    for t in sorted(policy.teams.values(), key=lambda t: t.name)]
    if b.dynamic is not None:
        d = b.dynamic
        doc["dynamic_seating"] = {"enabled": d.enabled, "base_seats": d.base_seats,
                                  "max_seats": d.max_seats,
                                  "scaling_rules": _rules(d.scaling_rules),
                                  "notification": d.notification}
    doc["safety"] = {"max_removals": s.max_removals, "max_removals_pct": _num(s.max_removals_pct),
                     "max_role_changes": s.max_role_changes,
                     "max_role_changes_pct": _num(s.max_role_changes_pct),
                     "protected": sorted(s.protected), "unmanaged": s.unmanaged}
    usage: dict[str, Any] = {
        "inactive_after_days": u.inactive_after_days, "retentionDays": u.retention_days,
        "active": {"products": list(u.active_products), "metrics": list(u.active_metrics)},
    }
    if u.metrics:
        usage["metrics"] = list(u.metrics)
    usage["alerting"] = {"lowUtilization": _alert(u.low_utilization),
                         "highUsage": _alert(u.high_usage)}
    doc["usage"] = usage
    n = policy.notifications
    notifications: dict[str, Any] = {}
    if n.webhooks:
        notifications["webhooks"] = {
            name: {k: v for k, v in (("url_env", h.url_env), ("url", h.url)) if v}
            for name, h in n.webhooks.items()}
    if n.email is not None:
        e = n.email
        email: dict[str, Any] = {"smtp": {"host": e.smtp_host, "port": e.smtp_port,
                                          "starttls": e.starttls}, "sender": e.sender}
        for key in ("username_env", "password_env"):
            if getattr(e, key):
                email[key] = getattr(e, key)
        if e.recipients:
            email["recipients"] = {k: list(v) for k, v in e.recipients.items()}
        notifications["email"] = email
    if notifications:
        doc["notifications"] = notifications
    doc["audit"] = {"retention_days": policy.audit.retention_days}
    a = policy.apply
    doc["apply"] = {"requests_per_minute": a.requests_per_minute,
                    "invites_per_hour": a.invites_per_hour, "concurrency": a.concurrency,
                    "max_plan_age_hours": a.max_plan_age_hours}
    return doc


def roles_document(policy: Policy) -> dict[str, Any]:
    roles: dict[str, Any] = {}
    for key, r in policy.roles.items():
        role: dict[str, Any] = {"display_name": r.display_name, "org_role": r.org_role,
                                "seat_tier": r.seat_tier}
        role["max_daily_hours"] = ("unlimited" if r.max_daily_hours is None
                                   else _num(r.max_daily_hours))
        if r.features:
            role["features"] = list(r.features)
        if r.monthly_spend_cap_cents is not None:
            role["monthly_spend_cap"] = _dollars(r.monthly_spend_cap_cents)
        if r.spend_increases is not None:
            rule = r.spend_increases.auto_approve_up_to_cents
            role["spend_increases"] = ({} if rule is None
                                       else {"auto_approve_up_to": _dollars(rule)})
        role["priority"] = r.priority
        if r.group:
            role["group"] = r.group
        if r.baseline:
            role["baseline"] = True
        if r.settings is not None:
            role["claude_code_settings"] = dict(r.settings)
        roles[key] = role
    return {"roles": roles}


def team_document(policy: Policy, team: Team) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": team.name}
    if team.monthly_spend_cap_cents is not None:
        doc["monthly_spend_cap"] = _dollars(team.monthly_spend_cap_cents)
    members = []
    for email in team.members:
        a = policy.assignments[email]
        entry: dict[str, Any] = {"email": email}
        member = policy.desired.members.get(email)
        if member is not None and member.name:
            entry["name"] = member.name
        entry["role"] = a.role
        if a.expires_on is not None:
            entry["expires"] = a.expires_on.isoformat()
        members.append(entry)
    doc["members"] = members
    if team.sprints or team.scaling_rules:
        dyn: dict[str, Any] = {"sprints": [{"start": s.start.isoformat(),
                                            "end": s.end.isoformat()} for s in team.sprints]}
        if team.scaling_rules:
            dyn["scaling_rules"] = _rules(team.scaling_rules)
        doc["dynamic_seating"] = dyn
    if team.workspaces:
        doc["workspaces"] = [{"name": k, "role": v} for k, v in team.workspaces.items()]
    return doc


def _write(path: Path, schema: Path, doc: dict[str, Any], note: str) -> Path:
    ref = os.path.relpath(schema, path.parent)
    body = yaml.dump(doc, Dumper=_PlainDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)
    path.write_text(f"# yaml-language-server: $schema={ref}\n# {note}\n{body}", encoding="utf-8")
    return path


def write_policy(policy: Policy, out_dir: Path, *, schema_dir: Path | None = None) -> list[Path]:
    """Write org.yaml, roles.yaml and teams/<team>.yaml into ``out_dir``; returns the
    paths written. ``$schema`` lines point at ``schema_dir`` (default: ``schemas`` next
    to ``out_dir``; ``seatctl schema export`` puts the schemas there)."""
    out_dir = Path(out_dir)
    schemas = Path(schema_dir) if schema_dir is not None else out_dir.parent / "schemas"
    (out_dir / "teams").mkdir(parents=True, exist_ok=True)
    note = "Written by seatctl; edit freely, then `seatctl validate`."
    paths = [
        _write(out_dir / "org.yaml", schemas / "org.schema.json", org_document(policy), note),
        _write(out_dir / "roles.yaml", schemas / "roles.schema.json", roles_document(policy),
               note),
    ]
    teams = out_dir / "teams"
    for team, stem in team_file_stems(policy.teams.values()):
        paths.append(_write(confined_path(teams, f"{stem}.yaml"),
                            schemas / "team.schema.json", team_document(policy, team), note))
    return paths + write_schemas(schemas)


def write_schemas(schema_dir: Path) -> list[Path]:
    """The JSON Schemas the ``$schema`` lines point at, so an editor finds them (the same
    files ``seatctl schema export`` writes); returns the paths written."""
    from reconciler.policy.schema import schema_texts

    schema_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in schema_texts().items():
        (schema_dir / name).write_text(text, encoding="utf-8")
        paths.append(schema_dir / name)
    return paths


def team_file_stems(teams: Iterable[Team]) -> list[tuple[Team, str]]:
    """Each team with the stem of its file, sorted by team name.

    A team name can come from a live group name (``seatctl import``), so it is data,
    never a path: ``escape.file_stem`` makes it one safe component, and names that
    fold to the same stem (case-insensitively, as some file systems compare) get
    ``-2``, ``-3``… in name order, so every team has its own file, deterministically.
    """
    used: set[str] = set()
    out = []
    for team in sorted(teams, key=lambda t: t.name):
        base = file_stem(team.name, fallback="team")
        stem, n = base, 1
        while stem.lower() in used:
            n += 1
            stem = f"{base}-{n}"
        used.add(stem.lower())
        out.append((team, stem))
    return out
