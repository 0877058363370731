"""Each verdict of `explain`, against the Okta sandbox and the Talend stand-in."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from talend_okta.explain.command import explain_person
from talend_okta.explain.steps import Explanation
from tests.explain.conftest import OKTA_TOKEN, SCIM_TOKEN, World


def steps(explanation: Explanation) -> dict[str, tuple[str, str]]:
    return {step.name: (step.status, step.detail) for step in explanation.steps}


def test_in_sync_names_every_step(world: World) -> None:
    ann = world.person("ann@corp.example", "ann.lee@corp.example", "Talend Developers", "Talend Operators")
    world.sync()
    result = world.explain("ann@corp.example")
    explanation = result.explanation
    assert (explanation.verdict, explanation.fix, explanation.exit_code) == ("in sync", None, 0)
    found = steps(explanation)
    assert list(found) == [
        "Okta user",
        "Assignment",
        "userName",
        "Okta provisioning",
        "Okta System Log",
        "Talend",
        "Roles",
    ]
    assert all(status == "ok" for status, _ in found.values()), found
    assert found["Okta user"][1].startswith(f"found by login: ann@corp.example ({ann}), ACTIVE")
    assert "Talend Developers (priority 1), Talend Operators (priority 2)" in found["Assignment"][1]
    assert "Talend Developers wins (priority 1)" in found["Assignment"][1]
    assert "userName ann.lee" in found["userName"][1]
    assert "PROVISIONED, syncState SYNCHRONIZED" in found["Okta provisioning"][1]
    assert "application.provision.user.push SUCCESS" in found["Okta System Log"][1]
    assert "ann.lee: active" in found["Talend"][1]
    assert "externalId matches" in found["Talend"][1]
    assert "Integration Developer, Operator" in found["Roles"][1]


def test_found_by_email_and_by_id(world: World) -> None:
    ann = world.person("ann@corp.example", "ann.lee@corp.example", "Talend Developers")
    world.sync()
    by_email = world.explain("ann.lee@corp.example").explanation
    assert steps(by_email)["Okta user"][1].startswith("found by email")
    by_id = world.explain(ann).explanation
    assert steps(by_id)["Okta user"][1].startswith("found by Okta user id")
    assert by_email.verdict == by_id.verdict == "in sync"


def test_stranded(world: World) -> None:
    bob = world.person("bob@corp.example", None, "Talend Developers")
    world.strand(bob)
    world.sync()
    explanation = world.explain("bob@corp.example").explanation
    assert explanation.verdict == "stranded: assigned before provisioning was enabled"
    assert explanation.fix is not None
    assert "talend-okta provision --stranded" in explanation.fix
    assert "Provision User" in explanation.fix
    assert explanation.exit_code == 1
    found = steps(explanation)
    assert found["Okta provisioning"][0] == "problem"
    assert "syncState DISABLED, externalId none" in found["Okta provisioning"][1]
    assert found["Talend"] == ("problem", "no Talend user named bob")


def test_push_failed_quotes_okta_then_the_fix_brings_them_in_sync(world: World) -> None:
    world.sandbox.set_connection(world.app_id, world.talend.scim_url, "a-token-talend-refuses")
    cleo = world.person("cleo@corp.example", None, "Talend Developers")
    world.sync()
    failed = world.explain("cleo@corp.example").explanation
    reason = world.sandbox.sync_error(world.app_id, cleo)
    assert reason is not None
    assert "HTTP 401" in reason
    assert failed.verdict == f"Okta push failed: {reason}"
    assert failed.exit_code == 1
    assert failed.fix is not None
    assert "Retry" in failed.fix
    found = steps(failed)
    assert found["Okta System Log"][0] == "problem"
    assert f'application.provision.user.push FAILURE "{reason}"' in found["Okta System Log"][1]
    assert f'Okta recorded "{reason}"' in found["Okta provisioning"][1]

    world.sandbox.set_connection(world.app_id, world.talend.scim_url, SCIM_TOKEN)
    world.sandbox.sync(retry_errors=True)
    fixed = world.explain("cleo@corp.example").explanation
    assert (fixed.verdict, fixed.exit_code) == ("in sync", 0)


def test_inactive_in_talend(world: World) -> None:
    world.person("dan@corp.example", None, "Talend Developers")
    world.sync()
    with world.scim() as scim:
        [user] = scim.get("/Users", params={"filter": 'userName eq "dan"'}).json()["Resources"]
        user["active"] = False
        assert scim.put(f"/Users/{user['id']}", json=user).status_code == 200
    explanation = world.explain("dan@corp.example").explanation
    assert explanation.verdict == "inactive in Talend while assigned: dan is deactivated there"
    assert explanation.exit_code == 1
    assert steps(explanation)["Talend"][0] == "problem"


def test_not_assigned_is_where_the_stack_says_when_talend_agrees(world: World) -> None:
    world.person("eve@corp.example")
    world.sync()
    explanation = world.explain("eve@corp.example").explanation
    assert explanation.verdict == "not assigned: add them to Talend Developers, Talend Guests, Talend Operators"
    assert explanation.exit_code == 0
    found = steps(explanation)
    assert found["Assignment"][0] == "problem"
    assert "in none of the stack's groups" in found["Assignment"][1]
    assert found["Talend"] == ("ok", "no Talend user named eve")


def test_active_in_talend_while_not_assigned(world: World) -> None:
    world.sandbox.set_user_provisioning(world.app_id, create=True, update_profile=True, deactivate=False)
    fay = world.person("fay@corp.example", None, "Talend Developers")
    world.sync()
    world.sandbox.remove_member(world.groups["Talend Developers"], fay)
    world.sync()
    explanation = world.explain("fay@corp.example").explanation
    assert explanation.verdict == "active in Talend while not assigned: Okta did not deactivate them"
    assert explanation.exit_code == 1


def test_someone_elses_talend_account_is_a_collision_named_with_its_owner(world: World) -> None:
    """jdoe@partner.example is not assigned; Talend's jdoe is jdoe@acme.example's. Nothing may tell anyone to
    deactivate jdoe: the fix is on the config side, before jdoe@partner.example is ever assigned."""
    owner = world.person("jdoe@acme.example", None, "Talend Developers")
    world.sync()
    world.person("jdoe@partner.example")
    explanation = world.explain("jdoe@partner.example").explanation
    assert explanation.verdict.startswith("username collision: Talend's jdoe (SCIM id ")
    assert explanation.verdict.endswith(f"is jdoe@acme.example's (externalId {owner})")
    assert "deactivate" not in (explanation.fix or "")
    assert explanation.fix is not None
    assert "before assigning jdoe@partner.example" in explanation.fix
    assert "talend-okta preflight" in explanation.fix
    assert explanation.exit_code == 1
    talend_step = steps(explanation)["Talend"]
    assert talend_step[0] == "problem"
    assert "not theirs: jdoe is jdoe@acme.example's" in talend_step[1]


def test_username_collision_names_the_other_person(world: World) -> None:
    sam = world.person("sam@corp.example", "sam@corp.example", "Talend Developers")
    other = world.person("sam@partner.example", "sam@partner.example", "Talend Operators")
    world.sync()
    explanation = world.explain("sam@corp.example").explanation
    assert explanation.verdict == f"username collision: also the username of sam@partner.example ({other}) in this app"
    assert explanation.exit_code == 1
    assert steps(explanation)["userName"][0] == "problem"
    assert sam != other


def test_username_taken_in_talend_by_someone_else(world: World) -> None:
    with world.scim() as scim:
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "gus",
            "externalId": "00uSOMEONEELSE000001",
            "active": True,
        }
        assert scim.post("/Users", json=body).status_code == 201
    gus = world.person("gus@corp.example", None, "Talend Developers")
    world.strand(gus)  # not pushed yet: Okta would link him to that user
    explanation = world.explain("gus@corp.example").explanation
    assert explanation.verdict.startswith("username collision: Talend's gus")
    assert "externalId 00uSOMEONEELSE000001" in explanation.verdict


def test_no_role(world: World) -> None:
    world.person("hal@corp.example", None, "Talend Guests")
    world.sync()
    explanation = world.explain("hal@corp.example").explanation
    assert explanation.verdict.startswith("no role: cannot sign in to Talend")
    assert explanation.exit_code == 1
    status, detail = steps(explanation)["Roles"]
    assert status == "problem"
    assert "no role: cannot sign in" in detail
    assert "CustomerRoles nothing" in detail


def test_suspended_in_okta(world: World) -> None:
    ivy = world.person("ivy@corp.example", None, "Talend Developers")
    world.sync()
    headers = {"Authorization": f"SSWS {OKTA_TOKEN}"}
    response = httpx.post(f"{world.okta_url}/api/v1/users/{ivy}/lifecycle/suspend", headers=headers)
    assert response.status_code == 200
    explanation = world.explain(ivy).explanation
    assert explanation.verdict == "suspended in Okta: cannot sign in to Talend"
    assert explanation.fix is not None
    assert "Unsuspend" in explanation.fix
    assert explanation.exit_code == 1
    assert steps(explanation)["Okta user"][0] == "problem"


def test_not_in_okta(world: World) -> None:
    explanation = world.explain("nobody@corp.example").explanation
    assert explanation.verdict == "not in Okta: no user has the id, login or email nobody@corp.example"
    assert explanation.exit_code == 1
    na = "not applicable"
    assert [s.status for s in explanation.steps] == ["problem", na, na, na, na, "ok", na]
    assert steps(explanation)["Talend"][1] == "no Talend user named nobody"  # the Email prefix of what was given


def test_deactivated_in_okta_and_in_talend_is_where_the_stack_says(world: World) -> None:
    jo = world.person("jo@corp.example", None, "Talend Developers")
    world.sync()
    response = httpx.post(
        f"{world.okta_url}/api/v1/users/{jo}/lifecycle/deactivate", headers={"Authorization": f"SSWS {OKTA_TOKEN}"}
    )
    assert response.status_code == 200
    world.sync()  # Okta unassigns a deactivated user; Deactivate Users sends active=false to Talend
    explanation = world.explain("jo@corp.example").explanation
    assert (explanation.verdict, explanation.exit_code) == ("deactivated in Okta, and not active in Talend", 0)
    status, detail = steps(explanation)["Talend"]
    assert status == "ok"
    assert detail.startswith("jo: inactive")


def test_role_mappings_talend_refuses_to_show_are_could_not_read_not_no_role(world: World) -> None:
    """The Talend API token is rejected and the stack outputs declare no mapping: explain cannot tell the roles."""
    world.person("kim@corp.example", "kim.lee@corp.example", "Talend Developers")
    world.sync()
    settings = world.settings().model_copy(
        update={"talend_api_token": SecretStr("rejected-by-talend"), "role_mappings": {}}
    )
    explanation = explain_person("kim@corp.example", settings, sleep=lambda seconds: None).explanation
    assert explanation.verdict.startswith("could not read Talend's role mappings: ")
    assert "no role" not in explanation.verdict
    assert explanation.exit_code == 2
    status, detail = steps(explanation)["Roles"]
    assert status == "problem"
    assert detail.startswith("could not read Talend's role mappings: ")
    assert "cannot sign in" not in detail


def test_a_person_without_an_email_is_told_to_get_one_not_to_be_assigned(world: World) -> None:
    """The app's username format is Email prefix: without an email Okta has no userName for them."""
    world.sandbox.add_user("lou@corp.example", None, "Lou", "Q")
    explanation = world.explain("lou@corp.example").explanation
    assert explanation.verdict == (
        "no email in Okta: the app's username format (Email prefix) needs one to give lou@corp.example a Talend "
        "userName"
    )
    assert explanation.fix == (
        "Okta Admin Console → Directory → People → lou@corp.example → Profile → Edit: set their email, then add "
        "them to Talend Developers"
    )
    assert explanation.exit_code == 0  # not assigned and not in Talend: where the stack says
    status, detail = steps(explanation)["userName"]
    assert status == "problem"
    assert detail == (
        "Okta has no username to send: lou@corp.example has no email in Okta, which the app's username format "
        "(Email prefix) needs"
    )
