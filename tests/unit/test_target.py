"""Which Okta org, token and app a command reads (talend_okta.target): one rule for verify, preflight and adopt."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from talend_okta.http import InputError
from talend_okta.settings import load_settings
from talend_okta.stack_files import StackConfig, StackOutputs
from talend_okta.target import okta_target, talend_target

TOKEN = "canary-okta-target-71c2"
SETTINGS = load_settings({"region": "au", "domainName": "acme", "scimToken": "x-token"})


def config(okta_org_url: str | None = "https://acme.okta.com") -> StackConfig:
    return StackConfig(Path("Pulumi.dev.yaml"), SETTINGS, okta_org_url)


def test_options_win_over_stack_outputs_which_win_over_the_config() -> None:
    outputs = StackOutputs(okta_org_url="https://outputs.okta.com", app_id="0oaOutputs")
    chosen = okta_target(
        okta_url="https://option.okta.com", okta_token=TOKEN, app_id="0oaOption", outputs=outputs, config=config()
    )
    assert (chosen.org_url, chosen.app_id) == ("https://option.okta.com", "0oaOption")
    from_outputs = okta_target(okta_url=None, okta_token=TOKEN, app_id=None, outputs=outputs, config=config())
    assert (from_outputs.org_url, from_outputs.app_id) == ("https://outputs.okta.com", "0oaOutputs")
    from_config = okta_target(okta_url=None, okta_token=f" {TOKEN} ", app_id="0oa1", config=config())
    assert from_config.org_url == "https://acme.okta.com"
    assert from_config.credentials == SecretStr(TOKEN)  # stripped
    assert TOKEN not in repr(from_config)


def test_the_url_is_kept_as_spelled() -> None:
    """The Okta client compares its pages' links as origins (tests/verify/test_paging.py), so the spelling stays."""
    chosen = okta_target(okta_url="https://Acme.Okta.com/", okta_token=TOKEN, app_id="0oa1")
    assert chosen.org_url == "https://Acme.Okta.com"


def test_assigned_groups_only_for_the_app_the_outputs_describe() -> None:
    outputs = StackOutputs(okta_org_url="https://acme.okta.com", app_id="0oa1", assigned_groups={"Devs": "00g1"})
    assert okta_target(okta_url=None, okta_token=TOKEN, app_id=None, outputs=outputs).assigned_groups == {
        "Devs": "00g1"
    }
    assert okta_target(okta_url=None, okta_token=TOKEN, app_id="0oa2", outputs=outputs).assigned_groups is None


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"okta_url": None}, "missing --okta-url (OKTA_ORG_URL): give the option or its environment variable"),
        ({"okta_token": "  "}, "missing --okta-token (OKTA_API_TOKEN)"),
        ({"app_id": None}, "missing --app-id (TALEND_OKTA_APP_ID)"),
        (
            {"okta_url": None, "okta_token": None, "app_id": None},
            "missing --okta-url (OKTA_ORG_URL), --okta-token (OKTA_API_TOKEN) or a service app (OKTA_API_CLIENT_ID, "
            "OKTA_API_PRIVATE_KEY, OKTA_API_SCOPES), --app-id (TALEND_OKTA_APP_ID)",
        ),
        ({"app_id": "0oa/../users"}, "--app-id: an Okta app id is letters and digits"),
        ({"okta_url": "http://acme.okta.com"}, "--okta-url (OKTA_ORG_URL): plain http:// is only allowed"),
        ({"okta_url": "ftp://acme.okta.com"}, "--okta-url (OKTA_ORG_URL): must be an https:// URL"),
    ],
)
def test_missing_or_bad_input_is_one_line_naming_the_option(given: dict[str, str | None], message: str) -> None:
    values: dict[str, str | None] = {"okta_url": "https://acme.okta.com", "okta_token": TOKEN, "app_id": "0oa1"}
    with pytest.raises(InputError) as raised:
        okta_target(**(values | given))  # type: ignore[arg-type]
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert TOKEN not in str(raised.value)


def test_a_missing_url_names_the_config_file_when_there_is_one() -> None:
    with pytest.raises(InputError, match=r"okta:orgName and okta:baseUrl in Pulumi\.dev\.yaml"):
        okta_target(okta_url=None, okta_token=TOKEN, app_id="0oa1", config=config(None))


def test_plain_http_to_loopback_is_allowed() -> None:
    chosen = okta_target(okta_url="http://127.0.0.1:18080", okta_token=TOKEN, app_id="0oa1")
    assert chosen.org_url == "http://127.0.0.1:18080"


def test_an_optional_app_still_needs_an_app_id_or_the_stack_outputs() -> None:
    """preflight: stack outputs without appId mean the app is not deployed yet; nothing at all is a mistake."""
    with pytest.raises(InputError, match=r"missing --app-id \(TALEND_OKTA_APP_ID\) or --stack-outputs"):
        okta_target(okta_url=None, okta_token=TOKEN, app_id=None, config=config(), app="optional")
    not_deployed = okta_target(
        okta_url=None, okta_token=TOKEN, app_id=None, outputs=StackOutputs(), config=config(), app="optional"
    )
    assert not_deployed.app_id is None


def test_talend_target_only_with_a_token() -> None:
    assert talend_target(api_url=None, api_token=None, outputs=None, config=config()) is None
    assert talend_target(api_url=None, api_token=" ", outputs=None, config=config()) is None
    from_region = talend_target(api_url=None, api_token="t", outputs=None, config=config())
    assert from_region is not None
    assert from_region.api_url == "https://api.au.cloud.talend.com"
    outputs = StackOutputs(scim_base_url="https://api.eu.cloud.talend.com/scim/v2")
    from_outputs = talend_target(api_url=None, api_token="t", outputs=outputs, config=config())
    assert from_outputs is not None
    assert from_outputs.api_url == "https://api.eu.cloud.talend.com"
    with pytest.raises(InputError, match=r"--talend-api-url \(TALEND_API_URL\)"):
        talend_target(api_url="http://talend.example", api_token="t", outputs=None, config=config())
