"""A member's spend-limit increase request, as the live organization holds it.

Why in the model: the provider reads these, the pure decision in
``usage.increase_requests`` judges them against the policy, and the CLI prints them;
all three share this one shape (ADMIN_API.md §7, ``spend_limits.increase_requests``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

RequestStatus = Literal["pending", "approved", "denied"]


@dataclass(frozen=True, slots=True)
class SpendSummary:
    """The requester's effective limit row for the request's period, when the API sends it.

    ``amount_cents`` is ``None`` when no limit applies; ``spend_cents`` may carry
    fractional cents (metered usage is not rounded) and reads 0 when unavailable.
    """

    amount_cents: int | None
    spend_cents: float
    currency: str = "USD"
    #: Which scope the effective limit comes from (``user``, ``rbac_group``, ``seat_tier``…).
    source: str = ""


@dataclass(frozen=True, slots=True)
class SpendIncreaseRequest:
    """One request: who asked (``email`` is ``None`` for a deleted member), for which
    period, its status, and the API's effective-limit summary if it sent one."""

    id: str
    user_id: str
    email: str | None
    name: str | None
    period: str
    status: RequestStatus
    created_at: dt.datetime
    summary: SpendSummary | None = None
