"""`talend-okta check-plan`: refuse a Pulumi plan that unassigns people the stack config did not say, before
`pulumi up` carries it out.

Preflight reads the stack config and says what the declared change does to people; reviewers see it in the pull
request. The plan can do more than the config says: a resource renamed without an alias is deleted and created
again, a program change replaces a resource, and a stack that moves from pulumi-okta's per-group `GroupAssignment`
resources to this stack's `GroupAssignments` without `python -m talend_okta.assignments_upgrade` deletes the old
ones (docs/rate-limits.md, "Upgrading a stack"). Each of those unassigns groups, and Okta deactivates their members
in Talend. This check reads `pulumi preview --json` and refuses every step that would:
- delete or replace the Talend Cloud app (`okta:app/saml:Saml`): everyone assigned loses Talend (the app is also
  protected in the program, so `pulumi up` would stop there; the check says it first);
- delete or replace a per-group `okta:app/groupAssignment:GroupAssignment`: that group is unassigned;
- delete or replace this stack's `talend:GroupAssignments`: every group it held is unassigned, even those a
  replacement assigns again; except, on a delete, a group another `talend:GroupAssignments` of the plan declares
  under the same name (the resource was renamed or moved without an alias: its provider keeps what the stack
  config still declares).
An update of `talend:GroupAssignments` that drops a group is what the config declares (a group removed from
`groups`): listed, not refused.

Pulumi's preview JSON (`pulumi preview --json`; pulumi pkg/backend/display/json.go, `ShowPreviewDigest`):
`{"steps": [{"op", "urn", "oldState": {"type", "inputs"}, "newState": {...}}]}`. A replacement is one `replace`
step, and also `create-replacement` and `delete-replaced` with `--show-replacement-steps`: each unassignment is
named once. Check the plan of a plain `pulumi preview --json`: with `--refresh`, an object already gone from Okta
shows as a `delete` too. Exit 0: nothing unassigned beyond the config (or `--allow-unassign`), 1: refused, 2: the
plan cannot be read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import typer
from pydantic import BaseModel, ConfigDict, ValidationError

from talend_okta.assignments_upgrade import GROUP_ASSIGNMENT_TYPE
from talend_okta.cli_io import fail
from talend_okta.http import InputError
from talend_okta.redact import Redactor
from talend_okta.stack_files import read_input

APP_TYPE = "okta:app/saml:Saml"
ASSIGNMENTS_TYPE = "talend:GroupAssignments"  # a Python dynamic resource: `pulumi-python:dynamic/talend:…`
REMOVES_OLD = frozenset({"delete", "replace", "delete-replaced"})  # the old object is deleted in Okta
UPGRADE = "python -m talend_okta.assignments_upgrade"


class _State(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str = ""
    inputs: dict[str, Any] = {}


class _Step(BaseModel):
    model_config = ConfigDict(extra="ignore")

    op: str
    urn: str
    oldState: _State | None = None
    newState: _State | None = None


class _Plan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    steps: list[_Step] = []


@dataclass(frozen=True)
class Unassignment:
    """One step of the plan that takes people out of Talend."""

    op: str
    resource: str  # `<type> <name>` from the step's URN
    what: str  # "unassigns group Talend Developers (00g1)", "deletes the Talend Cloud app"
    declared: bool = False  # a group the stack config no longer declares (preflight showed it)

    def line(self) -> str:
        return f"{self.op} {self.resource}: {self.what}"


def _type_and_name(urn: str) -> tuple[str, str]:
    """`urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>` → (`<type>`, `<name>`)."""
    parts = urn.split("::")
    if len(parts) < 4:
        raise InputError(f"PLAN: {urn!r} is not a Pulumi URN")
    return parts[-2].split("$")[-1], parts[-1]


def _groups(state: _State | None) -> dict[str, str]:
    """GroupAssignments' `groups` input: Okta group id → name."""
    groups = state.inputs.get("groups") if state else None
    if not isinstance(groups, list):
        return {}
    return {str(g["groupId"]): str(g.get("name") or g["groupId"]) for g in groups if isinstance(g, dict)}


def unassignments(plan: Mapping[str, Any]) -> list[Unassignment]:
    """Every step of a `pulumi preview --json` plan that unassigns a group or deletes the app."""
    try:
        steps = _Plan.model_validate(plan).steps
    except ValidationError as err:
        first = err.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(f"PLAN: not what `pulumi preview --json` writes ({where}: {first['msg']})") from None
    found: dict[tuple[str, str], Unassignment] = {}  # (resource, what) → the first step that does it
    # What the stack declares after this plan: a deleted assignments resource keeps these groups (its provider
    # keeps what the stack config still declares, so a resource renamed or moved without an alias unassigns none).
    declared_after = {
        item
        for step in steps
        if _type_and_name(step.urn)[0].endswith(ASSIGNMENTS_TYPE) and step.op not in REMOVES_OLD
        for item in _groups(step.newState).items()
    }
    for step in steps:
        kind, name = _type_and_name(step.urn)
        resource = f"{kind} {name}"
        if kind == APP_TYPE and step.op in REMOVES_OLD:
            _add(found, Unassignment(step.op, resource, "deletes the Talend Cloud app: everyone assigned leaves"))
        elif kind == GROUP_ASSIGNMENT_TYPE and step.op in REMOVES_OLD:
            group = str((step.oldState.inputs if step.oldState else {}).get("groupId", "?"))
            _add(found, Unassignment(step.op, resource, f"unassigns group {group}"))
        elif kind.endswith(ASSIGNMENTS_TYPE) and step.op in {*REMOVES_OLD, "update"}:
            # An update keeps the groups still declared; a replacement's old resource unassigns all of its groups,
            # even those the new one declares again.
            kept = _groups(step.newState) if step.op == "update" else {}
            for group_id, group in sorted(_groups(step.oldState).items(), key=lambda item: item[1]):
                if step.op == "delete" and (group_id, group) in declared_after:
                    continue  # held by the resource that declares it now
                if group_id not in kept:
                    what = f"unassigns group {group} ({group_id})"
                    _add(found, Unassignment(step.op, resource, what, declared=step.op == "update"))
    return list(found.values())


def _add(found: dict[tuple[str, str], Unassignment], item: Unassignment) -> None:
    found.setdefault((item.resource, item.what), item)


def read_plan(path: str) -> dict[str, Any]:
    """The plan file (or stdin for `-`) as JSON; `InputError` when it is not a JSON object."""
    text = read_input(path, "PLAN")
    try:
        plan = json.loads(text)
    except ValueError:
        raise InputError("PLAN: not JSON; write it with `pulumi preview --json > plan.json`") from None
    if not isinstance(plan, dict):
        raise InputError("PLAN: not what `pulumi preview --json` writes (a JSON object with steps)")
    return plan


def report(found: Iterable[Unassignment], *, allowed: bool) -> tuple[list[str], int]:
    """The lines to print and the exit code."""
    found = list(found)
    declared = [item for item in found if item.declared]
    undeclared = [item for item in found if not item.declared]
    lines: list[str] = []
    if undeclared:
        verdict = "ALLOWED (--allow-unassign)" if allowed else "REFUSED"
        count = f"{len(undeclared)} step{'s' if len(undeclared) > 1 else ''}"
        lines.append(
            f"talend-okta check-plan: {verdict}: {count} take people out of Talend that the stack config does not "
            "say (Okta deactivates the members of an unassigned group there)"
        )
        lines.extend(f"  ✗ {item.line()}" for item in undeclared)
        if not allowed and any(GROUP_ASSIGNMENT_TYPE in item.resource for item in undeclared):
            lines.append(f"  Moving from per-group assignments? Run `{UPGRADE}` first (docs/rate-limits.md).")
        if not allowed:
            lines.append("  Meant to? Run again with --allow-unassign (see docs/pull-requests.md).")
    else:
        lines.append("talend-okta check-plan: OK: the plan deletes no assignment and keeps the app")
    if declared:
        lines.append(f"  declared in the stack config ({len(declared)}; preflight showed whom each holds):")
        lines.extend(f"  - {item.line()}" for item in declared)
    return lines, 1 if undeclared and not allowed else 0


def run(path: str, *, allow_unassign: bool) -> int:
    """Read, check, print; the exit code (2 with one line on stderr when the plan cannot be read)."""
    try:
        found = unassignments(read_plan(path))
    except InputError as err:
        fail(str(err), Redactor())
    lines, code = report(found, allowed=allow_unassign)
    for line in lines:
        typer.echo(line)
    return code
