"""`talend-okta adopt` against the Okta sandbox over real HTTP: a hand-built app becomes a stack config file."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from talend_okta.adopt import provider_config, username_format
from talend_okta.http import InputError
from talend_okta.stack_files import read_stack_config
from talend_okta_sandbox.deploy import OktaAdmin
from talend_okta_sandbox.serving import serve_wsgi
from talend_okta_sandbox.talend import RunningTalend, run_talend
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


def without_nulls(value: Any) -> Any:
    """An app as read, less its null members, to PUT back: Okta answers nulls its definition does not accept in a
    request (contract_quirks lists the answers), so an edit sends only what is set."""
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    return [without_nulls(item) for item in value] if isinstance(value, list) else value


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
    # The Okta token never goes into the stack config (every preview, a pull request's too, would run with it).
    assert "okta:apiToken" not in result.stdout + text
    assert "read -rs OKTA_API_TOKEN && export OKTA_API_TOKEN" in result.stdout
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


@pytest.mark.parametrize("app_group_first", [False, True], ids=["okta-group-first", "app-group-first"])
def test_an_okta_group_sharing_its_name_with_an_app_group_is_adopted(
    hand_built: HandBuilt, app_group_first: bool
) -> None:
    """The stack finds only Okta groups (type OKTA_GROUP) by exact name (talend_okta.group_names): a directory import
    of the same name is not a candidate, whichever Okta lists first."""
    okta = hand_built.okta
    if app_group_first:  # a directory import made before the Okta group
        okta.add_app_group("Talend Ops")
        group_id = okta.add_group("Talend Ops")
    else:
        group_id = okta.add_group("Talend Ops")
        okta.add_app_group("Talend Ops")
    okta.assign_group(hand_built.app_id, group_id)

    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme")

    assert result.exit_code == 0, result.output
    assert "Talend Ops" in (hand_built.tmp_path / "Pulumi.acme.yaml").read_text(encoding="utf-8")


def test_an_assigned_app_group_is_refused(hand_built: HandBuilt) -> None:
    """A directory import (APP_GROUP) assigned to the app: the stack finds only Okta groups by name and would stop,
    so adopt refuses to write it."""
    group_id = hand_built.okta.add_app_group("Talend Ops")
    hand_built.okta.assign_group(hand_built.app_id, group_id)

    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme")

    why = "no Okta group (type OKTA_GROUP) has exactly this name"
    assert_one_line_error(result, "group 'Talend Ops'", group_id, why, "rename one of them in Okta first")
    assert list(hand_built.tmp_path.glob("Pulumi.*")) == []


# Okta's built-in application username formats, with the template strings exactly as Okta's API returns them
# (okta.md §2 userNameTemplate, from Okta's OpenAPI spec; the recordings hold `${source.login}`).
BUILT_IN_FORMATS = [
    ("${source.login}", "Okta username"),
    ('${fn:substringBefore(source.login, "@")}', "Okta username prefix"),
    ("${source.email}", "Email"),
    ('${fn:substringBefore(source.email, "@")}', "Email prefix"),
    ("${fn:toLowerCase(source.email)}", "Email (lowercase)"),
    ("${source.samAccountName}", "AD SAM Account Name"),
    ("${fn:toLowerCase(source.samAccountName)}", "AD SAM Account Name (lowercase)"),
    ("${source.userName}", "AD User Principal Name"),
    ('${fn:substringBefore(source.userName, "@")}', "AD User Principal Name prefix"),
    ("${source.employeeID}", "AD Employee ID"),
    ("${source.userName}${instance.userSuffix}", "LDAP UID + custom suffix"),
]


@pytest.mark.parametrize(("template", "name"), BUILT_IN_FORMATS)
def test_every_built_in_username_format_is_recognised_as_okta_stores_it(template: str, name: str) -> None:
    assert username_format(template, "BUILT_IN") == name
    assert username_format(template, "CUSTOM") == f"custom ({template})"


@pytest.mark.parametrize(("template", "name"), BUILT_IN_FORMATS)
def test_an_app_keeping_its_username_format_shows_no_change(hand_built: HandBuilt, template: str, name: str) -> None:
    """An app built by Talend's own procedure (Email prefix, BUILT_IN) shows no username change and no warning
    that everyone gets a new userName; any other built-in format is named as Okta's console names it."""
    with OktaAdmin(hand_built.okta_url, OKTA_TOKEN) as admin:
        app = without_nulls(admin.call("GET", f"/api/v1/apps/{hand_built.app_id}"))
        app["credentials"]["userNameTemplate"] = {"template": template, "type": "BUILT_IN"}
        admin.call("PUT", f"/api/v1/apps/{hand_built.app_id}", app)

    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme")

    assert result.exit_code == 0, result.stderr
    if name == "Email prefix":
        assert "application username format" not in result.stdout
        assert "new Talend userName" not in result.stdout
    else:
        assert f"application username format: {name} → Email prefix" in result.stdout
        assert "ALL 3 PEOPLE assigned to the app get a new Talend userName" in result.stdout


# --- roles people depend on (issue 18 item 6) --------------------------------------------------------------------

ROLES_TOKEN = "talend-adopt-roles-canary-7e6d5c4b"


def send_customer_roles(hand_built: HandBuilt, filter_type: str, filter_value: str) -> None:
    """The admin's CustomerRoles group attribute statement, as set by hand in the console."""
    with OktaAdmin(hand_built.okta_url, OKTA_TOKEN) as admin:
        app = without_nulls(admin.call("GET", f"/api/v1/apps/{hand_built.app_id}"))
        statement = {"type": "GROUP", "name": "CustomerRoles", "filterType": filter_type, "filterValue": filter_value}
        app["settings"]["signOn"]["attributeStatements"].append(statement)
        admin.call("PUT", f"/api/v1/apps/{hand_built.app_id}", app)


@pytest.fixture
def talend_roles() -> Iterator[RunningTalend]:
    with run_talend(ROLES_TOKEN) as running:
        yield running


def adopt_with_roles(hand_built: HandBuilt, talend: RunningTalend) -> Any:
    env = {"TALEND_API_TOKEN": ROLES_TOKEN, "TALEND_API_URL": talend.api_url}
    return hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme", env=env)


def test_customer_roles_without_a_talend_token_are_refused(hand_built: HandBuilt) -> None:
    send_customer_roles(hand_built, "STARTS_WITH", "Talend ")

    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme")

    assert_one_line_error(result, "sends CustomerRoles (GROUP STARTS_WITH Talend )", "--talend-api-token")
    assert list(hand_built.tmp_path.glob("Pulumi.*")) == []


def test_customer_roles_and_talends_mappings_are_carried_into_talend_roles(
    hand_built: HandBuilt, talend_roles: RunningTalend
) -> None:
    send_customer_roles(hand_built, "STARTS_WITH", "Talend ")
    talend_roles.roles.set_mapping(DEVELOPERS, ["Operator", "Integration Developer"])

    result = adopt_with_roles(hand_built, talend_roles)

    assert result.exit_code == 0, result.stderr
    config = config_of(hand_built.tmp_path / "Pulumi.acme.yaml")
    groups = {group["name"]: group for group in config["talend-okta:groups"]}
    assert groups[DEVELOPERS]["talendRoles"] == ["Integration Developer", "Operator"]
    assert "talendRoles" not in groups[ANALYSTS]  # sent by the filter, mapped to nothing in Talend
    assert (
        "attribute statement CustomerRoles: GROUP STARTS_WITH Talend  → GROUP REGEX ^(Talend Developers)$"
        in result.stdout
    )
    assert (
        "!! People: Talend roles are kept as they are, now declared as talendRoles: Talend Developers (2 people) → "
        "Integration Developer, Operator" in result.stdout
    )
    assert "CustomerRoles also sends Talend Analysts, which Talend maps to no role" in result.stdout
    assert ROLES_TOKEN not in result.stdout + result.stderr


def test_a_mapping_the_stack_could_not_keep_is_refused_naming_it(
    hand_built: HandBuilt, talend_roles: RunningTalend
) -> None:
    send_customer_roles(hand_built, "REGEX", "^Talend (Developers|Ops)$")
    talend_roles.roles.set_mapping(DEVELOPERS, ["Operator"])
    talend_roles.roles.set_mapping("Talend Ops", ["Security Administrator"])  # Okta sends it; not assigned

    result = adopt_with_roles(hand_built, talend_roles)

    assert_one_line_error(result, "'Talend Ops' (not a group assigned to the app)", "would remove them")
    assert list(hand_built.tmp_path.glob("Pulumi.*")) == []


def test_an_expression_customer_roles_statement_is_refused(hand_built: HandBuilt, talend_roles: RunningTalend) -> None:
    with OktaAdmin(hand_built.okta_url, OKTA_TOKEN) as admin:
        app = without_nulls(admin.call("GET", f"/api/v1/apps/{hand_built.app_id}"))
        statement = {"type": "EXPRESSION", "name": "CustomerRoles", "values": ['"Operators"']}
        app["settings"]["signOn"]["attributeStatements"].append(statement)
        admin.call("PUT", f"/api/v1/apps/{hand_built.app_id}", app)

    result = adopt_with_roles(hand_built, talend_roles)

    assert_one_line_error(result, "sends CustomerRoles as the expression", "cannot declare")


def test_timeout_bounds_adopt(hand_built: HandBuilt) -> None:
    """--timeout (issue 18 item 4): an Okta that takes 8 s per answer is given up at 1 s; nothing is written."""

    def slow(environ: dict[str, Any], start_response: Any) -> Any:
        time.sleep(8)
        return hand_built.okta.wsgi_app(environ, start_response)

    with serve_wsgi(slow) as slow_url:
        started = time.monotonic()
        result = hand_built.adopt(
            "--app-id", hand_built.app_id, "--stack", "acme", "--timeout", "1", env={"OKTA_ORG_URL": slow_url}
        )

    assert time.monotonic() - started < 5
    assert_one_line_error(result, "before the 1 s deadline")
    assert list(hand_built.tmp_path.glob("Pulumi.*")) == []
