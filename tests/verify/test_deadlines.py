"""Rate-limit headers every client honours, and a `Deadline` that bounds a whole operation (issue 18, items 3-4).

`httpx.MockTransport` and a fake clock: the network is not the point, the waits and the deadline are.
"""

from __future__ import annotations

import time
from email.utils import formatdate

import httpx
import pytest

from talend_okta.http import Deadline, DeadlineExceeded
from talend_okta.okta_api import OktaClient
from talend_okta.scim_api import TalendScimClient
from talend_okta.talend_api import TalendApiClient
from tests.conftest import vendor_transport
from tests.verify.conftest import OKTA_TOKEN, SCIM_TOKEN


class Clock:
    """A fake monotonic clock that sleeping moves on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_talend_no_requests_left_holds_the_next_request_until_the_reset() -> None:
    """Talend's gateway: `X-RateLimit-Remaining: 0` on a success means the next request would get a 429."""
    answers = iter([{"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "7"}])

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[], headers=next(answers, {}))

    clock = Clock()
    api = "https://api.us.cloud.talend.com"
    with TalendApiClient(api, SCIM_TOKEN, transport=vendor_transport(answer), sleep=clock.sleep) as talend:
        talend.role_mappings()
        assert clock.waits == []
        talend.role_mappings()

    assert clock.waits == [pytest.approx(7.0, abs=0.05)]


def test_okta_no_requests_left_waits_for_the_reset_read_against_date() -> None:
    now = int(time.time())
    headers = {"Date": formatdate(now, usegmt=True), "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(now + 4)}
    answers = iter([headers])

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "00u1"}, headers=next(answers, {"X-Rate-Limit-Remaining": "99"}))

    waits: list[float] = []
    with OktaClient(
        "https://acme.okta.com", OKTA_TOKEN, transport=vendor_transport(answer), sleep=waits.append
    ) as okta:
        okta.current_user()
        okta.current_user()

    assert waits == [pytest.approx(5.0, abs=0.05)]  # reset − Date + 1, as Okta's SDK does


def test_a_wait_past_the_deadline_fails_at_once_saying_what_it_waits_for() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"})

    clock = Clock()
    told: list[str] = []
    client = TalendScimClient(
        "https://api.us.cloud.talend.com/scim/v2",
        SCIM_TOKEN,
        transport=vendor_transport(answer),
        sleep=clock.sleep,
        deadline=Deadline(60, clock=clock),
        notify=told.append,
    )
    with client, pytest.raises(DeadlineExceeded) as raised:
        client.check_credentials()

    assert str(raised.value) == (
        "Talend GET /scim/v2/Users: waiting 3600 s for its rate limit (Retry-After: 3600) would pass the 60 s "
        "deadline (60 s left)"
    )
    assert clock.waits == []
    assert client.requests == 1


def test_waits_within_the_deadline_are_told() -> None:
    answers = iter([httpx.Response(503), httpx.Response(429, headers={"Retry-After": "2"})])

    def answer(request: httpx.Request) -> httpx.Response:
        return next(answers, httpx.Response(200, json={"id": "00u1"}))

    clock = Clock()
    told: list[str] = []
    deadline = Deadline(60, clock=clock)
    with OktaClient(
        "https://acme.okta.com",
        OKTA_TOKEN,
        transport=vendor_transport(answer),
        sleep=clock.sleep,
        deadline=deadline,
        notify=told.append,
    ) as okta:
        okta.current_user()

    assert told == [
        "Okta: waiting 0 s for GET /api/v1/users/me again after 503 before GET /api/v1/users/me",
        "Okta: waiting 2 s for its rate limit (Retry-After: 2) before GET /api/v1/users/me",
    ]


def test_a_deadline_holds_inside_a_listing() -> None:
    """verify's --timeout inside a pass: pages that each take 4 s stop at the deadline, not at the list's end."""
    clock = Clock()

    def answer(request: httpx.Request) -> httpx.Response:
        clock.now += 4  # a slow Okta
        after = int(request.url.params.get("after", "0")) + 1
        link = f"https://acme.okta.com/api/v1/apps/0oa1/users?after={after}&limit=500"
        return httpx.Response(200, json=[{"id": f"00u{after}"}], headers={"Link": f'<{link}>; rel="next"'})

    okta = OktaClient(
        "https://acme.okta.com",
        OKTA_TOKEN,
        transport=vendor_transport(answer),
        sleep=clock.sleep,
        deadline=Deadline(30, clock=clock),
    )
    with okta, pytest.raises(DeadlineExceeded, match=r"^Okta was not asked GET /api/v1/apps/0oa1/users: the 30 s "):
        list(okta.iter_app_users("0oa1"))

    assert okta.requests == 8  # 8 × 4 s = 32 s: the 9th is never sent
