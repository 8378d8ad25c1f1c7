"""Deciding spend-limit increase requests by policy: a pure function, no I/O.

A member blocked by their monthly limit asks for more in claude.ai; the request names
only who asked and for which period (ADMIN_API.md §7). The policy decides:

- ``approve``: the requester's role has ``spend_increases.auto_approve_up_to`` and their
  current limit is below it: grant the ceiling (the most the role may have without a
  person). ``usage requests --apply`` sends exactly these.
- ``propose``: anything else about a member the policy manages: no rule, already at the
  ceiling, or a role with no cap (the limit comes from a group, seat tier or org limit
  the policy does not set). The decision carries the policy edit that would allow it
  (file:line) and the amount it would grant: the higher of the cap and the current
  limit plus ``STEP`` (half the cap, at least $10, in whole dollars). Never applied.
- ``skip``: the requester is not a member the policy manages (deleted, an API key, not
  in any team file, an expired assignment) or asked for a daily/weekly limit, which
  the policy does not set. Reported, never acted on.

Month-to-date spend comes from the usage store when cost was synced (exact per
member), else from the request's own ``spend_summary`` when it reports a figure above
zero (the API reads ``0`` when the reading is unavailable), else it is unknown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from reconciler.model import (
    OrgState,
    Policy,
    Role,
    SourceRef,
    SpendIncreaseRequest,
    SpendLimitKey,
)

Decision = Literal["approve", "propose", "skip"]
#: The smallest step a proposal raises a limit by, in cents.
MIN_STEP_CENTS = 1000


@dataclass(frozen=True, slots=True)
class RequestDecision:
    """One pending request with what the policy says about it (amounts in cents)."""

    request: SpendIncreaseRequest
    decision: Decision
    reason: str
    team: str | None = None
    role: str | None = None
    #: The role's ``monthly_spend_cap`` (None: the role sets none, or not in policy).
    cap_cents: int | None = None
    #: The member's effective limit now (None: unknown or none applies).
    current_cents: int | None = None
    #: Month-to-date spend (None: unknown — cost not synced and the API sent none).
    spend_cents: int | None = None
    #: What approving grants (``approve``) or what the proposal would allow (``propose``).
    amount_cents: int | None = None
    #: The policy edit a ``propose`` needs, starting with ``file:line``.
    edit: str | None = None


@dataclass(frozen=True, slots=True)
class RequestsReport:
    at: dt.date
    decisions: tuple[RequestDecision, ...]
    #: Where month-to-date spend came from, for the reader.
    spend_source: str

    def count(self, decision: Decision) -> int:
        return sum(1 for d in self.decisions if d.decision == decision)


def step_cents(cap_cents: int) -> int:
    """Half the cap, at least ``MIN_STEP_CENTS``, rounded up to whole dollars."""
    step = max(cap_cents // 2, MIN_STEP_CENTS)
    return -(-step // 100) * 100


def _where(source: SourceRef | None) -> str:
    return f"{source.file}:{source.line}" if source is not None else "roles.yaml"


def _dollars(cents: int) -> str:
    whole, frac = divmod(cents, 100)
    return f"{whole:,}" if not frac else f"{whole:,}.{frac:02d}"


def decide_requests(
    policy: Policy,
    requests: Sequence[SpendIncreaseRequest],
    *,
    at: dt.date,
    live: OrgState | None = None,
    spend: Mapping[str, int] | None = None,
) -> RequestsReport:
    """Each *pending* request in ``requests``, decided as of ``at`` (assignment expiry).

    ``live`` gives current user limits when a request carries no summary; ``spend`` is
    month-to-date metered cents per email from the usage store (``None``: not synced).
    """
    decisions = tuple(
        _decide(policy, r, at=at, live=live, spend=spend)
        for r in requests if r.status == "pending"
    )
    source = ("the usage store (synced cost)" if spend is not None
              else "the API's spend summary where it reports one")
    return RequestsReport(at, decisions, source)


def _spend(request: SpendIncreaseRequest, spend: Mapping[str, int] | None) -> int | None:
    if spend is not None and request.email is not None:
        return spend.get(request.email, 0)
    if request.summary is not None and request.summary.spend_cents > 0:
        return round(request.summary.spend_cents)
    return None


def _current(request: SpendIncreaseRequest, live: OrgState | None) -> int | None:
    if request.summary is not None:
        return request.summary.amount_cents
    if live is not None and request.email is not None:
        limit = live.spend_limits.get(SpendLimitKey("user", request.email, "monthly"))
        if limit is not None:
            return limit.amount_cents
    return None


def _decide(policy: Policy, request: SpendIncreaseRequest, *, at: dt.date,
            live: OrgState | None, spend: Mapping[str, int] | None) -> RequestDecision:
    mtd = _spend(request, spend)
    current = _current(request, live)
    email = request.email
    if email is None:
        return RequestDecision(request, "skip", "the requester is no longer a member (or is an "
                               "API key): decide it in claude.ai", current_cents=current)
    assignment = policy.assignments.get(email)
    if assignment is None:
        return RequestDecision(request, "skip", "not in the policy: seatctl decides only for "
                               "members a team file lists", current_cents=current,
                               spend_cents=mtd)
    base = RequestDecision(request, "skip", "", team=assignment.team, role=assignment.role,
                           current_cents=current, spend_cents=mtd)
    if assignment.expires_on is not None and assignment.expires_on < at:
        return _with(base, "skip", f"the assignment expired on {assignment.expires_on}")
    role = policy.roles.get(assignment.role)
    if role is None:
        return _with(base, "skip", f"role {assignment.role!r} is not in roles.yaml")
    base = _with(base, "skip", "", cap_cents=role.monthly_spend_cap_cents)
    if request.period != "monthly":
        return _with(base, "skip", f"a {request.period} limit: the policy sets monthly caps "
                     "only; decide it in claude.ai")
    return _by_rule(base, role, current)


def _by_rule(base: RequestDecision, role: Role, current: int | None) -> RequestDecision:
    cap = role.monthly_spend_cap_cents
    rule = role.spend_increases
    if cap is None:
        return _with(base, "propose",
                     f"role {role.key} sets no monthly_spend_cap: the limit that blocked "
                     "them is a group, seat-tier or org limit outside the policy",
                     edit=f"{_where(role.source)}: give role {role.key} a monthly_spend_cap "
                     "and spend_increases, or raise the limit in claude.ai")
    ceiling = rule.auto_approve_up_to_cents if rule is not None else None
    if ceiling is not None and (current is None or current < ceiling):
        return _with(base, "approve",
                     f"within role {role.key}'s rule: up to ${_dollars(ceiling)} "
                     f"({_where(rule.source if rule else None)})", amount_cents=ceiling)
    amount = max(cap, current or 0) + step_cents(cap)
    if rule is not None and ceiling is not None:
        why = f"already at role {role.key}'s auto-approve ceiling ${_dollars(ceiling)}"
        edit = (f"{_where(rule.source)}: raise roles.{role.key}.spend_increases."
                f"auto_approve_up_to to {_dollars(amount)}")
    else:
        why = f"role {role.key} has no auto-approve rule"
        edit = (f"{_where(role.source)}: add `spend_increases: {{auto_approve_up_to: "
                f"{_dollars(amount)}}}` to role {role.key} (or raise its monthly_spend_cap "
                f"to {_dollars(amount)} for every {role.key})")
    return _with(base, "propose", why, amount_cents=amount, edit=edit)


def _with(base: RequestDecision, decision: Decision, reason: str, *,
          cap_cents: int | None = None, amount_cents: int | None = None,
          edit: str | None = None) -> RequestDecision:  # fmt: skip
    """``base`` with a decision (and the cap, once the role is known)."""
    cap = cap_cents if cap_cents is not None else base.cap_cents
    return replace(base, decision=decision, reason=reason, cap_cents=cap,
                   amount_cents=amount_cents, edit=edit)
