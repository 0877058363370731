"""An Okta sandbox with a Talend Cloud app an admin built by hand, following Talend's manual procedure loosely.

The app is built over the sandbox's Okta API (real HTTP), with the admin console's defaults where Talend's
procedure was not followed: Okta-username application usernames, NameID `${user.userName}` unspecified, an unsigned
assertion, no middle_name statement. Two groups are assigned (one pushed), provisioning is on.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from talend_okta_sandbox.deploy import UNSPECIFIED_NAMESPACE, OktaAdmin
from talend_okta_sandbox.okta import OktaSandbox
from tests.cli_runner import talend_okta
from tests.conftest import ServeSandbox
from tests.stack.conftest import run_stack, runs  # noqa: F401  (the program under mocks, for the adopted config)

OKTA_TOKEN = "okta-adopt-canary-5d4c3b2a1f0e"
SCIM_TOKEN = "talend-adopt-canary-0a9b8c7d6e5f"
SSO_URL = "https://iam.eu.cloud.talend.com/oidc/ssologin/acme-4711"
DOMAIN = "acme.eu.cloud.talend.com"
SCIM_URL = "https://api.eu.cloud.talend.com/scim/v2"
DEVELOPERS, ANALYSTS = "Talend Developers", "Talend Analysts"


def hand_built_app_body(label: str = "Talend Cloud", sso_url: str = SSO_URL) -> dict[str, Any]:
    """What the admin console's App Integration Wizard sends for a SAML 2.0 app filled in by hand."""

    def statement(name: str, value: str) -> dict[str, Any]:
        return {"type": "EXPRESSION", "name": name, "namespace": UNSPECIFIED_NAMESPACE, "values": [value]}

    return {
        "label": label,
        "signOnMode": "SAML_2_0",
        "credentials": {"userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"}},
        "settings": {
            "signOn": {
                "ssoAcsUrl": sso_url,
                "recipient": sso_url,
                "destination": sso_url,
                "audience": sso_url,
                "subjectNameIdTemplate": "${user.userName}",
                "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
                "responseSigned": True,
                "assertionSigned": False,
                "signatureAlgorithm": "RSA_SHA256",
                "digestAlgorithm": "SHA256",
                "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                "attributeStatements": [
                    statement("given_name", "user.firstName"),
                    statement("family_name", "user.lastName"),
                    statement("TalendCloudDomainName", f'"{DOMAIN}"'),
                ],
            }
        },
    }


@dataclass
class HandBuilt:
    """The served sandbox and the ids of what the admin built."""

    okta: OktaSandbox
    okta_url: str
    app_id: str
    groups: dict[str, str]  # name → Okta group id
    push_mapping_id: str
    tmp_path: Path

    def adopt(self, *args: str, env: dict[str, str] | None = None) -> Any:
        """`talend-okta adopt` in-process, run in `tmp_path`, with the Okta URL and token from the environment."""
        base_env = {"OKTA_ORG_URL": self.okta_url, "OKTA_API_TOKEN": OKTA_TOKEN}
        with contextlib.chdir(self.tmp_path):
            result = talend_okta(["adopt", *args], env=base_env | (env or {}))
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result


def build_by_hand(admin: OktaAdmin, sandbox: OktaSandbox) -> tuple[str, dict[str, str], str]:
    """The admin's clicks, as Okta API calls: app, SCIM connection, To App, two groups with people, one pushed."""
    app = admin.call("POST", "/api/v1/apps", hand_built_app_body(), params={"activate": "true"})
    app_id = str(app["id"])
    connection = {"baseUrl": SCIM_URL, "profile": {"authScheme": "TOKEN", "token": SCIM_TOKEN}}
    admin.call("POST", f"/api/v1/apps/{app_id}/connections/default", connection)
    admin.call("POST", f"/api/v1/apps/{app_id}/connections/default/lifecycle/activate")
    to_app = {s: {"status": "ENABLED"} for s in ("lifecycleCreate",)}
    update = {"profile": {"status": "ENABLED"}, "lifecycleDeactivate": {"status": "ENABLED"}}
    admin.call("PUT", f"/api/v1/apps/{app_id}/features/USER_PROVISIONING", {"create": to_app, "update": update})
    groups: dict[str, str] = {}
    for priority, name in enumerate((DEVELOPERS, ANALYSTS)):
        group = admin.call("POST", "/api/v1/groups", {"profile": {"name": name, "description": ""}})
        groups[name] = str(group["id"])
        admin.call("PUT", f"/api/v1/apps/{app_id}/groups/{groups[name]}", {"priority": priority})
    for local, group in (("jdoe", DEVELOPERS), ("asmith", DEVELOPERS), ("bwong", ANALYSTS)):
        user_id = sandbox.add_user(f"{local}@acme.com", f"{local}@acme.com", local.title(), "Tester")
        admin.call("PUT", f"/api/v1/groups/{groups[group]}/users/{user_id}")
    mapping = admin.call(
        "POST", f"/api/v1/apps/{app_id}/group-push/mappings", {"sourceGroupId": groups[DEVELOPERS], "status": "ACTIVE"}
    )
    return app_id, groups, str(mapping["id"])


@pytest.fixture
def hand_built(tmp_path: Path, serve_sandbox: ServeSandbox) -> HandBuilt:
    # Provisioning set up over the API, as Okta allows for apps whose provisioning API it documents.
    served = serve_sandbox(OKTA_TOKEN, SCIM_TOKEN, provisioning_api="supported")
    with OktaAdmin(served.okta_url, OKTA_TOKEN) as admin:
        app_id, groups, mapping_id = build_by_hand(admin, served.okta)
    return HandBuilt(served.okta, served.okta_url, app_id, groups, mapping_id, tmp_path)
