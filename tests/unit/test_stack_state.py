"""Stack outputs after a failed `pulumi up` (talend_okta.stack_state): the app id from the state, the rest from the
stack config, through the spec's one `stack_outputs`. The workflow step is run end to end in tests/workflows."""

from __future__ import annotations

from pathlib import Path

from talend_okta.settings import load_settings
from talend_okta.stack_files import StackConfig
from talend_okta.stack_state import missing_outputs

SAML = "okta:app/saml:Saml"


def config(**raw: object) -> StackConfig:
    settings = load_settings({"region": "us", "domainName": "acme", "scimToken": "x", **raw})
    return StackConfig(Path("Pulumi.dev.yaml"), settings, "https://acme.okta.com")


def state(*resources: dict[str, object]) -> dict[str, object]:
    return {"deployment": {"resources": list(resources)}}


def test_the_app_id_comes_from_the_state_the_rest_from_the_config() -> None:
    outputs = missing_outputs(state({"type": SAML, "id": "0oa9"}, {"type": "other", "id": "x"}), config())
    assert outputs == {
        "appId": "0oa9",
        "appLabel": "Talend Cloud",
        "scimBaseUrl": "https://api.us.cloud.talend.com/scim/v2",
        "provisioning": {
            "manage": True,
            "createUsers": True,
            "updateUserAttributes": True,
            "deactivateUsers": True,
            "assignBeforeProvisioning": False,
        },
        "oktaOrgUrl": "https://acme.okta.com",
    }


def test_no_app_in_the_state_means_no_app_id_and_role_mappings_when_declared() -> None:
    roles = [{"name": "Devs", "talendRoles": ["Operator", "API Designer"]}]
    outputs = missing_outputs(state(), config(groups=roles))
    assert "appId" not in outputs
    assert outputs["roleMappings"] == {"Devs": ["API Designer", "Operator"]}
    two_apps = missing_outputs(state({"type": SAML, "id": "0oa1"}, {"type": SAML, "id": "0oa2"}), config())
    assert "appId" not in two_apps
