"""The policy pack's guardrails, called the way the policy SDK calls them, with passing and violating resources.

The pack module (`policy/__main__.py`) is never imported: its `PolicyPack(...)` starts a server and blocks.
Properties go through the SDK's own deserialization from Pulumi's wire format, so secret markers and unknowns
reach the policies exactly as they do under `pulumi preview --policy-pack policy`.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
)
from pulumi_policy.deserialize import (
    SPECIAL_SECRET_SIG,
    SPECIAL_SIG_KEY,
    deserialize_properties,
    serialize_properties,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE, NAME_ID_FORMAT, NAME_ID_TEMPLATE, REGIONS, scim_base_url
from tests.stack.harness import RunStack, base_config

REPO = pathlib.Path(__file__).parents[2]
TOKEN = "canary-talend-pat-policy-3b7e"  # a fake token

SAML = "okta:app/saml:Saml"
CONNECTION = "okta:app/connection:Connection"
GROUP_ASSIGNMENT = "okta:app/groupAssignment:GroupAssignment"
APP_GROUP_ASSIGNMENTS = "okta:index/appGroupAssignments:AppGroupAssignments"


def _load_policies() -> ModuleType:
    spec = importlib.util.spec_from_file_location("talend_okta_policies", REPO / "policy" / "talend_okta_policies.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("talend_okta_policies", module)
    spec.loader.exec_module(module)
    return module


policies = _load_policies()


def secret(value: Any) -> dict[str, Any]:
    """A value as Pulumi's wire format marks a secret."""
    return {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": value}


def args_for(typ: str, wire_props: dict[str, Any], *, remediation: bool = False) -> ResourceValidationArgs:
    """Arguments as `_PolicyAnalyzerServicer.Analyze` (or `.Remediate`) builds them from an engine request."""
    props = unknown_checking_proxy(deserialize_properties(wire_props, remediation))
    opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    return ResourceValidationArgs(typ, props, f"urn:pulumi:dev::talend-okta::{typ}::r", "r", opts, None)


def violations(policy: ResourceValidationPolicy, typ: str, props: dict[str, Any]) -> list[str]:
    seen: list[str] = []
    result = policy.validate(args_for(typ, props), lambda message, urn=None: seen.append(message))
    assert result is None  # synchronous validators
    return seen


def saml_props(**overrides: Any) -> dict[str, Any]:
    """The Talend app as the stack declares it (from the shared definition), with overrides."""
    props: dict[str, Any] = {
        "label": "Talend Cloud",
        "ssoUrl": "https://iam.eu.cloud.talend.com/oidc/ssologin",
        "userNameTemplate": EMAIL_PREFIX_TEMPLATE,
        "userNameTemplateType": "BUILT_IN",
        "subjectNameIdTemplate": NAME_ID_TEMPLATE,
        "subjectNameIdFormat": NAME_ID_FORMAT,
    }
    props.update(overrides)
    return {k: v for k, v in props.items() if v is not None}


def connection_props(base_url: Any = "https://api.eu.cloud.talend.com/scim/v2", profile: Any = None) -> dict[str, Any]:
    if profile is None:
        profile = secret({"authScheme": "TOKEN", "token": TOKEN})
    return {"idProperty": "0oa-talend", "baseUrl": base_url, "action": "activate", "profile": profile}


# --- Email-prefix username -------------------------------------------------------------------------------------


def test_email_prefix_username_passes() -> None:
    assert violations(policies.email_prefix_username, SAML, saml_props()) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"userNameTemplate": "${source.login}"}, "userNameTemplate must be Okta's Email prefix"),
        ({"userNameTemplate": None}, "(got None)"),
        ({"userNameTemplate": "${source.email}"}, "'${source.email}'"),
        ({"userNameTemplateType": "CUSTOM"}, "userNameTemplateType must be BUILT_IN (got 'CUSTOM')"),
        ({"userNameTemplateSuffix": ".talend"}, "userNameTemplateSuffix must be empty"),
    ],
)
def test_other_username_formats_violate(overrides: dict[str, Any], expected: str) -> None:
    found = violations(policies.email_prefix_username, SAML, saml_props(**overrides))
    assert len(found) == 1
    assert expected in found[0]


def test_username_policy_ignores_other_resources() -> None:
    assert violations(policies.email_prefix_username, CONNECTION, connection_props()) == []


# --- NameID ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("template", [NAME_ID_TEMPLATE, "${user.email}"])
def test_full_address_name_id_passes(template: str) -> None:
    assert violations(policies.name_id_not_email_prefix, SAML, saml_props(subjectNameIdTemplate=template)) == []


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (None, "subjectNameIdTemplate is unset"),
        ("", "subjectNameIdTemplate is unset"),
        ("${user.userName}", "subjectNameIdTemplate is ${user.userName}"),
        (EMAIL_PREFIX_TEMPLATE, "yields the email prefix"),
        ('${fn:substringBefore(user.email, "@")}', "yields the email prefix"),
    ],
)
def test_email_prefix_name_id_violates(template: str | None, expected: str) -> None:
    found = violations(policies.name_id_not_email_prefix, SAML, saml_props(subjectNameIdTemplate=template))
    assert len(found) == 1
    assert expected in found[0]


# --- SCIM base URL -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("region", REGIONS)
def test_talend_scim_url_of_every_region_passes(region: str) -> None:
    assert violations(policies.scim_base_url_is_talend, CONNECTION, connection_props(scim_base_url(region))) == []


def test_trailing_slash_is_accepted() -> None:
    url = "https://api.us.cloud.talend.com/scim/v2/"
    assert violations(policies.scim_base_url_is_talend, CONNECTION, connection_props(url)) == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://api.eu.cloud.talend.com/scim/v2", "must use https"),
        ("https://api.xx.cloud.talend.com/scim/v2", "is not Talend's SCIM API of a known region"),
        ("https://api.eu.cloud.talend.com.example.net/scim/v2", "is not Talend's SCIM API of a known region"),
        ("https://api.eu.cloud.talend.com/scim/v1", "is not Talend's SCIM API of a known region"),
        ("https://iam.eu.cloud.talend.com/scim/v2", "is not Talend's SCIM API of a known region"),
        ("", "baseUrl is missing"),
    ],
)
def test_other_scim_urls_violate(url: str, expected: str) -> None:
    found = violations(policies.scim_base_url_is_talend, CONNECTION, connection_props(url))
    assert len(found) == 1
    assert expected in found[0]
    if expected != "must use https":
        assert all(scim_base_url(region) in found[0] for region in REGIONS)  # names what is allowed


def test_scim_url_unknown_during_preview_is_left_to_the_sdk() -> None:
    # The SDK reports "can't run policy during preview" for an unknown value, instead of a false violation.
    with pytest.raises(UnknownValueError):
        violations(policies.scim_base_url_is_talend, CONNECTION, connection_props(UNKNOWN_STRING_VALUE))


# --- SCIM token secret (a remediation: only remediation sees secret markers) -----------------------------------


def remediate(typ: str, props: dict[str, Any]) -> Mapping[str, Any] | None:
    result = policies.scim_token_is_secret.remediate(args_for(typ, props, remediation=True))
    assert result is None or isinstance(result, Mapping)
    return result


def test_token_policy_is_a_remediation() -> None:
    assert policies.scim_token_is_secret.enforcement_level is EnforcementLevel.REMEDIATE
    assert policies.scim_token_is_secret.has_remediation()
    assert not policies.scim_token_is_secret.has_validation()


@pytest.mark.parametrize(
    "profile",
    [
        secret({"authScheme": "TOKEN", "token": TOKEN}),  # how the program sends it: the whole profile secret
        {"authScheme": "TOKEN", "token": secret(TOKEN)},
    ],
)
def test_secret_token_needs_no_remediation(profile: Any) -> None:
    assert remediate(CONNECTION, connection_props(profile=profile)) is None


def test_plaintext_token_is_made_secret() -> None:
    props = connection_props(profile={"authScheme": "TOKEN", "token": TOKEN})
    fixed = remediate(CONNECTION, props)
    assert fixed is not None
    token = fixed["profile"]["token"]
    assert isinstance(token, Secret)
    assert token.value == TOKEN
    # What goes back to the engine: the token under Pulumi's secret marker, everything else unchanged.
    wire = serialize_properties(fixed)
    assert wire["profile"] == {"authScheme": "TOKEN", "token": secret(TOKEN)}
    assert {k: v for k, v in wire.items() if k != "profile"} == {k: v for k, v in props.items() if k != "profile"}


def test_remediation_keeps_other_secrets_secret() -> None:
    props = connection_props(profile={"authScheme": "TOKEN", "token": TOKEN, "clientId": secret("client")})
    fixed = remediate(CONNECTION, props)
    assert fixed is not None
    assert serialize_properties(fixed)["profile"]["clientId"] == secret("client")


def test_token_policy_ignores_other_resources_and_absent_tokens() -> None:
    assert remediate(SAML, saml_props()) is None
    assert remediate(CONNECTION, connection_props(profile={"authScheme": "OAUTH2"})) is None
    assert remediate(CONNECTION, {"baseUrl": scim_base_url("eu")}) is None


# --- Group assignments -------------------------------------------------------------------------------------------


def test_group_assignment_per_group_passes() -> None:
    props = {"appId": "0oa-talend", "groupId": "00g-dev", "priority": 0}
    assert violations(policies.non_authoritative_group_assignments, GROUP_ASSIGNMENT, props) == []


def test_authoritative_group_assignments_violate() -> None:
    props = {"appId": "0oa-talend", "groups": [{"id": "00g-dev", "priority": 0}]}
    found = violations(policies.non_authoritative_group_assignments, APP_GROUP_ASSIGNMENTS, props)
    assert len(found) == 1
    assert "deactivates those people in Talend" in found[0]


# --- The pack as a whole -----------------------------------------------------------------------------------------


def test_pack_lists_every_policy_once() -> None:
    names = [p.name for p in policies.POLICIES]
    assert len(names) == len(set(names)) == 5
    assert all(isinstance(p, ResourceValidationPolicy) for p in policies.POLICIES)
    main = (REPO / "policy" / "__main__.py").read_text()
    assert "PolicyPack(" in main
    assert "policies=POLICIES" in main


def test_the_stack_program_passes_every_policy(run_stack: RunStack) -> None:
    """The real `stack/` program's resources (under Pulumi's mock runtime) pass the pack unchanged."""
    run = run_stack(base_config(groups=[{"name": "Talend Developers", "push": True}, {"name": "Talend Operators"}]))
    resources = [(r.typ, dict(r.inputs)) for r in run.mocks.resources]
    assert {SAML, CONNECTION, "pulumi-python:dynamic/talend:GroupAssignments"} <= {typ for typ, _ in resources}
    for typ, props in resources:
        for policy in policies.POLICIES:
            if policy.has_validation():
                assert violations(policy, typ, props) == [], (policy.name, typ)
        assert remediate(typ, props) is None, typ  # the program already sends the token as a secret
