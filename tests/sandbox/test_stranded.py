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


def test_assigning_anew_pushes_them(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client, okta: httpx.Client
) -> None:
    """What `talend-okta provision --stranded` does over Okta's API: a direct assignment is removed and made again;
    a group assignment is made direct, then the direct one removed, so the group assigns them anew."""
    app_id = sandbox.add_saml_app("Talend Cloud")
    group = sandbox.add_group("Talend Users")
    ann, bob = person(sandbox, "ann"), person(sandbox, "bob")
    sandbox.add_member(group, ann)
    sandbox.assign_group(app_id, group)
    sandbox.assign_user(app_id, bob)
    switch_provisioning_on(sandbox, app_id, talend)
    users = f"/api/v1/apps/{app_id}/users"

    assert okta.delete(f"{users}/{bob}").status_code == 204
    assert okta.post(users, json={"id": bob, "scope": "USER"}).status_code == 200
    assert okta.post(users, json={"id": ann, "scope": "USER"}).json()["scope"] == "USER"
    assert okta.delete(f"{users}/{ann}").status_code == 204
    sandbox.sync()

    talend_users = scim_users(scim)
    assert sorted(talend_users) == ["ann", "bob"]
    readback = {user["id"]: user for user in okta.get(users).json()}
    assert (readback[ann]["scope"], readback[bob]["scope"]) == ("GROUP", "USER")
    assert readback[ann]["externalId"] == talend_users["ann"]["id"]
    assert readback[ann]["status"] == readback[bob]["status"] == "PROVISIONED"


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
