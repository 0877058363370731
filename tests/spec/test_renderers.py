"""The two renderings of the spec agree, field by field: the Pulumi component (under Pulumi's mock runtime) and the
sandbox's REST deploy (the Okta API bodies it sends).

Each table below maps every field of a spec type to where each renderer puts it; a field added to the spec without
a row here fails `test_every_spec_field_is_compared`, and a renderer that drops or changes one fails the comparison.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from talend_okta.settings import StackSettings, load_settings
from talend_okta.spec import (
    AppSpec,
    AttributeStatement,
    GroupSpec,
    PasswordSync,
    ProvisioningSpec,
    RoleMappingSpec,
    SamlSpec,
    app_spec,
    stack_outputs,
)
from talend_okta_sandbox import deploy
from tests.stack.harness import CANARY_TOKEN, RunStack, StackRun, base_config, group_id, unwrap_secret

SAML = "okta:app/saml:Saml"
CONNECTION = "okta:app/connection:Connection"
FEATURES = "okta:app/features:Features"
EXAMPLE_OKTA_URL = "https://acme.okta.com"  # the org tests.stack.conftest points the program at
ASSIGNMENTS = "pulumi-python:dynamic/talend:GroupAssignments"
PUSHES = "pulumi-python:dynamic/talend:PushGroups"
ROLE_MAPPINGS = "pulumi-python:dynamic/talend:RoleMappings"
API_TOKEN = "canary-talend-api-spec-2c9e"

# SamlSpec field → [(REST body path, pulumi-okta input)]. `status`: the REST deploy creates the app with
# `?activate=true` (see deploy.deploy), the component declares status ACTIVE; both are checked below.
SAML_FIELDS: dict[str, list[tuple[tuple[str, ...], str]]] = {
    "label": [(("label",), "label")],
    "sso_url": [
        (("settings", "signOn", "ssoAcsUrl"), "ssoUrl"),
        (("settings", "signOn", "recipient"), "recipient"),
        (("settings", "signOn", "destination"), "destination"),
        (("settings", "signOn", "audience"), "audience"),
    ],
    "subject_name_id_template": [(("settings", "signOn", "subjectNameIdTemplate"), "subjectNameIdTemplate")],
    "subject_name_id_format": [(("settings", "signOn", "subjectNameIdFormat"), "subjectNameIdFormat")],
    "authn_context_class_ref": [(("settings", "signOn", "authnContextClassRef"), "authnContextClassRef")],
    "response_signed": [(("settings", "signOn", "responseSigned"), "responseSigned")],
    "assertion_signed": [(("settings", "signOn", "assertionSigned"), "assertionSigned")],
    "signature_algorithm": [(("settings", "signOn", "signatureAlgorithm"), "signatureAlgorithm")],
    "digest_algorithm": [(("settings", "signOn", "digestAlgorithm"), "digestAlgorithm")],
    "user_name_template": [(("credentials", "userNameTemplate", "template"), "userNameTemplate")],
    "user_name_template_type": [(("credentials", "userNameTemplate", "type"), "userNameTemplateType")],
    "attribute_statements": [(("settings", "signOn", "attributeStatements"), "attributeStatements")],
    "status": [],
}
# ProvisioningSpec field → where each renderer puts it: (REST body, its path) and the pulumi-okta (type, input path).
PROVISIONING_FIELDS: dict[str, tuple[str, tuple[str, ...], str, tuple[str, ...]]] = {
    "scim_base_url": ("connection", ("baseUrl",), CONNECTION, ("baseUrl",)),
    "token": ("connection", ("profile", "token"), CONNECTION, ("profile", "token")),
    "auth_scheme": ("connection", ("profile", "authScheme"), CONNECTION, ("profile", "authScheme")),
    "create_users": (
        "features",
        ("create", "lifecycleCreate", "status"),
        FEATURES,
        ("capabilities", "create", "lifecycleCreate", "status"),
    ),
    "update_user_attributes": (
        "features",
        ("update", "profile", "status"),
        FEATURES,
        ("capabilities", "update", "profile", "status"),
    ),
    "deactivate_users": (
        "features",
        ("update", "lifecycleDeactivate", "status"),
        FEATURES,
        ("capabilities", "update", "lifecycleDeactivate", "status"),
    ),
    "password_sync": ("features", ("update", "password"), FEATURES, ("capabilities", "update", "password")),
    "feature": ("path", (), FEATURES, ("name",)),  # REST: PUT /apps/{id}/features/<feature>
}
# GroupSpec fields: name (the look-up by name), priority (the assignment), push (a push mapping), former_names
# (Pulumi aliases: state only, nothing the REST deploy has to send).
GROUP_FIELDS = {"name", "priority", "push", "former_names"}
ROLE_FIELDS = {"api_url": "apiUrl", "api_token": "apiToken", "mappings": "mappings"}
SPEC_FIELDS = {"saml", "scim_base_url", "provisioning_settings", "provisioning", "groups", "role_mappings"}


def test_every_spec_field_is_compared() -> None:
    assert {f.name for f in fields(SamlSpec)} == set(SAML_FIELDS)
    assert {f.name for f in fields(ProvisioningSpec)} == set(PROVISIONING_FIELDS)
    assert {f.name for f in fields(GroupSpec)} == GROUP_FIELDS
    assert {f.name for f in fields(RoleMappingSpec)} == set(ROLE_FIELDS)
    assert {f.name for f in fields(AppSpec)} == SPEC_FIELDS
    assert {f.name for f in fields(AttributeStatement)} == {"name", "type", "values", "filter_type", "filter_value"}
    assert {f.name for f in fields(PasswordSync)} == {"status", "seed", "change"}


CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": base_config(),
    "everything": base_config(
        region="us-west",
        accountId="1a2b3c4d-5e6f",
        appLabel="Talend Cloud (prod)",
        talendApiToken=API_TOKEN,
        groups=[
            {"name": "Talend Developers", "push": True, "priority": 1, "talendRoles": ["Operator", "API Designer"]},
            {"name": "Talend Operators", "priority": 7, "formerNames": ["Ops"]},
            {"name": "R&D (EU).*", "push": True, "talendRoles": ["Operator"]},
        ],
        provisioning={"createUsers": True, "updateUserAttributes": False, "deactivateUsers": False},
    ),
    "provisioning by hand": base_config(
        region="ap", provisioning={"manage": False}, groups=[{"name": "Contractors", "push": True}]
    ),
}


def at(body: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        body = body[key]
    return body


def statement(raw: dict[str, Any]) -> dict[str, Any]:
    """An attribute statement as Okta stores it: the type EXPRESSION unless given, the unspecified name format
    (pulumi-okta's default namespace, which the REST deploy sends explicitly), no empty fields."""
    normalized = {"type": "EXPRESSION", "namespace": deploy.UNSPECIFIED_NAMESPACE, **raw}
    return {key: value for key, value in normalized.items() if value not in (None, [])}


@pytest.fixture(params=list(CONFIGS), ids=list(CONFIGS))
def rendered(request: pytest.FixtureRequest, run_stack: RunStack) -> tuple[AppSpec, StackRun]:
    config = CONFIGS[request.param]
    settings: StackSettings = load_settings(config)
    return app_spec(settings), run_stack(config)


def test_saml_app_agrees(rendered: tuple[AppSpec, StackRun]) -> None:
    spec, run = rendered
    rest = deploy.saml_app_body(spec)
    pulumi_app = run.one(SAML).inputs
    for field_name, places in SAML_FIELDS.items():
        for rest_path, pulumi_key in places:
            rest_value, pulumi_value = at(rest, rest_path), pulumi_app[pulumi_key]
            if field_name == "attribute_statements":
                rest_value = [statement(s) for s in rest_value]
                pulumi_value = [statement(s) for s in pulumi_value]
                expected = [
                    statement(
                        {
                            "name": s.name,
                            "type": s.type,
                            "values": list(s.values),
                            "filterType": s.filter_type,
                            "filterValue": s.filter_value,
                        }
                    )
                    for s in spec.saml.attribute_statements
                ]
            else:
                expected = getattr(spec.saml, field_name)
            assert rest_value == pulumi_value == expected, field_name
    assert pulumi_app["status"] == spec.saml.status == "ACTIVE"  # the REST deploy: POST /apps?activate=true
    assert rest["signOnMode"] == "SAML_2_0"
    assert "preconfiguredApp" not in pulumi_app  # both a custom SAML 2.0 app


def test_provisioning_agrees(rendered: tuple[AppSpec, StackRun]) -> None:
    spec, run = rendered
    if spec.provisioning is None:
        assert run.of_type(CONNECTION) == run.of_type(FEATURES) == []
        return
    provisioning = spec.provisioning
    rest = {
        "connection": deploy.connection_body(provisioning),
        "features": deploy.user_provisioning_capabilities(provisioning),
    }
    for field_name, (body, rest_path, typ, pulumi_path) in PROVISIONING_FIELDS.items():
        pulumi_value = at(run.one(typ).inputs, pulumi_path[:1])
        pulumi_value, _ = unwrap_secret(pulumi_value)  # the connection profile is a secret
        pulumi_value = at(pulumi_value, pulumi_path[1:])
        expected = getattr(provisioning, field_name)
        if field_name == "token":
            expected = expected.get_secret_value()
        elif field_name in ("create_users", "update_user_attributes", "deactivate_users"):
            expected = "ENABLED" if expected else "DISABLED"
        elif field_name == "password_sync":
            expected = {"status": expected.status, "seed": expected.seed, "change": expected.change}
        rest_value = provisioning.feature if body == "path" else at(rest[body], rest_path)
        assert rest_value == pulumi_value == expected, field_name
    assert provisioning.token.get_secret_value() == CANARY_TOKEN


def test_assignments_and_push_groups_agree(rendered: tuple[AppSpec, StackRun]) -> None:
    spec, run = rendered
    assert len(run.mocks.group_reads) == (1 if spec.groups else 0)  # the REST deploy: find_group_ids, one search
    assignments = {g["groupId"]: g for g in run.one(ASSIGNMENTS).inputs["groups"]} if spec.groups else {}
    pushes = {g["groupId"] for g in run.one(PUSHES).inputs["groups"]} if spec.pushed else set()
    assert len(assignments) == len(spec.groups)
    for group in spec.groups:
        okta_id = group_id(group.name)
        pulumi_assignment = {k: v for k, v in assignments[okta_id].items() if k == "priority"}
        assert deploy.assignment_body(group) == pulumi_assignment, group.name
        assert assignments[okta_id]["name"] == group.name
        # The push groups resource sends Okta the REST deploy's body (and the group's name as the target's).
        assert (okta_id in pushes) == group.push, group.name
    assert pushes == {group_id(g.name) for g in spec.pushed}


def test_role_mappings_agree(rendered: tuple[AppSpec, StackRun]) -> None:
    spec, run = rendered
    if spec.role_mappings is None:
        assert run.of_type(ROLE_MAPPINGS) == []
        return
    rest = deploy.role_mappings_props(spec.role_mappings)
    pulumi_inputs = run.one(ROLE_MAPPINGS).inputs
    for field_name, key in ROLE_FIELDS.items():
        pulumi_value, _ = unwrap_secret(pulumi_inputs[key])
        assert rest[key] == pulumi_value, field_name
    assert rest["apiToken"] == API_TOKEN


def test_stack_outputs_agree(rendered: tuple[AppSpec, StackRun]) -> None:
    """The program exports what `stack_outputs` makes of the spec, as the REST deploy does (with its ids)."""
    spec, run = rendered
    assigned = {g.name: group_id(g.name) for g in spec.groups}
    pushed = {g.name: group_id(g.name) for g in spec.pushed}
    expected = stack_outputs(
        spec,
        app_id="0oa-talend",
        metadata_url="https://acme.okta.com/api/v1/apps/0oa-talend/sso/saml/metadata",
        assigned_groups=assigned,
        pushed_groups=pushed,
        okta_org_url=EXAMPLE_OKTA_URL,
    )
    assert run.outputs == expected
