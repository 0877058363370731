"""The sandbox's System Log (`GET /api/v1/logs`): the events its provisioning records, and Okta's query rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.talend import RunningTalend
from tests.conftest import contract_violations
from tests.sandbox.conftest import SCIM_TOKEN

PUSH = "application.provision.user.push"


@pytest.fixture
def app_id(sandbox: OktaSandbox, talend: RunningTalend) -> str:
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.set_connection(app_id, talend.scim_url, SCIM_TOKEN)
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    return app_id


def logs(okta: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    response = okta.get("/api/v1/logs", params=params)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


def test_push_deactivate_and_profile_events_name_the_app_user(
    sandbox: OktaSandbox, app_id: str, okta: httpx.Client
) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    bob = sandbox.add_user("bob@corp.example", "bob@corp.example", "Bob", "Ray")
    sandbox.assign_user(app_id, ann)
    sandbox.assign_user(app_id, bob)
    sandbox.sync()
    sandbox.update_user(ann, lastName="Leigh")
    sandbox.sync()
    sandbox.unassign_user(app_id, ann)
    sandbox.sync()

    mine = logs(okta, filter=f'target.id eq "{ann}" and target.id eq "{app_id}"', sortOrder="DESCENDING")
    assert [event["eventType"] for event in mine] == [
        "application.provision.user.deactivate",
        "application.provision.user.push_profile",
        PUSH,
    ]
    push = mine[-1]
    assert push["outcome"] == {"result": "SUCCESS", "reason": None}
    assert push["displayMessage"] == "Push new user to external application"
    targets = {target["type"]: target for target in push["target"]}
    assert targets["User"]["id"] == ann
    assert targets["User"]["alternateId"] == "ann@corp.example"
    assert targets["AppUser"]["alternateId"] == "ann.lee"
    assert targets["AppInstance"]["id"] == app_id
    assert datetime.fromisoformat(push["published"].replace("Z", "+00:00")) <= datetime.now(UTC)
    # Bob's events are not Ann's; eventType filters too.
    assert [e["eventType"] for e in logs(okta, filter=f'target.id eq "{bob}"')] == [PUSH]
    assert len(logs(okta, filter=f'eventType eq "{PUSH}"')) == 2


def test_a_failed_push_records_the_scim_answer(sandbox: OktaSandbox, app_id: str, okta: httpx.Client) -> None:
    sandbox.set_connection(app_id, sandbox_url_of_nothing(), SCIM_TOKEN)  # where no Talend answers
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    failed = logs(okta, filter=f'target.id eq "{ann}" and outcome.result eq "FAILURE"')
    assert len(failed) == 1
    assert failed[0]["eventType"] == PUSH
    assert failed[0]["severity"] == "ERROR"
    assert failed[0]["outcome"]["reason"] == sandbox.sync_error(app_id, ann)
    assert "GET /Users" in failed[0]["outcome"]["reason"]


def test_a_refusing_talend_is_quoted(sandbox: OktaSandbox, talend: RunningTalend, okta: httpx.Client) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.set_connection(app_id, talend.scim_url, "not-the-talend-token")
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    [event] = logs(okta, filter=f'target.id eq "{ann}"')
    assert event["outcome"]["result"] == "FAILURE"
    assert "HTTP 401" in event["outcome"]["reason"]
    assert "not-the-talend-token" not in str(event)


def test_paging_follows_next_links_until_a_bounded_query_ends(
    sandbox: OktaSandbox, app_id: str, okta: httpx.Client
) -> None:
    people = [sandbox.add_user(f"p{n}@corp.example", f"p{n}@corp.example", "P", str(n)) for n in range(7)]
    for person in people:
        sandbox.assign_user(app_id, person)
    sandbox.sync()
    until = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    url: str | None = "/api/v1/logs"
    params: dict[str, Any] | None = {"since": since, "until": until, "limit": 3, "sortOrder": "DESCENDING"}
    seen: list[str] = []
    pages = 0
    while url is not None:
        response = okta.get(url, params=params)
        assert response.status_code == 200
        assert "self" in response.links
        seen += [event["uuid"] for event in response.json()]
        url, params, pages = response.links.get("next", {}).get("url"), None, pages + 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 7
    times = [e["published"] for e in logs(okta, since=since, until=until, sortOrder="DESCENDING", limit=100)]
    assert times == sorted(times, reverse=True)


def test_a_polling_query_always_has_a_next_link(sandbox: OktaSandbox, app_id: str, okta: httpx.Client) -> None:
    empty = okta.get("/api/v1/logs")
    assert empty.status_code == 200
    assert empty.json() == []
    assert "next" in empty.links  # no until, ASCENDING: a polling request
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    later = okta.get(empty.links["next"]["url"])
    assert [event["eventType"] for event in later.json()] == [PUSH]
    again = okta.get(later.links["next"]["url"])
    assert again.json() == []
    assert "next" in again.links


def test_keywords_and_bad_queries(sandbox: OktaSandbox, app_id: str, okta: httpx.Client) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    assert len(logs(okta, q="ann lee")) == 1
    assert logs(okta, q="ann nobody") == []
    bad = {
        "filter": ('target.id eq "x" and', "E0000053"),
        "until": ("yesterday", "E0000001"),
        "since": ((datetime.now(UTC) - timedelta(days=181)).isoformat(), "E0000053"),
        "q": ("x" * 41, "E0000001"),
        "sortOrder": ("NEWEST", "E0000001"),
    }
    for name, (value, code) in bad.items():
        response = okta.get("/api/v1/logs", params={name: value})
        assert (response.status_code, response.json()["errorCode"]) == (400, code), name
    assert contract_violations() == ["listLogEvents query.sortOrder: enum"]  # NEWEST is refused, on purpose


def test_the_log_is_kept_in_the_state_file(tmp_path: Any, talend: RunningTalend) -> None:
    state = tmp_path / "okta.json"
    first = OktaSandbox("token-1234", state)
    app_id = first.add_saml_app("Talend Cloud")
    first.set_connection(app_id, talend.scim_url, SCIM_TOKEN)
    first.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    first.assign_user(app_id, first.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee"))
    first.sync()
    again = OktaSandbox("token-1234", state)
    with again.serve() as url:
        response = httpx.get(f"{url}/api/v1/logs", headers={"Authorization": "SSWS token-1234"})
    assert [event["eventType"] for event in response.json()] == [PUSH]


def test_suspend_and_unsuspend(sandbox: OktaSandbox, okta: httpx.Client) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    assert okta.post(f"/api/v1/users/{ann}/lifecycle/suspend").status_code == 200
    assert okta.get(f"/api/v1/users/{ann}").json()["status"] == "SUSPENDED"
    assert okta.post(f"/api/v1/users/{ann}/lifecycle/suspend").json()["errorCode"] == "E0000001"
    assert okta.post(f"/api/v1/users/{ann}/lifecycle/unsuspend").status_code == 200
    assert okta.get(f"/api/v1/users/{ann}").json()["status"] == "ACTIVE"


def sandbox_url_of_nothing() -> str:
    """A loopback URL where nothing listens (port 9 is discard; nothing serves it here)."""
    return "http://127.0.0.1:9/scim/v2"
