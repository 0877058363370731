"""verify's role-mapping check against the Okta sandbox and the Talend stand-in (role API included), over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from talend_okta.roles import customer_roles_filter
from talend_okta_sandbox.talend_roles import TalendRoleRoutes, TalendRoles
from tests.conftest import sandbox_client
from tests.verify.conftest import OKTA_TOKEN, SCIM_TOKEN, USERS_GROUP, World, assert_no_secrets

API_TOKEN = "talend-api-canary-5f4e3d2c1b0a9988"  # --talend-api-token, an owner with SSO - Manage
USERS_ONLY_TOKEN = "talend-users-only-canary-0a1b2c3d"  # an owner without SSO - Manage
DECLARED = {USERS_GROUP: ["Integration Developer", "Operator"], "Talend Admins": ["Security Administrator"]}


def talend_roles(world: World) -> TalendRoleRoutes:
    routes = world.talend_faults.app
    assert isinstance(routes, TalendRoleRoutes)
    return routes


def roles(world: World) -> TalendRoles:
    return talend_roles(world).roles


def send_customer_roles(world: World, filter_value: str, *, filter_type: str = "REGEX") -> None:
    """Update the app's attribute statements over Okta's API, as pulumi-okta does for the stack."""
    with sandbox_client(base_url=world.okta_url, headers={"Authorization": f"SSWS {OKTA_TOKEN}"}, timeout=5.0) as okta:
        app = okta.get(f"/api/v1/apps/{world.app_id}").json()
        statements = [s for s in app["settings"]["signOn"]["attributeStatements"] if s["name"] != "CustomerRoles"]
        statements.append(
            {"type": "GROUP", "name": "CustomerRoles", "filterType": filter_type, "filterValue": filter_value}
        )
        body = {
            "label": app["label"],
            "signOnMode": "SAML_2_0",
            "settings": {"signOn": {"attributeStatements": statements}},
        }
        okta.put(f"/api/v1/apps/{world.app_id}", json=body).raise_for_status()


def deployed(world: World) -> None:
    """What `pulumi up` leaves: the CustomerRoles statement in Okta and the declared mappings in Talend (the
    groups exist in Okta: USERS_GROUP is the world's, the admins' group is made here)."""
    world.okta.add_group("Talend Admins")
    send_customer_roles(world, customer_roles_filter(list(DECLARED)))
    for name, mapped in DECLARED.items():
        roles(world).set_mapping(name, mapped)


def outputs(world: World, **extra: Any) -> str:
    return json.dumps({"appId": world.app_id, "roleMappings": DECLARED, **extra})


def run(world: World, *args: str, env: dict[str, str] | None = None) -> Any:
    return world.run("--stack-outputs", "-", *args, env=env, input_text=outputs(world))


def test_passes_when_talend_maps_as_declared(world: World) -> None:
    deployed(world)
    result = run(world)
    assert result.exit_code == 0, result.output
    check = result.check("role-mapping")
    assert check["ok"] is True
    assert check["detail"].startswith("Talend maps 2 customer roles as declared, to roles it has; the app sends")
    assert result.report is not None
    assert result.report["requests"]["talend-api"] >= 2
    assert "✓ role-mapping:" in result.stdout


def test_fails_on_a_mapping_changed_by_hand(world: World) -> None:
    deployed(world)
    roles(world).set_mapping(USERS_GROUP, ["Operator", "Security Administrator"])  # an admin, in TMC
    roles(world).set_mapping("Made by hand", ["API Tester"])
    result = run(world)
    assert result.exit_code == 1
    detail = result.check("role-mapping")["detail"]
    assert "'Talend Users' maps to Operator, Security Administrator in Talend, declared: Integration Developer, " in (
        detail
    )
    assert "Talend also maps 'Made by hand' to API Tester (not declared: the next deploy removes it)" in detail
    assert "✗ role-mapping:" in result.stdout
    assert result.check("user-sync")["ok"] is True  # the other checks are unaffected


def test_fails_on_a_missing_mapping_and_an_unknown_role(world: World) -> None:
    deployed(world)
    roles(world).mappings = [{"name": USERS_GROUP, "roles": ["Integration Developer", "Operator", "Root"]}]
    detail = run(world).check("role-mapping")["detail"]
    assert "'Talend Admins' is not mapped in Talend (declared: Security Administrator)" in detail
    assert "Talend has no role named 'Root'" in detail


def test_fails_when_the_app_does_not_send_customer_roles(world: World) -> None:
    world.okta.add_group("Talend Admins")
    for name, mapped in DECLARED.items():
        roles(world).set_mapping(name, mapped)
    missing = run(world)
    assert missing.exit_code == 1
    assert missing.check("role-mapping")["detail"] == "the Okta app sends no CustomerRoles attribute"

    send_customer_roles(world, "Talend", filter_type="STARTS_WITH")  # what an admin might set by hand
    detail = run(world).check("role-mapping")["detail"]
    assert detail.startswith("the Okta app's CustomerRoles is GROUP STARTS_WITH Talend, expected GROUP REGEX ^(")


def test_token_without_sso_management_fails_the_check(world: World) -> None:
    deployed(world)
    talend_roles(world).users_only = frozenset({USERS_ONLY_TOKEN})
    result = run(world, env={"TALEND_API_TOKEN": USERS_ONLY_TOKEN})
    assert result.exit_code == 1
    detail = result.check("role-mapping")["detail"]
    assert detail.startswith("Talend answered GET /security/role-mappings with 403 Forbidden")
    assert "the token's owner needs SSO - Manage (TMC_SSO_MANAGEMENT); --talend-api-token, TALEND_API_TOKEN" in detail
    assert USERS_ONLY_TOKEN not in result.output


def test_separate_api_token_is_used_and_never_shown(world: World) -> None:
    deployed(world)
    routes = talend_roles(world)
    routes.tokens = frozenset({API_TOKEN})  # role API accepts only the separate token; SCIM keeps its own
    assert run(world).check("role-mapping")["detail"].startswith("Talend answered GET /security/role-mappings with 401")
    result = run(world, env={"TALEND_API_TOKEN": API_TOKEN})
    assert result.exit_code == 0, result.output
    result = run(world, "--talend-api-token", API_TOKEN)
    assert result.exit_code == 0, result.output
    assert API_TOKEN not in result.output
    assert_no_secrets(result.output)


@pytest.mark.usefixtures("instant_retries")
def test_talend_api_url_option_and_its_errors(world: World) -> None:
    deployed(world)
    origin = world.scim_url.removesuffix("/scim/v2")
    assert run(world, "--talend-api-url", origin).exit_code == 0
    unreachable = run(world, env={"TALEND_API_URL": "http://127.0.0.1:9", "TALEND_API_TOKEN": API_TOKEN})
    assert unreachable.exit_code == 2
    assert unreachable.stderr.startswith("talend-okta: error: Talend at http://127.0.0.1:9 could not be reached")
    assert unreachable.stderr.count("\n") == 1
    assert API_TOKEN not in unreachable.output
    bad = run(world, "--talend-api-url", "http://api.eu.cloud.talend.com")
    assert bad.exit_code == 2
    assert "--talend-api-url (TALEND_API_URL): plain http:// is only allowed for loopback hosts" in bad.stderr


def test_no_role_check_without_declared_mappings(world: World) -> None:
    result = world.run("--stack-outputs", "-", input_text=json.dumps({"appId": world.app_id}))
    assert result.exit_code == 0, result.output
    assert result.report is not None
    assert [c["name"] for c in result.report["checks"]] == [
        "talend-credentials",
        "okta-provisioning",
        "user-sync",
        "group-sync",
    ]
    assert "talend-api" not in result.report["requests"]
    assert SCIM_TOKEN not in result.output


@pytest.mark.usefixtures("instant_retries")
def test_garbage_and_server_errors_from_the_role_api_fail_the_check(world: World) -> None:
    deployed(world)
    world.talend_faults.add(r"^/security/role-mappings$", 200, b"<html>maintenance</html>")
    detail = run(world).check("role-mapping")["detail"]
    assert detail == "Talend answered GET /security/role-mappings with a body that is not JSON (none)"
    world.talend_faults.add(r"^/security/role-mappings$", 503, b"", times=10)
    result = run(world)
    assert result.exit_code == 1
    assert result.check("role-mapping")["detail"].startswith(
        "Talend answered GET /security/role-mappings with 503 Fault (4 tries)"
    )
    assert result.check("user-sync")["ok"] is True


def test_a_group_spelled_otherwise_than_in_okta_fails_naming_it(world: World) -> None:
    """Okta's search finds `talend admins` as `Talend Admins` (its `eq` ignores case), but Okta matches the
    CustomerRoles filter case-sensitively: nobody in the group would get a role. The check names the group."""
    declared = {USERS_GROUP: ["Integration Developer", "Operator"], "talend admins": ["Security Administrator"]}
    world.okta.add_group("Talend Admins")
    send_customer_roles(world, customer_roles_filter(list(declared)))
    for name, mapped in declared.items():
        roles(world).set_mapping(name, mapped)

    result = world.run("--stack-outputs", "-", input_text=json.dumps({"appId": world.app_id, "roleMappings": declared}))

    assert result.exit_code == 1, result.output
    check = result.check("role-mapping")
    assert check["ok"] is False
    assert check["detail"] == (
        "the CustomerRoles filter matches no group for 'talend admins': Okta's group is 'Talend Admins', and Okta "
        "compares the names case-sensitively, so its members get no role and the stack's next preview stops (spell "
        "it as Okta does in talend-okta:groups)"
    )


def test_a_declared_group_okta_does_not_have_fails(world: World) -> None:
    declared = {USERS_GROUP: ["Operator"], "Talend Auditors": ["Operator"]}
    send_customer_roles(world, customer_roles_filter(list(declared)))
    for name, mapped in declared.items():
        roles(world).set_mapping(name, mapped)

    result = world.run("--stack-outputs", "-", input_text=json.dumps({"appId": world.app_id, "roleMappings": declared}))

    assert result.check("role-mapping")["detail"] == (
        "no Okta group is named 'Talend Auditors': nobody is sent that customer role"
    )
