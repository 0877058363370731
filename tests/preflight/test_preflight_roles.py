"""preflight's roles section: who gains or loses which Talend roles, and which mappings in Talend the deploy removes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from talend_okta_sandbox.talend import RunningTalend
from tests.preflight.conftest import CANARY_TOKEN, TALEND_TOKEN, USERS_ONLY, Org


@pytest.fixture
def talend(org: Org) -> RunningTalend:
    return org.talend


@pytest.fixture
def devs_and_ops(org: Org) -> Org:
    """Developers (jdoe, asmith) and Operators (asmith, bwayne) assigned; the last deploy mapped Developers."""
    jdoe, asmith, bwayne = org.people("acme.com", "jdoe", "asmith", "bwayne")
    org.group("Talend Developers", jdoe, asmith)
    org.group("Talend Operators", asmith, bwayne)
    org.deploy("Talend Developers", "Talend Operators")
    return org


def changes(report: dict[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
    return {p["user_name"]: (p["gains"], p["loses"]) for p in report["roles"]["people"]}


def with_talend(talend: RunningTalend, token: str = TALEND_TOKEN) -> dict[str, str]:
    return {"TALEND_API_URL": talend.api_url, "TALEND_API_TOKEN": token}


def test_roles_added_to_a_group_are_gained_by_its_members(devs_and_ops: Org) -> None:
    org = devs_and_ops
    org.config(
        [
            {"name": "Talend Developers", "talendRoles": ["Integration Developer"]},
            {"name": "Talend Operators", "talendRoles": ["Operator"]},
        ]
    )
    result, report = org.report()
    assert result.exit_code == 0, result.stdout
    roles = report["roles"]
    assert roles["compared_with"] == "stack outputs"
    assert [(m["name"], m["change"], m["after"]) for m in roles["mappings"]] == [
        ("Talend Developers", "added", ["Integration Developer"]),
        ("Talend Operators", "added", ["Operator"]),
    ]
    assert changes(report) == {
        "asmith": (["Integration Developer", "Operator"], []),
        "bwayne": (["Operator"], []),
        "jdoe": (["Integration Developer"], []),
    }


def test_changed_and_removed_roles_are_lost(devs_and_ops: Org) -> None:
    org = devs_and_ops
    org.config([{"name": "Talend Developers", "talendRoles": ["Operator"]}, "Talend Operators"])
    last = {"Talend Developers": ["Integration Developer"], "Talend Operators": ["Operator"]}
    result, report = org.report("--stack-outputs", str(org.outputs(roleMappings=last)))
    assert result.exit_code == 0
    assert changes(report) == {
        "asmith": ([], ["Integration Developer"]),
        "bwayne": ([], ["Operator"]),
        "jdoe": (["Operator"], ["Integration Developer"]),
    }
    assert [(m["name"], m["change"]) for m in report["roles"]["mappings"]] == [
        ("Talend Operators", "removed"),
        ("Talend Developers", "changed"),
    ]
    human = org.preflight("--stack-outputs", str(org.outputs(roleMappings=last))).stdout
    assert "Talend role mappings (compared with stack outputs; the deploy replaces them all)" in human
    assert "REMOVED" in human
    assert "Role changes apply at each person's next sign-in through SSO, not at provisioning." in human
    assert "Talend's role mappings were not read (give --talend-api-token)" in human


def test_reads_talend_and_shows_hand_made_mappings_the_deploy_removes(devs_and_ops: Org, talend: RunningTalend) -> None:
    org = devs_and_ops
    talend.roles.set_mapping("Talend Developers", ["Integration Developer"])
    talend.roles.set_mapping("Made by hand", ["Security Administrator"])  # an admin, in TMC
    org.config([{"name": "Talend Developers", "talendRoles": ["Integration Developer"]}, "Talend Operators"])
    result, report = org.report(env=with_talend(talend))
    assert result.exit_code == 0, result.stdout
    assert report["roles"]["compared_with"] == "talend"
    assert report["roles"]["mappings"] == [
        {"name": "Made by hand", "change": "removed", "before": ["Security Administrator"], "after": []}
    ]
    assert changes(report) == {}  # nobody in Okta is in a group named "Made by hand"
    markdown = org.preflight("--markdown", "-", env=with_talend(talend)).stdout
    assert "**The deploy removes 1 role mappings Talend holds today:** `Made by hand`" in markdown
    assert "| Made by hand | **removed** | Security Administrator | - |" in markdown
    assert talend.roles.writes == 0  # preflight reads, never writes


def test_unknown_talend_role_blocks(devs_and_ops: Org, talend: RunningTalend) -> None:
    org = devs_and_ops
    org.config([{"name": "Talend Developers", "talendRoles": ["Integration Developper"]}, "Talend Operators"])
    result, report = org.report(env=with_talend(talend))
    assert result.exit_code == 1
    (problem,) = report["problems"]
    assert problem.startswith("talendRoles: Talend has no role named 'Integration Developper'; the tenant's roles")
    assert "Integration Developer" in problem


def test_token_without_sso_management_cannot_run(devs_and_ops: Org, talend: RunningTalend) -> None:
    org = devs_and_ops
    org.config([{"name": "Talend Developers", "talendRoles": ["Operator"]}])
    result = org.preflight(env=with_talend(talend, USERS_ONLY))
    assert result.exit_code == 2
    assert result.stderr.startswith("talend-okta: error: Talend answered GET /security/role-mappings with 403")
    assert result.stderr.count("\n") == 1
    assert USERS_ONLY not in result.stdout + result.stderr


def test_no_roles_section_without_roles(devs_and_ops: Org) -> None:
    devs_and_ops.config(["Talend Developers", "Talend Operators"])
    result, report = devs_and_ops.report()
    assert result.exit_code == 0
    assert report["roles"] is None


def test_canary_talend_token_in_no_output(devs_and_ops: Org, talend: RunningTalend) -> None:
    org = devs_and_ops
    org.config([{"name": "Talend Developers", "talendRoles": ["Operator", "Data Wizard"]}])
    json_file, md_file = org.tmp / "report.json", org.tmp / "report.md"
    result = org.preflight("--json", str(json_file), "--markdown", str(md_file), env=with_talend(talend))
    assert result.exit_code == 1
    texts = [result.stdout, result.stderr, json_file.read_text(), md_file.read_text()]
    for text in texts:
        assert TALEND_TOKEN not in text
        assert CANARY_TOKEN not in text
    assert json.loads(texts[2])["roles"]["unknown_roles"] == ["Data Wizard"]


def test_a_stack_without_role_mappings_leaves_talends_alone(devs_and_ops: Org, talend: RunningTalend) -> None:
    """With a Talend token at hand but no talendRoles now or before, the deploy declares no role mappings: the
    mappings made in Talend are not reported as removed."""
    talend.roles.set_mapping("Made by hand", ["Operator"])
    devs_and_ops.config(["Talend Developers", "Talend Operators"])
    result, report = devs_and_ops.report(env=with_talend(talend))
    assert result.exit_code == 0, result.stdout
    assert report["roles"] is None
