"""The program under Pulumi's mock runtime: every property Talend's procedure asks for, for many stack configs."""

from __future__ import annotations

import pytest

from talend_okta.definition import REGIONS
from tests.stack.harness import CANARY_TOKEN, RunStack, base_config, group_id, unwrap_secret

SAML = "okta:app/saml:Saml"
CONNECTION = "okta:app/connection:Connection"
FEATURES = "okta:app/features:Features"
ASSIGNMENT = "okta:app/groupAssignment:GroupAssignment"
PUSH = "okta:index/pushGroup:PushGroup"


@pytest.mark.parametrize("region", REGIONS)
@pytest.mark.parametrize("account_id", [None, "1a2b3c4d-5e6f"])
def test_saml_app_follows_talend_procedure(run_stack: RunStack, region: str, account_id: str | None) -> None:
    config = base_config(region=region, **({"accountId": account_id} if account_id else {}))
    run = run_stack(config)

    app = run.one(SAML).inputs
    expected_sso = f"https://iam.{region}.cloud.talend.com/oidc/ssologin" + (f"/{account_id}" if account_id else "")
    for key in ("ssoUrl", "recipient", "destination", "audience"):
        assert app[key] == expected_sso, key
    assert app["label"] == "Talend Cloud"
    assert app["subjectNameIdFormat"] == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    assert app["subjectNameIdTemplate"] == "${user.login}"  # full Okta username, not the email-prefix app username
    assert app["userNameTemplate"] == '${fn:substringBefore(source.email, "@")}'
    assert app["userNameTemplateType"] == "BUILT_IN"
    assert app["responseSigned"] is True
    assert app["assertionSigned"] is True
    assert app["signatureAlgorithm"] == "RSA_SHA256"
    assert app["digestAlgorithm"] == "SHA256"
    assert "preconfiguredApp" not in app  # a custom SAML 2.0 app, as Talend documents
    statements = {s["name"]: s["values"] for s in app["attributeStatements"]}
    assert statements == {
        "given_name": ["user.firstName"],
        "family_name": ["user.lastName"],
        "middle_name": ["user.middleName"],
        "TalendCloudDomainName": ['"acme.eu.cloud.talend.com"'],
    }

    assert run.outputs["ssoUrl"] == expected_sso
    assert run.outputs["scimBaseUrl"] == f"https://api.{region}.cloud.talend.com/scim/v2"
    assert run.outputs["appId"] == "0oa-talend"
    assert run.outputs["metadataUrl"] == "https://acme.okta.com/api/v1/apps/0oa-talend/sso/saml/metadata"


def test_app_is_protected_and_owned_by_one_component(run_stack: RunStack) -> None:
    run = run_stack(base_config(groups=[{"name": "Talend Developers", "push": True}]))
    component = run.namespace["talend_app"]
    assert component.app._protect is True
    children = [r for r in run.mocks.resources if r.typ != "talend-okta:index:TalendCloudApp"]
    assert {r.typ for r in children} == {SAML, CONNECTION, FEATURES, ASSIGNMENT, PUSH}
    assert len(run.of_type("talend-okta:index:TalendCloudApp")) == 1
    component_type = "talend-okta:index:TalendCloudApp"
    child_urns = [urn for urn in run.urns() if not urn.endswith(f"{component_type}::talend")]
    assert len(child_urns) == len(children)
    assert all(f"::{component_type}$" in urn for urn in child_urns), child_urns


@pytest.mark.parametrize("region", REGIONS)
def test_provisioning_connection_and_features(run_stack: RunStack, region: str) -> None:
    run = run_stack(base_config(region=region))
    connection = run.one(CONNECTION).inputs
    assert connection["idProperty"] == "0oa-talend"
    assert connection["baseUrl"] == f"https://api.{region}.cloud.talend.com/scim/v2"
    assert connection["action"] == "activate"
    profile, _ = unwrap_secret(connection["profile"])
    assert profile == {"authScheme": "TOKEN", "token": CANARY_TOKEN}

    features = run.one(FEATURES).inputs
    assert features["appId"] == "0oa-talend"
    assert features["name"] == "USER_PROVISIONING"
    capabilities = features["capabilities"]
    assert capabilities["create"]["lifecycleCreate"]["status"] == "ENABLED"
    assert capabilities["update"]["profile"]["status"] == "ENABLED"
    assert capabilities["update"]["lifecycleDeactivate"]["status"] == "ENABLED"
    assert run.outputs["provisioning"] == {
        "manage": True,
        "createUsers": True,
        "updateUserAttributes": True,
        "deactivateUsers": True,
        "assignBeforeProvisioning": False,
    }


def test_provisioning_switches_follow_settings(run_stack: RunStack) -> None:
    settings = {"createUsers": True, "updateUserAttributes": False, "deactivateUsers": False}
    run = run_stack(base_config(provisioning=settings))
    capabilities = run.one(FEATURES).inputs["capabilities"]
    assert capabilities["create"]["lifecycleCreate"]["status"] == "ENABLED"
    assert capabilities["update"]["profile"]["status"] == "DISABLED"
    assert capabilities["update"]["lifecycleDeactivate"]["status"] == "DISABLED"


def test_manage_false_declares_no_provisioning(run_stack: RunStack) -> None:
    run = run_stack(base_config(provisioning={"manage": False}, groups=[{"name": "Talend Operators"}]))
    assert run.of_type(CONNECTION) == []
    assert run.of_type(FEATURES) == []
    assert len(run.of_type(SAML)) == 1
    assert len(run.of_type(ASSIGNMENT)) == 1
    assert run.outputs["provisioning"]["manage"] is False


def test_groups_assigned_with_priority_and_pushed_when_asked(run_stack: RunStack) -> None:
    groups = [
        {"name": "Talend Developers", "push": True, "priority": 1},
        {"name": "Talend Operators", "priority": 5},
        {"name": "Talend Viewers"},
    ]
    run = run_stack(base_config(groups=groups))

    # Each group is looked up once by name; invokes resolve concurrently, so the order is not part of the contract.
    assert sorted(run.mocks.group_lookups) == ["Talend Developers", "Talend Operators", "Talend Viewers"]
    assignments = {r.inputs["groupId"]: r for r in run.of_type(ASSIGNMENT)}
    assert set(assignments) == {group_id(g["name"]) for g in groups}
    assert all(r.inputs["appId"] == "0oa-talend" for r in assignments.values())
    assert assignments[group_id("Talend Developers")].inputs["priority"] == 1
    assert assignments[group_id("Talend Operators")].inputs["priority"] == 5
    assert "priority" not in assignments[group_id("Talend Viewers")].inputs
    # resource names say which group, so a preview shows which group a change unassigns
    assert assignments[group_id("Talend Viewers")].name == "talend-assign-Talend Viewers"

    push = run.one(PUSH).inputs
    assert push["appId"] == "0oa-talend"
    assert push["sourceGroupId"] == group_id("Talend Developers")
    assert push["status"] == "ACTIVE"
    assert push["deleteTargetGroupOnDestroy"] is False

    assert run.outputs["assignedGroups"] == {g["name"]: group_id(g["name"]) for g in groups}
    assert run.outputs["pushedGroups"] == {"Talend Developers": group_id("Talend Developers")}


def test_no_groups_is_allowed(run_stack: RunStack) -> None:
    run = run_stack(base_config(groups=[]))
    assert run.of_type(ASSIGNMENT) == []
    assert run.of_type(PUSH) == []
    assert run.outputs["assignedGroups"] == {}


def test_custom_label(run_stack: RunStack) -> None:
    run = run_stack(base_config(appLabel="Talend Cloud (EU prod)"))
    assert run.one(SAML).inputs["label"] == "Talend Cloud (EU prod)"
    assert run.outputs["appLabel"] == "Talend Cloud (EU prod)"


@pytest.mark.parametrize(
    ("okta_config", "expected"),
    [
        ({"orgName": "acme", "baseUrl": "okta.com"}, "https://acme.okta.com"),
        ({"httpProxy": "http://127.0.0.1:8080/"}, "http://127.0.0.1:8080"),
    ],
)
def test_okta_org_url_exported_for_verify(run_stack: RunStack, okta_config: dict[str, str], expected: str) -> None:
    run = run_stack(base_config(), okta_config=okta_config)
    assert run.outputs["oktaOrgUrl"] == expected


def test_token_is_secret_and_never_exported(run_stack: RunStack) -> None:
    run = run_stack(base_config(groups=[{"name": "Talend Developers", "push": True}]))
    for name, value in run.outputs.items():
        assert CANARY_TOKEN not in repr(value), name
    # the token reaches the connection only as a Pulumi secret, so state holds it encrypted
    profile, is_secret = unwrap_secret(run.one(CONNECTION).inputs["profile"])
    assert is_secret
    assert profile["token"] == CANARY_TOKEN
    for resource in run.mocks.resources:
        if resource.typ != CONNECTION:
            assert CANARY_TOKEN not in repr(resource.inputs), resource.name
    assert CANARY_TOKEN not in repr(run.namespace["settings"])


def test_renamed_group_keeps_its_assignment_and_push(run_stack: RunStack) -> None:
    """formerNames alias the renamed resources to the ones the last deployment made: no delete, so no unassign."""
    before = run_stack(base_config(groups=[{"name": "Talend Developers", "push": True}, {"name": "Talend Operators"}]))
    old = {urn.rsplit("::", 1)[1]: urn for urn in before.urns()}

    renamed = {"name": "Talend Devs", "push": True, "formerNames": ["Talend Developers", "Talend devs"]}
    after = run_stack(base_config(groups=[renamed, {"name": "Talend Operators"}]))

    assert {r.name for r in after.of_type(ASSIGNMENT)} == {
        f"talend-assign-{g}" for g in ("Talend Devs", "Talend Operators")
    }
    assert old["talend-assign-Talend Developers"] not in after.urns()  # without the alias, the engine deletes it
    for kind in ("assign", "push"):
        was = old[f"talend-{kind}-Talend Developers"]
        expected = [was, was.replace(f"::talend-{kind}-Talend Developers", f"::talend-{kind}-Talend devs")]
        assert after.monitor.alias_urns(f"talend-{kind}-Talend Devs") == expected, kind
    assert after.monitor.alias_urns("talend-assign-Talend Operators") == []
    assert after.monitor.alias_urns("talend-app") == []
    assert after.outputs["assignedGroups"] == {
        "Talend Devs": group_id("Talend Devs"),
        "Talend Operators": group_id("Talend Operators"),
    }


def test_groups_without_former_names_have_no_aliases(run_stack: RunStack) -> None:
    run = run_stack(base_config(groups=[{"name": "Talend Developers", "push": True}]))
    assert run.monitor.alias_urns("talend-assign-Talend Developers") == []
    assert run.monitor.alias_urns("talend-push-Talend Developers") == []
