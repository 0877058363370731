"""The check each group assignment's before-create hook runs: assign nobody while Okta does not create users for
the app (people assigned then are never provisioned by Okta), against the Okta sandbox."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from talend_okta.assignment_guard import AssignmentRefused, require_app_creates_users
from talend_okta.okta_auth import ServiceApp
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_oauth import generate_key_pair
from tests.stack.harness import CANARY_TOKEN

OKTA_TOKEN = "okta-canary-guard-2b3c4d5e6f"
SCIM_URL = "http://127.0.0.1:9/scim/v2"  # never called: nobody is assigned in these tests


def check(sandbox: OktaSandbox, app_id: str, token: str = OKTA_TOKEN) -> None:
    with sandbox.serve() as okta_url:
        require_app_creates_users(okta_url, token, app_id, "Talend Developers", timeout=5.0)


def test_refused_while_provisioning_is_off_naming_the_console_steps() -> None:
    sandbox = OktaSandbox(OKTA_TOKEN)
    app_id = sandbox.add_saml_app("Talend Cloud", connection_api=False)
    with pytest.raises(AssignmentRefused) as refused:
        check(sandbox, app_id)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(
        f"group 'Talend Developers' not assigned: Okta does not create users for app {app_id} yet (its features: none)"
    )
    assert "General → App Settings → Provisioning = SCIM" in message
    assert "To App → Create Users" in message
    assert "talend-okta:provisioning.assignBeforeProvisioning: true" in message


def test_refused_while_create_users_is_off() -> None:
    sandbox = OktaSandbox(OKTA_TOKEN)
    app_id = sandbox.add_saml_app("Talend Cloud", connection_api=False)
    sandbox.set_connection(app_id, SCIM_URL, CANARY_TOKEN)
    sandbox.set_user_provisioning(app_id, create=False, update_profile=True, deactivate=True)
    with pytest.raises(AssignmentRefused, match=r"\(its features: SCIM_PROVISIONING, PUSH_PROFILE_UPDATES"):
        check(sandbox, app_id)


def test_passes_once_okta_creates_users() -> None:
    sandbox = OktaSandbox(OKTA_TOKEN)
    app_id = sandbox.add_saml_app("Talend Cloud", connection_api=False)
    sandbox.set_connection(app_id, SCIM_URL, CANARY_TOKEN)
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    check(sandbox, app_id)


def test_an_unreadable_app_refuses_without_showing_the_token() -> None:
    sandbox = OktaSandbox(OKTA_TOKEN)
    with pytest.raises(AssignmentRefused) as refused:
        check(sandbox, "0oaMissing0000000000")
    assert "could not read whether Okta creates users for app 0oaMissing0000000000" in str(refused.value)
    assert "404" in str(refused.value)
    wrong = "okta-wrong-canary-77aa"
    with pytest.raises(AssignmentRefused) as rejected:
        check(sandbox, sandbox.add_saml_app("Talend Cloud"), token=wrong)
    assert "401" in str(rejected.value)
    assert wrong not in str(rejected.value)


def test_the_hook_reads_the_app_as_a_service_app_and_names_a_missing_scope() -> None:
    sandbox = OktaSandbox(OKTA_TOKEN)
    app_id = sandbox.add_saml_app("Talend Cloud", connection_api=False)
    sandbox.set_connection(app_id, SCIM_URL, CANARY_TOKEN)
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    keys = generate_key_pair()
    sandbox.register_service_app("0oahook1", keys.public_pem, ["okta.apps.read"])
    sandbox.register_service_app("0oahook2", keys.public_pem, ["okta.groups.read"])
    with sandbox.serve() as okta_url:
        reader = ServiceApp("0oahook1", SecretStr(keys.private_pem), None, ("okta.apps.read",))
        require_app_creates_users(okta_url, reader, app_id, "Talend Developers", timeout=5.0)
        stranger = ServiceApp("0oahook2", SecretStr(keys.private_pem), None, ("okta.groups.read",))
        with pytest.raises(AssignmentRefused) as refused:
            require_app_creates_users(okta_url, stranger, app_id, "Talend Developers", timeout=5.0)
    assert "the token lacks okta.apps.read" in str(refused.value)
    assert sandbox.oauth.issued == 2
