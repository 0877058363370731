"""talend_okta.plan_check: every plan step that takes people out of Talend is named and refused; the plan's shape is
`pulumi preview --json`'s (tests/engine/test_rate_limits.py checks it against the real CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from talend_okta.plan_check import unassignments
from tests.cli_runner import talend_okta

STACK = "urn:pulumi:dev::talend-okta::talend:okta:TalendCloudApp"
APP = f"{STACK}$okta:app/saml:Saml::talend-app"
ASSIGNMENTS = f"{STACK}$pulumi-python:dynamic/talend:GroupAssignments::talend-assignments"
DEVELOPERS = {"name": "Talend Developers", "groupId": "00gdev", "priority": 1}
OPERATORS = {"name": "Talend Operators", "groupId": "00gops", "priority": 2}


def per_group(name: str) -> str:
    return f"{STACK}$okta:app/groupAssignment:GroupAssignment::talend-assign-{name}"


def step(op: str, urn: str, old: dict[str, Any] | None = None, new: dict[str, Any] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"op": op, "urn": urn}
    if old is not None:
        found["oldState"] = {"urn": urn, "type": "ignored", "inputs": old}
    if new is not None:
        found["newState"] = {"urn": urn, "type": "ignored", "inputs": new}
    return found


def check(tmp_path: Path, *steps: dict[str, Any], options: tuple[str, ...] = ()) -> Any:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"steps": list(steps), "changeSummary": {}}), encoding="utf-8")
    return talend_okta(["check-plan", str(plan), *options])


def test_a_plan_that_unassigns_nobody_passes(tmp_path: Path) -> None:
    added = step("update", ASSIGNMENTS, {"groups": [DEVELOPERS]}, {"groups": [DEVELOPERS, OPERATORS]})
    run = check(tmp_path, step("same", APP), added, step("create", per_group("Talend Operators")))
    assert run.exit_code == 0, run.output
    assert run.output == "talend-okta check-plan: OK: the plan deletes no assignment and keeps the app\n"


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
    dropped = step("update", ASSIGNMENTS, {"groups": [DEVELOPERS, OPERATORS]}, {"groups": [DEVELOPERS]})
    found = unassignments({"steps": [dropped]})
    assert [(item.what, item.declared) for item in found] == [("unassigns group Talend Operators (00gops)", True)]
    run = check(tmp_path, dropped)
    assert run.exit_code == 0, run.output
    assert run.output.splitlines() == [
        "talend-okta check-plan: OK: the plan deletes no assignment and keeps the app",
        "  declared in the stack config (1; preflight showed whom each holds):",
        "  - update pulumi-python:dynamic/talend:GroupAssignments talend-assignments: unassigns group Talend Operators "
        "(00gops)",
    ]


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
