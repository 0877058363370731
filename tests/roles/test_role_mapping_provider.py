"""The role-mapping dynamic provider, called as the Pulumi engine calls it, against the Talend stand-in over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from talend_okta.role_mapping import UNKNOWN, RoleMappingError, RoleMappingProvider
from talend_okta_sandbox.talend import RunningTalend
from tests.roles.conftest import ADMIN_TOKEN, USERS_ONLY_TOKEN, configured

DEVS = {"name": "Talend Developers", "roles": ["Integration Developer", "Operator"]}
ADMINS = {"name": "Talend Admins", "roles": ["Security Administrator"]}


def props(talend: RunningTalend, *mappings: dict[str, Any], token: str = ADMIN_TOKEN) -> dict[str, Any]:
    """The resource's inputs as the engine hands them to the provider (secrets already decrypted)."""
    return {"apiUrl": talend.api_url, "apiToken": token, "mappings": list(mappings)}


def test_create_replaces_every_mapping_of_the_tenant(provider: RoleMappingProvider, talend: RunningTalend) -> None:
    talend.roles.set_mapping("Made by hand", ["Operator"])  # authoritative: this one goes
    result = provider.create(props(talend, DEVS, ADMINS))
    assert result.id == f"{talend.api_url}/security/role-mappings"
    assert talend.roles.snapshot() == {
        "Talend Admins": ["Security Administrator"],
        "Talend Developers": ["Integration Developer", "Operator"],
    }
    assert result.outs == {
        "apiUrl": talend.api_url,
        "apiToken": ADMIN_TOKEN,  # the engine stores it encrypted: the input was a secret
        "mappings": [ADMINS, DEVS],
    }


def test_create_refuses_unknown_roles_before_writing(provider: RoleMappingProvider, talend: RunningTalend) -> None:
    talend.roles.set_mapping("Existing", ["Operator"])
    wrong = {"name": "Talend Developers", "roles": ["Operator", "Integration Develloper", "Data Wizard"]}
    with pytest.raises(RoleMappingError) as raised:
        provider.create(props(talend, wrong))
    message = str(raised.value)
    assert message.startswith("talendRoles: Talend has no role named 'Data Wizard', 'Integration Develloper'; ")
    assert "the tenant's roles are: API Designer, API Tester, Assets Manager," in message
    assert "Integration Developer" in message
    assert "Security Administrator" in message
    assert "\n" not in message
    assert talend.roles.writes == 0
    assert talend.roles.snapshot() == {"Existing": ["Operator"]}


def test_read_returns_what_talend_holds_so_refresh_sees_a_change_by_hand(
    provider: RoleMappingProvider, talend: RunningTalend
) -> None:
    declared = props(talend, DEVS)
    created = provider.create(declared)
    assert created.outs is not None
    read = provider.read(created.id, created.outs)
    assert read.id == created.id
    assert read.outs == created.outs
    assert provider.diff(created.id, read.outs, declared).changes is False  # in sync: no drift

    # An admin changes the mapping in Talend Management Console.
    talend.roles.set_mapping("Talend Developers", ["Operator", "Security Administrator"])
    talend.roles.set_mapping("Made by hand", ["API Tester"])
    refreshed = provider.read(created.id, created.outs)
    assert refreshed.outs is not None
    assert refreshed.outs["mappings"] == [
        {"name": "Made by hand", "roles": ["API Tester"]},
        {"name": "Talend Developers", "roles": ["Operator", "Security Administrator"]},
    ]
    assert refreshed.outs["apiToken"] == ADMIN_TOKEN
    assert refreshed.outs["apiUrl"] == talend.api_url
    diff = provider.diff(created.id, refreshed.outs, declared)
    assert diff.changes is True
    assert diff.replaces == []

    # `pulumi up` repairs it: an update back to the declared mappings.
    updated = provider.update(created.id, refreshed.outs, declared)
    assert talend.roles.snapshot() == {"Talend Developers": ["Integration Developer", "Operator"]}
    assert updated.outs is not None
    assert provider.diff(created.id, provider.read(created.id, updated.outs).outs or {}, declared).changes is False


def test_update_changes_mappings_and_refuses_unknown_roles(
    provider: RoleMappingProvider, talend: RunningTalend
) -> None:
    old = props(talend, DEVS)
    created = provider.create(old)
    new = props(talend, {"name": "Talend Developers", "roles": ["Operator"]}, ADMINS)
    provider.update(created.id, created.outs or {}, new)
    assert talend.roles.snapshot() == {"Talend Admins": ["Security Administrator"], "Talend Developers": ["Operator"]}

    writes = talend.roles.writes
    with pytest.raises(RoleMappingError, match=r"^talendRoles: Talend has no role named 'Root'; the tenant's roles"):
        provider.update(created.id, old, props(talend, {"name": "Talend Admins", "roles": ["Root"]}))
    assert talend.roles.writes == writes


def test_delete_leaves_no_mapping(provider: RoleMappingProvider, talend: RunningTalend) -> None:
    created = provider.create(props(talend, DEVS, ADMINS))
    provider.delete(created.id, created.outs or {})
    assert talend.roles.snapshot() == {}


def test_diff_compares_as_talend_applies_mappings(provider: RoleMappingProvider, talend: RunningTalend) -> None:
    olds = props(talend, DEVS, ADMINS)
    reordered = props(talend, ADMINS, {"name": "Talend Developers", "roles": ["Operator", "Integration Developer"]})
    assert provider.diff("id", olds, reordered).changes is False
    assert provider.diff("id", olds, props(talend, DEVS)).changes is True
    rotated = provider.diff("id", olds, props(talend, DEVS, ADMINS, token="a-new-token-1234"))
    assert (rotated.changes, rotated.replaces) == (True, [])  # the state must hold the new token
    moved = provider.diff("id", olds, {**olds, "apiUrl": "https://api.us.cloud.talend.com"})
    assert (moved.changes, moved.replaces) == (True, ["apiUrl"])  # another tenant
    assert provider.diff("id", olds, {**olds, "mappings": UNKNOWN}).changes is True


def test_check_refuses_malformed_mappings(provider: RoleMappingProvider, talend: RunningTalend) -> None:
    assert provider.check({}, props(talend, DEVS)).failures == []
    twice = provider.check({}, props(talend, DEVS, DEVS)).failures
    assert [(f.property, f.reason) for f in twice] == [("mappings", "names a customer role twice")]
    assert provider.check({}, props(talend, {"name": "", "roles": []})).failures[0].property == "mappings"
    assert provider.check({}, {**props(talend), "mappings": "Talend Developers"}).failures


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("not-a-talend-token-5a5a", "401 Unauthorized"),
        (
            USERS_ONLY_TOKEN,
            "403 Forbidden: Access is denied: TMC_SSO_MANAGEMENT permission required; the token's "
            "owner needs SSO - Manage (TMC_SSO_MANAGEMENT) (talend-okta:talendApiToken as the engine configured the "
            "provider)",
        ),
    ],
)
def test_rejected_token_is_one_line_without_the_token(
    provider: RoleMappingProvider, talend: RunningTalend, token: str, expected: str
) -> None:
    configured(provider, **{"talend-okta:talendApiToken": token})
    for call in (
        lambda: provider.create(props(talend, token=token)),
        lambda: provider.read("id", props(talend, token=token)),
        lambda: provider.delete("id", props(talend, token=token)),
    ):
        with pytest.raises(RoleMappingError) as raised:
            call()
        message = str(raised.value)
        assert message.startswith("role mappings: Talend answered ")
        assert expected in message
        assert token not in message
        assert "\n" not in message
    assert talend.roles.writes == 0


@pytest.mark.usefixtures("instant_retries")
def test_unreachable_talend_is_one_line(provider: RoleMappingProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALEND_API_URL", "http://127.0.0.1:9")
    gone = {"apiUrl": "http://127.0.0.1:9", "apiToken": ADMIN_TOKEN, "mappings": []}
    with pytest.raises(RoleMappingError, match=r"^role mappings: Talend at http://127.0.0.1:9 could not be reached"):
        configured(provider).read("id", gone)


def test_check_refuses_unknown_roles_so_pulumi_preview_says_it(
    provider: RoleMappingProvider, talend: RunningTalend
) -> None:
    """Check runs in `pulumi preview` too: a misspelled role name is one line there, before `pulumi up` changes
    anything in Okta (it has the SCIM token at least)."""
    wrong = {"name": "Talend Developers", "roles": ["Integration Develloper"]}
    checked = provider.check({}, props(talend, wrong))
    assert [(failure.property, failure.reason.split(";")[0]) for failure in checked.failures] == [
        ("mappings", "talendRoles: Talend has no role named 'Integration Develloper'")
    ]
    assert "Integration Developer" in checked.failures[0].reason
    assert provider.check({}, props(talend, DEVS)).failures == []
    assert talend.roles.writes == 0


def test_check_names_a_rejected_configured_token_with_the_command_that_fixes_it(
    talend: RunningTalend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALEND_API_URL", talend.api_url)
    rejected = "tPAT.q8Vw3Kp7Lm2Xn5"  # no 8-character run in common with the message
    provider = configured(RoleMappingProvider(), **{"talend-okta:talendApiToken": rejected})
    (failure,) = provider.check({}, props(talend, DEVS, token=rejected)).failures
    assert failure.reason.startswith("role mappings: ")
    assert (
        "Talend rejected talend-okta:talendApiToken as the engine configured the provider: set a valid one with "
        "`pulumi config set --secret talend-okta:talendApiToken`" in failure.reason
    )
    assert "run `pulumi up` once" not in failure.reason
    assert rejected not in failure.reason


def test_check_leaves_a_talend_url_the_stack_does_not_name_to_create(talend: RunningTalend) -> None:
    provider = configured(RoleMappingProvider())
    unreachable = {**props(talend, DEVS), "apiUrl": "http://127.0.0.1:9"}
    assert provider.check({}, unreachable).failures == []
