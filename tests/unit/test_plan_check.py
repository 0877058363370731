"""talend_okta.plan_check: every plan step that takes people out of Talend is named and refused; the plan's shape is
`pulumi preview --json`'s (tests/engine/test_rate_limits.py checks it against the real CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from talend_okta.plan_check import UNKNOWN, unassignments
from tests.cli_runner import talend_okta

STACK = "urn:pulumi:dev::talend-okta::talend-okta:index:TalendCloudApp"
APP = f"{STACK}$okta:app/saml:Saml::talend-app"
FEATURES = f"{STACK}$okta:app/features:Features::talend-to-app"
ASSIGNMENTS = f"{STACK}$pulumi-python:dynamic/talend:GroupAssignments::talend-assignments"
PUSH_GROUPS = f"{STACK}$pulumi-python:dynamic/talend:PushGroups::talend-push-groups"
DEVELOPERS = {"name": "Talend Developers", "groupId": "00gdev", "priority": 1}
OPERATORS = {"name": "Talend Operators", "groupId": "00gops", "priority": 2}


def per_group(name: str) -> str:
    return f"{STACK}$okta:app/groupAssignment:GroupAssignment::talend-assign-{name}"


def type_of(urn: str) -> str:
    """The type as Pulumi writes it in a step's state (the URN's last type; the name may hold `::`)."""
    return urn.split("::", 3)[2].split("$")[-1]


def step(op: str, urn: str, old: dict[str, Any] | None = None, new: dict[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"op": op, "urn": urn}
    if old is not None:
        found["oldState"] = {"urn": urn, "type": type_of(urn), "inputs": old}
    if new is not None:
        found["newState"] = {"urn": urn, "type": type_of(urn), "inputs": new}
    return found


def stack_config(tmp_path: Path, *groups: dict[str, Any]) -> Path:
    """A stack config file as `pulumi config set` writes it."""
    config = {
        "okta:orgName": "acme",
        "okta:baseUrl": "okta.com",
        "talend-okta:region": "eu",
        "talend-okta:domainName": "acme.eu.cloud.talend.com",
        "talend-okta:scimToken": {"secure": "v1:c2VjcmV0:Zm9v"},
        "talend-okta:groups": list(groups),
    }
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return path


def check(tmp_path: Path, *steps: dict[str, Any], options: tuple[str, ...] = ()) -> Any:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"steps": list(steps), "changeSummary": {}}), encoding="utf-8")
    return talend_okta(["check-plan", str(plan), *options])


def test_a_plan_that_unassigns_nobody_passes(tmp_path: Path) -> None:
    added = step("update", ASSIGNMENTS, {"groups": [DEVELOPERS]}, {"groups": [DEVELOPERS, OPERATORS]})
    run = check(tmp_path, step("same", APP), added, step("create", per_group("Talend Operators")))
    assert run.exit_code == 0, run.output
    assert (
        run.output == "talend-okta check-plan: OK: the plan unassigns no one and keeps the app and its provisioning\n"
    )


def test_deleted_per_group_assignments_are_refused_and_the_upgrade_is_named(tmp_path: Path) -> None:
    """A stack moving from per-group resources without the upgrade step: its plan deletes them (unassigns)."""
    deleted = step("delete", per_group("Talend Developers"), {"appId": "0oa1", "groupId": "00gdev"})
    run = check(tmp_path, deleted, step("create", ASSIGNMENTS, new={"groups": [DEVELOPERS]}))
    assert run.exit_code == 1
    lines = run.output.splitlines()
    assert lines[0].startswith("talend-okta check-plan: REFUSED: 1 step take")
    assert lines[1] == (
        "  ✗ delete okta:app/groupAssignment:GroupAssignment talend-assign-Talend Developers: unassigns group 00gdev"
    )
    assert "python -m talend_okta.assignments_upgrade" in lines[2]
    assert "--allow-unassign" in lines[3]


def test_a_group_the_config_drops_is_listed_as_declared_and_passes(tmp_path: Path) -> None:
    """Removing a group from `groups` is a declared change: preflight showed it to reviewers; the check lists it."""
    config = stack_config(tmp_path, {"name": "Talend Developers"})
    dropped = step("update", ASSIGNMENTS, {"groups": [DEVELOPERS, OPERATORS]}, {"groups": [DEVELOPERS]})
    run = check(tmp_path, dropped, options=("--config", str(config)))
    assert run.exit_code == 0, run.output
    assert run.output.splitlines() == [
        "talend-okta check-plan: OK: the plan unassigns no one and keeps the app and its provisioning",
        "  declared in the stack config (1; preflight showed whom each holds):",
        "  - update pulumi-python:dynamic/talend:GroupAssignments talend-assignments: unassigns group Talend Operators "
        "(00gops)",
    ]


def test_a_dropped_group_the_config_still_lists_is_refused(tmp_path: Path) -> None:
    """The plan drops a group the config still declares (a program change, a name resolved otherwise): refused."""
    config = stack_config(tmp_path, {"name": "Talend Developers"}, {"name": "Talend Operators"})
    dropped = step("update", ASSIGNMENTS, {"groups": [DEVELOPERS, OPERATORS]}, {"groups": [DEVELOPERS]})
    run = check(tmp_path, dropped, options=("--config", str(config)))
    assert run.exit_code == 1, run.output
    assert "  ✗ update pulumi-python:dynamic/talend:GroupAssignments talend-assignments: unassigns group Talend " in (
        run.output
    )
    assert "declared" not in run.output


def test_the_stack_config_is_read_by_the_plans_stack_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --config, `Pulumi.<stack>.yaml` here (the stack named in the plan's URNs); absent, exit 2."""
    dropped = step("update", ASSIGNMENTS, {"groups": [DEVELOPERS, OPERATORS]}, {"groups": [DEVELOPERS]})
    monkeypatch.chdir(tmp_path)
    missing = check(tmp_path, dropped)
    assert missing.exit_code == 2
    assert missing.stderr.startswith("talend-okta: error: --config: the plan drops groups")
    assert "Pulumi.dev.yaml is not here" in missing.stderr
    stack_config(tmp_path, {"name": "Talend Operators"})
    assert check(tmp_path, dropped).exit_code == 1
    stack_config(tmp_path, {"name": "Talend Developers"})
    assert check(tmp_path, dropped).exit_code == 0


def test_a_push_group_the_config_still_pushes_is_refused(tmp_path: Path) -> None:
    config = stack_config(tmp_path, {"name": "Talend Developers", "push": True})
    dropped = step("update", PUSH_GROUPS, {"groups": [DEVELOPERS]}, {"groups": []})
    assert check(tmp_path, dropped, options=("--config", str(config))).exit_code == 1
    stack_config(tmp_path, {"name": "Talend Developers", "push": False})
    assert check(tmp_path, dropped, options=("--config", str(config))).exit_code == 0


def test_a_name_holding_double_colons_is_read_from_the_state_or_the_urn_split_three_times(tmp_path: Path) -> None:
    """Pulumi allows `::` in a resource name (pulumi#14107): the type is the state's, or the URN's third part."""
    urn = per_group("Talend::Developers")
    with_state = step("delete", urn, {"groupId": "00gdev"})
    without_type = {"op": "delete", "urn": urn, "oldState": {"inputs": {"groupId": "00gdev"}}}
    for plan_step in (with_state, without_type):
        (found,) = unassignments({"steps": [plan_step]})
        assert found.line() == (
            "delete okta:app/groupAssignment:GroupAssignment talend-assign-Talend::Developers: unassigns group 00gdev"
        )
    assert check(tmp_path, without_type).exit_code == 1


@pytest.mark.parametrize(
    "old",
    [None, {"groups": "[secret]"}, {"groups": [{"name": "[secret]", "groupId": UNKNOWN}]}, {}],
    ids=["no-old-state", "secret", "unknown", "no-groups"],
)
@pytest.mark.parametrize("op", ["delete", "replace"])
def test_assignments_whose_groups_cannot_be_read_are_refused(tmp_path: Path, op: str, old: Any) -> None:
    """A delete or replace whose groups the plan does not show may unassign every group: refused."""
    removed = step(op, ASSIGNMENTS, old, {"groups": [DEVELOPERS]} if op == "replace" else None)
    if old is None:
        removed["oldState"] = None
    run = check(tmp_path, removed)
    assert run.exit_code == 1, run.output
    assert "unassigns groups it held: the plan does not show which (secret or unknown)" in run.output


def test_an_update_whose_new_groups_are_unknown_is_refused(tmp_path: Path) -> None:
    unknown = step("update", ASSIGNMENTS, {"groups": [DEVELOPERS]}, {"groups": UNKNOWN})
    run = check(tmp_path, unknown)
    assert run.exit_code == 1, run.output
    assert "may drop any group it holds: the preview does not know its groups" in run.output


@pytest.mark.parametrize(
    ("urn", "old", "what"),
    [
        (f"{STACK}$okta:app/user:User::eve", {"appId": "0oa1", "userId": "00ueve"}, "unassigns person 00ueve"),
        (
            "urn:pulumi:dev::talend-okta::okta:index/appGroupAssignments:AppGroupAssignments::all",
            {"appId": "0oa1", "groups": [{"id": "00gdev", "priority": 1}]},
            "unassigns group 00gdev (00gdev)",
        ),
        (PUSH_GROUPS, {"groups": [DEVELOPERS]}, "stops pushing group Talend Developers (00gdev)"),
        (FEATURES, {"status": "ENABLED"}, "deletes the To App features: Okta stops provisioning to Talend"),
    ],
    ids=["user", "app-group-assignments", "push-groups", "features"],
)
def test_every_resource_that_assigns_people_deleted_is_refused(
    tmp_path: Path, urn: str, old: dict[str, Any], what: str
) -> None:
    run = check(tmp_path, step("delete", urn, old))
    assert run.exit_code == 1, run.output
    assert f"✗ delete {type_of(urn)} {urn.split('::', 3)[3]}: {what}" in run.output


def test_an_app_group_assignments_update_that_drops_a_group_is_refused(tmp_path: Path) -> None:
    urn = "urn:pulumi:dev::talend-okta::okta:index/appGroupAssignments:AppGroupAssignments::all"
    both = {"groups": [{"id": "00gdev"}, {"id": "00gops"}]}
    run = check(tmp_path, step("update", urn, both, {"groups": [{"id": "00gdev"}]}))
    assert run.exit_code == 1, run.output
    assert "unassigns group 00gops (00gops)" in run.output


@pytest.mark.parametrize("status", ["INACTIVE", UNKNOWN])
def test_the_app_set_inactive_is_refused(tmp_path: Path, status: str) -> None:
    run = check(tmp_path, step("update", APP, {"label": "Talend", "status": "ACTIVE"}, {"status": status}))
    assert run.exit_code == 1, run.output
    assert "✗ update okta:app/saml:Saml talend-app: sets the app's status to " in run.output
    assert "no one assigned can sign in" in run.output
    assert check(tmp_path, step("update", APP, {"status": "ACTIVE"}, {"status": "ACTIVE"})).exit_code == 0


def test_to_app_features_switched_off_are_refused(tmp_path: Path) -> None:
    def features(deactivate: str) -> dict[str, Any]:
        lifecycle = {"lifecycleDeactivate": {"status": deactivate}, "profile": {"status": "ENABLED"}}
        return {"status": "ENABLED", "capabilities": {"update": lifecycle}}

    run = check(tmp_path, step("update", FEATURES, features("ENABLED"), features("DISABLED")))
    assert run.exit_code == 1, run.output
    assert "switches off capabilities.update.lifecycleDeactivate.status" in run.output
    assert check(tmp_path, step("update", FEATURES, features("DISABLED"), features("ENABLED"))).exit_code == 0


@pytest.mark.parametrize("op", ["replace", "delete", "delete-replaced"])
def test_the_assignments_replaced_or_deleted_unassign_every_group_they_held(op: str) -> None:
    """A replacement's old resource unassigns all of its groups, even those the new one assigns again."""
    replaced = step(op, ASSIGNMENTS, {"groups": [DEVELOPERS, OPERATORS]}, {"groups": [DEVELOPERS, OPERATORS]})
    found = unassignments({"steps": [replaced]})
    assert [(item.what, item.declared) for item in found] == [
        ("unassigns group Talend Developers (00gdev)", False),
        ("unassigns group Talend Operators (00gops)", False),
    ]


def test_assignments_renamed_or_moved_without_an_alias_unassign_only_what_the_new_one_does_not_declare() -> None:
    """The new resource is created, the old one deleted: its provider keeps every group the stack config still
    declares (talend_okta.assignments), which the new resource's inputs are."""
    moved = f"{STACK}$pulumi-python:dynamic/talend:GroupAssignments::talend-group-assignments"
    renamed = [
        step("create", moved, None, {"groups": [DEVELOPERS]}),
        step("delete", ASSIGNMENTS, {"groups": [DEVELOPERS, OPERATORS]}),
    ]
    found = unassignments({"steps": renamed})
    assert [(item.what, item.declared) for item in found] == [("unassigns group Talend Operators (00gops)", False)]
    assert unassignments({"steps": [renamed[1]]}) != []  # deleted alone: every group is unassigned


def test_a_replacement_shown_step_by_step_is_named_once() -> None:
    """`pulumi preview --json --show-replacement-steps`: replace, create-replacement and delete-replaced."""
    urn, old = per_group("Talend Developers"), {"groupId": "00gdev"}
    shown = [
        step("replace", urn, old, old),
        step("create-replacement", urn, None, old),
        step("delete-replaced", urn, old),
    ]
    found = unassignments({"steps": shown})
    assert [(item.op, item.what) for item in found] == [("replace", "unassigns group 00gdev")]


def test_deleting_the_app_is_refused(tmp_path: Path) -> None:
    run = check(tmp_path, step("delete", APP, {"label": "Talend Cloud"}))
    assert run.exit_code == 1
    assert (
        "✗ delete okta:app/saml:Saml talend-app: deletes the Talend Cloud app: everyone assigned leaves" in run.output
    )


def test_allow_unassign_lists_the_steps_and_passes(tmp_path: Path) -> None:
    deleted = step("delete", per_group("Talend Developers"), {"groupId": "00gdev"})
    run = check(tmp_path, deleted, options=("--allow-unassign",))
    assert run.exit_code == 0
    assert run.output.startswith("talend-okta check-plan: ALLOWED (--allow-unassign): 1 step")
    assert "unassigns group 00gdev" in run.output
    assert "Run again" not in run.output


def test_the_plan_on_stdin() -> None:
    plan = json.dumps({"steps": [step("delete", APP)]})
    run = talend_okta(["check-plan", "-"], input=plan)
    assert run.exit_code == 1
    assert "deletes the Talend Cloud app" in run.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "PLAN: not JSON; write it with `pulumi preview --json > plan.json`"),
        ("[]", "PLAN: not what `pulumi preview --json` writes (a JSON object with steps)"),
        ('{"steps": 3}', "PLAN: not what `pulumi preview --json` writes (steps: Input should be a valid list)"),
        (
            '{"steps": [{"op": "delete"}]}',
            "PLAN: not what `pulumi preview --json` writes (steps.0.urn: Field required)",
        ),
        ('{"steps": [{"op": "delete", "urn": "x"}]}', "PLAN: 'x' is not a Pulumi URN"),
        (
            '{"steps": [{"op": "delete", "urn": "urn:pulumi:dev::p::x"}]}',
            "PLAN: 'urn:pulumi:dev::p::x' is not a Pulumi URN",
        ),
    ],
)
def test_a_plan_that_cannot_be_read_is_one_line_and_exit_2(tmp_path: Path, text: str, message: str) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(text, encoding="utf-8")
    run = talend_okta(["check-plan", str(plan)])
    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr == f"talend-okta: error: {message}\n"


def test_a_missing_plan_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    run = talend_okta(["check-plan", str(tmp_path / "nowhere.json")])
    assert run.exit_code == 2
    assert run.stderr.startswith("talend-okta: error: PLAN: cannot read ")
    assert "Traceback" not in run.output
