"""Helpers for apply tests: generated sandbox orgs, matching policies, one-call plan/apply.

A generated org (``seed_generated``) has ``member{i:06d}@gen.example`` in group
``team-{i % groups:04d}``, all ``user``. ``generated_policy`` describes the same org
plus ``extra`` new members (invites carrying their team group), members ``move``d to
another team (a group add and a group removal each), and ``managed`` members.
"""

from __future__ import annotations

import datetime as dt
import pathlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import MappingProxyType

from reconciler.apply.audit import AuditLog
from reconciler.apply.executor import ApplyReport, apply_plan
from reconciler.apply.limiter import PacingClock, RateLimiter, RateLimits
from reconciler.apply.lock import acquire, lock_path
from reconciler.apply.progress import NoProgress, Progress
from reconciler.model import (
    ApplySettings,
    Group,
    Member,
    OrgState,
    OrgType,
    Policy,
    Safety,
    SeatBudget,
    SeatTier,
    UsageSettings,
)
from reconciler.plan import Plan, build_plan
from reconciler.providers.anthropic import AnthropicProvider
from reconciler.providers.retry import RetryPolicy
from reconciler.sandbox.app import SandboxApp, create_app
from reconciler.sandbox.client import sandbox_client
from reconciler.sandbox.demo import generated_email, seed_generated
from reconciler.sandbox.faults import FaultConfig
from reconciler.sandbox.routing import SANDBOX_KEY
from reconciler.sandbox.store import SandboxStore

KEY_ENV = "SEATCTL_TEST_ADMIN_KEY"
FAST_RETRY = RetryPolicy(base_delay_s=0.01, max_delay_s=0.05, settle_delay_s=0.01,
                         request_deadline_s=5.0)


def team_of(i: int, groups: int) -> str:
    return f"team-{i % groups:04d}"


def generated_policy(
    members: int,
    groups: int,
    *,
    extra: int = 0,
    move: Iterable[int] = (),
    managed: Iterable[int] = (),
    commit: str | None = "c0ffee" * 6 + "beef",
    safety: Safety | None = None,
) -> Policy:
    moved, mgd = set(move), set(managed)
    people: dict[str, Member] = {}
    teams: dict[str, set[str]] = {team_of(g, groups): set() for g in range(groups)}
    for i in range(members + extra):
        email = generated_email(i)
        people[email] = Member(email, "managed" if i in mgd else "user")
        teams[team_of(i + 1 if i in moved else i, groups)].add(email)
    desired = OrgState(
        OrgType.ENTERPRISE, MappingProxyType(people),
        groups=MappingProxyType({n: Group(n, frozenset(m)) for n, m in teams.items()}),
        org_name="Generated Org",
    )
    return Policy(
        org_name="Generated Org", org_type=OrgType.ENTERPRISE, provider="sandbox",
        admin_key_env=KEY_ENV,
        budget=SeatBudget(1_000_000, MappingProxyType({"standard": SeatTier("standard", 3000)}),
                          "standard"),
        safety=safety or Safety(max_removals=100_000, max_removals_pct=100.0,
                                max_role_changes=100_000, max_role_changes_pct=100.0),
        usage=UsageSettings(), roles=MappingProxyType({}), teams=MappingProxyType({}),
        assignments=MappingProxyType({}), desired=desired,
        allowed_domains=frozenset({"gen.example"}), commit=commit,
        apply=ApplySettings(),
    )


@dataclass
class Org:
    """A sandbox org, its app (for faults and keys) and a provider on the official SDK."""

    store: SandboxStore
    app: SandboxApp
    provider: AnthropicProvider
    limiter: RateLimiter = field(default_factory=lambda: RateLimiter(RateLimits(None, None)))

    def writes(self) -> int:
        """Mutating Admin API requests the sandbox received (POST/DELETE under /v1/)."""
        return sum(n for k, n in self.store.request_counts().items()
                   if k.split(" ")[0] in ("POST", "DELETE") and " /v1/" in k)

    def pending_invites(self) -> dict[str, int]:
        rows = self.store.query("SELECT email, COUNT(*) AS n FROM invites "
                                "WHERE status = 'pending' GROUP BY email")
        return {r["email"]: r["n"] for r in rows}

    def fault(self, **kw: object) -> None:
        self.app.set_faults(FaultConfig(**kw))  # type: ignore[arg-type]


def provider_for(client_target: object, limiter: RateLimiter, *,
                 base_url: str | None = None, key: str = SANDBOX_KEY) -> AnthropicProvider:
    import anthropic

    if base_url is not None:
        client = anthropic.Anthropic(api_key=key, base_url=base_url, max_retries=0)
    else:
        client = sandbox_client(client_target, api_key=key, max_retries=0)  # type: ignore[arg-type]
    return AnthropicProvider(client, org_type=OrgType.ENTERPRISE, key_env_name=KEY_ENV,
                             retry=FAST_RETRY, deadline_s=FAST_RETRY.request_deadline_s,
                             clock=PacingClock(limiter))


def generated_org(members: int, groups: int, *, drift_pct: float = 0.0,
                  seats: list[tuple[str, int]] | None = None,
                  limits: RateLimits | None = None) -> Org:
    store = SandboxStore(":memory:")
    seed_generated(store, members, groups, drift_pct=drift_pct)
    if seats is not None:
        store.configure_org(seat_tiers=seats)
        store.execute("UPDATE users SET seat_tier = ?", (seats[0][0],))
    app = create_app(store)
    limiter = RateLimiter(limits or RateLimits(None, None))
    return Org(store, app, provider_for(app, limiter), limiter)


def make_plan(policy: Policy, org: Org, *, now: dt.datetime | None = None) -> Plan:
    now = now or dt.datetime.now(dt.UTC)
    return build_plan(policy, org.provider.fetch(), at=now.date(), created_at=now,
                      commit=policy.commit)


def run_apply(plan: Plan, policy: Policy, org: Org, state: pathlib.Path, *,
              concurrency: int = 4, progress: Progress | None = None,
              audit: AuditLog | None = None) -> ApplyReport:
    audit = audit or AuditLog(state / "audit.jsonl",
                              context={"actor": "tester", "run_id": "run-1",
                                       "policy_commit": plan.policy_commit,
                                       "plan_hash": plan.checksum})
    with acquire(lock_path(policy.org_name), org=policy.org_name, owner="tester",
                 run_id="run-1") as held:
        return apply_plan(plan, org.provider, policy=policy, audit=audit, limiter=org.limiter,
                          lock=held, concurrency=concurrency, progress=progress or NoProgress())


class Hook(NoProgress):
    """A progress sink that runs ``action`` after the ``after``-th finished change."""

    def __init__(self, after: int, action: object) -> None:
        self.after = after
        self.action = action
        self.seen = 0

    def advance(self, status: str, label: str) -> None:
        self.seen += 1
        if self.seen == self.after:
            self.action()  # type: ignore[operator]
