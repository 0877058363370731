"""The Okta reads explain makes, against `httpx.MockTransport`: the System Log reader's bounded paging, one person's
lookups, and what they never ask for."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from talend_okta.http import ApiBodyError, RetryPolicy
from talend_okta.okta_api import OktaClient
from talend_okta.scim_api import TalendScimClient
from tests.conftest import vendor_transport

ORG = "https://acme.okta.com"
TOKEN = "okta-canary-token-5e1d0c"
Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler) -> OktaClient:
    return OktaClient(
        ORG, TOKEN, transport=vendor_transport(handler), retry=RetryPolicy(attempts=1), sleep=lambda s: None
    )


def event(n: int, result: str = "SUCCESS", reason: str | None = None) -> dict[str, Any]:
    return {
        "uuid": f"e{n}",
        "published": f"2026-12-01T10:00:{n:02d}.000Z",
        "eventType": "application.provision.user.push",
        "displayMessage": "Push new user to external application",
        "outcome": {"result": result, "reason": reason},
        "target": [{"id": "00u1", "type": "User", "alternateId": "ann@corp.example", "displayName": "Ann Lee"}],
        "actor": {"id": "0oa1", "type": "AppInstance"},
    }


def paged(events: list[dict[str, Any]], size: int, seen: list[httpx.Request]) -> Handler:
    """Pages of `size` events, each with a next link while more remain (a bounded query)."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        start = int(request.url.params.get("after", "0"))
        chunk = events[start : start + size]
        links = [f'<{ORG}/api/v1/logs?x=1>; rel="self"']
        if start + size < len(events):
            links.append(f'<{ORG}/api/v1/logs?after={start + size}&limit={size}>; rel="next"')
        return httpx.Response(200, json=chunk, headers={"Link": ", ".join(links)})

    return handle


def test_the_log_reader_asks_a_bounded_newest_first_query_and_follows_next_links() -> None:
    seen: list[httpx.Request] = []
    with client(paged([event(n) for n in range(7)], 3, seen)) as okta:
        events = okta.log_events(
            'target.id eq "00u1"', since="2026-11-01T00:00:00Z", until="2026-12-01T11:00:00Z", max_events=7, max_pages=5
        )
    assert [e.uuid for e in events] == [f"e{n}" for n in range(7)]
    assert len(seen) == 3
    first = seen[0].url.params
    assert (first["filter"], first["sortOrder"], first["limit"]) == ('target.id eq "00u1"', "DESCENDING", "7")
    assert (first["since"], first["until"]) == ("2026-11-01T00:00:00Z", "2026-12-01T11:00:00Z")
    assert events[0].outcome is not None
    assert events[0].outcome.result == "SUCCESS"


def test_the_log_reader_stops_at_its_caps() -> None:
    seen: list[httpx.Request] = []
    with client(paged([event(n) for n in range(50)], 4, seen)) as okta:
        events = okta.log_events("x", since="a", until="b", max_events=6, max_pages=10)
    assert len(events) == 6
    assert len(seen) == 2

    endless: list[httpx.Request] = []

    def polling(request: httpx.Request) -> httpx.Response:  # a next link on every page, even empty ones
        endless.append(request)
        after = int(request.url.params.get("after", "0")) + 1
        return httpx.Response(200, json=[], headers={"Link": f'<{ORG}/api/v1/logs?after={after}>; rel="next"'})

    with client(polling) as okta:
        assert okta.log_events("x", since="a", until="b", max_events=20, max_pages=3) == []
    assert len(endless) == 3


def test_the_log_reader_refuses_a_next_link_elsewhere() -> None:
    def elsewhere(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=[event(1)], headers={"Link": '<https://evil.example/api/v1/logs>; rel="next"'})

    with client(elsewhere) as okta, pytest.raises(ApiBodyError) as caught:
        okta.log_events("x", since="a", until="b")
    assert "another host" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_person_lookups_ask_for_one_person_only() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        path = request.url.path
        if path == "/api/v1/users/ann@corp.example":
            return httpx.Response(404, json={"errorCode": "E0000007", "errorSummary": "Not found"})
        if path == "/api/v1/users":
            return httpx.Response(200, json=[{"id": "00u1", "status": "ACTIVE", "profile": {"login": "a@x"}}])
        if path == "/api/v1/apps/0oa1/users/00u1":
            return httpx.Response(
                200,
                json={
                    "id": "00u1",
                    "status": "PROVISIONED",
                    "syncState": "SYNCHRONIZED",
                    "lastSync": "2026-12-01T10:00:00.000Z",
                    "credentials": {"userName": "ann"},
                },
            )
        if path == "/api/v1/apps/0oa1/users":
            return httpx.Response(
                200,
                json=[
                    {
                        "id": "00u2",
                        "credentials": {"userName": "ann"},
                        "_embedded": {"user": {"id": "00u2", "profile": {"login": "b@x"}}},
                    }
                ],
            )
        if path == "/api/v1/apps/0oa1/groups":
            return httpx.Response(
                200,
                json=[
                    {"id": "00g1", "priority": 0, "_embedded": {"group": {"id": "00g1", "profile": {"name": "Talend"}}}}
                ],
            )
        return httpx.Response(404, json={"errorCode": "E0000007", "errorSummary": "Not found"})

    with client(handle) as okta:
        assert okta.get_user("ann@corp.example") is None
        [found] = okta.find_users_by_email('ann"@corp.example')
        app_user = okta.get_app_user("0oa1", "00u1")
        assert okta.get_app_user("0oa1", "00u9") is None
        [other] = okta.find_app_users("0oa1", "ann")
        [group] = list(okta.iter_app_groups_named("0oa1"))
    assert found.id == "00u1"
    assert app_user is not None
    assert (app_user.user_name, app_user.last_sync) == ("ann", "2026-12-01T10:00:00.000Z")
    assert other.embedded is not None
    assert other.embedded.user is not None
    assert other.embedded.user.profile.login == "b@x"
    assert (group.name, group.priority) == ("Talend", 0)
    search = seen[1].url.params
    assert search["search"] == 'profile.email eq "ann\\"@corp.example"'
    assert seen[4].url.params["q"] == "ann"
    assert seen[4].url.params["expand"] == "user"
    assert seen[5].url.params["expand"] == "group"


def test_talend_is_asked_for_one_username() -> None:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 1,
            "Resources": [{"id": "s1", "userName": "Ann", "active": False, "externalId": "00u1"}],
        }
        return httpx.Response(200, content=json.dumps(body), headers={"Content-Type": "application/scim+json"})

    with TalendScimClient(
        "https://api.eu.cloud.talend.com/scim/v2", "talend-canary-77aa", transport=vendor_transport(handle)
    ) as talend:
        [user] = talend.find_users('an"n')
    assert (user.id, user.is_active, user.external_id) == ("s1", False, "00u1")
    assert seen[0].url.params["filter"] == 'userName eq "an\\"n"'
