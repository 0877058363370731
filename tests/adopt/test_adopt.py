"""`talend-okta adopt` against the Okta sandbox over real HTTP: a hand-built app becomes a stack config file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from talend_okta.adopt import provider_config
from talend_okta.http import InputError
from talend_okta.stack_files import read_stack_config
from talend_okta_sandbox.deploy import OktaAdmin
from tests.adopt.conftest import (
    ANALYSTS,
    DEVELOPERS,
    DOMAIN,
    OKTA_TOKEN,
    SCIM_TOKEN,
    SCIM_URL,
    HandBuilt,
    hand_built_app_body,
)


def config_of(path: Path) -> dict[str, Any]:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    config = document["config"]
    assert isinstance(config, dict)
    return config


def assert_one_line_error(result: Any, *fragments: str) -> None:
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("talend-okta: error: "), lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert OKTA_TOKEN not in result.stdout + result.stderr


def test_hand_built_app_becomes_a_stack_config(hand_built: HandBuilt) -> None:
    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme")
    assert result.exit_code == 0, result.stderr

    path = hand_built.tmp_path / "Pulumi.acme.yaml"
    config = config_of(path)
    app, groups, mapping = hand_built.app_id, hand_built.groups, hand_built.push_mapping_id
    assert config == {
        "okta:httpProxy": hand_built.okta_url,  # a loopback org: the provider's proxy key, as for the sandbox
        "talend-okta:region": "eu",
        "talend-okta:accountId": "acme-4711",
        "talend-okta:domainName": DOMAIN,
        "talend-okta:appLabel": "Talend Cloud",
        "talend-okta:groups": [
            {"name": DEVELOPERS, "push": True},  # Okta's priority 0 can't be declared: left out
            {"name": ANALYSTS, "push": False, "priority": 1},
        ],
        "talend-okta:provisioning": {
            "manage": True,
            "createUsers": True,
            "updateUserAttributes": True,
            "deactivateUsers": True,
        },
        "talend-okta:adopt": {
            "app": app,
            "connection": app,
            "features": f"{app}/USER_PROVISIONING",
            "assignments": {DEVELOPERS: f"{app}/{groups[DEVELOPERS]}", ANALYSTS: f"{app}/{groups[ANALYSTS]}"},
            "pushGroups": {DEVELOPERS: f"{app}/{mapping}"},
        },
    }

    # The project's settings model takes the file as it is (the secret comes from `pulumi config set --secret`).
    stack = read_stack_config(path)
    assert stack.settings.adopt is not None
    assert stack.settings.adopt.push_groups == {DEVELOPERS: f"{app}/{mapping}"}
    assert stack.settings.account_id == "acme-4711"
    assert stack.okta_org_url == hand_built.okta_url

    text = path.read_text(encoding="utf-8")
    for secret in (OKTA_TOKEN, SCIM_TOKEN):
        assert secret not in text
        assert secret not in result.stdout + result.stderr
    assert "secure:" not in text
    assert "pulumi config set --secret okta:apiToken --stack acme" in result.stdout
    assert "pulumi config set --secret talend-okta:scimToken --stack acme" in result.stdout


def test_summary_says_what_the_first_up_changes_and_whom_it_affects(hand_built: HandBuilt) -> None:
    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme")
    out = " ".join(result.stdout.split())
    assert result.exit_code == 0, result.stderr
    assert "application username format: Okta username → Email prefix" in out
    assert "NameID value: ${user.userName} → ${user.login}" in out
    assert "assertion: unsigned → signed" in out
    assert "attribute statement middle_name: missing → user.middleName" in out
    # Loud, with the count: the username format renames every Talend userName (three people in two groups).
    assert "!! People: ALL 3 PEOPLE assigned to the app get a new Talend userName" in out
    assert "jdoe@acme.com" in out
    # What Talend's procedure already has is not reported as a change.
    assert "SSO URL:" not in out
    assert "recipient:" not in out
    assert "SCIM base URL" not in out  # the admin set Talend's own


def test_people_warning_counts_everyone_assigned(hand_built: HandBuilt) -> None:
    for local in ("c1", "c2", "c3", "c4"):
        user = hand_built.okta.add_user(f"{local}@acme.com", f"{local}@acme.com")
        hand_built.okta.add_member(hand_built.groups[ANALYSTS], user)
    result = hand_built.adopt("--app-id", hand_built.app_id, "--out", "adopted.yaml")
    assert result.exit_code == 0, result.stderr
    assert "ALL 7 PEOPLE" in " ".join(result.stdout.split())
    assert "--config-file adopted.yaml" in result.stdout  # --out: the secret lines name the file
    assert (hand_built.tmp_path / "adopted.yaml").exists()


def test_app_whose_provisioning_apis_okta_refuses_is_adopted_with_manage_false(hand_built: HandBuilt) -> None:
    okta = hand_built.okta
    app_id = okta.add_saml_app("Talend Cloud EU", connection_api=False)
    with OktaAdmin(hand_built.okta_url, OKTA_TOKEN) as admin:
        admin.call("PUT", f"/api/v1/apps/{app_id}", hand_built_app_body("Talend Cloud EU"))
    okta.set_connection(app_id, SCIM_URL, SCIM_TOKEN)  # SCIM set up by hand in the admin console
    okta.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=False)
    okta.assign_group(app_id, hand_built.groups[ANALYSTS])

    result = hand_built.adopt("--app-id", app_id, "--stack", "eu")
    assert result.exit_code == 0, result.stderr
    config = config_of(hand_built.tmp_path / "Pulumi.eu.yaml")
    assert config["talend-okta:provisioning"] == {
        "manage": False,
        "createUsers": True,
        "updateUserAttributes": True,
        "deactivateUsers": False,
    }
    assert config["talend-okta:adopt"] == {
        "app": app_id,
        "assignments": {ANALYSTS: f"{app_id}/{hand_built.groups[ANALYSTS]}"},
        "pushGroups": {},
    }
    assert "Okta's provisioning APIs refuse this app" in " ".join(result.stdout.split())
    read_stack_config(hand_built.tmp_path / "Pulumi.eu.yaml")  # loads: no connection/features ids with manage false


# --- the stack already manages the app: say so, change nothing ---------------------------------------------------


def test_app_in_the_stack_outputs_is_already_managed(hand_built: HandBuilt) -> None:
    outputs = hand_built.tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"appId": hand_built.app_id, "oktaOrgUrl": hand_built.okta_url}))
    served = len(hand_built.okta.requests)

    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme", "--stack-outputs", str(outputs))
    assert result.exit_code == 0, result.stderr
    assert "already managed by the stack" in result.stdout
    assert "nothing changed" in result.stdout
    assert not (hand_built.tmp_path / "Pulumi.acme.yaml").exists()
    assert len(hand_built.okta.requests) == served  # not even a read


def test_adopting_twice_changes_nothing(hand_built: HandBuilt) -> None:
    assert hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme").exit_code == 0
    path = hand_built.tmp_path / "Pulumi.acme.yaml"
    path.write_text(path.read_text() + "# edited by hand after adopt\n")
    before = path.read_text()

    for extra in ([], ["--force"]):
        result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme", *extra)
        assert result.exit_code == 0, result.stderr
        assert f"app {hand_built.app_id} is already adopted in Pulumi.acme.yaml" in result.stdout
        assert path.read_text() == before


def test_stack_managing_another_app_is_refused(hand_built: HandBuilt) -> None:
    outputs = hand_built.tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"appId": "0oaOther1", "oktaOrgUrl": hand_built.okta_url}))
    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme", "--stack-outputs", str(outputs))
    assert_one_line_error(result, "already manages app 0oaOther1", "would replace that app")
    assert not (hand_built.tmp_path / "Pulumi.acme.yaml").exists()


# --- refusals: exit 2, one line, nothing written -----------------------------------------------------------------


@pytest.mark.parametrize(
    "sso_url",
    [
        "https://login.example.com/saml/acs",
        "https://iam.us-east.cloud.talend.com/oidc/ssologin",  # not a Talend region
        "https://iam.eu.cloud.talend.com.evil.example/oidc/ssologin",
    ],
)
def test_app_that_is_not_talend_is_refused(hand_built: HandBuilt, sso_url: str) -> None:
    with OktaAdmin(hand_built.okta_url, OKTA_TOKEN) as admin:
        other = admin.call("POST", "/api/v1/apps", hand_built_app_body("Payroll", sso_url))
    result = hand_built.adopt("--app-id", other["id"], "--stack", "acme")
    assert_one_line_error(result, f"app {other['id']} ('Payroll') is not a Talend Cloud app", repr(sso_url))
    assert list(hand_built.tmp_path.glob("Pulumi.*")) == []


def test_app_without_domain_name_statement_is_refused(hand_built: HandBuilt) -> None:
    body = hand_built_app_body("Talend no domain")
    body["settings"]["signOn"]["attributeStatements"] = []
    with OktaAdmin(hand_built.okta_url, OKTA_TOKEN) as admin:
        other = admin.call("POST", "/api/v1/apps", body)
    result = hand_built.adopt("--app-id", other["id"], "--stack", "acme")
    assert_one_line_error(result, "TalendCloudDomainName attribute statement has none")


def test_unknown_app_id_is_refused(hand_built: HandBuilt) -> None:
    result = hand_built.adopt("--app-id", "0oaNoSuchApp1", "--stack", "acme")
    assert_one_line_error(result, "--app-id: Okta has no app 0oaNoSuchApp1")
    assert list(hand_built.tmp_path.glob("Pulumi.*")) == []


def test_existing_file_is_not_overwritten_without_force(hand_built: HandBuilt) -> None:
    path = hand_built.tmp_path / "Pulumi.acme.yaml"
    path.write_text("config:\n  talend-okta:region: us\n")
    served = len(hand_built.okta.requests)

    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme")
    assert_one_line_error(result, "Pulumi.acme.yaml exists", "--force")
    assert path.read_text() == "config:\n  talend-okta:region: us\n"
    assert len(hand_built.okta.requests) == served  # refused before reading Okta

    assert hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme", "--force").exit_code == 0
    assert config_of(path)["talend-okta:adopt"]["app"] == hand_built.app_id


def test_rejected_okta_token_is_refused(hand_built: HandBuilt) -> None:
    wrong = "okta-wrong-token-1234567"
    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme", env={"OKTA_API_TOKEN": wrong})
    assert_one_line_error(result, "401")
    assert wrong not in result.stdout + result.stderr
    assert list(hand_built.tmp_path.glob("Pulumi.*")) == []
    assert list(hand_built.tmp_path.glob(".*adopt-tmp")) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--app-id", "0oa1"], "--stack or --out"),
        (["--app-id", "../etc", "--stack", "acme"], "--app-id: an Okta app id is letters and digits"),
        (["--app-id", "0oa1", "--stack", "../acme"], "--stack: a Pulumi stack name"),
        (["--app-id", "0oa1", "--out", "missing/dir/x.yaml"], "--out: directory missing/dir does not exist"),
    ],
)
def test_bad_options_are_refused(hand_built: HandBuilt, args: list[str], message: str) -> None:
    assert_one_line_error(hand_built.adopt(*args), message)


def test_missing_okta_url_is_refused(hand_built: HandBuilt) -> None:
    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme", env={"OKTA_ORG_URL": ""})
    assert_one_line_error(result, "missing --okta-url (OKTA_ORG_URL)")


def test_app_the_settings_model_would_reject_is_refused(hand_built: HandBuilt) -> None:
    body = hand_built_app_body("Talend spaced domain")
    body["settings"]["signOn"]["attributeStatements"][2]["values"] = ['"acme corp"']
    with OktaAdmin(hand_built.okta_url, OKTA_TOKEN) as admin:
        other = admin.call("POST", "/api/v1/apps", body)
    result = hand_built.adopt("--app-id", other["id"], "--stack", "acme")
    assert_one_line_error(result, "cannot be described as this stack's config: talend-okta:domainName: must not")
    assert list(hand_built.tmp_path.glob("Pulumi.*")) == []


def test_summary_lists_status_push_and_statement_changes_and_what_is_left_alone(hand_built: HandBuilt) -> None:
    okta, app_id = hand_built.okta, hand_built.app_id
    with OktaAdmin(hand_built.okta_url, OKTA_TOKEN) as admin:
        admin.call("POST", f"/api/v1/apps/{app_id}/lifecycle/deactivate")
        mapping = f"/api/v1/apps/{app_id}/group-push/mappings/{hand_built.push_mapping_id}"
        admin.call("PATCH", mapping, {"status": "INACTIVE"})
        body = hand_built_app_body()
        body["settings"]["signOn"]["attributeStatements"].append(
            {"type": "EXPRESSION", "name": "email", "values": ["user.email"]}
        )
        admin.call("PUT", f"/api/v1/apps/{app_id}", body)
        unassigned = admin.call("POST", "/api/v1/groups", {"profile": {"name": "Talend Guests", "description": ""}})
        admin.call("POST", f"/api/v1/apps/{app_id}/group-push/mappings", {"sourceGroupId": unassigned["id"]})
    direct = okta.add_user("solo@acme.com", "solo@acme.com")
    okta.assign_user(app_id, direct)

    result = hand_built.adopt("--app-id", app_id, "--stack", "acme")
    out = " ".join(result.stdout.split())
    assert result.exit_code == 0, result.stderr
    assert "status: INACTIVE → ACTIVE" in out
    assert f"push group {DEVELOPERS}: INACTIVE → ACTIVE" in out
    assert "attribute statement email: user.email → removed" in out
    assert "ALL 4 PEOPLE" in out
    assert "the app is INACTIVE: activating it gives 4 people sign-on again" in out
    assert f"push group for {unassigned['id']}, a group not assigned to the app: not adopted" in out
    assert "direct assignments (not through a group): 1; the stack leaves them alone" in out
    config = config_of(hand_built.tmp_path / "Pulumi.acme.yaml")
    assert [g["name"] for g in config["talend-okta:groups"]] == [DEVELOPERS, ANALYSTS]
    assert list(config["talend-okta:adopt"]["pushGroups"]) == [DEVELOPERS]


@pytest.mark.parametrize(
    ("org_url", "keys"),
    [
        ("https://acme.okta.com", {"okta:orgName": "acme", "okta:baseUrl": "okta.com"}),
        ("https://acme-test.oktapreview.com", {"okta:orgName": "acme-test", "okta:baseUrl": "oktapreview.com"}),
        ("http://127.0.0.1:18080", {"okta:httpProxy": "http://127.0.0.1:18080"}),
    ],
)
def test_provider_keys_point_at_the_org(org_url: str, keys: dict[str, str]) -> None:
    assert provider_config(org_url) == keys


def test_org_url_the_provider_keys_cannot_express_is_refused() -> None:
    with pytest.raises(InputError, match=r"^--okta-url: https://acme.okta.com:8443 cannot be written as okta:orgName"):
        provider_config("https://acme.okta.com:8443")
