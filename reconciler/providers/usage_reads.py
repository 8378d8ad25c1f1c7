"""Reads of the usage and cost reports (ADMIN_API.md §9–11), for ``seatctl usage sync``.

Which report an org has depends on its type:

- **Enterprise**: ``analytics/summaries`` (seats, pending invites, DAU/WAU/MAU) through
  ``client.organization.analytics.summaries``, and metered cost per member and
  product through the beta ``client.beta.organization.analytics.cost`` grouped by
  ``actor`` and ``product`` in 1-day buckets (a week a request; the API allows 31).
- **Console**: ``usage_report/claude_code``, one request per UTC day (no SDK wrapper,
  so the SDK's raw ``client.get``), whose per-model ``estimated_cost`` is the metered
  cost; rows of one actor on one day (local and remote sessions) are summed.

Every page goes through the provider's ``Caller`` (retries, request counts), so a
sync's requests are its pages, and through ``ReadPacer``, which spaces them to the
Analytics API's limit (60 requests/min per org) against the real API; the in-process
sandbox has no such limit and is not paced. Amounts are cents: the cost report sends decimal
strings of fractional cents, the Claude Code report numbers; each (day, member,
product) is rounded half up to whole cents once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

import httpx2

from reconciler.errors import LiveReadError
from reconciler.model import OrgType
from reconciler.providers.calls import Caller
from reconciler.providers.paging import page_kw, walk_token_pages
from reconciler.providers.retry import Clock

PAGE_LIMIT = 1000
#: The Analytics API's documented limit (ADMIN_API.md §11), per organization.
ANALYTICS_PER_MINUTE = 60.0
MAX_COST_RANGE_DAYS = 31
#: Days per cost request: under the API's 31, so one pagination run stays small (a
#: week of a 10,000-member org is ~100 pages) and a failed run re-reads little.
COST_CHUNK_DAYS = 7
CLAUDE_CODE_PATH = "/v1/organizations/usage_report/claude_code"

#: (day, email, product, cents)
CostRow = tuple[dt.date, str, str, int]
#: (day, assigned seats, pending invites, DAU, WAU, MAU)
SummaryRow = tuple[dt.date, int, int, int, int, int]


def _cents(value: object, where: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise LiveReadError(f"{where}: amount {value!r} is not a number",
                            hint="the report answered a malformed amount; run sync again"
                            ) from None


def _whole(cents: Decimal) -> int:
    return int(cents.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _day_of(text: object, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        raise LiveReadError(f"{where}: {text!r} is not a date",
                            hint="the report answered a malformed date; run sync again") from None


class ReadPacer:
    """Spaces analytics reads ``60 / per_minute`` seconds apart on the provider's clock.

    Why pace rather than wait for 429s: a first sync is a thousand pages or more, and
    the limit is per organization, shared with every other reader of its analytics; a
    steady pace never trips it. ``per_minute=None`` (the sandbox) does not wait.
    Retries of a page are paced too (the Caller calls the fetch again).
    """

    def __init__(self, per_minute: float | None, clock: Clock) -> None:
        self.interval_s = 60.0 / per_minute if per_minute else 0.0
        self.clock = clock
        self.requests = 0
        self.waited_s = 0.0
        self._next: float | None = None

    def wait(self) -> None:
        self.requests += 1
        if not self.interval_s:
            return
        now = self.clock.monotonic()
        if self._next is not None and now < self._next:
            self.clock.sleep(self._next - now)
            self.waited_s += self._next - now
            now = self._next
        self._next = now + self.interval_s


class UsageReads:
    """The report reads of one provider (its SDK client, ``Caller`` and pacer)."""

    def __init__(self, api: Any, caller: Caller, org_type: OrgType,
                 pacer: ReadPacer | None = None) -> None:
        self._api = api
        self._caller = caller
        self.org_type = org_type
        self._pace = pacer.wait if pacer is not None else (lambda: None)

    def metered_cost(self, start: dt.date, end: dt.date) -> Iterator[CostRow]:
        """Cost per (day, member, product) for ``start..end`` inclusive, in cents."""
        if self.org_type is OrgType.CONSOLE:
            for day, email, cents, _record in self.claude_code(start, end):
                yield day, email, "claude_code", cents
            return
        yield from self._analytics_cost(start, end)

    def _analytics_cost(self, start: dt.date, end: dt.date) -> Iterator[CostRow]:
        endpoint = "GET /v1/organizations/analytics/cost"
        api = self._api.beta.organization.analytics.cost.with_raw_response
        lo = start
        while lo <= end:
            hi = min(end + dt.timedelta(days=1), lo + dt.timedelta(days=COST_CHUNK_DAYS))
            sums: dict[tuple[dt.date, str, str], Decimal] = {}

            def fetch(token: str | None, lo: dt.date = lo, hi: dt.date = hi) -> Any:
                self._pace()
                return api.list(starting_at=f"{lo}T00:00:00Z", ending_at=f"{hi}T00:00:00Z",
                                group_by=["actor", "product"], time_bucket_width="1d",
                                limit=PAGE_LIMIT, **page_kw(token))

            for page_no, page in enumerate(walk_token_pages(self._caller, endpoint, fetch,
                                                            id_field=None), 1):
                for index, row in enumerate(page):
                    where = f"{endpoint} page {page_no} item {index}"
                    actor = (row.get("group") or {}).get("actor") or {}
                    email = actor.get("email_address")
                    if actor.get("type") != "user_actor" or not email:
                        email = "(not a member)"
                    product = (row.get("group") or {}).get("product") or "other"
                    day = _day_of(row.get("starting_at"), where)
                    amount = _cents((row.get("cost") or {}).get("amount"), where)
                    key = (day, str(email).strip().lower(), str(product))
                    sums[key] = sums.get(key, Decimal(0)) + amount
            for (day, email, product), cents in sorted(sums.items()):
                yield day, email, product, _whole(cents)
            lo = hi

    def summaries(self, start: dt.date, end: dt.date) -> Iterator[SummaryRow]:
        """Enterprise org summaries for ``start..end`` inclusive (one request)."""
        if self.org_type is not OrgType.ENTERPRISE:
            return
        endpoint = "GET /v1/organizations/analytics/summaries"
        api = self._api.organization.analytics.summaries.with_raw_response

        def fetch(token: str | None) -> Any:
            self._pace()
            return api.list(starting_date=start.isoformat(),
                            ending_date=(end + dt.timedelta(days=1)).isoformat(),
                            **page_kw(token))

        for page in walk_token_pages(self._caller, endpoint, fetch, id_field=None):
            for row in page:
                yield (_day_of(row.get("starting_at"), endpoint),
                       int(row.get("assigned_seat_count") or 0),
                       int(row.get("pending_invite_count") or 0),
                       int(row.get("daily_active_user_count") or 0),
                       int(row.get("weekly_active_user_count") or 0),
                       int(row.get("monthly_active_user_count") or 0))

    def claude_code(
        self, start: dt.date, end: dt.date
    ) -> Iterator[tuple[dt.date, str, int, dict[str, Any]]]:
        """Console: (day, email, estimated cents, merged record) per user actor and day.

        One request per day (the report takes a single ``starting_at`` day), all pages.
        """
        endpoint = f"GET {CLAUDE_CODE_PATH}"
        day = start
        while day <= end:
            def fetch(token: str | None, day: dt.date = day) -> Any:
                self._pace()
                params = {"starting_at": day.isoformat(), "limit": PAGE_LIMIT, **page_kw(token)}
                response = self._api.get(CLAUDE_CODE_PATH, cast_to=httpx2.Response,
                                         options={"params": params})
                return SimpleNamespace(http_response=response)

            merged: dict[str, tuple[Decimal, dict[str, Any]]] = {}
            for page_no, page in enumerate(walk_token_pages(self._caller, endpoint, fetch,
                                                            id_field=None), 1):
                for index, record in enumerate(page):
                    where = f"{endpoint} {day} page {page_no} item {index}"
                    actor = record.get("actor") or {}
                    if actor.get("type") != "user_actor" or not actor.get("email_address"):
                        continue  # API-key actors hold no seat
                    email = str(actor["email_address"]).strip().lower()
                    cents = sum((_cents((m.get("estimated_cost") or {}).get("amount", 0), where)
                                 for m in record.get("model_breakdown") or ()), Decimal(0))
                    before = merged.get(email)
                    merged[email] = ((before[0] if before else Decimal(0)) + cents,
                                     _merge(before[1] if before else None, record))
            for email, (cents, record) in sorted(merged.items()):
                yield day, email, _whole(cents), record
            day += dt.timedelta(days=1)


def _merge(a: dict[str, Any] | None, b: dict[str, Any]) -> dict[str, Any]:
    """Sum two records of one actor-day (local and remote sessions, several terminals)."""
    if a is None:
        return b
    core_a, core_b = a.get("core_metrics") or {}, b.get("core_metrics") or {}
    loc_a, loc_b = core_a.get("lines_of_code") or {}, core_b.get("lines_of_code") or {}
    tools: dict[str, dict[str, int]] = {}
    for rec in (a, b):
        for name, counts in (rec.get("tool_actions") or {}).items():
            slot = tools.setdefault(name, {"accepted": 0, "rejected": 0})
            slot["accepted"] += int(counts.get("accepted", 0))
            slot["rejected"] += int(counts.get("rejected", 0))
    return {
        **a,
        "core_metrics": {
            "num_sessions": int(core_a.get("num_sessions", 0)) + int(core_b.get("num_sessions", 0)),
            "lines_of_code": {k: int(loc_a.get(k, 0)) + int(loc_b.get(k, 0))
                              for k in ("added", "removed")},
            "commits_by_claude_code": int(core_a.get("commits_by_claude_code", 0))
            + int(core_b.get("commits_by_claude_code", 0)),
            "pull_requests_by_claude_code": int(core_a.get("pull_requests_by_claude_code", 0))
            + int(core_b.get("pull_requests_by_claude_code", 0)),
        },
        "tool_actions": tools,
    }
