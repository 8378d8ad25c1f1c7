"""Small hand-built policies and activity rows for the usage unit tests."""

from __future__ import annotations

import datetime as dt
from types import MappingProxyType

from reconciler.model import (
    Alert,
    Assignment,
    OrgState,
    OrgType,
    Policy,
    Role,
    Safety,
    SeatBudget,
    SeatTier,
    Team,
    UsageSettings,
    UserActivity,
)

TODAY = dt.date(2026, 11, 25)


def make_policy(
    *,
    usage: UsageSettings | None = None,
    contract_start: dt.date | None = dt.date(2026, 7, 15),
) -> Policy:
    """Two teams (core 4 seats, web 2), two roles (dev standard $30, intern learning $20)."""
    roles = {
        "dev": Role("dev", "Developer", "user", "standard"),
        "intern": Role("intern", "Intern", "user", "learning", max_daily_hours=6.0),
    }
    teams = {
        "core": Team(
            "core", "CORE-1", 4, "team-core", ("a@x.example", "b@x.example", "c@x.example")
        ),
        "web": Team("web", "WEB-1", 2, "team-web", ("d@x.example",)),
    }
    assignments = {
        "a@x.example": Assignment("a@x.example", "core", "dev"),
        "b@x.example": Assignment("b@x.example", "core", "dev"),
        "c@x.example": Assignment("c@x.example", "core", "intern", dt.date(2026, 10, 31)),
        "d@x.example": Assignment("d@x.example", "web", "intern"),
    }
    return Policy(
        org_name="X",
        org_type=OrgType.ENTERPRISE,
        provider="sandbox",
        admin_key_env="K",
        budget=SeatBudget(
            purchased_seats=10,
            tiers=MappingProxyType(
                {"standard": SeatTier("standard", 3000), "learning": SeatTier("learning", 2000)}
            ),
            default_tier="standard",
        ),
        safety=Safety(),
        usage=usage or UsageSettings(low_utilization=Alert(50.0), high_usage=Alert(90.0)),
        roles=MappingProxyType(roles),
        teams=MappingProxyType(teams),
        assignments=MappingProxyType(assignments),
        desired=OrgState(OrgType.ENTERPRISE, MappingProxyType({})),
        contract_start=contract_start,
    )


def act(day: dt.date, email: str, **kw: int) -> UserActivity:
    return UserActivity(day=day, email=email, **kw)  # type: ignore[arg-type]


def days_before(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)
