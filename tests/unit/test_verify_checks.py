"""verify's checks as units: okta-provisioning over an `httpx.MockTransport` Okta, user-sync and group-sync on what
was read (tests/verify runs them end to end against the sandbox and the Talend stand-in)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from talend_okta.checks import CheckResult
from talend_okta.okta_api import OktaClient
from talend_okta.settings import ProvisioningSettings
from talend_okta.target import ConnectionSettings
from talend_okta.verify.provisioning import provisioning_check
from talend_okta.verify.sync import OktaSide, PushedGroup, TalendSide, group_sync, user_sync
from tests.conftest import vendor_transport

OKTA = "https://acme.okta.com"
SCIM = "https://api.eu.cloud.talend.com/scim/v2"
PREFIX = '${fn:substringBefore(source.email, "@")}'
ON = {"status": "ENABLED"}
OFF = {"status": "DISABLED"}


def okta(app: dict[str, Any], connection: dict[str, Any], feature: dict[str, Any] | None) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/connections/default"):
            return httpx.Response(200, json=connection)
        if path.endswith("/features/USER_PROVISIONING"):
            if feature is None:  # a custom SAML app without provisioning, as Okta answers
                return httpx.Response(400, json={"errorCode": "E0000001", "errorSummary": "Api validation failed"})
            return httpx.Response(200, json=feature)
        return httpx.Response(200, json=app)

    return vendor_transport(answer)


def app(template: str = PREFIX, features: list[str] | None = None) -> dict[str, Any]:
    return {
        "id": "0oa1",
        "label": "Talend Cloud",
        "features": features or [],
        "credentials": {"userNameTemplate": {"template": template, "type": "BUILT_IN"}},
    }


def feature(create: bool = True, update: bool = True, deactivate: bool = True) -> dict[str, Any]:
    capabilities = {
        "create": {"lifecycleCreate": ON if create else OFF},
        "update": {"profile": ON if update else OFF, "lifecycleDeactivate": ON if deactivate else OFF},
    }
    return {"name": "USER_PROVISIONING", "status": "ENABLED", "capabilities": capabilities}


def settings(**changes: Any) -> ConnectionSettings:
    values = {"okta_url": OKTA, "okta_credentials": "t", "app_id": "0oa1", "scim_url": SCIM, "scim_token": "s"}
    return ConnectionSettings.model_validate(values | changes)


def check(
    app_body: dict[str, Any], connection: dict[str, Any], feature_body: dict[str, Any] | None, **changes: Any
) -> CheckResult:
    with OktaClient(OKTA, "t", transport=okta(app_body, connection, feature_body)) as client:
        return provisioning_check(client, client.get_app("0oa1"), settings(**changes))


ENABLED = {"status": "ENABLED", "authScheme": "TOKEN", "baseUrl": SCIM}


def test_provisioning_as_configured_passes() -> None:
    result = check(app(), ENABLED, feature())
    assert result.ok, result.detail
    assert result.detail == (
        f"connection ENABLED to {SCIM}; To App: Create Users, Update User Attributes, Deactivate Users; "
        "usernames = Email prefix"
    )


@pytest.mark.parametrize(
    ("app_body", "connection", "feature_body", "problem", "step"),
    [
        (
            app(),
            {"status": "UNKNOWN"},
            None,
            "provisioning is not enabled for the app (connection UNKNOWN)",
            "General → App Settings → Edit: Provisioning = SCIM; Save",
        ),
        (
            app(),
            {**ENABLED, "status": "DISABLED"},
            feature(),
            "the SCIM connection is DISABLED",
            "Provisioning → Integration → Edit: SCIM connector base URL",
        ),
        (
            app(),
            {**ENABLED, "baseUrl": "https://elsewhere.example/scim/v2"},
            feature(),
            "the SCIM base URL is https://elsewhere.example/scim/v2, expected " + SCIM,
            "Test Connector Configuration",
        ),
        (
            app(),
            ENABLED,
            feature(update=False),
            "To App: Update User Attributes is off",
            "To App → Edit: enable Update User Attributes; Save",
        ),
        (
            app("${source.login}"),
            ENABLED,
            feature(),
            "the username template is ${source.login}, expected Email prefix",
            "Application username format = Email prefix",
        ),
    ],
    ids=["not-enabled", "connection-off", "other-url", "switch-off", "username"],
)
def test_what_is_off_is_named_with_its_console_step(
    app_body: dict[str, Any], connection: dict[str, Any], feature_body: dict[str, Any] | None, problem: str, step: str
) -> None:
    result = check(app_body, connection, feature_body)
    assert not result.ok
    assert problem in result.detail
    assert any(step in s for s in result.steps), result.steps


def test_an_app_set_up_by_hand_is_read_from_its_features() -> None:
    """Okta's connection API reports UNKNOWN and refuses the features API for a custom SAML app set up by hand."""
    by_hand = app(features=["SCIM_PROVISIONING", "PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "PUSH_USER_DEACTIVATION"])
    result = check(by_hand, {"status": "UNKNOWN"}, None, stack_manages_provisioning=True)
    assert result.ok, result.detail
    assert result.detail.startswith("provisioning enabled in the admin console")
    assert "To App (from the app's features)" in result.detail
    assert result.steps[0].startswith("In the stack config set talend-okta:provisioning.manage to false")
    # the command as it must be typed: without --path Pulumi sets a key named `provisioning.manage`
    assert "`pulumi config set --path talend-okta:provisioning.manage false`" in result.steps[0]


def test_switches_the_stack_turned_off_are_expected_off() -> None:
    wanted = ProvisioningSettings(deactivate_users=False)
    assert check(app(), ENABLED, feature(deactivate=False), provisioning=wanted).ok
    on = check(app(), ENABLED, feature(), provisioning=wanted)
    assert "To App: Deactivate Users is on" in on.detail


def sides(okta_names: dict[str, str], talend: dict[str, bool]) -> tuple[OktaSide, TalendSide]:
    okta_side = OktaSide(user_names=okta_names)
    talend_side = TalendSide(
        users={name.casefold(): (name, active) for name, active in talend.items()},
        names_by_id={f"id-{name}": name for name in talend},
    )
    return okta_side, talend_side


def test_user_sync_compares_usernames_case_insensitively() -> None:
    okta_side, talend_side = sides(
        {"00u1": "JDoe", "00u2": "ann", "00u3": "bob", "00u4": "Cy", "00u5": "cy"},
        {"jdoe": True, "ann": False, "zed": True, "root": True},
    )
    result, report = user_sync(okta_side, talend_side, frozenset({"root"}), ProvisioningSettings())
    assert (report.expected, report.in_sync) == (4, 1)
    assert (report.missing, report.inactive, report.unexpected_active) == (["bob"], ["ann"], ["zed"])
    assert (report.collisions, report.ignored) == ([["Cy", "cy"]], ["root"])
    assert not result.ok
    assert result.settled  # a collision needs a person: waiting cannot fix it


def test_user_sync_expects_gaps_the_switches_leave() -> None:
    okta_side, talend_side = sides({"00u1": "bob"}, {"zed": True})
    off = ProvisioningSettings(create_users=False, deactivate_users=False)
    result, _ = user_sync(okta_side, talend_side, frozenset(), off)
    assert result.ok
    assert result.detail == (
        "0/1 assigned users active in Talend; 1 missing in Talend (createUsers is off: Okta does not create them); "
        "1 active in Talend but not assigned (deactivateUsers is off: Okta leaves them active)"
    )
    waiting, _ = user_sync(okta_side, talend_side, frozenset(), ProvisioningSettings())
    assert not waiting.ok
    assert not waiting.settled  # Okta may still be provisioning: look again


def test_group_sync_names_members_missing_and_unexpected() -> None:
    okta_side, talend_side = sides({"00u1": "ann", "00u2": "bob"}, {"ann": True, "bob": True, "zed": True})
    okta_side.groups = [PushedGroup("Devs", "ACTIVE", {"ann": "ann", "bob": "bob"})]
    okta_side.unpushed = ["Ops"]
    talend_side.groups = {"devs": [{"id-ann", "id-zed"}]}
    result, reports = group_sync(okta_side, talend_side, "Talend Cloud", {"Devs": "00g1", "Ops": "00g2"})
    assert not result.ok
    assert result.detail == "Ops: not pushed by Okta; Devs: 1 member missing, 1 unexpected in Talend"
    (devs,) = reports
    assert (devs.missing_members, devs.unexpected_members) == (["bob"], ["zed"])
    assert "Push Groups → Find groups by name: Ops" in result.steps[0]


def test_every_printed_pulumi_config_set_of_a_nested_key_uses_path() -> None:
    """`pulumi config set talend-okta:provisioning.manage false` sets a key named `provisioning.manage`, which the
    stack refuses as unknown: a nested key needs `--path`."""
    import re
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    sources = [
        *repo.glob("src/**/*.py"),
        *repo.glob("sandbox/src/**/*.py"),
        *repo.glob("docs/*.md"),
        repo / "README.md",
    ]
    sources += [repo / "Pulumi.dev.yaml", repo / "tools" / "settings_reference.py"]
    nested = re.compile(r"pulumi config set (?!--path)(?:--secret )?[\w{}-]+:\w+\.\w")
    found = [f"{path.name}: {hit}" for path in sources for hit in nested.findall(path.read_text(encoding="utf-8"))]
    assert found == []
