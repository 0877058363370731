"""The real CLI and language host run `stack/` and stop it on bad config before any provider is needed.

The deploy scenarios are in test_deploy.py.
"""

from __future__ import annotations

import pytest

from tests.engine.harness import ENGINE_BIN, PulumiProject

CANARY = "engine-canary-talend-pat-5e0b7d"
VALID = {"talend-okta:region": "eu", "talend-okta:domainName": "acme.eu.cloud.talend.com"}


def test_cli_and_host_are_the_pinned_release(project: PulumiProject) -> None:
    version = project.run("version").output.strip()
    assert version == "v3.274.1"
    plugins = {plugin["name"]: plugin["version"] for plugin in project.run("about", "--json").json()["plugins"]}
    assert plugins["python"] == "3.259.0"  # the host from ../shared/engine-src, which can start policy packs


def test_the_okta_plugin_the_cli_loads_is_the_version_the_sdk_pin_asks_for(project: PulumiProject) -> None:
    """What users run is what this tier proves: a user's CLI fetches the plugin version the pulumi-okta SDK pin
    names; here the CLI runs the one `make engine` built, from the workspace's plugin folder. Both read through the
    CLI."""
    wanted = {plugin["name"]: plugin["version"] for plugin in project.run("about", "--json").json()["plugins"]}
    loaded = project.run("package", "get-schema", str(ENGINE_BIN / "pulumi-resource-okta")).json()
    assert (loaded["name"], loaded["version"]) == ("okta", wanted["okta"])


def test_a_preview_loads_the_okta_plugin_without_a_warning(project: PulumiProject) -> None:
    """From the plugin folder, not from PATH: the CLI would say "using pulumi-resource-okta from $PATH" on every
    run (twice a run, as `make sandbox` users saw it)."""
    project.set_config({**VALID, "okta:orgName": "acme", "okta:baseUrl": "okta.com"})
    project.set_secret("talend-okta:scimToken", CANARY)
    result = project.run("preview", check=False)
    assert "The Okta provider was not properly configured" in result.output  # the plugin ran (no token given)
    assert "from $PATH" not in result.output


@pytest.mark.parametrize(
    ("config", "line"),
    [
        ({**VALID, "talend-okta:region": "us-east"}, "talend-okta:region: must be one of us, eu, ap, au, us-west"),
        ({**VALID, "talend-okta:scimUrl": "https://x"}, "talend-okta:scimUrl: unknown setting; allowed here:"),
        (
            {**VALID, "talend-okta:groups": [{"name": "A", "pushed": True}]},
            "talend-okta:groups[0].pushed: unknown setting; did you mean push? (allowed here: name, push",
        ),
    ],
)
def test_preview_stops_on_a_wrong_setting_with_one_line(
    project: PulumiProject, config: dict[str, object], line: str
) -> None:
    project.set_config(config)
    project.set_secret("talend-okta:scimToken", CANARY)

    result = project.run("preview", check=False)

    assert result.code != 0
    assert line in result.output
    assert "Traceback" not in result.output
    assert CANARY not in result.output
    # Nothing was declared: the program stopped before the first resource (no provider was even loaded).
    assert "okta:" not in result.output.replace("talend-okta:", "")


def test_required_setting_missing_is_refused_by_the_project_schema(project: PulumiProject) -> None:
    """Pulumi.yaml types the scalar settings, so the CLI itself names a missing one before the program runs."""
    project.set_config({"talend-okta:region": "eu"})

    result = project.run("preview", check=False)

    assert result.code != 0
    assert "missing configuration values 'domainName' and 'scimToken'" in result.output
    assert "Traceback" not in result.output


def test_secret_setting_is_encrypted_in_the_stack_file(project: PulumiProject) -> None:
    project.set_config(VALID)
    project.set_secret("talend-okta:scimToken", CANARY)

    text = project.stack_file.read_text()

    assert CANARY not in text
    assert "secure:" in text
    shown = project.run("config", "get", "talend-okta:scimToken").output.strip()
    assert shown == CANARY  # the passphrase provider decrypts it for the program
