"""Provisioning like Okta's for a custom SCIM app, against the real Talend stand-in (scim2-server on loopback)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.provisioning import routed
from talend_okta_sandbox.serving import serve_wsgi
from talend_okta_sandbox.talend import RunningTalend
from tests.sandbox.conftest import API_TOKEN, SCIM_TOKEN, scim_groups, scim_users


@pytest.fixture
def app_id(sandbox: OktaSandbox, talend: RunningTalend) -> str:
    """A Talend app with its SCIM connection enabled and Create/Update/Deactivate switched on."""
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.set_connection(app_id, talend.scim_url, SCIM_TOKEN)
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    return app_id


def app_user(sandbox: OktaSandbox, app_id: str, user_id: str) -> dict[str, Any]:
    found = sandbox.app_user(app_id, user_id)
    assert found is not None, f"{user_id} is not assigned to {app_id}"
    return found


def test_direct_assignment_creates_the_scim_user(sandbox: OktaSandbox, app_id: str, scim: httpx.Client) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    pending = app_user(sandbox, app_id, ann)
    assert (pending["status"], pending["syncState"], pending["externalId"]) == ("STAGED", "OUT_OF_SYNC", None)
    assert scim_users(scim) == {}  # nothing happens until provisioning runs

    sandbox.sync()

    created = scim_users(scim)["ann.lee"]
    assert created["name"] == {"givenName": "Ann", "familyName": "Lee"}
    assert created["emails"][0]["value"] == "ann.lee@corp.example"
    assert created["emails"][0]["type"] == "work"
    assert (created["externalId"], created["active"], created["displayName"]) == (ann, True, "Ann Lee")
    done = app_user(sandbox, app_id, ann)
    assert (done["status"], done["syncState"], done["scope"]) == ("PROVISIONED", "SYNCHRONIZED", "USER")
    assert done["externalId"] == created["id"]
    assert done["credentials"]["userName"] == "ann.lee"


def test_an_existing_scim_user_is_linked_not_duplicated(sandbox: OktaSandbox, app_id: str, scim: httpx.Client) -> None:
    existing = scim.post(
        "/Users",
        json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann.lee", "active": False},
    ).json()
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    users = scim_users(scim)
    assert list(users) == ["ann.lee"]
    assert users["ann.lee"]["id"] == existing["id"] == app_user(sandbox, app_id, ann)["externalId"]
    assert users["ann.lee"]["active"] is True  # linking sends the profile, active
    assert users["ann.lee"]["name"]["familyName"] == "Lee"


def test_group_assignment_follows_membership(sandbox: OktaSandbox, app_id: str, scim: httpx.Client) -> None:
    group = sandbox.add_group("Talend Users")
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    bob = sandbox.add_user("bob@corp.example", "bob@corp.example", "Bob", "Ray")
    sandbox.add_member(group, ann)
    sandbox.assign_group(app_id, group)
    sandbox.add_member(group, bob)  # joins after the assignment
    sandbox.sync()
    assert {name: user["active"] for name, user in scim_users(scim).items()} == {"ann.lee": True, "bob": True}
    assert app_user(sandbox, app_id, bob)["scope"] == "GROUP"

    sandbox.remove_member(group, bob)
    assert sandbox.app_user(app_id, bob) is None  # unassigned at once; the SCIM user is deactivated on sync
    sandbox.sync()
    users = scim_users(scim)
    assert (users["ann.lee"]["active"], users["bob"]["active"]) == (True, False)

    sandbox.add_member(group, bob)  # back again: Okta finds the SCIM user by userName and reactivates it
    sandbox.sync()
    assert scim_users(scim)["bob"]["active"] is True
    assert app_user(sandbox, app_id, bob)["externalId"] == users["bob"]["id"]


def test_unassigning_the_group_deactivates_its_users_only(
    sandbox: OktaSandbox, app_id: str, scim: httpx.Client
) -> None:
    group = sandbox.add_group("Talend Users")
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    bob = sandbox.add_user("bob@corp.example", "bob@corp.example", "Bob", "Ray")
    for user in (ann, bob):
        sandbox.add_member(group, user)
    sandbox.assign_group(app_id, group)
    sandbox.assign_user(app_id, bob)  # bob is also assigned directly
    sandbox.sync()
    sandbox.unassign_group(app_id, group)
    sandbox.sync()
    users = scim_users(scim)
    assert (users["ann.lee"]["active"], users["bob"]["active"]) == (False, True)
    assert sandbox.app_user(app_id, ann) is None
    assert app_user(sandbox, app_id, bob)["scope"] == "USER"


def test_profile_changes_are_pushed_with_put(sandbox: OktaSandbox, app_id: str, scim: httpx.Client) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    scim_id = scim_users(scim)["ann.lee"]["id"]
    sandbox.update_user(ann, lastName="Leigh", email="ann.leigh@corp.example")
    assert app_user(sandbox, app_id, ann)["syncState"] == "OUT_OF_SYNC"
    sandbox.sync()
    users = scim_users(scim)
    assert list(users) == ["ann.leigh"]  # the Email-prefix username follows the email
    assert users["ann.leigh"]["id"] == scim_id
    assert users["ann.leigh"]["name"]["familyName"] == "Leigh"
    assert app_user(sandbox, app_id, ann)["syncState"] == "SYNCHRONIZED"


def test_provisioning_switches_are_respected(sandbox: OktaSandbox, app_id: str, scim: httpx.Client) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.set_user_provisioning(app_id, create=False, update_profile=False, deactivate=False)
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    assert scim_users(scim) == {}
    assert app_user(sandbox, app_id, ann)["status"] == "STAGED"

    sandbox.set_user_provisioning(app_id, create=True, update_profile=False, deactivate=False)
    sandbox.sync()  # switching Create Users on pushes the pending assignment
    assert scim_users(scim)["ann.lee"]["active"] is True
    sandbox.update_user(ann, lastName="Leigh")
    sandbox.unassign_user(app_id, ann)
    sandbox.sync()
    kept = scim_users(scim)["ann.lee"]
    assert (kept["active"], kept["name"]["familyName"]) == (True, "Lee")  # neither update nor deactivate sent


def test_group_push_creates_the_group_and_replaces_members(
    sandbox: OktaSandbox, app_id: str, scim: httpx.Client, okta: httpx.Client
) -> None:
    group = sandbox.add_group("Talend Users")
    people = [
        sandbox.add_user(f"{name}@corp.example", f"{name}@corp.example", name.title(), "X")
        for name in ("ann", "bob", "cy")
    ]
    for person in people:
        sandbox.add_member(group, person)
    sandbox.assign_group(app_id, group)
    mapping_id = sandbox.push_group(app_id, group)
    sandbox.sync()
    users = scim_users(scim)
    pushed = scim_groups(scim)["Talend Users"]
    assert {member["value"] for member in pushed["members"]} == {users[name]["id"] for name in ("ann", "bob", "cy")}
    assert {member["display"] for member in pushed["members"]} == {"ann", "bob", "cy"}

    sandbox.remove_member(group, people[2])
    sandbox.sync()
    pushed = scim_groups(scim)["Talend Users"]
    assert {member["display"] for member in pushed["members"]} == {"ann", "bob"}
    assert scim_users(scim)["cy"]["active"] is False

    # The provider's delete: INACTIVE, then DELETE with deleteTargetGroup=true removes the SCIM group.
    base = f"/api/v1/apps/{app_id}/group-push/mappings/{mapping_id}"
    assert okta.patch(base, json={"status": "INACTIVE"}).status_code == 200
    assert okta.delete(f"{base}?deleteTargetGroup=true").status_code == 200
    sandbox.sync()
    assert scim_groups(scim) == {}


@pytest.fixture
def conflicting_scim() -> Iterator[str]:
    """A SCIM server that finds nobody but answers every create with 409 (a uniqueness conflict)."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ["REQUEST_METHOD"] == "GET":
            status = "200 OK"
            body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0}
        else:
            status = "409 Conflict"
            body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "409", "detail": "taken"}
        start_response(status, [("Content-Type", "application/scim+json")])
        return [json.dumps(body).encode()]

    with serve_wsgi(app) as base_url:
        yield f"{base_url}/scim/v2"


def test_a_scim_conflict_ends_in_sync_state_error(sandbox: OktaSandbox, conflicting_scim: str) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.set_connection(app_id, conflicting_scim, SCIM_TOKEN)
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    failed = app_user(sandbox, app_id, ann)
    assert (failed["status"], failed["syncState"], failed["externalId"]) == ("STAGED", "ERROR", None)
    reason = sandbox.sync_error(app_id, ann)
    assert reason is not None
    assert "409" in reason
    assert "taken" in reason


def test_a_wrong_token_ends_in_error_until_fixed_and_retried(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client
) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.set_connection(app_id, talend.scim_url, "not-the-talend-token")
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    assert app_user(sandbox, app_id, ann)["syncState"] == "ERROR"
    reason = sandbox.sync_error(app_id, ann)
    assert reason is not None
    assert "401" in reason
    assert "not-the-talend-token" not in reason

    sandbox.set_connection(app_id, talend.scim_url, SCIM_TOKEN)
    sandbox.sync()
    assert app_user(sandbox, app_id, ann)["syncState"] == "ERROR"  # like Okta: errors wait for a retry
    sandbox.sync(retry_errors=True)
    assert app_user(sandbox, app_id, ann)["syncState"] == "SYNCHRONIZED"
    assert sandbox.sync_error(app_id, ann) is None
    assert "ann.lee" in scim_users(scim)


def test_an_unreachable_scim_server_ends_in_error(sandbox: OktaSandbox) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.set_connection(app_id, "http://127.0.0.1:9/scim/v2", SCIM_TOKEN)  # nothing listens on port 9
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    assert app_user(sandbox, app_id, ann)["syncState"] == "ERROR"
    assert "ConnectError" in (sandbox.sync_error(app_id, ann) or "")


def test_auto_sync_provisions_in_the_background_after_api_calls(talend: RunningTalend, scim: httpx.Client) -> None:
    sandbox = OktaSandbox(API_TOKEN, provisioning_api="supported")  # the connection API honoured for custom apps
    with sandbox.serve(auto_sync=True) as base_url, httpx.Client(base_url=base_url) as okta:
        okta.headers["Authorization"] = f"SSWS {API_TOKEN}"
        app = okta.post(
            "/api/v1/apps?activate=true",
            json={
                "label": "Talend Cloud",
                "signOnMode": "SAML_2_0",
                "credentials": {
                    "userNameTemplate": {"template": '${fn:substringBefore(source.email, "@")}', "type": "BUILT_IN"}
                },
            },
        ).json()
        connection = {"baseUrl": talend.scim_url, "profile": {"authScheme": "TOKEN", "token": SCIM_TOKEN}}
        assert okta.post(f"/api/v1/apps/{app['id']}/connections/default", json=connection).status_code == 200
        assert okta.post(f"/api/v1/apps/{app['id']}/connections/default/lifecycle/activate").status_code == 204
        switches = {
            "create": {"lifecycleCreate": {"status": "ENABLED"}},
            "update": {"profile": {"status": "ENABLED"}, "lifecycleDeactivate": {"status": "ENABLED"}},
        }
        assert okta.put(f"/api/v1/apps/{app['id']}/features/USER_PROVISIONING", json=switches).status_code == 200
        group = okta.post("/api/v1/groups", json={"profile": {"name": "Talend Users"}}).json()
        user = okta.post(
            "/api/v1/users",
            json={
                "profile": {
                    "login": "ann@corp.example",
                    "email": "ann.lee@corp.example",
                    "firstName": "Ann",
                    "lastName": "Lee",
                }
            },
        ).json()
        assert okta.put(f"/api/v1/groups/{group['id']}/users/{user['id']}").status_code == 204
        assert okta.put(f"/api/v1/apps/{app['id']}/groups/{group['id']}", json={}).status_code == 200
        assert sandbox.wait_for_sync(timeout=10)
        listed = okta.get(f"/api/v1/apps/{app['id']}/users").json()
    assert [(u["credentials"]["userName"], u["status"], u["syncState"]) for u in listed] == [
        ("ann.lee", "PROVISIONED", "SYNCHRONIZED")
    ]
    assert scim_users(scim)["ann.lee"]["externalId"] == user["id"]


def test_deactivating_the_okta_user_deactivates_the_scim_user(
    sandbox: OktaSandbox, app_id: str, scim: httpx.Client, okta: httpx.Client
) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    assert okta.delete(f"/api/v1/users/{ann}").status_code == 204  # the first DELETE deactivates
    assert okta.get(f"/api/v1/users/{ann}").json()["status"] == "DEPROVISIONED"
    sandbox.sync()
    assert scim_users(scim)["ann.lee"]["active"] is False
    assert okta.delete(f"/api/v1/users/{ann}").status_code == 204  # the second deletes
    assert okta.get(f"/api/v1/users/{ann}").status_code == 404


def test_set_sync_state_fakes_an_error_for_readers(sandbox: OktaSandbox) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example")
    sandbox.assign_user(app_id, ann)
    sandbox.set_sync_state(app_id, ann, "ERROR", "HTTP 409 (taken)")
    assert app_user(sandbox, app_id, ann)["syncState"] == "ERROR"
    assert sandbox.sync_error(app_id, ann) == "HTTP 409 (taken)"
    sandbox.set_sync_state(app_id, ann, "SYNCHRONIZED", status="PROVISIONED", external_id="scim-1")
    synced = app_user(sandbox, app_id, ann)
    assert (synced["status"], synced["syncState"], synced["externalId"]) == ("PROVISIONED", "SYNCHRONIZED", "scim-1")


def test_scim_routes_send_talend_hosts_to_the_local_stand_in(talend: RunningTalend, scim: httpx.Client) -> None:
    """`make sandbox`: the app declares Talend's real SCIM URL, provisioning lands on the stand-in."""
    real = "https://api.eu.cloud.talend.com/scim/v2"
    sandbox = OktaSandbox(API_TOKEN, scim_timeout=5.0, scim_routes={real: talend.scim_url})
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.set_connection(app_id, real + "/", SCIM_TOKEN)
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    assert scim_users(scim)["ann.lee"]["active"] is True
    assert app_user(sandbox, app_id, ann)["syncState"] == "SYNCHRONIZED"
    with sandbox.serve() as base_url:
        connection = httpx.get(
            f"{base_url}/api/v1/apps/{app_id}/connections/default", headers={"Authorization": f"SSWS {API_TOKEN}"}
        ).json()
    assert connection["baseUrl"] == real + "/"  # Okta shows what was configured, not where it went


def test_an_unrouted_scim_url_is_called_as_configured() -> None:
    routes = {"https://api.eu.cloud.talend.com/scim/v2": "http://127.0.0.1:9/scim/v2"}
    assert routed("https://API.eu.cloud.talend.com/scim/v2/", routes) == "http://127.0.0.1:9/scim/v2"
    assert routed("https://api.eu.cloud.talend.com/scim/v2/Users", routes) == "http://127.0.0.1:9/scim/v2/Users"
    assert routed("https://api.eu.cloud.talend.com/scim/v2x", routes) == "https://api.eu.cloud.talend.com/scim/v2x"
    assert routed("https://api.us.cloud.talend.com/scim/v2", routes) == "https://api.us.cloud.talend.com/scim/v2"
