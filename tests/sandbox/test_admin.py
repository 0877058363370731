"""The realistic Okta path: a custom SAML app created over the API gets its provisioning APIs refused until an admin
enables SCIM in the console, which `python -m talend_okta_sandbox.admin` does against the served sandbox."""

from __future__ import annotations

from typing import Any

import httpx
from typer.testing import CliRunner, Result

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE
from talend_okta_sandbox.admin import cli
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.talend import RunningTalend
from tests.sandbox.conftest import API_TOKEN, SCIM_TOKEN, scim_users
from tests.sandbox.test_api import assert_okta_error

NOT_ENABLED = "Provisioning is not enabled for the app instance."


def create_custom_app(okta: httpx.Client) -> str:
    credentials = {"userNameTemplate": {"template": EMAIL_PREFIX_TEMPLATE, "type": "BUILT_IN"}}
    body = {"label": "Talend Cloud", "signOnMode": "SAML_2_0", "credentials": credentials}
    created = okta.post("/api/v1/apps", params={"activate": "true"}, json=body)
    assert created.status_code == 200, created.text
    return str(created.json()["id"])


def admin(okta_url: str, *args: str, token: str = API_TOKEN) -> Result:
    env = {"OKTA_ORG_URL": okta_url, "OKTA_API_TOKEN": token, "TALEND_SCIM_TOKEN": SCIM_TOKEN}
    return CliRunner().invoke(cli, list(args), env=env)


def test_a_custom_app_gets_its_provisioning_apis_refused_by_default(okta: httpx.Client) -> None:
    app_id = create_custom_app(okta)
    connection = {
        "baseUrl": "https://api.eu.cloud.talend.com/scim/v2",
        "profile": {"authScheme": "TOKEN", "token": "t"},
    }

    posted = okta.post(f"/api/v1/apps/{app_id}/connections/default", json=connection)
    activated = okta.post(f"/api/v1/apps/{app_id}/connections/default/lifecycle/activate")
    read: dict[str, Any] = okta.get(f"/api/v1/apps/{app_id}/connections/default").json()

    assert (posted.status_code, activated.status_code) == (200, 204)  # accepted...
    assert (read["status"], read.get("baseUrl")) == ("UNKNOWN", None)  # ...and ignored
    switches = {"create": {"lifecycleCreate": {"status": "ENABLED"}}}
    refused = assert_okta_error(
        okta.put(f"/api/v1/apps/{app_id}/features/USER_PROVISIONING", json=switches), 400, "E0000001"
    )
    assert refused["errorSummary"] == NOT_ENABLED
    assert refused["errorCauses"] == [{"errorSummary": NOT_ENABLED}]
    group = okta.post("/api/v1/groups", json={"profile": {"name": "Talend Developers"}}).json()
    mapping = {"sourceGroupId": group["id"], "status": "ACTIVE"}
    assert_okta_error(okta.post(f"/api/v1/apps/{app_id}/group-push/mappings", json=mapping), 400, "E0000001")
    assert_okta_error(okta.get(f"/api/v1/apps/{app_id}/group-push/mappings"), 400, "E0000001")
    assert okta.get(f"/api/v1/apps/{app_id}").json()["features"] == []


def test_the_admin_enables_scim_and_to_app_then_provisions_who_was_assigned_before(
    sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client
) -> None:
    with sandbox.serve() as okta_url, httpx.Client(base_url=okta_url) as okta:
        okta.headers["Authorization"] = f"SSWS {API_TOKEN}"
        app_id = create_custom_app(okta)
        group = okta.post("/api/v1/groups", json={"profile": {"name": "Talend Developers"}}).json()
        user = okta.post(
            "/api/v1/users", json={"profile": {"login": "ann@corp.example", "email": "ann.lee@corp.example"}}
        )
        okta.put(f"/api/v1/groups/{group['id']}/users/{user.json()['id']}")
        okta.put(f"/api/v1/apps/{app_id}/groups/{group['id']}", json={})

        enabled = admin(okta_url, "enable-scim", "--app-id", app_id, "--base-url", talend.scim_url)
        to_app = admin(okta_url, "to-app", "--app-id", app_id, "--no-deactivate")
        mapping = {"sourceGroupId": group["id"], "status": "ACTIVE"}
        pushed = okta.post(f"/api/v1/apps/{app_id}/group-push/mappings", json=mapping)
        features = okta.get(f"/api/v1/apps/{app_id}").json()["features"]
        connection = okta.get(f"/api/v1/apps/{app_id}/connections/default").json()
        sandbox.sync()
        stranded = dict(scim_users(scim))  # ann was assigned before provisioning: Okta never pushes her
        provisioned = admin(okta_url, "provision-user", "--app-id", app_id, "--user", "ann@corp.example")
        sandbox.sync()

    assert enabled.exit_code == 0, enabled.output
    assert enabled.stdout.startswith(f"App {app_id}: Provisioning = SCIM, base URL {talend.scim_url}, token set")
    assert to_app.exit_code == 0, to_app.output
    assert SCIM_TOKEN not in enabled.output + to_app.output
    assert pushed.status_code == 200  # group push works once provisioning is on
    assert features == ["SCIM_PROVISIONING", "PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "GROUP_PUSH"]
    assert connection["status"] == "UNKNOWN"  # Okta's connection API still ignores the app
    assert stranded == {}
    assert provisioned.exit_code == 0, provisioned.output
    assert scim_users(scim)["ann.lee"]["active"] is True


def test_admin_problems_are_one_line_and_exit_2(sandbox: OktaSandbox) -> None:
    wrong = "okta-wrong-canary-91aa"
    with sandbox.serve() as okta_url:
        app_id = sandbox.add_saml_app("Talend Cloud", connection_api=False)
        runs = {
            "not loopback": admin("https://acme.okta.com", "to-app", "--app-id", app_id),
            "wrong token": admin(okta_url, "to-app", "--app-id", app_id, token=wrong),
            "no such app": admin(okta_url, "to-app", "--app-id", "0oaMissing0000000000"),
            "to-app first": admin(okta_url, "to-app", "--app-id", app_id),
            "bad base URL": admin(okta_url, "enable-scim", "--app-id", app_id, "--base-url", "ftp://x"),
        }
    for why, run in runs.items():
        assert run.exit_code == 2, (why, run.output)
        assert run.stderr.count("\n") == 1, (why, run.stderr)
        assert run.stderr.startswith("sandbox admin: error: "), why
        assert wrong not in run.output
    assert "only the local Okta sandbox, on a loopback address" in runs["not loopback"].stderr
    assert "HTTP 401 Invalid token provided" in runs["wrong token"].stderr
    assert "HTTP 404" in runs["no such app"].stderr
    assert NOT_ENABLED in runs["to-app first"].stderr
    assert "baseUrl: must be an http(s) URL" in runs["bad base URL"].stderr
