"""Requests paced by Okta's `X-Rate-Limit-Remaining`, so that many workers share the token's budget without 429s.

Every Okta answer says how many requests its rate-limit bucket has left this minute and when the minute ends
(`X-Rate-Limit-Remaining`, `X-Rate-Limit-Reset`: Okta, "Rate limit best practices"). The shared client waits only
once a bucket reports 0 left; by then 15 other workers have requests in flight, which end in 429 (and a 429 holds
every integration using the token until the minute is over). `PacedTransport` counts the requests in flight per
bucket and holds a new one while the last answer's remaining count minus those in flight is spent, until the reset;
until the first answer of a window says the budget, requests go one at a time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from talend_okta.http import reset_wait, tls_context

MAX_WAIT = 65.0  # seconds: Okta's windows are a minute long


def bucket_key(method: str, path: str) -> str:
    """Okta's bucket for a request, near enough to pace by (`okta_limits.bucket_of` in the sandbox is exact):
    `/api/v1/apps/{id}` and `/api/v1/apps/{id}/...` are different buckets, as are a user's GET and its writes."""
    parts = path.strip("/").split("/")[2:]
    if not parts:
        return "other"
    deep = "/*" if len(parts) > 2 else ("/{id}" if len(parts) == 2 else "")
    return f"{parts[0]}{deep}" + (":get" if parts[0] == "users" and method == "GET" else "")


@dataclass
class _Budget:
    remaining: int | None = None  # as Okta last said; None: not known yet
    reset_at: float = 0.0  # time.monotonic() when the window ends
    in_flight: int = 0
    untracked: bool = False  # the answers carry no rate-limit headers: nothing to pace by


class PacedTransport(httpx.BaseTransport):
    """An httpx transport that holds requests while their bucket's budget is spent (see the module)."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner or httpx.HTTPTransport(verify=tls_context())
        self._sleep, self._clock = sleep, clock
        self._lock = threading.Lock()
        self._budgets: dict[str, _Budget] = {}
        self.waited = 0.0  # seconds spent holding requests (benchmarks report it)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = bucket_key(request.method, request.url.path)
        self._take(key)
        try:
            response = self._inner.handle_request(request)
        except BaseException:
            self._done(key, None)
            raise
        self._done(key, response)
        return response

    def close(self) -> None:
        self._inner.close()

    def _take(self, key: str) -> None:
        """Wait until the bucket has a request to spare, then count this one in flight."""
        while True:
            with self._lock:
                budget = self._budgets.setdefault(key, _Budget())
                now = self._clock()
                if budget.remaining is not None and now >= budget.reset_at:
                    budget.remaining = None  # a new window: the next answer says how much it holds
                left = budget.remaining
                if left is None and (budget.untracked or budget.in_flight == 0):  # one at a time until told
                    budget.in_flight += 1
                    return
                if left is not None and left - budget.in_flight > 0:
                    budget.in_flight += 1
                    return
                wait = 0.01 if left is None else min(MAX_WAIT, max(0.05, budget.reset_at - now))
            self.waited += wait
            self._sleep(wait)

    def _done(self, key: str, response: httpx.Response | None) -> None:
        with self._lock:
            budget = self._budgets[key]
            budget.in_flight -= 1
            if response is None:
                return
            remaining = response.headers.get("x-rate-limit-remaining")
            wait = reset_wait(response.headers, time.time())
            if remaining is None or not remaining.strip().isdigit() or wait is None:
                budget.untracked = remaining is None
                return
            left, reset_at = int(remaining), self._clock() + min(MAX_WAIT, wait)
            if budget.remaining is not None and reset_at < budget.reset_at + 1:  # the same window, answered late
                left = min(left, budget.remaining)
            budget.remaining, budget.reset_at = left, max(reset_at, budget.reset_at)
