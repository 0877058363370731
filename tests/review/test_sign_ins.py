"""The sign-ins review reads: one paged System Log query, streamed, the last sign-in per person kept; paging faults
and refusals over `httpx.MockTransport` (the network is not the point)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from talend_okta.http import ApiAuthError, ApiBodyError, ApiStatusError, RetryPolicy
from talend_okta.okta_api import OktaClient
from talend_okta.review.read import Window, _sign_ins

APP = "0oaTALEND1"
ORG = "https://acme.okta.com"
TOKEN = "00Qx7fK3mZp9Lr2VwT6yB1cN"
WINDOW = Window(datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))


def sign_in(user_id: str, published: str, result: str = "SUCCESS") -> dict[str, object]:
    return {
        "uuid": f"{user_id}-{published}",
        "published": published,
        "eventType": "user.authentication.sso",
        "actor": {"id": user_id, "type": "User", "alternateId": f"{user_id}@corp.example"},
        "outcome": {"result": result, "reason": None},
        "target": [{"id": APP, "type": "AppInstance"}],
    }


def client(answer: Callable[[httpx.Request], httpx.Response], attempts: int = 1) -> OktaClient:
    retry = RetryPolicy(attempts=attempts, backoff=0.0, max_backoff=0.0)
    return OktaClient(ORG, TOKEN, transport=httpx.MockTransport(answer), retry=retry, sleep=lambda seconds: None)


def paged(
    pages: list[list[dict[str, object]]], asked: list[httpx.Request]
) -> Callable[[httpx.Request], httpx.Response]:
    """Okta's System Log: page N links to page N+1 through an opaque `after` cursor."""

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        index = int(request.url.params.get("after", "0"))
        headers = {}
        if index + 1 < len(pages):
            headers["Link"] = f'<{ORG}/api/v1/logs?after={index + 1}&limit=1000>; rel="next"'
        return httpx.Response(200, json=pages[index], headers=headers)

    return answer


def test_one_query_all_pages_the_last_sign_in_per_person() -> None:
    asked: list[httpx.Request] = []
    pages = [
        [sign_in("00uANN", "2026-11-20T09:00:00.000Z"), sign_in("00uBOB", "2026-11-02T09:00:00.000Z")],
        [sign_in("00uANN", "2026-10-01T09:00:00.000Z"), sign_in("00uCAT", "2026-10-01T09:00:00.000Z", "FAILURE")],
        [sign_in("00uBOB", "2026-11-03T08:00:00.000Z")],  # out of order: the newest still wins
    ]
    with client(paged(pages, asked)) as okta:
        last, count = _sign_ins(okta, APP, WINDOW)
    assert last == {"00uANN": "2026-11-20T09:00:00.000Z", "00uBOB": "2026-11-03T08:00:00.000Z"}  # CAT was refused
    assert count == 5
    assert len(asked) == 3
    first = asked[0].url.params
    assert first["filter"] == f'eventType eq "user.authentication.sso" and target.id eq "{APP}"'
    assert (first["since"], first["until"]) == ("2026-09-01T00:00:00.000Z", "2026-11-30T00:00:00.000Z")
    assert (first["limit"], first["sortOrder"]) == ("1000", "DESCENDING")
    assert [r.url.params["after"] for r in asked[1:]] == ["1", "2"]  # then only the next links


def test_a_next_link_back_to_a_page_already_read_is_refused() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        target = {None: "a", "a": "b", "b": "a"}[request.url.params.get("after")]  # first → a → b → a: a loop
        link = f'<{ORG}/api/v1/logs?after={target}>; rel="next"'
        return httpx.Response(200, json=[sign_in("00uANN", "2026-11-20T09:00:00.000Z")], headers={"Link": link})

    with client(answer) as okta, pytest.raises(ApiBodyError, match="a page already read"):
        _sign_ins(okta, APP, WINDOW)


def test_a_next_link_to_another_host_is_refused_before_the_token_goes_there() -> None:
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, json=[], headers={"Link": '<https://evil.example/api/v1/logs?after=1>; rel="next"'})

    with client(answer) as okta, pytest.raises(ApiBodyError, match="another host"):
        _sign_ins(okta, APP, WINDOW)
    assert [r.url.host for r in asked] == ["acme.okta.com"]


def test_a_server_error_is_retried_then_the_pages_go_on() -> None:
    asked: list[httpx.Request] = []
    pages = [[sign_in("00uANN", "2026-11-20T09:00:00.000Z")], [sign_in("00uBOB", "2026-11-02T09:00:00.000Z")]]
    healthy = paged(pages, asked)
    failures = iter([True, False, False])

    def flaky(request: httpx.Request) -> httpx.Response:
        if next(failures, False):
            return httpx.Response(503, json={"errorCode": "E0000009", "errorSummary": "Internal Server Error"})
        return healthy(request)

    with client(flaky, attempts=3) as okta:
        last, _ = _sign_ins(okta, APP, WINDOW)
    assert set(last) == {"00uANN", "00uBOB"}


def test_a_token_without_system_log_access_is_an_error_without_the_token() -> None:
    def forbidden(request: httpx.Request) -> httpx.Response:
        body = {"errorCode": "E0000006", "errorSummary": "You do not have permission to perform the requested action"}
        return httpx.Response(403, json=body)

    with client(forbidden) as okta, pytest.raises(ApiAuthError) as raised:
        _sign_ins(okta, APP, WINDOW)
    assert TOKEN not in str(raised.value)
    assert TOKEN[:8] not in str(raised.value)


def test_errors_that_persist_end_the_read() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"errorCode": "E0000009", "errorSummary": "Internal Server Error"})

    with client(down, attempts=2) as okta, pytest.raises(ApiStatusError):
        _sign_ins(okta, APP, WINDOW)


def test_the_okta_users_of_unassigned_people_are_searched_20_ids_at_a_time() -> None:
    asked: list[str] = []

    def search(request: httpx.Request) -> httpx.Response:
        expression = request.url.params["search"]
        asked.append(expression)
        ids = [term.split('"')[1] for term in expression.split(" or ")]
        return httpx.Response(200, json=[{"id": i, "status": "DEPROVISIONED", "profile": {"login": i}} for i in ids])

    wanted = [f"00u{n:05d}" for n in range(45)]
    with client(search) as okta:
        found = list(okta.users_by_id(wanted))
    assert [user.id for user in found] == wanted
    assert len(asked) == 3
    assert asked[2] == " or ".join(f'id eq "{user_id}"' for user_id in wanted[40:])
