"""The assignments and push-groups dynamic providers, called as the Pulumi engine calls them, against the sandbox."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dill
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from talend_okta.assignments import UNKNOWN, AssignmentError, GroupAssignmentsProvider, PushGroupsProvider
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_limits import RateLimits, bucket_of
from talend_okta_sandbox.okta_oauth import generate_key_pair
from tests.conftest import sandbox_client

TOKEN = "assignments-canary-okta-token-5c1d"


@dataclass
class Org:
    sandbox: OktaSandbox
    url: str
    app_id: str
    groups: dict[str, str]  # name → id

    def props(self, *declared: dict[str, Any]) -> dict[str, Any]:
        """The resource's inputs as the engine hands them over."""
        return {"oktaUrl": self.url, "appId": self.app_id, "groups": list(declared)}

    def group(self, name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "groupId": self.groups[name], **extra}

    def calls(self, since: int = 0) -> list[tuple[str, str]]:
        """(method, path) of the requests since `since`, without the query."""
        return [(method, target.split("?")[0]) for method, target in self.sandbox.requests[since:]]

    def get(self, path: str) -> Any:
        with sandbox_client(base_url=self.url, headers={"Authorization": f"SSWS {TOKEN}"}, timeout=5) as okta:
            response = okta.get(path, params={"limit": 200})
            response.raise_for_status()
            return response.json()

    def assigned(self) -> dict[str, int | None]:
        """Assigned group name → priority, as Okta lists them."""
        names = {group_id: name for name, group_id in self.groups.items()}
        return {names[g["id"]]: g.get("priority") for g in self.get(f"/api/v1/apps/{self.app_id}/groups")}

    def push_mappings(self) -> dict[str, str]:
        """Pushed group name → mapping status, as Okta lists them."""
        names = {group_id: name for name, group_id in self.groups.items()}
        listed = self.get(f"/api/v1/apps/{self.app_id}/group-push/mappings")
        return {names[m["sourceGroupId"]]: m["status"] for m in listed}

    def set_push_status(self, mapping_id: str, status: str) -> None:
        """What an admin does in the console: deactivate (or activate) a push mapping."""
        with sandbox_client(base_url=self.url, headers={"Authorization": f"SSWS {TOKEN}"}, timeout=5) as okta:
            path = f"/api/v1/apps/{self.app_id}/group-push/mappings/{mapping_id}"
            okta.patch(path, json={"status": status}).raise_for_status()


@pytest.fixture
def org() -> Iterator[Org]:
    sandbox = OktaSandbox(TOKEN, rate_limits=RateLimits.unlimited())
    app_id = sandbox.add_saml_app("Talend Cloud")
    groups = {name: sandbox.add_group(name) for name in ("Devs", "Ops", "Admins", "By hand")}
    with sandbox.serve() as url:
        yield Org(sandbox, url, app_id, groups)


def unpickled(provider: Any, token: str | None = TOKEN) -> Any:
    """The provider as the engine's provider process gets it: pickled as the SDK does, unpickled, then configured
    with the stack's config (where `okta:apiToken` is, decrypted)."""
    loaded = dill.loads(base64.b64decode(serialize_provider(provider)))
    config = {} if token is None else {"okta:apiToken": token}
    loaded.configure(ConfigureRequest(Config(raw_config=config, project_name="talend-okta")))
    return loaded


@pytest.fixture
def assignments() -> GroupAssignmentsProvider:
    provider: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider())
    return provider


@pytest.fixture
def pushes() -> PushGroupsProvider:
    provider: PushGroupsProvider = unpickled(PushGroupsProvider())
    return provider


def test_create_adopts_what_okta_holds_and_writes_only_the_rest(
    org: Org, assignments: GroupAssignmentsProvider
) -> None:
    org.sandbox.assign_group(org.app_id, org.groups["Devs"], priority=1)
    org.sandbox.assign_group(org.app_id, org.groups["Ops"], priority=7)
    start = len(org.sandbox.requests)
    # Pulumi hands a dynamic provider numbers as floats: Okta is sent an integer.
    declared = [org.group("Devs", priority=1.0), org.group("Ops", priority=2.0), org.group("Admins", priority=None)]
    result = assignments.create(org.props(*declared))
    assert result.id == org.app_id
    assert org.calls(start) == [
        ("GET", f"/api/v1/apps/{org.app_id}/groups"),  # Devs: as declared, not written again
        ("PUT", f"/api/v1/apps/{org.app_id}/groups/{org.groups['Ops']}"),  # priority 7 → 2
        ("PUT", f"/api/v1/apps/{org.app_id}/groups/{org.groups['Admins']}"),
    ]
    held = org.assigned()
    assert (set(held), held["Devs"], held["Ops"]) == ({"Devs", "Ops", "Admins"}, 1, 2)
    assert result.outs == org.props(*declared)
    assert TOKEN not in str(result.outs)  # the token is never an input or an output: not in the state


def test_read_is_one_request_for_a_hundred_groups_and_shows_drift_of_declared_groups_only(
    org: Org, assignments: GroupAssignmentsProvider
) -> None:
    many = {f"Team {i:03d}": org.sandbox.add_group(f"Team {i:03d}") for i in range(100)}
    org.groups.update(many)
    declared = [org.group(name, priority=None) for name in many] + [org.group("Devs", priority=3)]
    assignments.create(org.props(*declared))
    org.sandbox.unassign_group(org.app_id, many["Team 042"])  # by hand, in the Admin Console
    org.sandbox.assign_group(org.app_id, org.groups["Devs"], priority=9)
    org.sandbox.assign_group(org.app_id, org.groups["By hand"])  # not the stack's: neither reported nor removed
    start = len(org.sandbox.requests)
    read = assignments.read(org.app_id, org.props(*declared))
    calls = org.calls(start)
    assert calls == [("GET", f"/api/v1/apps/{org.app_id}/groups")]
    assert {bucket_of(method, path) for method, path in calls} == {"apps"}
    held = {group["name"]: group["priority"] for group in read.outs["groups"]}
    assert "Team 042" not in held
    assert held["Devs"] == 9
    assert "By hand" not in held
    assert len(held) == 100
    assert assignments.diff(org.app_id, read.outs, org.props(*declared)).changes is True
    assert assignments.diff(org.app_id, org.props(*declared), org.props(*declared)).changes is False

    start = len(org.sandbox.requests)
    assignments.update(org.app_id, read.outs, org.props(*declared))
    assert sorted(org.calls(start)[1:]) == [
        ("PUT", f"/api/v1/apps/{org.app_id}/groups/{org.groups['Devs']}"),
        ("PUT", f"/api/v1/apps/{org.app_id}/groups/{many['Team 042']}"),
    ]
    assert "By hand" in org.assigned()


def test_update_unassigns_only_the_groups_the_stack_no_longer_declares(
    org: Org, assignments: GroupAssignmentsProvider
) -> None:
    before = [org.group("Devs", priority=None), org.group("Ops", priority=None)]
    assignments.create(org.props(*before))
    org.sandbox.assign_group(org.app_id, org.groups["By hand"])
    start = len(org.sandbox.requests)
    assignments.update(org.app_id, org.props(*before), org.props(before[0]))
    assert org.calls(start)[1:] == [("DELETE", f"/api/v1/apps/{org.app_id}/groups/{org.groups['Ops']}")]
    assert set(org.assigned()) == {"Devs", "By hand"}


def test_a_renamed_group_keeps_its_assignment(org: Org, assignments: GroupAssignmentsProvider) -> None:
    """Keyed by the Okta group id: a new name changes nothing in Okta (per-group resources re-created it)."""
    assignments.create(org.props(org.group("Devs", priority=None)))
    start = len(org.sandbox.requests)
    renamed = {"name": "Developers", "groupId": org.groups["Devs"], "priority": None}
    assert assignments.diff(org.app_id, org.props(org.group("Devs", priority=None)), org.props(renamed)).changes
    assignments.update(org.app_id, org.props(org.group("Devs", priority=None)), org.props(renamed))
    assert [method for method, _ in org.calls(start)] == ["GET"]


def test_diff_replaces_for_another_app_and_ignores_the_token(org: Org, assignments: GroupAssignmentsProvider) -> None:
    olds = org.props(org.group("Devs"))
    assert assignments.diff(org.app_id, olds, {**olds, "appId": "0oaother"}).replaces == ["appId"]
    assert assignments.diff(org.app_id, olds, {**olds, "groups": UNKNOWN}).changes is True
    rotated: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), "a-rotated-token")
    assert rotated.diff(org.app_id, olds, olds).changes is False


def test_a_refused_token_is_one_line_without_the_token(org: Org) -> None:
    wrong = "assignments-wrong-canary-9e7f"
    provider: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), wrong)
    with pytest.raises(AssignmentError) as raised:
        provider.read(org.app_id, org.props(org.group("Devs")))
    message = str(raised.value)
    assert message.startswith("group assignments: Okta answered GET /api/v1/apps/")
    assert "401" in message
    assert "\n" not in message
    assert wrong not in message


def test_the_token_comes_from_the_stack_config_else_the_environment(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OKTA_API_TOKEN", raising=False)
    unconfigured: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), None)
    message = (
        r"^group assignments: no Okta credentials: set okta:apiToken \(OKTA_API_TOKEN\) or a service app "
        r"\(okta:clientId, okta:privateKey, okta:scopes\)$"
    )
    with pytest.raises(AssignmentError, match=message):
        unconfigured.read(org.app_id, org.props(org.group("Devs")))
    monkeypatch.setenv("OKTA_API_TOKEN", TOKEN)
    assert unconfigured.read(org.app_id, org.props(org.group("Devs"))).outs["groups"] == []


def test_push_groups_adopt_reactivate_create_and_read_in_one_request(org: Org, pushes: PushGroupsProvider) -> None:
    org.sandbox.push_group(org.app_id, org.groups["Devs"])
    inactive = org.sandbox.push_group(org.app_id, org.groups["Ops"])
    org.set_push_status(inactive, "INACTIVE")
    declared = [org.group("Devs"), org.group("Ops"), org.group("Admins")]
    start = len(org.sandbox.requests)
    created = pushes.create(org.props(*declared))
    base = f"/api/v1/apps/{org.app_id}/group-push/mappings"
    assert org.calls(start) == [("GET", base), ("PATCH", f"{base}/{inactive}"), ("POST", base)]
    assert org.push_mappings() == {"Devs": "ACTIVE", "Ops": "ACTIVE", "Admins": "ACTIVE"}
    assert set(created.outs["pushMappings"]) == {org.groups[name] for name in ("Devs", "Ops", "Admins")}

    org.set_push_status(inactive, "INACTIVE")  # by hand
    start = len(org.sandbox.requests)
    read = pushes.read(org.app_id, created.outs)
    assert org.calls(start) == [("GET", base)]
    assert [group["name"] for group in read.outs["groups"]] == ["Devs", "Admins"]
    assert pushes.diff(org.app_id, read.outs, org.props(*declared)).changes is True


def test_push_groups_no_longer_declared_are_deactivated_then_deleted_keeping_the_target(
    org: Org, pushes: PushGroupsProvider
) -> None:
    declared = [org.group("Devs"), org.group("Ops")]
    created = pushes.create(org.props(*declared))
    mapping = created.outs["pushMappings"][org.groups["Ops"]]
    start = len(org.sandbox.requests)
    pushes.update(org.app_id, created.outs, org.props(declared[0]))
    base = f"/api/v1/apps/{org.app_id}/group-push/mappings"
    assert org.calls(start) == [("GET", base), ("PATCH", f"{base}/{mapping}"), ("DELETE", f"{base}/{mapping}")]
    assert org.sandbox.requests[-1][1].endswith("deleteTargetGroup=false")
    assert org.push_mappings() == {"Devs": "ACTIVE"}


def test_no_push_group_declared_reads_nothing(org: Org, pushes: PushGroupsProvider) -> None:
    """Okta refuses to list push mappings of an app without provisioning: a stack pushing nothing never asks."""
    start = len(org.sandbox.requests)
    created = pushes.create(org.props())
    read = pushes.read(org.app_id, created.outs)
    assert org.sandbox.requests[start:] == []
    assert read.outs["groups"] == []


def test_a_service_app_in_the_stack_config_assigns_and_pushes_without_leaving_its_key(org: Org) -> None:
    """okta:clientId, okta:privateKey, okta:privateKeyId, okta:scopes as the engine hands them (scopes: JSON text)."""
    keys = generate_key_pair()
    scopes = ["okta.apps.manage", "okta.groups.manage"]
    org.sandbox.register_service_app("0oaresources1", keys.public_pem, scopes, key_id=keys.key_id)
    config = {
        "okta:clientId": "0oaresources1",
        "okta:privateKey": keys.private_pem,
        "okta:privateKeyId": keys.key_id,
        "okta:scopes": json.dumps(scopes),
    }
    providers = []
    for provider in (GroupAssignmentsProvider(), PushGroupsProvider()):
        loaded = dill.loads(base64.b64decode(serialize_provider(provider)))
        loaded.configure(ConfigureRequest(Config(raw_config=config, project_name="talend-okta")))
        providers.append(loaded)
    assigned = providers[0].create(org.props(org.group("Devs", priority=None)))
    pushed = providers[1].create(org.props(org.group("Devs")))

    assert list(org.assigned()) == ["Devs"]
    assert list(pushed.outs["pushMappings"]) == [org.groups["Devs"]]
    state = json.dumps([assigned.outs, pushed.outs]) + str(serialize_provider(providers[0]))
    assert keys.private_pem.splitlines()[5] not in state
    assert not any(token[:12] in state for token in org.sandbox.oauth._tokens)
    assert org.sandbox.oauth.issued == 1  # both resources, one token


def test_a_service_app_without_the_manage_scope_is_one_line_naming_it(org: Org) -> None:
    keys = generate_key_pair()
    org.sandbox.register_service_app("0oaresources2", keys.public_pem, ["okta.apps.read"])
    config = {
        "okta:clientId": "0oaresources2",
        "okta:privateKey": keys.private_pem,
        "okta:scopes": '["okta.apps.read"]',
    }
    loaded = dill.loads(base64.b64decode(serialize_provider(GroupAssignmentsProvider())))
    loaded.configure(ConfigureRequest(Config(raw_config=config, project_name="talend-okta")))
    with pytest.raises(AssignmentError) as raised:
        loaded.create(org.props(org.group("Devs", priority=None)))
    assert str(raised.value).startswith("group assignments: Okta answered PUT /api/v1/apps/")
    assert "the token lacks okta.apps.manage" in str(raised.value)
    assert "\n" not in str(raised.value)
