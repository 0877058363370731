"""Where the assignments and push-groups providers send the Okta token (issue 25, item 4): only to the stack's Okta
org, as its Okta provider settings name it when they run; a state that names another host is refused before any
request, as the role-mapping provider refuses it for the Talend token."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from talend_okta.assignments import AssignmentError, GroupAssignmentsProvider, PushGroupsProvider
from talend_okta_sandbox.serving import serve_wsgi
from tests.assignments.conftest import TOKEN, Org, unpickled
from tests.roles.test_role_mapping_target import Listener


@pytest.fixture
def attacker() -> Iterator[tuple[str, Listener]]:
    listener = Listener(lambda: ("200 OK", [("Content-Type", "application/json")], b"[]"))
    with serve_wsgi(listener) as url:
        yield url, listener


PROVIDERS = [GroupAssignmentsProvider, PushGroupsProvider]


@pytest.mark.parametrize("kind", PROVIDERS, ids=["assignments", "push groups"])
def test_a_state_naming_another_host_is_refused_and_nothing_is_sent(
    org: Org, attacker: tuple[str, Listener], kind: type[Any]
) -> None:
    attacker_url, listener = attacker
    provider = unpickled(kind(), TOKEN, org.url)  # the stack's config: the sandbox org
    state = {**org.props(org.group("Devs")), "oktaUrl": attacker_url}  # someone wrote the state backend
    start = len(org.sandbox.requests)
    for operation in (
        lambda: provider.read(org.app_id, state),
        lambda: provider.delete(org.app_id, state),
        lambda: provider.update(org.app_id, state, state),
    ):
        with pytest.raises(AssignmentError) as raised:
            operation()
        message = str(raised.value)
        assert f"the state names the Okta org {attacker_url!r}, but the stack's Okta provider settings say" in message
        assert "nothing was sent" in message
        assert TOKEN not in message
        assert "\n" not in message
    assert listener.requests == []
    assert org.sandbox.requests[start:] == []  # refused before any request, to either host


def test_the_org_comes_from_the_okta_provider_settings_or_their_variables(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("OKTA_ORG_NAME", "OKTA_BASE_URL", "OKTA_HTTP_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    unconfigured: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), TOKEN, None)
    with pytest.raises(AssignmentError, match=r"the stack config names no Okta org .*; nothing was sent$"):
        unconfigured.read(org.app_id, org.props(org.group("Devs")))
    monkeypatch.setenv("OKTA_HTTP_PROXY", org.url)  # as pulumi-okta reads it too
    from_variables: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), TOKEN, None)
    assert from_variables.read(org.app_id, org.props(org.group("Devs"))).outs["groups"] == []
    # A real org: https://<okta:orgName>.<okta:baseUrl>; the state of the sandbox org is refused there.
    monkeypatch.delenv("OKTA_HTTP_PROXY")
    monkeypatch.setenv("OKTA_ORG_NAME", "acme")
    monkeypatch.setenv("OKTA_BASE_URL", "okta.com")
    real: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), TOKEN, None)
    with pytest.raises(AssignmentError, match=r"provider settings say https://acme\.okta\.com; refusing"):
        real.read(org.app_id, org.props(org.group("Devs")))
