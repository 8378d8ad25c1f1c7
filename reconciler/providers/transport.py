"""A total per-request deadline, enforced under the SDK as an httpx transport.

httpx timeouts are per phase and per read: a server that sends one byte every
0.8 s never trips a 5 s read timeout, and the request can take hours (RELIABILITY
F19). ``DeadlineTransport`` wraps the SDK's own HTTP client and (1) caps every
phase timeout of the attempt at the time left, and (2) checks the clock between
body chunks, raising ``httpx2.ReadTimeout`` once the deadline has passed. The SDK
turns that into ``APITimeoutError`` like any other timeout, so the retry and
outcome-check logic above sees one kind of failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import anthropic
import httpx2


class _DeadlineStream(httpx2.SyncByteStream):
    def __init__(
        self, response: httpx2.Response, deadline: float, clock: Callable[[], float]
    ) -> None:
        self._response = response
        self._deadline = deadline
        self._clock = clock

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._response.iter_raw():
                if self._clock() > self._deadline:
                    raise httpx2.ReadTimeout(
                        "request deadline exceeded while reading the response"
                    )
                yield chunk
        except BaseException:
            # httpx closes a response only after a full read; a deadline, a dropped
            # connection or an abandoned iteration would leave the socket to the GC.
            self._response.close()
            raise

    def close(self) -> None:
        self._response.close()


class DeadlineTransport(httpx2.BaseTransport):
    """Send through ``inner`` (an ``httpx2.Client``) with a total deadline per request."""

    def __init__(
        self,
        inner: httpx2.Client,
        deadline_s: float,
        clock: Callable[[], float],
    ) -> None:
        self._inner = inner
        self._deadline_s = deadline_s
        self._clock = clock

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = self._clock() + self._deadline_s
        timeout = dict(request.extensions.get("timeout") or {})
        for phase in ("connect", "read", "write", "pool"):
            current = timeout.get(phase)
            timeout[phase] = self._deadline_s if current is None else min(current, self._deadline_s)
        request.extensions["timeout"] = timeout
        response = self._inner.send(request, stream=True)
        return httpx2.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_DeadlineStream(response, deadline, self._clock),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._inner.close()


def with_request_deadline(
    client: anthropic.Anthropic,
    deadline_s: float,
    *,
    connect_timeout_s: float = 5.0,
    read_timeout_s: float = 30.0,
    clock: Callable[[], float],
) -> anthropic.Anthropic:
    """A copy of ``client`` whose every HTTP attempt ends within ``deadline_s``.

    SDK retries are switched off on the copy: the provider owns retrying.
    ``client._client`` is the SDK's ``httpx2.Client`` (the attribute every
    Stainless SDK uses); it keeps its own transport (socket pool or in-process
    WSGI app), so the sandbox and the real API are wrapped the same way.
    """
    inner: httpx2.Client = client._client
    outer = anthropic.DefaultHttpxClient(
        transport=DeadlineTransport(inner, deadline_s, clock),
        timeout=httpx2.Timeout(read_timeout_s, connect=connect_timeout_s),
    )
    return client.with_options(
        http_client=outer,
        max_retries=0,
        timeout=httpx2.Timeout(read_timeout_s, connect=connect_timeout_s),
    )
