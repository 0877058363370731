"""The program under Pulumi's mock runtime: every property Talend's procedure asks for, for many stack configs."""

from __future__ import annotations

import pulumi
import pytest

from talend_okta.definition import REGIONS
from tests.stack import harness
from tests.stack.harness import CANARY_TOKEN, RunStack, StackRun, base_config, group_id, unwrap_secret

SAML = "okta:app/saml:Saml"
CONNECTION = "okta:app/connection:Connection"
FEATURES = "okta:app/features:Features"
ASSIGNMENTS = "pulumi-python:dynamic/talend:GroupAssignments"
PUSHES = "pulumi-python:dynamic/talend:PushGroups"


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
    assert {r.typ for r in children} == {SAML, CONNECTION, FEATURES, ASSIGNMENTS, PUSHES}
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
    assert len(run.of_type(ASSIGNMENTS)) == 1
    assert run.outputs["provisioning"]["manage"] is False


def test_groups_assigned_with_priority_and_pushed_when_asked(run_stack: RunStack) -> None:
    groups = [
        {"name": "Talend Developers", "push": True, "priority": 1},
        {"name": "Talend Operators", "priority": 5},
        {"name": "Talend Viewers"},
    ]
    run = run_stack(base_config(groups=groups))

    # All groups are read in one Okta search, Okta groups of exactly these names (talend_okta.group_names).
    assert run.mocks.group_reads == [
        'type eq "OKTA_GROUP" and (profile.name eq "Talend Developers" or profile.name eq "Talend Operators" '
        'or profile.name eq "Talend Viewers")'
    ]
    # One resource for every assignment, one for every push mapping: each reads Okta in one paged request.
    assignments = run.one(ASSIGNMENTS)
    assert assignments.name == "talend-assignments"
    assert assignments.inputs["appId"] == "0oa-talend"
    assert assignments.inputs["oktaUrl"] == "https://acme.okta.com"
    # by name too, so a preview shows which group a change unassigns
    assert assignments.inputs["groups"] == [
        {"name": "Talend Developers", "groupId": group_id("Talend Developers"), "priority": 1},
        {"name": "Talend Operators", "groupId": group_id("Talend Operators"), "priority": 5},
        {"name": "Talend Viewers", "groupId": group_id("Talend Viewers")},  # no priority: Okta chooses
    ]
    pushes = run.one(PUSHES)
    assert pushes.name == "talend-push-groups"
    assert pushes.inputs["appId"] == "0oa-talend"
    assert pushes.inputs["groups"] == [{"name": "Talend Developers", "groupId": group_id("Talend Developers")}]

    assert run.outputs["assignedGroups"] == {g["name"]: group_id(g["name"]) for g in groups}
    assert run.outputs["pushedGroups"] == {"Talend Developers": group_id("Talend Developers")}


def test_no_groups_is_allowed(run_stack: RunStack) -> None:
    run = run_stack(base_config(groups=[]))
    assert run.of_type(ASSIGNMENTS) == []
    assert run.of_type(PUSHES) == []
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


def test_renamed_group_keeps_its_assignment_and_push(run_stack: RunStack, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keyed by the Okta group id: a group renamed in Okta and then in the config is the same assignment and the same
    push mapping, under the same resources (the per-group resources of earlier releases needed formerNames)."""
    before = run_stack(base_config(groups=[{"name": "Talend Developers", "push": True}, {"name": "Talend Operators"}]))
    developers = group_id("Talend Developers")
    monkeypatch.setattr(harness, "group_id", lambda name: developers if name == "Talend Devs" else group_id(name))
    after = run_stack(base_config(groups=[{"name": "Talend Devs", "push": True}, {"name": "Talend Operators"}]))
    assert sorted(after.urns()) == sorted(before.urns())
    assert [g["groupId"] for g in after.one(ASSIGNMENTS).inputs["groups"]] == [developers, group_id("Talend Operators")]
    assert after.one(PUSHES).inputs["groups"] == [{"name": "Talend Devs", "groupId": developers}]
    assert after.monitor.alias_urns("talend-assignments") == []


def test_a_group_name_resolves_only_to_the_okta_group_of_exactly_that_name(
    run_stack: RunStack, runs: list[StackRun]
) -> None:
    """`Talend Operator` is not `Talend Operators`, nor is a name shared by two Okta groups: one line, before any
    resource, naming the group and the close matches (preflight says the same, talend_okta.group_names)."""
    okta_groups = [
        ("Talend Operators", "OKTA_GROUP"),
        ("Talend Developers", "OKTA_GROUP"),
        ("Talend Developers", "OKTA_GROUP"),
        ("Talend Viewers", "APP_GROUP"),
    ]
    config = base_config(groups=[{"name": n} for n in ("Talend Operator", "Talend Developers", "Talend Viewers")])
    with pytest.raises(pulumi.RunError) as raised:
        run_stack(config, okta_groups=okta_groups)
    developers = f"{group_id('Talend Developers')}, {group_id('Talend Developers')}1"
    assert str(raised.value) == (
        "talend-okta:groups: group 'Talend Operator': no Okta group (type OKTA_GROUP) has exactly this name; "
        "close matches: 'Talend Operators'; "
        f"group 'Talend Developers': 2 Okta groups have exactly this name ({developers}); rename all but one in Okta; "
        "group 'Talend Viewers': no Okta group (type OKTA_GROUP) has exactly this name"
    )
    # Only the component (nothing in Okta): no app, no assignment.
    assert [r.typ for r in runs[-1].mocks.resources] == ["talend-okta:index:TalendCloudApp"]
    assert len(runs[-1].mocks.group_reads) == 2  # the names in one search; the Okta groups once, for close matches
