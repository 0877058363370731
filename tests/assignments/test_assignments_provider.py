"""The assignments and push-groups dynamic providers, called as the Pulumi engine calls them, against the sandbox."""

from __future__ import annotations

import json

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from talend_okta.assignments import UNKNOWN, AssignmentError, GroupAssignmentsProvider, PushGroupsProvider
from talend_okta.http import ApiUnreachable
from talend_okta.okta_api import OktaClient
from talend_okta_sandbox.okta_limits import bucket_of
from talend_okta_sandbox.okta_oauth import generate_key_pair
from tests.assignments.conftest import TOKEN, Org, unpickled


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
        ("GET", f"/api/v1/apps/{org.app_id}/groups"),  # read back
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
    assert org.calls(start)[-1] == ("GET", f"/api/v1/apps/{org.app_id}/groups")  # read back
    assert sorted(org.calls(start)[1:-1]) == [
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
    assert org.calls(start)[1:] == [
        ("DELETE", f"/api/v1/apps/{org.app_id}/groups/{org.groups['Ops']}"),
        ("GET", f"/api/v1/apps/{org.app_id}/groups"),  # read back
    ]
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
    rotated: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), "a-rotated-token", org.url)
    assert rotated.diff(org.app_id, olds, olds).changes is False


def test_a_refused_token_is_one_line_without_the_token(org: Org) -> None:
    wrong = "assignments-wrong-canary-9e7f"
    provider: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), wrong, org.url)
    with pytest.raises(AssignmentError) as raised:
        provider.read(org.app_id, org.props(org.group("Devs")))
    message = str(raised.value)
    assert message.startswith("group assignments: Okta answered GET /api/v1/apps/")
    assert "401" in message
    assert "\n" not in message
    assert wrong not in message


def test_the_token_comes_from_the_stack_config_else_the_environment(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OKTA_API_TOKEN", raising=False)
    unconfigured: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), None, org.url)
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
    assert org.calls(start) == [("GET", base), ("PATCH", f"{base}/{inactive}"), ("POST", base), ("GET", base)]
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
    assert org.calls(start) == [
        ("GET", base),
        ("PATCH", f"{base}/{mapping}"),
        ("DELETE", f"{base}/{mapping}"),
        ("GET", base),  # read back
    ]
    assert org.sandbox.requests[-2][1].endswith("deleteTargetGroup=false")
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
    providers = [
        unpickled(provider, None, org.url, config) for provider in (GroupAssignmentsProvider(), PushGroupsProvider())
    ]
    assigned = providers[0].create(org.props(org.group("Devs", priority=None)))
    pushed = providers[1].create(org.props(org.group("Devs")))

    assert list(org.assigned()) == ["Devs"]
    assert list(pushed.outs["pushMappings"]) == [org.groups["Devs"]]
    state = json.dumps([assigned.outs, pushed.outs]) + str(serialize_provider(GroupAssignmentsProvider()))
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
    loaded = unpickled(GroupAssignmentsProvider(), None, org.url, config)
    with pytest.raises(AssignmentError) as raised:
        loaded.create(org.props(org.group("Devs", priority=None)))
    devs = f"Devs ({org.groups['Devs']})"
    assert str(raised.value).startswith(
        f"group assignments failed: assign group {devs}: Okta answered PUT /api/v1/apps/"
    )
    assert "the token lacks okta.apps.manage" in str(raised.value)
    assert "\n" not in str(raised.value)


def test_an_update_refused_half_way_undoes_its_own_writes_and_says_so(
    org: Org, assignments: GroupAssignmentsProvider, capsys: pytest.CaptureFixture[str]
) -> None:
    """Group 1 assigned, group 2 refused: group 1 is unassigned again, so nothing is left in Okta that the state
    (still the old one) does not know; the one line says what failed and what was undone."""
    olds = org.props(org.group("Admins", priority=None))
    assignments.create(olds)
    org.sandbox.assign_group(org.app_id, org.groups["By hand"])
    news = org.props(org.group("Admins", priority=None), org.group("Devs", priority=1), org.group("Ops", priority=2))
    org.sandbox.inject_fault("PUT", f"/groups/{org.groups['Ops']}$", 403)
    with pytest.raises(AssignmentError) as raised:
        assignments.update(org.app_id, olds, news)
    message = str(raised.value)
    devs, ops = (f"{name} ({org.groups[name]})" for name in ("Devs", "Ops"))
    assert message.startswith(f"group assignments failed: assign group {ops}: Okta answered PUT ")
    assert message.endswith(f"; undone: unassign group {devs} again")
    assert "\n" not in message
    assert TOKEN not in message
    assert set(org.assigned()) == {"Admins", "By hand"}  # as before the update
    assert capsys.readouterr().err.count("read back: as declared") == 1  # the create only


def test_an_unassignment_that_cannot_be_undone_names_who_is_without_access_first(
    org: Org, assignments: GroupAssignmentsProvider
) -> None:
    olds = org.props(org.group("Devs", priority=None), org.group("Ops", priority=4), org.group("Admins", priority=None))
    assignments.create(olds)
    news = org.props(org.group("Devs", priority=None))
    org.sandbox.inject_fault("DELETE", f"/groups/{org.groups['Admins']}$", 403)  # Ops goes, Admins is refused
    org.sandbox.inject_fault("PUT", f"/groups/{org.groups['Ops']}$", 403)  # and Ops cannot be assigned again
    with pytest.raises(AssignmentError) as raised:
        assignments.update(org.app_id, olds, news)
    message = str(raised.value)
    ops, admins = (f"{name} ({org.groups[name]})" for name in ("Ops", "Admins"))
    assert message.startswith(
        f"NOW WITHOUT ACCESS: the members of group {ops}, unassigned from app {org.app_id} (group assignments "
        "failed part way); restore: Okta Admin Console → Applications → the app → Assignments → Assign → "
        "Assign to Groups → Ops "
        f'(priority 4), or PUT /api/v1/apps/{org.app_id}/groups/{org.groups["Ops"]} with {{"priority": 4}}; '
        f"group assignments failed: unassign group {admins}: Okta answered DELETE "
    )
    assert f"; NOT undone: unassign group {ops} (assign group {ops} again failed: Okta answered PUT " in message
    assert set(org.assigned()) == {"Devs", "Admins"}


def test_an_unassignment_whose_answer_was_lost_names_who_is_without_access(
    org: Org, assignments: GroupAssignmentsProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DELETE reaches Okta, but its answer never comes back: the read back shows the group gone, so the one line
    says first who is now without access and how to restore them, not only that a write failed."""
    olds = org.props(org.group("Devs", priority=None), org.group("Ops", priority=4))
    assignments.create(olds)
    unassign = OktaClient.unassign_group

    def answer_lost(self: OktaClient, app_id: str, group_id: str) -> None:
        unassign(self, app_id, group_id)
        raise ApiUnreachable("Okta did not answer DELETE in time")

    monkeypatch.setattr(OktaClient, "unassign_group", answer_lost)
    with pytest.raises(AssignmentError) as raised:
        assignments.update(org.app_id, olds, org.props(org.group("Devs", priority=None)))
    ops = f"Ops ({org.groups['Ops']})"
    assert str(raised.value).startswith(
        f"NOW WITHOUT ACCESS: the members of group {ops}, unassigned from app {org.app_id} (group assignments "
        "failed part way); restore: Okta Admin Console → Applications → the app → Assignments → Assign → "
        "Assign to Groups → Ops (priority 4)"
    )
    assert set(org.assigned()) == {"Devs"}


def test_push_groups_refused_half_way_undo_the_new_mapping(org: Org, pushes: PushGroupsProvider) -> None:
    """Devs pushed, then reactivating Ops refused: the mapping just made for Devs is deactivated and deleted."""
    inactive = org.sandbox.push_group(org.app_id, org.groups["Ops"])
    org.set_push_status(inactive, "INACTIVE")
    org.sandbox.inject_fault("PATCH", f"/group-push/mappings/{inactive}$", 403)
    with pytest.raises(AssignmentError) as raised:
        pushes.update(org.app_id, org.props(), org.props(org.group("Devs"), org.group("Ops")))
    message = str(raised.value)
    devs, ops = (f"{name} ({org.groups[name]})" for name in ("Devs", "Ops"))
    assert message.startswith(f"push groups failed: set the push mapping of group {ops} INACTIVE → ACTIVE: ")
    assert message.endswith(f"; undone: stop pushing group {devs} again")
    assert org.push_mappings() == {"Ops": "INACTIVE"}


def test_a_renamed_or_moved_resource_keeps_the_groups_the_config_still_declares(
    org: Org, capsys: pytest.CaptureFixture[str]
) -> None:
    """Renamed without an alias, Pulumi creates the new resource (which adopts) and deletes the old one: its delete
    unassigns and unpushes only what `talend-okta:groups` no longer declares."""
    groups = json.dumps([{"name": "Devs", "push": True}, {"name": "Ops"}])
    config = {"talend-okta:groups": groups}
    assignments: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), org_url=org.url, config=config)
    pushes: PushGroupsProvider = unpickled(PushGroupsProvider(), org_url=org.url, config=config)
    old = org.props(org.group("Devs", priority=None), org.group("Ops", priority=None), org.group("Admins"))
    assignments.create(old)
    pushed = pushes.create(org.props(org.group("Devs"), org.group("Ops")))
    assignments.create(old)  # the new resource adopts: nothing written

    assignments.delete(org.app_id, old)
    pushes.delete(org.app_id, pushed.outs)

    assert set(org.assigned()) == {"Devs", "Ops"}  # Admins is no longer declared: unassigned
    assert org.push_mappings() == {"Devs": "ACTIVE"}  # Ops is declared, but not pushed
    err = capsys.readouterr().err
    devs, ops = (f"{name} ({org.groups[name]})" for name in ("Devs", "Ops"))
    assert f"group assignments: kept {devs}, {ops}: the stack config still declares them" in err
    assert f"push groups: kept {devs}: the stack config still declares them" in err


def test_a_delete_with_an_unreadable_groups_setting_sends_nothing(org: Org) -> None:
    config = {"talend-okta:groups": "not json"}
    assignments: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), org_url=org.url, config=config)
    props = org.props(org.group("Devs", priority=None))
    assignments.create(props)
    start = len(org.sandbox.requests)
    with pytest.raises(AssignmentError, match="cannot read talend-okta:groups from the stack config"):
        assignments.delete(org.app_id, props)
    assert org.sandbox.requests[start:] == []
