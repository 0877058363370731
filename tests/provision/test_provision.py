"""Provisioning stranded people through Okta's API, against the sandbox as Okta documents it (403 E0000046 for an
individual unassignment a group overrides): whom it picks and how, whom it leaves to the Admin Console, and what
Okta holds afterwards."""

from __future__ import annotations

from collections.abc import Iterable

import httpx
import pytest

from talend_okta.http import RetryPolicy, tls_context
from talend_okta.okta_api import OktaClient
from talend_okta.pacing import PacedTransport
from talend_okta.provision import AppAssignments, CannotProvision, Outcome, Person, Plan, plan, provision
from talend_okta.redact import Redactor
from talend_okta.scim_api import TalendScimClient
from tests.conftest import sandbox_client
from tests.provision.conftest import OKTA_TOKEN, SCIM_TOKEN, World


def make_plan(world: World) -> Plan:
    with OktaClient(world.okta_url, OKTA_TOKEN) as okta, TalendScimClient(world.talend.scim_url, SCIM_TOKEN) as scim:
        return plan(okta, scim, world.app_id)


def run(world: World, found: Plan | None = None, transport: httpx.BaseTransport | None = None) -> Outcome:
    retry = RetryPolicy(attempts=2, backoff=0.01)
    options = {"transport": transport} if transport else {}
    with AppAssignments(world.okta_url, OKTA_TOKEN, redactor=Redactor(), retry=retry, **options) as assignments:
        return provision(assignments, found or make_plan(world))


def talend_holds(world: World, user_name: str, active: bool = True) -> None:
    with sandbox_client(base_url=world.talend.scim_url, headers={"Authorization": f"Bearer {SCIM_TOKEN}"}) as scim:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, "active": active}
        assert scim.post("/Users", json=body).status_code == 201


def user_names(people: Iterable[Person | tuple[Person, str]]) -> list[str]:
    return [(item[0] if isinstance(item, tuple) else item).user_name for item in people]


def test_the_plan_assigns_cy_again_and_the_group_of_ann_and_bob(world: World) -> None:
    found = make_plan(world)
    assert user_names(found.direct) == ["cy"]
    assert [(group.name, user_names(group.members)) for group in found.groups] == [("Talend Users", ["ann", "bob"])]
    assert (found.refused, found.inactive, found.console) == ([], [], [])


def test_provisioning_keeps_every_scope_and_the_group_as_it_was(world: World) -> None:
    group_before = world.sandbox_group_assignment()
    dan_before = world.app_user("dan")
    outcome = run(world)

    assert [change.ok for change in outcome.changes] == [True, True]
    assert user_names(outcome.pushing) == ["ann", "bob", "cy"]  # read again: STAGED, Okta pushes them next
    assert (outcome.stranded, outcome.lost, outcome.failed) == ([], [], False)
    scopes = {name: world.app_user(name)["scope"] for name in ("ann", "bob", "cy")}
    assert scopes == {"ann": "GROUP", "bob": "GROUP", "cy": "USER"}  # nobody's scope changed
    assert world.sandbox_group_assignment() == group_before  # same priority and profile
    assert world.app_user("dan") == dan_before  # a provisioned person is never touched
    world.sandbox.sync()
    assert world.talend_users() == {"ann": True, "bob": True, "cy": True, "dan": True}
    assert make_plan(world).stranded == 0


def give_cy_the_app_username(world: World, user_name: str) -> None:
    with sandbox_client(base_url=world.okta_url, headers={"Authorization": f"SSWS {OKTA_TOKEN}"}) as okta:
        url = f"/api/v1/apps/{world.app_id}/users/{world.people['cy']}"
        assert okta.post(url, json={"credentials": {"userName": user_name}}).status_code == 200


def test_a_custom_app_username_is_sent_again(world: World) -> None:
    """cy's app username is cy.ext; Talend holds `cy`, someone else's account. The new assignment keeps cy.ext, so
    Okta never links to (and overwrites) that other account."""
    give_cy_the_app_username(world, "cy.ext")
    talend_holds(world, "cy")
    found = make_plan(world)
    assert user_names(found.direct) == ["cy.ext"]
    run(world, found)
    world.sandbox.sync()
    assert world.app_user("cy")["credentials"] == {"userName": "cy.ext"}
    assert world.talend_users() == {"ann": True, "bob": True, "cy": True, "cy.ext": True, "dan": True}


def test_talend_holding_the_username_to_be_sent_is_refused_by_the_one_rule(world: World) -> None:
    give_cy_the_app_username(world, "cy.ext")
    talend_holds(world, "CY.EXT", active=False)  # one userName to Talend (user_names.user_name_key)
    found = make_plan(world)
    assert found.direct == []
    assert [(person.user_name, why) for person, why in found.refused] == [
        ("cy.ext", "Talend already holds an inactive user 'cy.ext'")
    ]


class LoseTheFirstDeleteAnswer(httpx.BaseTransport):
    """Sends every request to the sandbox; the first app-user DELETE reaches Okta, but its answer is lost."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport(verify=tls_context())
        self.lost = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method == "DELETE" and "/users/" in request.url.path and not self.lost:
            self.lost = True
            response.read()
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def test_a_delete_whose_answer_was_lost_counts_as_done_and_the_assignment_follows(world: World) -> None:
    losing = LoseTheFirstDeleteAnswer()
    outcome = run(world, transport=PacedTransport(losing))
    assert losing.lost
    assert all(change.ok for change in outcome.changes), [change.lines() for change in outcome.changes]
    assert world.app_user("cy")["status"] == "STAGED"
    assert "cy" in user_names(outcome.pushing)


def test_a_group_with_a_provisioned_member_is_left_to_the_admin_console(world: World) -> None:
    world.sandbox.add_member(world.group_id, world.people["dan"])  # dan, provisioned, is in Talend Users too
    before = {name: world.app_user(name) for name in ("ann", "bob")}
    found = make_plan(world)
    assert found.groups == []
    assert [(person.user_name, why) for person, why in found.console] == [
        ("ann", "dan in Talend Users is also assigned through Talend Admins"),
        ("bob", "dan in Talend Users is also assigned through Talend Admins"),
    ]
    run(world, found)
    assert {name: world.app_user(name) for name in ("ann", "bob")} == before


def test_a_group_whose_member_talend_holds_is_not_assigned_again(world: World) -> None:
    talend_holds(world, "bob")
    found = make_plan(world)
    assert found.groups == []
    assert user_names(found.refused) == ["bob"]
    assert [(person.user_name, why) for person, why in found.console] == [
        ("ann", "group Talend Users: Talend already holds an active user 'bob'")
    ]


def test_someone_assigned_directly_and_through_a_group_is_never_unassigned(world: World) -> None:
    world.sandbox.add_member(world.group_id, world.people["cy"])  # cy: direct (scope USER) and through the group
    found = make_plan(world)
    assert found.direct == []
    assert ("cy", "also assigned through Talend Users: Okta refuses to unassign them (E0000046)") in [
        (person.user_name, why) for person, why in found.console
    ]
    assert found.groups == []  # cy in the group is assigned directly too: assigning the group again would not help


def test_only_active_okta_users_are_touched(world: World) -> None:
    with sandbox_client(base_url=world.okta_url, headers={"Authorization": f"SSWS {OKTA_TOKEN}"}) as okta:
        assert okta.post(f"/api/v1/users/{world.people['cy']}/lifecycle/suspend").status_code == 200
    before = world.app_user("cy")
    found = make_plan(world)
    assert [(person.user_name, why) for person, why in found.inactive] == [("cy", "Okta user SUSPENDED: left alone")]
    run(world, found)
    assert world.app_user("cy") == before


def test_an_assignment_that_fails_after_the_unassign_is_named_first_with_how_to_restore_it(world: World) -> None:
    found = make_plan(world)
    found.groups = []
    world.sandbox.inject_fault("POST", rf"/apps/{world.app_id}/users$", 500, times=10)  # assign, and its undo
    outcome = run(world, found)
    change = outcome.changes[0]
    assert change.without_access == ["cy"]
    lines = change.lines()
    assert lines[0] == "NOW WITHOUT ACCESS: cy (provision cy failed part way)"
    assert lines[1].startswith("  restore: Okta Admin Console → Applications → Applications → Talend Cloud → ")
    assert f'POST /api/v1/apps/{world.app_id}/users {{"id": "{world.people["cy"]}", "scope": "USER"' in lines[1]
    assert user_names(outcome.lost) == ["cy"]
    assert outcome.failed


def test_a_group_assigned_again_that_fails_is_undone(world: World) -> None:
    before = world.sandbox_group_assignment()
    world.sandbox.inject_fault("PUT", rf"/apps/{world.app_id}/groups/", 400, times=1)  # the assign; the undo works
    outcome = run(world)
    group_change = outcome.changes[0]
    assert group_change.undone == ["assign group Talend Users again"]
    assert group_change.without_access == []
    assert world.sandbox_group_assignment() == before
    assert group_change.lines()[0].startswith("assign group Talend Users again failed: assign group Talend Users")
    assert user_names(outcome.pushing) == ["ann", "bob", "cy"]  # the undo assigned the group again: read back
    assert outcome.failed


def test_nothing_runs_while_the_app_does_not_create_users(world: World) -> None:
    world.sandbox.set_user_provisioning(world.app_id, create=False, update_profile=True, deactivate=True)
    with pytest.raises(CannotProvision, match=r"Okta does not create users for app .* To App → Create Users"):
        make_plan(world)


def test_a_username_changed_since_the_plan_is_left_alone_and_said(world: World) -> None:
    """The userName checked against Talend is the one that would be sent: if it changed meanwhile, nothing is written
    for that person, and the read again says they are still stranded."""
    found = make_plan(world)
    give_cy_the_app_username(world, "cy.new")
    before = world.app_user("cy")
    outcome = run(world, found)
    assert world.app_user("cy") == before
    assert [(person.user_name, why) for person, why in outcome.stranded] == [("cy", "still stranded")]
    assert outcome.failed
