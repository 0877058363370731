"""The desired state as pure data: what `app_spec` makes of settings, and the stack outputs made from it."""

from __future__ import annotations

import dataclasses

import pytest

from talend_okta.settings import load_settings
from talend_okta.spec import OUTPUT_KEYS, app_spec, stack_outputs

BASE = {"region": "eu", "domainName": "acme.eu.cloud.talend.com", "scimToken": "canary-spec-token-8d1f"}


def test_spec_of_the_defaults() -> None:
    spec = app_spec(load_settings(BASE))
    assert spec.saml.sso_url == "https://iam.eu.cloud.talend.com/oidc/ssologin"
    assert spec.saml.user_name_template == '${fn:substringBefore(source.email, "@")}'
    assert [(s.name, s.type, s.values) for s in spec.saml.attribute_statements] == [
        ("given_name", "EXPRESSION", ("user.firstName",)),
        ("family_name", "EXPRESSION", ("user.lastName",)),
        ("middle_name", "EXPRESSION", ("user.middleName",)),
        ("TalendCloudDomainName", "EXPRESSION", ('"acme.eu.cloud.talend.com"',)),
    ]
    assert spec.provisioning is not None
    assert spec.provisioning.scim_base_url == spec.scim_base_url == "https://api.eu.cloud.talend.com/scim/v2"
    assert spec.groups == ()
    assert spec.role_mappings is None
    assert spec.role_mapping_dict == {}
    assert "canary-spec-token-8d1f" not in repr(spec)  # tokens stay SecretStr


def test_customer_roles_and_role_mappings_only_with_roles() -> None:
    groups = [
        {"name": "Talend Operators", "talendRoles": ["Operator", "API Designer"]},
        {"name": "Contractors", "push": True, "priority": 3, "formerNames": ["Externals"]},
    ]
    spec = app_spec(load_settings({**BASE, "groups": groups, "talendApiToken": "canary-api-3e"}))
    (roles,) = [s for s in spec.saml.attribute_statements if s.type == "GROUP"]
    assert (roles.name, roles.filter_type, roles.filter_value) == ("CustomerRoles", "REGEX", "^(Talend Operators)$")
    assert spec.role_mappings is not None
    assert spec.role_mappings.as_dict() == {"Talend Operators": ["API Designer", "Operator"]}  # as Talend applies
    assert spec.role_mappings.api_url == "https://api.eu.cloud.talend.com"
    assert spec.role_mappings.api_token.get_secret_value() == "canary-api-3e"
    assert [(g.name, g.priority, g.push, g.former_names) for g in spec.groups] == [
        ("Talend Operators", None, False, ()),
        ("Contractors", 3, True, ("Externals",)),
    ]
    assert [g.name for g in spec.pushed] == ["Contractors"]


def test_provisioning_by_hand_declares_no_connection_but_exports_the_switches() -> None:
    spec = app_spec(load_settings({**BASE, "provisioning": {"manage": False, "deactivateUsers": False}}))
    assert spec.provisioning is None
    outputs = stack_outputs(
        spec, app_id="0oa1", metadata_url=None, assigned_groups={}, pushed_groups={}, okta_org_url=None
    )
    assert outputs["provisioning"] == {
        "manage": False,
        "createUsers": True,
        "updateUserAttributes": True,
        "deactivateUsers": False,
        "assignBeforeProvisioning": False,
    }
    assert outputs["scimBaseUrl"] == "https://api.eu.cloud.talend.com/scim/v2"


def test_spec_is_frozen() -> None:
    spec = app_spec(load_settings(BASE))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.saml.label = "Other"  # type: ignore[misc]


def test_stack_outputs_keys_and_none_left_out() -> None:
    spec = app_spec(load_settings({**BASE, "accountId": "acct-9"}))
    outputs = stack_outputs(
        spec,
        app_id="0oa1",
        metadata_url="https://x/metadata",
        assigned_groups={"A": "00g1"},
        pushed_groups={},
        okta_org_url="https://acme.okta.com",
        scim_base_url="http://127.0.0.1:1/scim/v2",
    )
    assert tuple(outputs) == OUTPUT_KEYS
    assert outputs["ssoUrl"] == "https://iam.eu.cloud.talend.com/oidc/ssologin/acct-9"
    assert outputs["scimBaseUrl"] == "http://127.0.0.1:1/scim/v2"  # the SCIM URL the deployment gave Okta
    without = stack_outputs(
        spec, app_id=None, metadata_url=None, assigned_groups=None, pushed_groups=None, okta_org_url=None
    )
    assert set(without) == {"appLabel", "ssoUrl", "scimBaseUrl", "provisioning", "roleMappings"}
