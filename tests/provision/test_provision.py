"""Provisioning stranded people through Okta's API, against the sandbox: whom it picks, whom it refuses, and that
Okta then pushes exactly them."""

from __future__ import annotations

import pytest

from talend_okta.okta_api import OktaClient
from talend_okta.provision import AppAssignments, CannotProvision, Plan, plan, provision
from talend_okta.redact import Redactor
from talend_okta.scim_api import TalendScimClient
from tests.conftest import sandbox_client
from tests.provision.conftest import OKTA_TOKEN, SCIM_TOKEN, World


def make_plan(world: World) -> Plan:
    with OktaClient(world.okta_url, OKTA_TOKEN) as okta, TalendScimClient(world.talend.scim_url, SCIM_TOKEN) as scim:
        return plan(okta, scim, world.app_id)


def stranded(world: World) -> list[str]:
    return [person.user_name for person in make_plan(world).stranded]


def test_the_plan_lists_the_stranded_only(world: World) -> None:
    assert world.talend_users() == {"dan": True}
    found = make_plan(world)
    assert [person.user_name for person in found.stranded] == ["ann", "bob", "cy"]
    assert found.refused == []


def test_provisioning_them_pushes_them_and_touches_nobody_else(world: World) -> None:
    dan_before = world.app_user("dan")
    with AppAssignments(world.okta_url, OKTA_TOKEN, redactor=Redactor()) as assignments:
        outcome = provision(assignments, make_plan(world))
    world.sandbox.sync()

    assert [person.user_name for person in outcome.provisioned] == ["ann", "bob", "cy"]
    assert (outcome.failed, outcome.skipped) == ([], [])
    assert world.talend_users() == {"ann": True, "bob": True, "cy": True, "dan": True}
    scopes = {name: world.app_user(name)["scope"] for name in ("ann", "bob", "cy")}
    assert scopes == {"ann": "GROUP", "bob": "GROUP", "cy": "USER"}  # as the stack and the admin assigned them
    assert world.app_user("dan") == dan_before  # a provisioned person is never touched
    assert stranded(world) == []


def test_someone_talend_already_holds_is_refused_by_name(world: World) -> None:
    with sandbox_client(base_url=world.talend.scim_url, headers={"Authorization": f"Bearer {SCIM_TOKEN}"}) as scim:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "Bob", "active": False}
        assert scim.post("/Users", json=body).status_code == 201
    found = make_plan(world)
    assert [person.user_name for person in found.stranded] == ["ann", "cy"]
    assert [(person.user_name, why) for person, why in found.refused] == [
        ("bob", "Talend already holds an inactive user 'bob'")
    ]


def test_a_person_provisioned_meanwhile_is_left_alone(world: World) -> None:
    found = make_plan(world)
    world.sandbox.provision_user(world.app_id, world.people["ann"])  # an admin clicked Provision User meanwhile
    world.sandbox.sync()
    before = world.app_user("ann")
    with AppAssignments(world.okta_url, OKTA_TOKEN, redactor=Redactor()) as assignments:
        outcome = provision(assignments, found)
    assert [person.user_name for person, _ in outcome.skipped] == ["ann"]
    assert "no longer stranded (status PROVISIONED" in outcome.skipped[0][1]
    assert world.app_user("ann") == before


def test_nothing_runs_while_the_app_does_not_create_users(world: World) -> None:
    world.sandbox.set_user_provisioning(world.app_id, create=False, update_profile=True, deactivate=True)
    with pytest.raises(CannotProvision, match=r"Okta does not create users for app .* To App → Create Users"):
        make_plan(world)
