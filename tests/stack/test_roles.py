"""Roles as code under Pulumi's mock runtime: the CustomerRoles statement and the Talend role-mapping resource."""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import Any

import dill
import pytest

from talend_okta.role_mapping import RoleMappingProvider
from tests.stack.harness import CANARY_TOKEN, RunStack, StackRun, base_config, unwrap_secret

SAML = "okta:app/saml:Saml"
ROLE_MAPPINGS = "pulumi-python:dynamic/talend:RoleMappings"
API_CANARY = "canary-talend-api-token-4e7d1a"


def customer_roles(run: StackRun) -> list[dict[str, Any]]:
    statements = run.one(SAML).inputs["attributeStatements"]
    return [s for s in statements if s["name"] == "CustomerRoles"]


CONFIGS: list[tuple[str, list[dict[str, Any]], dict[str, list[str]]]] = [
    (
        "one group with roles",
        [{"name": "Talend Developers", "talendRoles": ["Integration Developer", "Operator"]}],
        {"Talend Developers": ["Integration Developer", "Operator"]},
    ),
    (
        "roles on some groups only",
        [
            {"name": "Talend Operators", "talendRoles": ["Operator"]},
            {"name": "Contractors"},
            {"name": "Talend Admins", "push": True, "talendRoles": ["Security Administrator", "Project Administrator"]},
        ],
        {"Talend Operators": ["Operator"], "Talend Admins": ["Project Administrator", "Security Administrator"]},
    ),
    (
        "names with regex characters",
        [{"name": "R&D (EU).*", "talendRoles": ["API Designer"]}, {"name": "Ops+|Dev?", "talendRoles": ["API Tester"]}],
        {"R&D (EU).*": ["API Designer"], "Ops+|Dev?": ["API Tester"]},
    ),
]


@pytest.mark.parametrize(("groups", "declared"), [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS])
def test_customer_roles_statement_matches_exactly_the_role_groups(
    run_stack: RunStack, groups: list[dict[str, Any]], declared: dict[str, list[str]]
) -> None:
    run = run_stack(base_config(groups=groups))
    (statement,) = customer_roles(run)
    assert statement["type"] == "GROUP"
    assert statement["filterType"] == "REGEX"
    assert "values" not in statement
    # Okta evaluates the filter as a (Java) regex over each group name: exactly the role groups, nothing near them.
    pattern = re.compile(statement["filterValue"])
    every_group = [g["name"] for g in groups]
    assert [name for name in every_group if pattern.fullmatch(name)] == [n for n in every_group if n in declared]
    for name in declared:
        for near in (f"{name} 2", f"x{name}", name[:-1], name.upper() if name.upper() != name else name.lower()):
            assert not pattern.search(near), near


@pytest.mark.parametrize(("groups", "declared"), [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS])
def test_role_mapping_resource_declares_the_mappings(
    run_stack: RunStack, groups: list[dict[str, Any]], declared: dict[str, list[str]]
) -> None:
    run = run_stack(base_config(region="us", groups=groups))
    resource = run.one(ROLE_MAPPINGS)
    inputs = resource.inputs
    assert inputs["apiUrl"] == "https://api.us.cloud.talend.com"
    assert inputs["mappings"] == [{"name": name, "roles": declared[name]} for name in sorted(declared)]
    token, secret = unwrap_secret(inputs["apiToken"])
    assert (token, secret) == (CANARY_TOKEN, True)  # talendApiToken unset: the SCIM token
    assert resource.name == "talend-role-mappings"
    urn = next(u for u in run.urns() if u.endswith("::talend-role-mappings"))
    assert "talend-okta:index:TalendCloudApp$pulumi-python:dynamic/talend:RoleMappings" in urn
    assert run.outputs["roleMappings"] == declared


def test_preview_says_the_mappings_are_authoritative(run_stack: RunStack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    groups = [{"name": "B", "talendRoles": ["Operator"]}, {"name": "A", "talendRoles": ["API Tester"]}]
    run_stack(base_config(groups=groups))
    assert (
        "Talend role mappings are authoritative: the tenant keeps exactly A, B; any other mapping in Talend is removed"
        in caplog.messages
    )


def test_no_roles_no_statement_no_resource(run_stack: RunStack) -> None:
    run = run_stack(base_config(groups=[{"name": "Talend Developers", "push": True}, {"name": "Contractors"}]))
    assert customer_roles(run) == []
    assert run.of_type(ROLE_MAPPINGS) == []
    assert run.outputs["roleMappings"] == {}


def test_talend_api_url_from_the_environment_only_for_the_sandbox(
    run_stack: RunStack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The token goes to a loopback TALEND_API_URL only while the stack points Okta at the loopback sandbox."""
    monkeypatch.setenv("TALEND_API_URL", "http://127.0.0.1:18081")
    config = base_config(groups=[{"name": "A", "talendRoles": ["Operator"]}])
    sandbox = run_stack(config, okta_config={"httpProxy": "http://127.0.0.1:18080"})
    real_org = run_stack(config, okta_config={"orgName": "acme", "baseUrl": "okta.com"})
    assert sandbox.one(ROLE_MAPPINGS).inputs["apiUrl"] == "http://127.0.0.1:18081"
    assert real_org.one(ROLE_MAPPINGS).inputs["apiUrl"] == "https://api.eu.cloud.talend.com"
    assert any(
        m.startswith("TALEND_API_URL is ignored: the program sends the Talend token only") for m in caplog.messages
    )


def test_canary_talend_api_token_stays_secret_and_out_of_the_provider(run_stack: RunStack) -> None:
    """The state holds the inputs, the outputs and the pickled provider: the token may only be an encrypted secret."""
    run = run_stack(
        base_config(talendApiToken=API_CANARY, groups=[{"name": "Talend Developers", "talendRoles": ["Operator"]}])
    )
    inputs = run.one(ROLE_MAPPINGS).inputs
    assert unwrap_secret(inputs["apiToken"]) == (API_CANARY, True)
    assert run.monitor.additional_secret_outputs["talend-role-mappings"] == ["apiToken"]

    # The serialized provider (`__provider`, pickled with dill) holds no token, whole or in part.
    serialized, _ = unwrap_secret(inputs["__provider"])
    pickled = base64.b64decode(serialized)
    for token in (API_CANARY, CANARY_TOKEN):
        for part in (token, token[: len(token) // 2], token[len(token) // 2 :]):
            assert part.encode() not in pickled
    provider = dill.loads(pickled)
    assert type(provider) is RoleMappingProvider
    assert vars(provider) == {}  # nothing captured at all
    assert len(pickled) < 200  # the class by reference, no closure or module captured

    # Every other plain input and every stack output: no token anywhere.
    plain = {k: v for k, v in inputs.items() if k not in ("apiToken", "__provider")}
    assert API_CANARY not in json.dumps(plain)
    assert API_CANARY not in json.dumps(run.outputs, default=str)
    assert CANARY_TOKEN not in json.dumps(run.outputs, default=str)
    # The SCIM connection keeps the SCIM token; the role mappings use the separate one.
    assert API_CANARY not in json.dumps([r.inputs for r in run.mocks.resources if r.typ != ROLE_MAPPINGS])
