"""A small SCIM server that differs from scim2-server: it caps pages, can misbehave, and counts what it is sent.

Served on loopback (`serve_wsgi`) for verify, or through `httpx.WSGITransport` for one client.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

MISBEHAVIOURS = ("ignores-start-index", "omits-start-index", "repeats-a-page", "total-shifts", "short-read")


@dataclass
class PagedScim:
    """`/scim/v2/Users` and `/scim/v2/Groups` (empty), `cap` users per page at most.

    `misbehaviour` (one of MISBEHAVIOURS) makes the server untrustworthy; `lowercase` spells every attribute in
    lower case (allowed: SCIM attribute names are case-insensitive). `hold` makes a request past the first page
    wait until that many are in flight (or 1 s), so a test sees how many pages a client reads at once.
    """

    user_names: list[str]
    token: str
    cap: int = 100
    misbehaviour: str = ""
    lowercase: bool = False
    hold: int = 0
    rate_limited: dict[int, int] = field(default_factory=dict)  # startIndex → Retry-After seconds, answered once
    short_pages: dict[int, int] = field(default_factory=dict)  # startIndex → how many users that page returns
    starts: list[int] = field(default_factory=list)  # startIndex of every /Users request, in arrival order
    max_in_flight: int = 0
    _in_flight: int = 0
    _lock: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.token}":
            return self._answer(start_response, 401, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"]})
        path = environ.get("PATH_INFO", "")
        query = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if path.endswith("/Groups"):
            return self._answer(start_response, 200, self._list([], 0, 1))
        start = int(query.get("startIndex", "1"))
        count = min(int(query.get("count", "100")), self.cap)
        with self._lock:
            self.starts.append(start)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            self._lock.notify_all()
            first_request_here = self.starts.count(start) == 1
            if self.hold and start > 1 and first_request_here:
                self._lock.wait_for(lambda: self._in_flight >= self.hold, timeout=1.0)
                self._lock.wait_for(lambda: self._in_flight > self.hold, timeout=0.2)  # time for one too many
        try:
            if start in self.rate_limited and first_request_here:
                headers = {"Retry-After": str(self.rate_limited[start])}
                return self._answer(start_response, 429, {"detail": "slow down"}, headers)
            return self._answer(start_response, 200, self._users_page(start, count))
        finally:
            with self._lock:
                self._in_flight -= 1

    def _users_page(self, start: int, count: int) -> dict[str, Any]:
        users = [{"id": f"id-{name}", "userName": name, "active": True} for name in self.user_names]
        total = len(users)
        served_from, answered_start = start, start
        if self.misbehaviour in ("ignores-start-index", "omits-start-index"):
            served_from = answered_start = 1
        elif self.misbehaviour == "repeats-a-page" and start > 1:
            served_from = start - count  # the previous page again, labelled as the one asked
        elif self.misbehaviour == "total-shifts":
            total += len(self.starts) - 1  # someone is adding users while the list is read
        elif self.misbehaviour == "short-read":
            total += 50  # counts users it never lists
        page = users[served_from - 1 : served_from - 1 + self.short_pages.get(start, count)]
        body = self._list(page, total, answered_start)
        if self.misbehaviour == "omits-start-index":
            del body["startIndex"]
        return body

    def _list(self, resources: list[dict[str, Any]], total: int, start: int) -> dict[str, Any]:
        return {
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }

    def _answer(
        self,
        start_response: Callable[..., Any],
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> list[bytes]:
        data = json.dumps(_lower_keys(body) if self.lowercase else body).encode()
        reason = {200: "OK", 401: "Unauthorized", 429: "Too Many Requests"}[status]
        start_response(
            f"{status} {reason}",
            [("Content-Type", "application/scim+json"), ("Content-Length", str(len(data))), *(headers or {}).items()],
        )
        return [data]


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key.lower(): _lower_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lower_keys(item) for item in value]
    return value
