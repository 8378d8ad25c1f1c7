"""Spend-limit increase requests through the official SDK: read all, approve, deny.

``client.organization.spend_limits.increase_requests`` (GA, ADMIN_API.md §7): the list
is token-paged (one request per page, ``limit=1000``, walked by ``paging``); approve
writes the requester's ``user`` limit at ``amount`` (minor units) in the same call.
Approve and deny are not "set to this value" writes (a second one is 400 "already
approved"), so they are sent once; when the outcome of one is unknown, the request is
read back and its status decides (``IncreaseRequestOps._resolve``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reconciler.errors import ProviderError
from reconciler.model import SpendIncreaseRequest, SpendSummary
from reconciler.providers.base import WriteResult
from reconciler.providers.calls import OutcomeUnknown
from reconciler.providers.paging import page_kw, walk_token_pages
from reconciler.providers.parse import SDK_PERIODS, Item, cents

if TYPE_CHECKING:
    from reconciler.providers.anthropic import AnthropicProvider

LIST_ENDPOINT = "GET /v1/organizations/spend_limit_increase_requests"
STATUSES = frozenset({"pending", "approved", "denied"})


def request_from(item: Item) -> SpendIncreaseRequest:
    """One request object → the model; a key actor (not a member) has no user or email."""
    actor = item.obj("actor")
    user_id, email, name = "", None, None
    if actor.string("type") == "user_actor":
        user_id = actor.string("user_id")
        if actor.raw.get("deleted") is not True:
            email = actor.email("email_address")
            name = actor.opt_string("name")
    raw_summary = item.raw.get("spend_summary")
    summary = None
    if isinstance(raw_summary, dict):
        s = Item(raw_summary, item.endpoint, f"{item.where}.spend_summary")
        spend_text = s.string("period_to_date_spend")
        try:
            spend = float(spend_text)
        except ValueError:
            raise s.fail("period_to_date_spend", f"is not a decimal string ({spend_text!r})"
                         ) from None
        summary = SpendSummary(cents(s), spend, s.string("currency"),
                               s.obj("source").string("type"))
    return SpendIncreaseRequest(
        id=item.string("id"), user_id=user_id, email=email, name=name,
        period=item.enum("period", SDK_PERIODS),
        status=item.enum("status", STATUSES),  # type: ignore[arg-type]
        created_at=item.time("created_at"), summary=summary,
    )


class IncreaseRequestOps:
    """Mixin of ``AnthropicProvider``: the increase-request half of the ``Provider``."""

    def _p(self) -> AnthropicProvider:
        return self  # type: ignore[return-value]

    def list_increase_requests(self, status: str | None = "pending") -> list[SpendIncreaseRequest]:
        """Every request (all pages; ``status`` filters on the server, ``None``: all)."""
        p = self._p()
        api = p._api.organization.spend_limits.increase_requests.with_raw_response
        extra: dict[str, Any] = {"status": [status]} if status else {}
        pages = walk_token_pages(
            p._caller, LIST_ENDPOINT,
            lambda t: api.list(limit=1000, **extra, **page_kw(t)),
        )
        out: list[SpendIncreaseRequest] = []
        for page_no, page in enumerate(pages, 1):
            for index, raw in enumerate(page):
                out.append(request_from(Item(raw, LIST_ENDPOINT, f"page {page_no} item {index}")))
        return out

    def approve_increase_request(self, request_id: str, amount_cents: int,
                                 period: str) -> WriteResult:  # fmt: skip
        """Grant ``amount_cents`` for ``period``: the API writes the member's user limit."""
        api = self._p()._api.organization.spend_limits.increase_requests.with_raw_response
        return self._resolve(
            request_id, "approve", "approved",
            lambda: api.approve(request_id, amount=str(amount_cents),
                                period=period),  # type: ignore[arg-type]
        )

    def deny_increase_request(self, request_id: str) -> WriteResult:
        api = self._p()._api.organization.spend_limits.increase_requests.with_raw_response
        return self._resolve(request_id, "deny", "denied", lambda: api.deny(request_id))

    def _resolve(self, request_id: str, verb: str, done: str,
                 call: Callable[[], Any]) -> WriteResult:  # fmt: skip
        """Send once; on an unknown outcome or a 400, the request's status decides:
        already ``done`` → done; still pending after an unknown outcome → the error."""
        p = self._p()
        endpoint = f"POST /v1/organizations/spend_limit_increase_requests/{request_id}/{verb}"
        try:
            answer = p._caller.write(endpoint, call, idempotent=False)
        except (OutcomeUnknown, ProviderError) as exc:
            error = exc.error if isinstance(exc, OutcomeUnknown) else exc
            current = self._read_one(request_id)
            if current is not None and current.status == done:
                return WriteResult(current, already_done=True)
            raise error from None
        body = answer.body
        return WriteResult(request_from(Item(body, endpoint, "answer")),
                           request_id=answer.request_id)

    def _read_one(self, request_id: str) -> SpendIncreaseRequest | None:
        p = self._p()
        endpoint = f"GET /v1/organizations/spend_limit_increase_requests/{request_id}"
        api = p._api.organization.spend_limits.increase_requests.with_raw_response
        try:
            body = p._caller.read(endpoint, lambda: api.retrieve(request_id)).body
        except ProviderError:
            return None
        return request_from(Item(body, endpoint, "answer"))
