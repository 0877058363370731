"""The demo's deploy over the Okta API (sandbox/deploy.py): what TalendCloudApp declares, read back over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE
from talend_okta.settings import StackSettings, load_settings
from talend_okta_sandbox.deploy import DeployError, OktaAdmin, deploy
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.talend import RunningTalend
from tests.sandbox.conftest import API_TOKEN, SCIM_TOKEN, scim_groups, scim_users


def settings(**overrides: Any) -> StackSettings:
    raw = {
        "region": "eu",
        "accountId": "acct-1",
        "domainName": "acme.eu.cloud.talend.com",
        "scimToken": SCIM_TOKEN,
        "groups": [{"name": "Talend Developers", "push": True, "priority": 1}, {"name": "Talend Operators"}],
        "provisioning": {"deactivateUsers": False},
    }
    return load_settings({**raw, **overrides})


def test_deploy_creates_what_the_stack_declares(talend: RunningTalend, scim: httpx.Client) -> None:
    sandbox = OktaSandbox(API_TOKEN, scim_timeout=5.0, provisioning_api="supported")  # the optimistic path
    developers = sandbox.add_group("Talend Developers")
    operators = sandbox.add_group("Talend Operators")
    sandbox.add_group("Talend Developers (old)")  # `q` matches it too: only the exact name may be assigned
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.add_member(developers, ann)
    calls: list[str] = []

    with sandbox.serve() as base_url, OktaAdmin(base_url, API_TOKEN, log=calls.append) as okta:
        deployed = deploy(okta, settings(), scim_base_url=talend.scim_url)
        app_id = deployed.app_id
        app = okta.call("GET", f"/api/v1/apps/{app_id}")
        connection = okta.call("GET", f"/api/v1/apps/{app_id}/connections/default")
        feature = okta.call("GET", f"/api/v1/apps/{app_id}/features/USER_PROVISIONING")
        groups = {g["id"]: g["priority"] for g in okta.call("GET", f"/api/v1/apps/{app_id}/groups")}
        mappings = okta.call("GET", f"/api/v1/apps/{app_id}/group-push/mappings")

    assert (app["label"], app["signOnMode"], app["status"]) == ("Talend Cloud", "SAML_2_0", "ACTIVE")
    assert app["credentials"]["userNameTemplate"] == {"template": EMAIL_PREFIX_TEMPLATE, "type": "BUILT_IN"}
    sign_on = app["settings"]["signOn"]
    sso = "https://iam.eu.cloud.talend.com/oidc/ssologin/acct-1"
    assert [sign_on[k] for k in ("ssoAcsUrl", "recipient", "destination", "audience")] == [sso] * 4
    assert sign_on["subjectNameIdTemplate"] == "${user.login}"
    statements = {s["name"]: s["values"] for s in sign_on["attributeStatements"]}
    assert statements["TalendCloudDomainName"] == ['"acme.eu.cloud.talend.com"']
    assert (connection["status"], connection["baseUrl"]) == ("ENABLED", talend.scim_url)
    capabilities = feature["capabilities"]
    assert capabilities["create"]["lifecycleCreate"]["status"] == "ENABLED"
    assert capabilities["update"]["profile"]["status"] == "ENABLED"
    assert capabilities["update"]["lifecycleDeactivate"]["status"] == "DISABLED"
    assert set(groups) == {developers, operators}
    assert groups[developers] == 1
    assert [(m["sourceGroupId"], m["status"]) for m in mappings] == [(developers, "ACTIVE")]
    assert deployed.stack_outputs["pushedGroups"] == {"Talend Developers": developers}
    assert deployed.stack_outputs["assignedGroups"] == {"Talend Developers": developers, "Talend Operators": operators}
    assert deployed.stack_outputs["provisioning"]["deactivateUsers"] is False
    assert deployed.stack_outputs["oktaOrgUrl"] == base_url
    assert calls[0] == "POST /api/v1/apps?activate=true → 200"
    assert not any(SCIM_TOKEN in call or API_TOKEN in call for call in calls)

    sandbox.sync()  # what Okta then provisions
    assert scim_users(scim)["ann.lee"]["active"] is True
    assert list(scim_groups(scim)) == ["Talend Developers"]


def test_an_unknown_group_stops_the_deploy_by_name(sandbox: OktaSandbox, talend: RunningTalend) -> None:
    sandbox.add_group("Talend Developers")
    with sandbox.serve() as base_url, OktaAdmin(base_url, API_TOKEN) as okta, pytest.raises(DeployError) as caught:
        deploy(okta, settings(), scim_base_url=talend.scim_url)
    assert str(caught.value) == (
        "talend-okta:groups: group 'Talend Operators': no Okta group (type OKTA_GROUP) has exactly this name"
    )


def test_a_refused_talend_token_stops_the_deploy_like_the_stack_hook(
    sandbox: OktaSandbox, talend: RunningTalend
) -> None:
    wrong = "talend-wrong-canary-55d1"
    with sandbox.serve() as base_url, OktaAdmin(base_url, API_TOKEN) as okta, pytest.raises(DeployError) as caught:
        deploy(okta, settings(scimToken=wrong, groups=[]), scim_base_url=talend.scim_url)
    assert str(caught.value).startswith("talend-credentials: ")
    assert "401" in str(caught.value)
    assert wrong not in str(caught.value)


def test_okta_refusing_the_token_is_one_line_without_it(sandbox: OktaSandbox) -> None:
    wrong = "okta-wrong-canary-3b7e"
    with sandbox.serve() as base_url, OktaAdmin(base_url, wrong) as okta, pytest.raises(DeployError) as caught:
        deploy(okta, settings(), scim_base_url="http://127.0.0.1:9/scim/v2")
    assert str(caught.value) == "POST /api/v1/apps?activate=true: HTTP 401 Invalid token provided"


def test_deploy_sends_customer_roles_and_writes_the_role_mappings(sandbox: OktaSandbox, talend: RunningTalend) -> None:
    sandbox.add_group("Talend Developers")
    sandbox.add_group("Talend Operators")
    talend.roles.set_mapping("Made by hand", ["Operator"])
    groups = [{"name": "Talend Developers", "talendRoles": ["Integration Developer"]}, {"name": "Talend Operators"}]
    calls: list[str] = []
    with sandbox.serve() as base_url, OktaAdmin(base_url, API_TOKEN, log=calls.append) as okta:
        deployed = deploy(okta, settings(groups=groups), scim_base_url=talend.scim_url, talend_api_url=talend.api_url)
        app = okta.call("GET", f"/api/v1/apps/{deployed.app_id}")

    (customer_roles,) = [s for s in app["settings"]["signOn"]["attributeStatements"] if s["name"] == "CustomerRoles"]
    assert customer_roles["type"] == "GROUP"
    assert (customer_roles["filterType"], customer_roles["filterValue"]) == ("REGEX", "^(Talend Developers)$")
    assert talend.roles.snapshot() == {"Talend Developers": ["Integration Developer"]}  # authoritative
    assert deployed.stack_outputs["roleMappings"] == {"Talend Developers": ["Integration Developer"]}
    assert f"POST {talend.api_url}/security/role-mappings → replaced the tenant's role mappings (1)" in calls


def test_an_unknown_talend_role_stops_the_deploy_before_writing(sandbox: OktaSandbox, talend: RunningTalend) -> None:
    sandbox.add_group("Talend Developers")
    groups = [{"name": "Talend Developers", "talendRoles": ["Wizard"]}]
    with sandbox.serve() as base_url, OktaAdmin(base_url, API_TOKEN) as okta, pytest.raises(DeployError) as raised:
        deploy(okta, settings(groups=groups), scim_base_url=talend.scim_url, talend_api_url=talend.api_url)
    assert str(raised.value).startswith("talendRoles: Talend has no role named 'Wizard'; the tenant's roles are: ")
    assert talend.roles.writes == 0


def test_a_custom_saml_app_gets_its_features_and_push_groups_refused_and_the_rest_deployed(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client
) -> None:
    """The default sandbox treats the app as Okta treats a custom SAML app: like `pulumi up`, the deploy goes on
    past what Okta refuses, lists it, and writes the stack outputs; after the admin's steps, a second run pushes."""
    developers = sandbox.add_group("Talend Developers")
    operators = sandbox.add_group("Talend Operators")
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.add_member(developers, ann)

    with sandbox.serve() as base_url, OktaAdmin(base_url, API_TOKEN) as okta:
        first = deploy(okta, settings(), scim_base_url=talend.scim_url)
        app_id = first.app_id
        connection = okta.call("GET", f"/api/v1/apps/{app_id}/connections/default")
        groups = {g["id"] for g in okta.call("GET", f"/api/v1/apps/{app_id}/groups")}

        sandbox.set_connection(app_id, talend.scim_url, SCIM_TOKEN)  # the admin enables SCIM by hand, and To App
        sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=False)
        second = deploy(okta, settings(provisioning={"manage": False}), scim_base_url=talend.scim_url, app_id=app_id)
        mappings = okta.call("GET", f"/api/v1/apps/{app_id}/group-push/mappings")
        third = deploy(okta, settings(provisioning={"manage": False}), scim_base_url=talend.scim_url, app_id=app_id)

    assert [failure.split(": ", 1)[0] for failure in first.failed] == [
        "okta.app.Features",
        "okta.app.GroupAssignment Talend Developers",
        "okta.PushGroup Talend Developers",
        "okta.app.GroupAssignment Talend Operators",
    ]
    refused = [f for f in first.failed if "GroupAssignment" not in f]
    assert all("HTTP 400 Provisioning is not enabled for the app instance." in f for f in refused)
    assert first.failed[1].endswith("not created: it depends on okta.app.Features, which failed")
    assert (connection["status"], connection.get("baseUrl")) == ("UNKNOWN", None)  # accepted, and ignored
    assert groups == set()  # nobody assigned while Okta does not provision: nobody stranded
    assert first.stack_outputs["assignedGroups"] == {"Talend Developers": developers, "Talend Operators": operators}
    assert first.stack_outputs["appId"] == app_id
    assert first.stack_outputs["pushedGroups"] == {"Talend Developers": developers}  # what the stack declares
    assert (second.failed, second.app_id) == ([], app_id)
    assert [m["sourceGroupId"] for m in mappings] == [developers]
    assert third.failed == []  # a push group made by an earlier run is not created again
    sandbox.sync()
    assert scim_users(scim)["ann.lee"]["active"] is True
    assert list(scim_groups(scim)) == ["Talend Developers"]


def test_without_managed_provisioning_the_assignments_wait_for_the_admin(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client
) -> None:
    """manage: false from the start: the assignments' hook refuses until Okta creates users; nobody is stranded."""
    developers = sandbox.add_group("Talend Developers")
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.add_member(developers, ann)
    unmanaged = settings(groups=[{"name": "Talend Developers"}], provisioning={"manage": False})

    with sandbox.serve() as base_url, OktaAdmin(base_url, API_TOKEN) as okta:
        first = deploy(okta, unmanaged, scim_base_url=talend.scim_url)
        assigned_first = okta.call("GET", f"/api/v1/apps/{first.app_id}/groups")
        sandbox.set_connection(first.app_id, talend.scim_url, SCIM_TOKEN)
        sandbox.set_user_provisioning(first.app_id, create=True, update_profile=True, deactivate=True)
        second = deploy(okta, unmanaged, scim_base_url=talend.scim_url, app_id=first.app_id)
        sandbox.sync()

    (refused,) = first.failed
    assert refused.startswith('okta.app.GroupAssignment Talend Developers: before hook "okta-creates-users" failed')
    assert "Okta does not create users for app" in refused
    assert assigned_first == []
    assert second.failed == []
    assert scim_users(scim)["ann.lee"]["active"] is True
    assert sandbox.app_user(first.app_id, ann) is not None


def test_opting_in_assigns_first_and_strands(sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client) -> None:
    developers = sandbox.add_group("Talend Developers")
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.add_member(developers, ann)
    first_sso = settings(
        groups=[{"name": "Talend Developers"}], provisioning={"manage": False, "assignBeforeProvisioning": True}
    )
    with sandbox.serve() as base_url, OktaAdmin(base_url, API_TOKEN) as okta:
        first = deploy(okta, first_sso, scim_base_url=talend.scim_url)
        sandbox.set_connection(first.app_id, talend.scim_url, SCIM_TOKEN)
        sandbox.set_user_provisioning(first.app_id, create=True, update_profile=True, deactivate=True)
        sandbox.sync()
    assert first.failed == []
    assert scim_users(scim) == {}  # assigned for SSO first: stranded, as Okta does
    assert (sandbox.app_user(first.app_id, ann) or {}).get("syncState") == "DISABLED"
