"""org.yaml (schema-valid data) → the model's settings objects.

Pure translation with the documented defaults; checks that need several values at
once live in ``rules``. Money is converted to integer cents here, once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from reconciler.model import (
    Alert,
    ApplySettings,
    AuditSettings,
    DynamicSeating,
    EmailSettings,
    Notifications,
    OrgType,
    Safety,
    ScalingRule,
    SeatBudget,
    SeatTier,
    TelemetryQuery,
    Tracking,
    UsageSettings,
    Webhook,
    normalize_email,
)
from reconciler.policy.seating import parse_offset


def cents(dollars: float | int | None) -> int | None:
    """US dollars as written in YAML → integer cents (``None`` stays ``None``)."""
    return None if dollars is None else int(round(float(dollars) * 100))


def parse_date(text: Any) -> dt.date | None:
    """A date field's text → date, ``None`` when absent or not a calendar date (the
    rules report the latter)."""
    if not isinstance(text, str):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def percent(value: str | float | int | None, default: float) -> float:
    """``80%`` (the guide's form) or ``80`` → 80.0."""
    if value is None:
        return default
    if isinstance(value, str):
        return float(value.rstrip("%"))
    return float(value)


def scaling_rules(items: list[dict[str, Any]] | None) -> tuple[ScalingRule, ...]:
    return tuple(
        ScalingRule(
            trigger=r["trigger"],
            offset_days=parse_offset(r["offset"]),
            additional_seats=r.get("additional_seats", 0),
            release_seats=r.get("release_seats", 0),
        )
        for r in items or ()
    )


@dataclass(frozen=True, slots=True)
class OrgSettings:
    """Everything org.yaml says, in model types."""

    name: str
    org_type: OrgType
    provider: str
    admin_key_env: str
    base_url: str | None
    org_uuid: str | None
    allowed_domains: frozenset[str]
    budget: SeatBudget
    safety: Safety
    usage: UsageSettings
    notifications: Notifications
    apply: ApplySettings
    audit: AuditSettings
    contract_start: dt.date | None
    contract_end: dt.date | None


def build_org(data: dict[str, Any]) -> OrgSettings:
    org = data["organization"]
    seats = data["seats"]
    policy = data.get("seat_policy", {})
    tiers = {
        key: SeatTier(key, cents(t["monthly_price"]) or 0, t.get("seat_type", ""))
        for key, t in seats["tiers"].items()
    }
    buffer = seats.get("growth_buffer", {})
    dyn = data.get("dynamic_seating")
    budget = SeatBudget(
        purchased_seats=seats["purchased"],
        tiers=MappingProxyType(tiers),
        default_tier=seats.get("default_tier", next(iter(tiers))),
        growth_buffer_min_pct=float(buffer.get("min_pct", 10.0)),
        growth_buffer_max_pct=float(buffer.get("max_pct", 15.0)),
        allocation_model=policy.get("allocation_model", "team_based"),
        default_seats_per_team=policy.get("default_seats_per_team", 5),
        overflow_allowed=policy.get("overflow_allowed", False),
        overflow_threshold_pct=percent(policy.get("overflow_threshold"), 80.0),
        approval_required=policy.get("approval_required", True),
        dynamic=None if dyn is None else DynamicSeating(
            enabled=dyn.get("enabled", False),
            base_seats=dyn.get("base_seats", 0),
            max_seats=dyn.get("max_seats", 0),
            scaling_rules=scaling_rules(dyn.get("scaling_rules")),
            notification=dyn.get("notification", False),
        ),
    )
    s = data.get("safety", {})
    safety = Safety(
        max_removals=s.get("max_removals", 10),
        max_removals_pct=float(s.get("max_removals_pct", 25.0)),
        max_role_changes=s.get("max_role_changes", 20),
        max_role_changes_pct=float(s.get("max_role_changes_pct", 25.0)),
        protected=frozenset(normalize_email(e) for e in s.get("protected", ())),
        unmanaged=s.get("unmanaged", "report"),
    )
    contract = data.get("contract", {})
    a = data.get("apply", {})
    return OrgSettings(
        name=org["name"],
        org_type=OrgType(org["type"]),
        provider=org.get("provider", "anthropic"),
        admin_key_env=org["admin_key_env"],
        base_url=org.get("base_url"),
        org_uuid=org.get("org_uuid"),
        allowed_domains=frozenset(org["allowed_domains"]),
        budget=budget,
        safety=safety,
        usage=build_usage(data.get("usage", {})),
        notifications=build_notifications(data.get("notifications", {})),
        apply=ApplySettings(
            requests_per_minute=a.get("requests_per_minute", 90),
            invites_per_hour=a.get("invites_per_hour", 1100),
            concurrency=a.get("concurrency", 4),
            max_plan_age_hours=a.get("max_plan_age_hours", 24),
        ),
        audit=AuditSettings(retention_days=data.get("audit", {}).get("retention_days", 365)),
        contract_start=parse_date(contract.get("start")),
        contract_end=parse_date(contract.get("end")),
    )


def build_usage(u: dict[str, Any]) -> UsageSettings:
    defaults = UsageSettings()
    active = u.get("active", {})
    alerting = u.get("alerting", {})

    def alert(key: str, default: Alert) -> Alert:
        a = alerting.get(key)
        if a is None:
            return default
        return Alert(float(a["threshold"]), tuple(a.get("notify", ())))

    policy = u.get("policy", {})
    return UsageSettings(
        tracking=build_tracking(u.get("tracking")),
        policy_text=policy.get("text"),
        policy_url=policy.get("url"),
        inactive_after_days=u.get("inactive_after_days", defaults.inactive_after_days),
        retention_days=u.get("retentionDays", defaults.retention_days),
        active_products=tuple(active.get("products", defaults.active_products)),
        active_metrics=tuple(active.get("metrics", defaults.active_metrics)),
        low_utilization=alert("lowUtilization", defaults.low_utilization),
        high_usage=alert("highUsage", defaults.high_usage),
        metrics=tuple(u.get("metrics", ())),
    )


def build_tracking(t: dict[str, Any] | None) -> Tracking | None:
    """The guide's ``usage.tracking`` block, or ``None`` when org.yaml has none."""
    if t is None:
        return None
    query = t.get("query")
    return Tracking(
        enabled=t.get("enabled", True),
        endpoint=t.get("endpoint"),
        protocol=t.get("protocol", "http/protobuf"),
        events=t.get("events", True),
        headers=MappingProxyType({str(k): str(v) for k, v in t.get("headers", {}).items()}),
        headers_helper=t.get("headers_helper"),
        export_interval_ms=t.get("export_interval_ms"),
        resource_attributes=MappingProxyType(
            {str(k): str(v) for k, v in t.get("resource_attributes", {}).items()}
        ),
        query=TelemetryQuery(query["url"], query.get("token_env")) if query else None,
    )


def build_notifications(n: dict[str, Any]) -> Notifications:
    hooks = {
        name: Webhook(name, h.get("url_env"), h.get("url"))
        for name, h in n.get("webhooks", {}).items()
    }
    e = n.get("email")
    email = None
    if e is not None:
        smtp = e["smtp"]
        email = EmailSettings(
            smtp_host=smtp["host"],
            sender=e["sender"],
            smtp_port=smtp.get("port", 587),
            starttls=smtp.get("starttls", True),
            username_env=e.get("username_env"),
            password_env=e.get("password_env"),
            recipients=MappingProxyType(
                {k: tuple(normalize_email(a) for a in v)
                 for k, v in e.get("recipients", {}).items()}
            ),
        )
    return Notifications(MappingProxyType(hooks), email)
