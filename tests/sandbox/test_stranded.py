"""Okta as it really is: people assigned before an app's provisioning is enabled are never pushed (Okta help,
"Provision unprovisioned users") until an admin provisions each one or they are assigned anew."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from talend_okta_sandbox.okta import OktaSandbox, SandboxError
from talend_okta_sandbox.okta_org import ASSIGNED_BEFORE_PROVISIONING
from talend_okta_sandbox.talend import RunningTalend
from tests.sandbox.conftest import API_TOKEN, SCIM_TOKEN, scim_users
from tests.sandbox.test_admin import admin
from tests.sandbox.test_api import assert_okta_error

SSO_ONLY = ("ACTIVE", "DISABLED", None)  # status, syncState, externalId: Okta's Apps API, "Application User Status"


def state(sandbox: OktaSandbox, app_id: str, user_id: str) -> tuple[Any, Any, Any]:
    found = sandbox.app_user(app_id, user_id)
    assert found is not None, f"{user_id} is not assigned to {app_id}"
    return found["status"], found["syncState"], found["externalId"]


def person(sandbox: OktaSandbox, name: str) -> str:
    return sandbox.add_user(f"{name}@corp.example", f"{name}@corp.example", name.title(), "X")


def switch_provisioning_on(sandbox: OktaSandbox, app_id: str, talend: RunningTalend) -> None:
    """What an admin does in the console: Provisioning = SCIM with the Talend token, To App all on."""
    sandbox.set_connection(app_id, talend.scim_url, SCIM_TOKEN)
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)


def test_people_assigned_before_provisioning_stay_unprovisioned(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client
) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    group = sandbox.add_group("Talend Users")
    ann, bob, cy = (person(sandbox, name) for name in ("ann", "bob", "cy"))
    sandbox.add_member(group, ann)
    sandbox.assign_group(app_id, group)  # SSO only: the app does not provision yet
    sandbox.assign_user(app_id, bob)
    assert state(sandbox, app_id, ann) == state(sandbox, app_id, bob) == SSO_ONLY

    switch_provisioning_on(sandbox, app_id, talend)
    sandbox.add_member(group, cy)  # assigned after provisioning is on: pushed as usual
    sandbox.sync()

    assert list(scim_users(scim)) == ["cy"]
    for stranded in (ann, bob):
        assert state(sandbox, app_id, stranded) == SSO_ONLY
        assert sandbox.sync_error(app_id, stranded) == ASSIGNED_BEFORE_PROVISIONING
    assert state(sandbox, app_id, cy)[:2] == ("PROVISIONED", "SYNCHRONIZED")
    sandbox.update_user(ann, lastName="Lee")  # a profile change does not push them either
    sandbox.sync(retry_errors=True)  # nor does retrying Okta's failed tasks
    assert list(scim_users(scim)) == ["cy"]


def test_provision_user_pushes_one_stranded_person(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client
) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    group = sandbox.add_group("Talend Users")
    ann, bob = person(sandbox, "ann"), person(sandbox, "bob")
    for user in (ann, bob):
        sandbox.add_member(group, user)
    sandbox.assign_group(app_id, group)
    switch_provisioning_on(sandbox, app_id, talend)

    sandbox.provision_user(app_id, ann)
    assert state(sandbox, app_id, ann) == ("STAGED", "OUT_OF_SYNC", None)  # queued, as a new assignment
    sandbox.sync()

    users = scim_users(scim)
    assert list(users) == ["ann"]
    assert state(sandbox, app_id, ann) == ("PROVISIONED", "SYNCHRONIZED", users["ann"]["id"])
    assert state(sandbox, app_id, bob) == SSO_ONLY
    with pytest.raises(SandboxError, match="already provisions"):
        sandbox.provision_user(app_id, ann)


def test_provision_user_is_refused_while_provisioning_is_off(sandbox: OktaSandbox) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    ann = person(sandbox, "ann")
    sandbox.assign_user(app_id, ann)
    with pytest.raises(SandboxError, match="Provisioning is not enabled"):
        sandbox.provision_user(app_id, ann)
    assert state(sandbox, app_id, ann) == SSO_ONLY


def test_a_direct_assignment_unassigned_and_assigned_again_is_pushed(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client, okta: httpx.Client
) -> None:
    """A new assignment on an app that creates users is STAGED, then pushed (Okta's Apps API, "Application User
    Status"); the username sent back in `credentials.userName` is kept."""
    app_id = sandbox.add_saml_app("Talend Cloud")
    bob = person(sandbox, "bob")
    sandbox.assign_user(app_id, bob, "bob.ext")
    switch_provisioning_on(sandbox, app_id, talend)
    users = f"/api/v1/apps/{app_id}/users"

    assert okta.delete(f"{users}/{bob}").status_code == 204
    body = {"id": bob, "scope": "USER", "credentials": {"userName": "bob.ext"}}
    assert okta.post(users, json=body).json()["status"] == "STAGED"
    sandbox.sync()

    assert list(scim_users(scim)) == ["bob.ext"]
    assert state(sandbox, app_id, bob)[0] == "PROVISIONED"


def test_unassigning_someone_their_groups_assign_is_refused(sandbox: OktaSandbox, okta: httpx.Client) -> None:
    """Okta answers 403 E0000046 (articulate/terraform-provider-okta#120, gravitational/teleport#53947), whether the
    person is also assigned directly (scope USER) or only through the group (scope GROUP); nothing changes."""
    app_id = sandbox.add_saml_app("Talend Cloud")
    group = sandbox.add_group("Talend Users")
    ann, bob = person(sandbox, "ann"), person(sandbox, "bob")
    for user in (ann, bob):
        sandbox.add_member(group, user)
    sandbox.assign_group(app_id, group)
    sandbox.assign_user(app_id, bob)  # bob: direct too
    users = f"/api/v1/apps/{app_id}/users"

    for user, scope in ((ann, "GROUP"), (bob, "USER")):
        body = assert_okta_error(okta.delete(f"{users}/{user}"), 403, "E0000046")
        assert body["errorSummary"] == "Deactivate application for user forbidden"
        assert body["errorCauses"] == [
            {
                "errorSummary": "The application cannot be unassigned from the user while their group memberships "
                "grant them access"
            }
        ]
        assert okta.get(f"{users}/{user}").json()["scope"] == scope
    with pytest.raises(SandboxError, match="group memberships grant them access"):
        sandbox.unassign_user(app_id, bob)  # the console refuses it too


def test_scope_conversion_to_user_is_played_to_group_refused(sandbox: OktaSandbox, okta: httpx.Client) -> None:
    """`POST /api/v1/apps/{appId}/users/{userId}` with `{"scope": "USER"}` makes a group-owned assignment
    individually owned (Okta support, Workflows template "Convert application assignment scope"); back to GROUP
    is refused, the stricter of the sources (gravitational/teleport#53947 says Okta's API does not allow it)."""
    app_id = sandbox.add_saml_app("Talend Cloud")
    group = sandbox.add_group("Talend Users")
    ann = person(sandbox, "ann")
    sandbox.add_member(group, ann)
    sandbox.assign_group(app_id, group)
    url = f"/api/v1/apps/{app_id}/users/{ann}"

    converted = okta.post(url, json={"scope": "USER"})
    assert converted.status_code == 200, converted.text
    assert converted.json()["scope"] == "USER"
    assert_okta_error(okta.post(url, json={"scope": "GROUP"}), 403, "E0000046")
    assert okta.get(url).json()["scope"] == "USER"  # it stays individual: removing ann from the group keeps the app
    sandbox.remove_member(group, ann)
    assert okta.get(url).status_code == 200
    assert_okta_error(okta.post(url, json={"scope": "ADMIN"}), 400, "E0000001")


def test_updating_the_app_username_keeps_the_scope(sandbox: OktaSandbox, okta: httpx.Client) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    ann = person(sandbox, "ann")
    sandbox.assign_user(app_id, ann)
    url = f"/api/v1/apps/{app_id}/users/{ann}"
    updated = okta.post(url, json={"credentials": {"userName": "ann.ext"}})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["credentials"]["userName"], updated.json()["scope"]) == ("ann.ext", "USER")


def test_a_group_unassigned_and_assigned_again_pushes_its_stranded_members(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client, okta: httpx.Client
) -> None:
    """Unassigning the group ends its members' assignments; assigning it again makes new ones (Okta's
    assignGroupToApplication: "assigns the app to each User that belongs to the group"), which an app that creates
    users stages and pushes. The priority and profile sent back are kept."""
    app_id = sandbox.add_saml_app("Talend Cloud")
    group = sandbox.add_group("Talend Users")
    ann, bob = person(sandbox, "ann"), person(sandbox, "bob")
    for user in (ann, bob):
        sandbox.add_member(group, user)
    sandbox.assign_group(app_id, group)
    switch_provisioning_on(sandbox, app_id, talend)
    path = f"/api/v1/apps/{app_id}/groups/{group}"
    before = okta.get(path).json()

    assert okta.delete(path).status_code == 204
    assert sandbox.app_user(app_id, ann) is None
    again = okta.put(path, json={"priority": before["priority"], "profile": before["profile"]})
    assert again.status_code == 200
    assert again.json()["priority"] == before["priority"]
    assert state(sandbox, app_id, ann)[0] == "STAGED"
    sandbox.sync()

    assert sorted(scim_users(scim)) == ["ann", "bob"]
    assert state(sandbox, app_id, bob)[0] == "PROVISIONED"


def test_provisioning_on_before_any_assignment_strands_nobody(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client
) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    switch_provisioning_on(sandbox, app_id, talend)
    group = sandbox.add_group("Talend Users")
    ann = person(sandbox, "ann")
    sandbox.add_member(group, ann)
    sandbox.assign_group(app_id, group)
    sandbox.sync()
    assert list(scim_users(scim)) == ["ann"]
    assert sandbox.sync_error(app_id, ann) is None


def test_the_admin_provisions_a_stranded_person_in_the_console(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client
) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    ann = person(sandbox, "ann")
    sandbox.assign_user(app_id, ann)
    with sandbox.serve() as okta_url:
        refused = admin(okta_url, "provision-user", "--app-id", app_id, "--user", "ann@corp.example")
        switch_provisioning_on(sandbox, app_id, talend)
        sandbox.sync()
        before = dict(scim_users(scim))
        done = admin(okta_url, "provision-user", "--app-id", app_id, "--user", "ann@corp.example")
        sandbox.sync()
        again = admin(okta_url, "provision-user", "--app-id", app_id, "--user", ann)
        with httpx.Client(base_url=okta_url, headers={"Authorization": f"SSWS {API_TOKEN}"}) as okta:
            route = f"/sandbox/admin/apps/{app_id}/users/{ann}/provision"
            assert_okta_error(okta.put(route, json={}), 400, "E0000001")
            assert_okta_error(okta.put(f"/sandbox/admin/apps/{app_id}/users/00uMissing/provision"), 404, "E0000007")

    assert refused.exit_code == 2, refused.output
    assert "Provisioning is not enabled for the app instance." in refused.stderr
    assert before == {}
    assert done.exit_code == 0, done.output
    assert done.stdout == f"App {app_id}: Provision User ann@corp.example (ann): Okta pushes them to Talend now\n"
    assert scim_users(scim)["ann"]["active"] is True
    assert again.exit_code == 2
    assert "already provisions this app user" in again.stderr
