"""The program with the config adopt wrote, under Pulumi's mock runtime: every adopted Okta object is registered
with the provider's import id, and every input the provider would replace the object for matches that id."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
import yaml

from talend_okta.settings import namespace_keys
from tests.adopt.conftest import ANALYSTS, DEVELOPERS, HandBuilt
from tests.stack import harness
from tests.stack.harness import CANARY_TOKEN, RunStack, StackRun, base_config

SAML = "okta:app/saml:Saml"
CONNECTION = "okta:app/connection:Connection"
FEATURES = "okta:app/features:Features"
ASSIGNMENTS = "pulumi-python:dynamic/talend:GroupAssignments"
PUSHES = "pulumi-python:dynamic/talend:PushGroups"


def run_adopted(hand_built: HandBuilt, run_stack: RunStack, monkeypatch: pytest.MonkeyPatch) -> StackRun:
    """Adopt the hand-built app, then run the program with the written file (plus the secret Pulumi would hold)."""
    result = hand_built.adopt("--app-id", hand_built.app_id, "--stack", "acme")
    assert result.exit_code == 0, result.stderr
    written = yaml.safe_load((hand_built.tmp_path / "Pulumi.acme.yaml").read_text())["config"]
    okta = {key.removeprefix("okta:"): value for key, value in written.items() if key.startswith("okta:")}
    # getGroup answers with the sandbox's ids, as the provider would look the names up in that org.
    monkeypatch.setattr(harness, "group_id", lambda name: hand_built.groups[name])
    return run_stack({**namespace_keys(written), "scimToken": CANARY_TOKEN}, okta)


def test_adopted_objects_are_registered_with_their_import_ids(
    hand_built: HandBuilt, run_stack: RunStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_adopted(hand_built, run_stack, monkeypatch)
    app_id, groups = hand_built.app_id, hand_built.groups

    app = run.one(SAML)
    assert app.resource_id == app_id  # okta.app.Saml imports by the app id
    assert "preconfiguredApp" not in app.inputs  # the one app input the provider replaces the app for
    assert run.namespace["talend_app"].app._protect is True
    assert run.outputs["appId"] == app_id

    connection = run.one(CONNECTION)
    assert connection.resource_id == app_id
    assert connection.inputs["idProperty"] == app_id
    features = run.one(FEATURES)
    assert features.resource_id == f"{app_id}/USER_PROVISIONING"
    assert (features.inputs["appId"], features.inputs["name"]) == (app_id, "USER_PROVISIONING")

    # Assignments and push groups are not imported: the two resources read what Okta holds when they are created
    # and write only what differs, so the hand-built assignments and push mapping are kept as they are.
    assignments = run.one(ASSIGNMENTS)
    assert not assignments.resource_id
    assert assignments.inputs["appId"] == app_id
    assert {g["name"]: (g["groupId"], g.get("priority")) for g in assignments.inputs["groups"]} == {
        DEVELOPERS: (groups[DEVELOPERS], None),
        ANALYSTS: (groups[ANALYSTS], 1),
    }
    pushes = run.one(PUSHES)
    assert not pushes.resource_id
    assert pushes.inputs["groups"] == [{"name": DEVELOPERS, "groupId": groups[DEVELOPERS]}]


def test_adopted_app_is_declared_as_talend_requires(
    hand_built: HandBuilt, run_stack: RunStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the first `pulumi up` then updates in place: the app as the component always declares it."""
    app = run_adopted(hand_built, run_stack, monkeypatch).one(SAML).inputs
    assert app["userNameTemplate"] == '${fn:substringBefore(source.email, "@")}'
    assert app["subjectNameIdTemplate"] == "${user.login}"
    assert app["assertionSigned"] is True
    assert app["ssoUrl"] == "https://iam.eu.cloud.talend.com/oidc/ssologin/acme-4711"  # unchanged: read from it
    assert app["label"] == "Talend Cloud"


def test_without_adopt_nothing_is_imported(run_stack: RunStack) -> None:
    run = run_stack(base_config(groups=[{"name": "Talend Developers", "push": True}]))
    imported = [(r.name, r.resource_id) for r in run.mocks.resources if r.resource_id]  # the engine sends "" for none
    assert imported == []


ADOPT = {"app": "0oa1", "assignments": {"A": "0oa1/00g1"}, "pushGroups": {"A": "0oa1/gPm1"}}

BAD_ADOPT: list[tuple[str, dict[str, Any], str]] = [
    ("bad app id", {"app": "00g1"}, "talend-okta:adopt.app: must be an Okta app id, like 0oa1b2c3d4 (got '00g1')"),
    ("unknown key", {"app": "0oa1", "groups": {}}, "talend-okta:adopt.groups: unknown setting; allowed here: app,"),
    (
        "assignment of another app",
        {"app": "0oa1", "assignments": {"A": "0oa2/00g1"}},
        "talend-okta:adopt.assignments['A']: must be 0oa1/<Okta id> (got '0oa2/00g1')",
    ),
    (
        "features of another app",
        {"app": "0oa1", "features": "0oa2/USER_PROVISIONING"},
        "talend-okta:adopt.features: must be '0oa1/USER_PROVISIONING' for app 0oa1",
    ),
    (
        "group not in the config",
        {"app": "0oa1", "assignments": {"B": "0oa1/00g2"}},
        "talend-okta:adopt.assignments: 'B' is not in talend-okta:groups; after the first `pulumi up` the whole",
    ),
    (
        "push id for a group that is not pushed",
        {"app": "0oa1", "pushGroups": {"C": "0oa1/gPm1"}},
        "talend-okta:adopt.pushGroups: 'C' is not a talend-okta:groups entry with push: true",
    ),
]


@pytest.mark.parametrize(("adopt", "message"), [c[1:] for c in BAD_ADOPT], ids=[c[0] for c in BAD_ADOPT])
def test_bad_adopt_block_stops_before_any_resource(
    run_stack: RunStack, runs: list[StackRun], adopt: dict[str, Any], message: str
) -> None:
    config = base_config(groups=[{"name": "A", "push": True}, {"name": "C"}], adopt=adopt)
    with pytest.raises(pulumi.RunError) as raised:
        run_stack(config)
    text = str(raised.value)
    assert text.startswith(message), text
    assert "\n" not in text
    assert runs[-1].mocks.resources == []


def test_adopt_ids_for_provisioning_need_manage(run_stack: RunStack) -> None:
    config = base_config(provisioning={"manage": False}, adopt={"app": "0oa1", "connection": "0oa1"})
    with pytest.raises(pulumi.RunError, match=r"^talend-okta:adopt: connection and features need provisioning"):
        run_stack(config)


def test_valid_adopt_block_imports_by_group(run_stack: RunStack) -> None:
    run = run_stack(base_config(groups=[{"name": "A", "push": True}, {"name": "B"}], adopt=ADOPT))
    ids = {r.name: r.resource_id for r in run.mocks.resources}
    assert ids["talend-app"] == "0oa1"
    assert not ids["talend-assignments"]  # adopted by reading Okta, whatever adopt.assignments says
    assert not ids["talend-push-groups"]
    assert not ids["talend-scim"]  # no id given: created (a POST to the connection, nothing deleted)
