"""preflight's inputs and failures: the stack config file, where Okta is, network faults, and the token canary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.preflight.conftest import CANARY_TOKEN, Org, assert_no_secret, user_names


@pytest.fixture
def deployed(org: Org) -> Org:
    org.group("Talend Developers", *org.people("acme.com", "jdoe", "asmith"))
    org.group("Talend Operators", *org.people("acme.com", "bwayne"))
    org.deploy("Talend Developers", "Talend Operators")
    org.config(["Talend Developers"])
    return org


def one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("talend-okta: error: ")
    assert "Traceback" not in stderr
    return lines[0]


# --- Reports -----------------------------------------------------------------------------------------------------


def test_json_and_markdown_files_with_the_table_on_stdout(deployed: Org) -> None:
    json_file, markdown_file = deployed.tmp / "preflight.json", deployed.tmp / "preflight.md"

    result = deployed.preflight("--json", str(json_file), "--markdown", str(markdown_file))

    assert result.exit_code == 0
    assert result.stdout.startswith("preflight OK: 0 created, 1 deactivated, 2 unchanged")
    report = json.loads(json_file.read_text())
    assert user_names(report["deactivated"]) == ["bwayne"]
    assert set(report) >= {"created", "deactivated", "collisions", "without_email", "groups", "problems", "notes"}
    assert "**1 people will be deactivated in Talend**" in markdown_file.read_text()
    assert_no_secret(result, json_file, markdown_file)


def test_okta_names_are_escaped_in_markdown(org: Org) -> None:
    org.okta.add_member(org.group("Talend | <b>Devs</b>"), org.okta.add_user("x|y@acme.com", "x|y@acme.com"))
    org.config(["Talend | <b>Devs</b>"])

    markdown = org.preflight("--markdown", "-").stdout

    assert "| x\\|y | x\\|y@acme.com | Talend \\| &lt;b>Devs&lt;/b> |" in markdown
    assert "<b>" not in markdown


def test_only_one_report_on_stdout(deployed: Org) -> None:
    result = deployed.preflight("--json", "-", "--markdown", "-")
    assert result.exit_code == 2
    assert "only one of them can write to stdout" in one_error_line(result.stderr)


def test_report_directory_must_exist(deployed: Org) -> None:
    result = deployed.preflight("--json", str(deployed.tmp / "missing" / "report.json"))
    assert result.exit_code == 2
    assert "--json: directory" in one_error_line(result.stderr)
    assert deployed.okta.requests == []  # nothing half-done: Okta was not even asked


# --- The stack config file ---------------------------------------------------------------------------------------


def test_a_wrong_setting_is_one_line_naming_the_key(deployed: Org) -> None:
    config = deployed.config(["Talend Developers"], **{"talend-okta:region": "us-east"})

    result = deployed.preflight(config=config)

    assert result.exit_code == 2
    assert one_error_line(result.stderr) == (
        "talend-okta: error: talend-okta:region: must be one of us, eu, ap, au, us-west (got 'us-east')"
    )
    assert deployed.okta.requests == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config: [unclosed", "not valid YAML at line 1"),
        ("encryptionsalt: v1:abc\n", "not a Pulumi stack config file (no `config:` mapping)"),
        (
            "config:\n  talend-okta:region: eu\n  talend-okta:domainName: acme\n"
            "  talend-okta:groups: [{name: A, colour: red}]\n",
            "groups[0].colour",
        ),
    ],
)
def test_unusable_stack_config_files(deployed: Org, text: str, expected: str) -> None:
    path = deployed.tmp / "Pulumi.bad.yaml"
    path.write_text(text, encoding="utf-8")

    result = deployed.preflight(config=path)

    assert result.exit_code == 2
    assert expected in one_error_line(result.stderr)


def test_missing_stack_config_file(deployed: Org) -> None:
    result = deployed.preflight(config=deployed.tmp / "Pulumi.prod.yaml")
    assert result.exit_code == 2
    assert "cannot read the stack config file" in one_error_line(result.stderr)


def test_secure_values_and_a_missing_token_are_fine(deployed: Org) -> None:
    """preflight never needs the SCIM token: encrypted (`secure:`) or absent, the rest is still validated."""
    path = deployed.tmp / "Pulumi.dev.yaml"
    document = yaml.safe_load(path.read_text())
    del document["config"]["talend-okta:scimToken"]
    document["config"]["okta:apiToken"] = {"secure": "v1:AAAA:BBBB"}
    path.write_text(yaml.safe_dump(document))

    result, report = deployed.report()

    assert result.exit_code == 0
    assert user_names(report["deactivated"]) == ["bwayne"]


def test_provisioning_switches_are_explained(deployed: Org) -> None:
    deployed.config(["Talend Developers"], **{"talend-okta:provisioning": {"deactivateUsers": False}})
    _, report = deployed.report()
    assert report["notes"] == [
        "deactivateUsers is off: removed people lose the Okta assignment but stay active in Talend."
    ]


# --- Where Okta is -----------------------------------------------------------------------------------------------


def test_okta_org_and_app_from_options_and_the_config_file(deployed: Org) -> None:
    """No stack outputs: the app id from --app-id, the org from okta:httpProxy in the stack config file."""
    deployed.config(["Talend Developers"], **{"okta:httpProxy": deployed.url})

    result = deployed.preflight("--app-id", deployed.app_id, "--json", "-")

    assert result.exit_code == 0
    assert user_names(json.loads(result.stdout)["deactivated"]) == ["bwayne"]


def test_options_win_over_stack_outputs(deployed: Org) -> None:
    outputs = deployed.outputs(oktaOrgUrl="https://acme.okta.com", appId="0oaNotThisOne")

    result = deployed.preflight(
        "--stack-outputs",
        str(outputs),
        "--json",
        "-",
        env={"OKTA_ORG_URL": deployed.url, "TALEND_OKTA_APP_ID": deployed.app_id},
    )

    assert result.exit_code == 0
    assert json.loads(result.stdout)["app_id"] == deployed.app_id


def test_an_app_id_or_stack_outputs_is_required(deployed: Org) -> None:
    """Without them preflight would see nobody to deactivate, so it refuses to guess."""
    result = deployed.preflight("--okta-url", deployed.url, outputs=False)
    assert result.exit_code == 2
    assert "missing --app-id (TALEND_OKTA_APP_ID) or --stack-outputs" in one_error_line(result.stderr)


def test_the_okta_token_is_required(deployed: Org) -> None:
    result = deployed.preflight(env={"OKTA_API_TOKEN": ""})
    assert result.exit_code == 2
    assert "missing --okta-token (OKTA_API_TOKEN)" in one_error_line(result.stderr)


@pytest.mark.parametrize(
    ("app_id", "expected"), [("0oa/../users", "an Okta app id is letters and digits"), ("", "missing --app-id")]
)
def test_bad_app_ids(deployed: Org, app_id: str, expected: str) -> None:
    result = deployed.preflight("--app-id", app_id, "--okta-url", deployed.url)
    assert result.exit_code == 2
    assert expected in one_error_line(result.stderr)


def test_plain_http_only_to_loopback(deployed: Org) -> None:
    result = deployed.preflight("--okta-url", "http://acme.okta.com")
    assert result.exit_code == 2
    assert "plain http:// is only allowed for loopback hosts" in one_error_line(result.stderr)


# --- Okta faults and the token canary ----------------------------------------------------------------------------


def test_a_rejected_token_is_one_line_without_the_token(deployed: Org) -> None:
    wrong = CANARY_TOKEN + "-revoked"
    result = deployed.preflight(env={"OKTA_API_TOKEN": wrong})

    assert result.exit_code == 2
    line = one_error_line(result.stderr)
    assert "401" in line
    assert "E0000011" in line
    assert wrong not in result.stdout + result.stderr


def test_a_server_error_is_retried(deployed: Org) -> None:
    deployed.okta.inject_fault("GET", r"^/api/v1/apps/[^/]+/users", 503, times=1)

    result, report = deployed.report()

    assert result.exit_code == 0
    assert user_names(report["deactivated"]) == ["bwayne"]
    app_user_calls = [p for _, p in deployed.okta.requests if p.startswith(f"/api/v1/apps/{deployed.app_id}/users")]
    assert len(app_user_calls) == 2


def test_a_garbage_body_is_a_clear_error(deployed: Org) -> None:
    deployed.okta.inject_fault("GET", r"^/api/v1/groups/[^/]+/users", 200, body="<html>maintenance</html>")

    result = deployed.preflight()

    assert result.exit_code == 2
    assert "with a body that is not JSON" in one_error_line(result.stderr)


def test_an_unknown_app_is_a_clear_error(deployed: Org) -> None:
    result = deployed.preflight("--app-id", "0oaDoesNotExist", "--okta-url", deployed.url)
    assert result.exit_code == 2
    assert "404" in one_error_line(result.stderr)


def test_the_token_never_appears_in_any_output(deployed: Org, tmp_path: Path) -> None:
    files = [tmp_path / "r.json", tmp_path / "r.md"]
    results = [
        deployed.preflight("--json", str(files[0]), "--markdown", str(files[1])),
        deployed.preflight("--okta-token", CANARY_TOKEN, "--json", "-"),
        deployed.preflight("--okta-token", CANARY_TOKEN, "--okta-url", deployed.url, "--app-id", "0oaGone"),
    ]
    assert [r.exit_code for r in results] == [0, 0, 2]
    for result in results:
        assert_no_secret(result, *files)
