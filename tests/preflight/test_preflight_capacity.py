"""preflight's capacity section against the Okta sandbox and the Talend stand-in: seats over the license and near
it, the token owner locked out, mass pushes and --max-pushes, the numbers in the PR comment, the exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from talend_okta.spec import app_spec
from talend_okta.stack_files import read_stack_config
from talend_okta_sandbox.serving import serve_wsgi
from talend_okta_sandbox.talend import RunningTalend
from tests.conftest import sandbox_client
from tests.preflight.conftest import CANARY_TOKEN, TALEND_TOKEN, Org


@pytest.fixture
def talend(org: Org) -> RunningTalend:
    org.talend.account.seats.clear()
    org.talend.account.seats.update({"Studio": 10, "Management Console": 10})
    return org.talend


@pytest.fixture
def devs(org: Org) -> Org:
    """Developers (jdoe, asmith) assigned by the last deploy; three new people (ops) not assigned yet."""
    jdoe, asmith = org.people("acme.com", "jdoe", "asmith")
    org.group("Talend Developers", jdoe, asmith)
    org.group("Talend Operators", *org.people("acme.com", "bwayne", "ckent", "dprince"))
    org.deploy("Talend Developers")
    as_declared(org)
    return org


def as_declared(org: Org) -> None:
    """The app as the last `pulumi up` of the base config left it: its attribute statements, To App all on."""
    settings = read_stack_config(org.config([])).settings
    statements = [
        {"type": s.type, "name": s.name, "values": list(s.values)} for s in app_spec(settings).saml.attribute_statements
    ]
    body = {
        "label": "Talend Cloud",
        "signOnMode": "SAML_2_0",
        "settings": {"signOn": {"attributeStatements": statements}},
    }
    headers = {"Authorization": f"SSWS {CANARY_TOKEN}"}
    with sandbox_client(base_url=org.url, headers=headers) as okta:
        okta.put(f"/api/v1/apps/{org.app_id}", json=body).raise_for_status()
    org.okta.set_user_provisioning(org.app_id, create=True, update_profile=True, deactivate=True)


def owner(name: str) -> dict[str, str]:
    return {"talend-okta:talendTokenOwner": name}


def env(talend: RunningTalend) -> dict[str, str]:
    return {"TALEND_API_URL": talend.api_url, "TALEND_API_TOKEN": TALEND_TOKEN}


def seats(report: dict[str, Any]) -> dict[str, tuple[int, int, int, int, int, str]]:
    return {
        line["application"]: (line["used"], line["adds"], line["frees"], line["after"], line["limit"], line["status"])
        for line in report["capacity"]["seats"]["lines"]
    }


OPS_AS_OPERATORS = ["Talend Developers", {"name": "Talend Operators", "talendRoles": ["Operator"]}]


def test_a_change_over_the_console_seats_is_refused_naming_the_application_and_numbers(
    devs: Org, talend: RunningTalend
) -> None:
    talend.account.seats["Management Console"] = 9
    for name in ("u1", "u2", "u3", "u4", "u5", "u6", "u7"):  # 7 console seats taken in Talend already
        talend.account.set_roles(name, ["Operator"])
        _scim_user(talend, name)
    devs.config(OPS_AS_OPERATORS)
    result, report = devs.report(env=env(talend))
    assert result.exit_code == 1, result.stdout
    assert seats(report)["Management Console"] == (7, 3, 0, 10, 9, "over")
    assert report["problems"] == [
        "seats: Management Console would need 10 of 9 seats (7 used now, +3 added, -0 freed): free seats in Talend "
        "(remove roles from people who no longer need Management Console) or buy more before merging"
    ]
    markdown = devs.preflight("--markdown", "-", env=env(talend)).stdout
    assert "| Management Console | 7 | +3 | -0 | **10** | 9 | **OVER THE LIMIT** |" in markdown
    assert "> - seats: Management Console would need 10 of 9 seats" in markdown  # in the CAUTION block


def test_within_ten_percent_warns_and_passes(devs: Org, talend: RunningTalend) -> None:
    talend.account.seats["Management Console"] = 3
    devs.config(OPS_AS_OPERATORS)
    result, report = devs.report(env=env(talend))
    assert result.exit_code == 0, result.stdout
    assert seats(report)["Management Console"] == (0, 3, 0, 3, 3, "near")
    assert report["capacity"]["warnings"] == [
        "seats: Management Console would use 3 of 3 seats (0 used now, +3 added, -0 freed), within 10% of its limit",
        # talendRoles add the CustomerRoles statement: the assigned Developers are pushed again
        "mass push: Okta pushes 2 people to Talend again (attribute statements change (CustomerRoles))",
    ]
    human = devs.preflight(env=env(talend)).stdout
    assert "warning: seats: Management Console would use 3 of 3 seats" in human
    assert "within 10%" in human


def test_an_unknown_application_in_the_answer_is_one_warning_line(devs: Org, talend: RunningTalend) -> None:
    talend.account.seats["Data Inventory"] = 5
    devs.config(["Talend Developers"])
    result, report = devs.report(env=env(talend))
    assert result.exit_code == 0
    (warning,) = report["capacity"]["warnings"]
    assert warning.startswith("seats: Talend licenses an application talend-okta does not know, 'Data Inventory'")


def test_unassigning_the_token_owner_is_refused(devs: Org, talend: RunningTalend) -> None:
    devs.config(["Talend Operators"], **owner("jdoe@acme.com"))  # Developers leave: jdoe is unassigned
    result, report = devs.report("--allow-mass-deactivation", env=env(talend))
    assert result.exit_code == 1
    (problem,) = [p for p in report["problems"] if p.startswith("token owner:")]
    assert "the change unassigns jdoe@acme.com, who owns the Talend token the stack uses" in problem


def test_mapping_the_owner_to_roles_without_users_manage_is_refused(devs: Org, talend: RunningTalend) -> None:
    devs.config([{"name": "Talend Developers", "talendRoles": ["Integration Developer"]}], **owner("asmith"))
    result, report = devs.report(env=env(talend))
    assert result.exit_code == 1
    (problem,) = report["problems"]
    assert problem.startswith("token owner: at their next SSO sign-in asmith gets Integration Developer, without ")
    assert "Users - Manage (TMC_USER_MANAGEMENT)" in problem
    assert report["capacity"]["owner"]["roles_after"] == ["Integration Developer"]


def test_an_owner_outside_the_change_passes_and_no_owner_is_a_note(devs: Org, talend: RunningTalend) -> None:
    devs.config(["Talend Developers"], **owner("svc-talend@acme.com"))
    result, report = devs.report(env=env(talend))
    assert result.exit_code == 0
    assert report["capacity"]["unchecked"] == []
    devs.config(["Talend Developers"])
    result, report = devs.report(env=env(talend))
    assert report["capacity"]["unchecked"] == [
        "token owner: set talend-okta:talendTokenOwner (verify names who owns the token)"
    ]


def test_an_attribute_statement_change_pushes_everyone_and_max_pushes_fails_above(devs: Org) -> None:
    renamed = {"talend-okta:domainName": "acme-renamed.eu.cloud.talend.com"}  # sent as TalendCloudDomainName
    devs.config(["Talend Developers"], **renamed)
    result, report = devs.report()
    assert result.exit_code == 0, result.stdout
    assert report["capacity"]["warnings"] == [
        "mass push: Okta pushes 2 people to Talend again (attribute statements change (TalendCloudDomainName))"
    ]
    assert devs.preflight("--max-pushes", "2").exit_code == 0
    result, report = devs.report("--max-pushes", "1")
    assert result.exit_code == 1
    assert report["problems"] == [
        "mass push: 2 people would be pushed to Talend again (attribute statements change (TalendCloudDomainName)), "
        "more than --max-pushes 1"
    ]


def test_an_unchanged_app_pushes_nobody(devs: Org) -> None:
    devs.config(["Talend Developers"])
    result, report = devs.report("--max-pushes", "0")
    assert result.exit_code == 0
    assert report["capacity"]["pushes"]["reasons"] == []


def test_a_negative_max_pushes_is_one_line_and_exit_2(devs: Org) -> None:
    devs.config(["Talend Developers"])
    result = devs.preflight("--max-pushes", "-1")
    assert result.exit_code == 2
    assert result.stderr == "talend-okta: error: --max-pushes: must be 0 or more, or left out for no limit (got -1)\n"


def test_without_a_talend_token_seats_are_not_checked_and_said_so(devs: Org) -> None:
    devs.config(["Talend Developers"])
    result, report = devs.report()
    assert result.exit_code == 0
    assert report["capacity"]["seats"] is None
    assert report["capacity"]["unchecked"][0].startswith("seats: give a Talend token")
    assert "note: not checked: seats:" in devs.preflight().stdout


@pytest.mark.usefixtures("instant_retries")
def test_talend_failing_the_seats_read_is_exit_2_naming_seats(devs: Org, broken_talend: str) -> None:
    devs.config(["Talend Developers"])
    result = devs.preflight(env={"TALEND_API_URL": broken_talend, "TALEND_API_TOKEN": TALEND_TOKEN})
    assert result.exit_code == 2
    assert result.stderr.startswith("talend-okta: error: seats could not be checked: Talend answered GET ")
    assert result.stderr.count("\n") == 1
    assert TALEND_TOKEN not in result.stderr


@pytest.mark.usefixtures("instant_retries")
def test_talend_unreachable_is_exit_2_never_a_pass(devs: Org) -> None:
    devs.config(["Talend Developers"])
    result = devs.preflight(env={"TALEND_API_URL": "http://127.0.0.1:9", "TALEND_API_TOKEN": TALEND_TOKEN})
    assert result.exit_code == 2
    assert "could not be reached" in result.stderr


# --- helpers -----------------------------------------------------------------------------------------------------


def _scim_user(talend: RunningTalend, user_name: str) -> None:
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": user_name, "active": True}
    headers = {"Authorization": f"Bearer {TALEND_TOKEN}", "Content-Type": "application/scim+json"}
    with sandbox_client(headers=headers) as scim:
        scim.post(f"{talend.scim_url}/Users", content=json.dumps(body)).raise_for_status()


@pytest.fixture
def broken_talend(talend: RunningTalend) -> Iterator[str]:
    """A Talend whose /account/subscription answers 500 (after the retries), the rest as the stand-in."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/account/subscription":
            start_response("500 Internal Server Error", [("Content-Type", "application/json")])
            return [b'{"status": 500, "detail": "boom"}']
        query = environ.get("QUERY_STRING", "")
        with sandbox_client(base_url=talend.api_url, timeout=5) as upstream:
            answer = upstream.get(
                environ["PATH_INFO"] + (f"?{query}" if query else ""),
                headers={"Authorization": environ.get("HTTP_AUTHORIZATION", "")},
            )
        start_response(f"{answer.status_code} X", [("Content-Type", answer.headers.get("content-type", "json"))])
        return [answer.content]

    with serve_wsgi(app) as url:
        yield url
