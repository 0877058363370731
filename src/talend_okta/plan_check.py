"""`talend-okta check-plan`: refuse a Pulumi plan that takes people out of Talend beyond what the stack config
says, before `pulumi up` carries it out.

Preflight reads the stack config and says what the declared change does to people; reviewers see it in the pull
request. The plan can do more than the config says: a resource renamed without an alias is deleted and created
again, a program change replaces a resource, and a stack that moves from pulumi-okta's per-group `GroupAssignment`
resources to this stack's `GroupAssignments` without `python -m talend_okta.assignments_upgrade` deletes the old
ones (docs/rate-limits.md, "Upgrading a stack"). Each of those unassigns people, and Okta deactivates them in
Talend. This check reads `pulumi preview --json` and refuses every step that would:
- delete or replace the Talend Cloud app (`okta:app/saml:Saml`), or set its `status` to INACTIVE: everyone
  assigned loses Talend;
- delete or replace a resource that assigns people: pulumi-okta's `okta:app/user:User`,
  `okta:app/groupAssignment:GroupAssignment`, `okta:index/appGroupAssignments:AppGroupAssignments`, or this
  stack's `talend:GroupAssignments` and `talend:PushGroups` (every group they held, even those a replacement holds
  again); or update one so that it drops a group;
- switch off a To App feature (`okta:app/features:Features`: a `status` that was ENABLED and is not any more, or the
  features deleted): Okta stops creating, updating or deactivating people in Talend.
A delete of `talend:GroupAssignments` (or `talend:PushGroups`) keeps the groups another resource of the same type in
the plan declares (the resource was renamed or moved without an alias: its provider keeps what the stack config
still declares). An update that drops a group the stack config no longer lists (or no longer pushes) is the declared
change: listed, not refused. check-plan reads the stack config for that
(`--config`, by default `Pulumi.<stack>.yaml` with the stack named in the plan's URNs).

Fails closed: a value it cannot read (a secret shown as `[secret]`, a value the preview does not know yet, state
missing from a step) counts as the worst case.

Pulumi's preview JSON (`pulumi preview --json`; pulumi pkg/backend/display/json.go, `ShowPreviewDigest`):
`{"steps": [{"op", "urn", "oldState": {"type", "inputs"}, "newState": {...}}]}`; secrets are masked as
`"[secret]"` and unknown values are `04da6b54-80e4-46f7-96ec-b56ff0331ba9` (pulumi sdk/go/common/resource/plugin,
`UnknownStringValue`). The type comes from the step's state, else from the URN
(`urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>`, split at most three times: a name may hold `::`,
pulumi#14107). A replacement is one `replace` step, and also `create-replacement` and `delete-replaced` with
`--show-replacement-steps`: each unassignment is named once. Check the plan of a plain `pulumi preview --json`:
with `--refresh`, an object already gone from Okta shows as a `delete` too. Exit 0: nothing unassigned beyond the
config (or `--allow-unassign`), 1: refused, 2: the plan or the stack config cannot be read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel, ConfigDict, ValidationError

from talend_okta.assignments_upgrade import GROUP_ASSIGNMENT_TYPE
from talend_okta.cli_io import fail
from talend_okta.http import InputError
from talend_okta.redact import Redactor
from talend_okta.settings import SettingsError, StackSettings
from talend_okta.stack_files import read_input, read_stack_config
from talend_okta.terminal import printable

APP_TYPE = "okta:app/saml:Saml"
USER_TYPE = "okta:app/user:User"
APP_GROUP_ASSIGNMENTS_TYPE = "okta:index/appGroupAssignments:AppGroupAssignments"
FEATURES_TYPE = "okta:app/features:Features"
# Python dynamic resources: `pulumi-python:dynamic/talend:…`
ASSIGNMENTS_TYPE = "talend:GroupAssignments"
PUSH_GROUPS_TYPE = "talend:PushGroups"
REMOVES_OLD = frozenset({"delete", "replace", "delete-replaced"})  # the old object is deleted in Okta
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # how Pulumi serializes a value the preview does not know yet
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
    resource: str  # `<type> <name>`
    what: str  # "unassigns group Talend Developers (00g1)", "deletes the Talend Cloud app"
    dropped: tuple[str, str] | None = None  # ("groups" or "push", group name): declared if the config agrees
    declared: bool = False  # a group the stack config no longer lists (preflight showed it)

    def line(self) -> str:
        return f"{self.op} {self.resource}: {self.what}"


def _urn_parts(urn: str) -> tuple[str, str, str]:
    """`urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>` → (`<stack>`, `<type>`, `<name>`); the name
    may itself hold `::`, so the URN is split at most three times."""
    parts = urn.split("::", 3)
    if len(parts) < 4 or not parts[0].startswith("urn:pulumi:"):
        raise InputError(f"PLAN: {urn!r} is not a Pulumi URN")
    return parts[0].removeprefix("urn:pulumi:"), parts[2].split("$")[-1], parts[3]


def _type(step: _Step) -> str:
    state = step.oldState if step.op in REMOVES_OLD else (step.newState or step.oldState)
    return state.type if state is not None and state.type else _urn_parts(step.urn)[1]


def _groups(state: _State | None, key: str = "groupId") -> dict[str, str] | None:
    """A `groups` input as Okta group id → name; None when it cannot be read (absent state, secret, unknown)."""
    groups = state.inputs.get("groups") if state is not None else None
    if not isinstance(groups, list) or not all(isinstance(g, dict) and isinstance(g.get(key), str) for g in groups):
        return None
    if any(g[key] == UNKNOWN for g in groups):
        return None
    return {g[key]: str(g.get("name") or g[key]) for g in groups}


def _statuses(value: Any, path: str = "") -> dict[str, Any]:
    """Every `status` under an input value: path → value (the To App features' capabilities nest them)."""
    found: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "status":
                found[where] = item
            else:
                found.update(_statuses(item, where))
    return found


def _step_unassigns(
    step: _Step, kind: str, resource: str, held: frozenset[tuple[str, str]] = frozenset()
) -> list[Unassignment]:
    """What one step does to people (nothing for most); `held`: (group id, name) another resource declares now."""
    op, removes = step.op, step.op in REMOVES_OLD
    new = step.newState.inputs if step.newState is not None else {}
    if kind == APP_TYPE:
        if removes:
            return [Unassignment(op, resource, "deletes the Talend Cloud app: everyone assigned leaves")]
        old_status = step.oldState.inputs.get("status") if step.oldState is not None else None
        if op == "update" and old_status != "INACTIVE" and new.get("status", "ACTIVE") not in ("ACTIVE", old_status):
            shown = "an unknown value" if new.get("status") == UNKNOWN else repr(new.get("status"))
            return [Unassignment(op, resource, f"sets the app's status to {shown}: no one assigned can sign in")]
        return []
    if kind == USER_TYPE and removes:
        person = (step.oldState.inputs if step.oldState is not None else {}).get("userId", "?")
        return [Unassignment(op, resource, f"unassigns person {person}")]
    if kind == GROUP_ASSIGNMENT_TYPE and removes:
        group = (step.oldState.inputs if step.oldState is not None else {}).get("groupId", "?")
        return [Unassignment(op, resource, f"unassigns group {group}")]
    if kind == FEATURES_TYPE and (removes or op == "update"):
        return _features_off(step, resource)
    if kind == APP_GROUP_ASSIGNMENTS_TYPE and (removes or op == "update"):
        return _groups_dropped(step, resource, "unassigns group", key="id", drop=None)
    if kind.endswith(ASSIGNMENTS_TYPE) and (removes or op == "update"):
        return _groups_dropped(step, resource, "unassigns group", key="groupId", drop="groups", held=held)
    if kind.endswith(PUSH_GROUPS_TYPE) and (removes or op == "update"):
        return _groups_dropped(step, resource, "stops pushing group", key="groupId", drop="push", held=held)
    return []


def _groups_dropped(
    step: _Step,
    resource: str,
    verb: str,
    *,
    key: str,
    drop: str | None,
    held: frozenset[tuple[str, str]] = frozenset(),
) -> list[Unassignment]:
    """A replacement's old resource unassigns all of its groups, even those the new one holds again; an update,
    those it no longer holds. Groups it cannot read count as all of them."""
    old = _groups(step.oldState, key)
    if old is None:
        return [Unassignment(step.op, resource, f"{verb}s it held: the plan does not show which (secret or unknown)")]
    kept = _groups(step.newState, key) if step.op == "update" else {}
    if kept is None:
        what = "may drop any group it holds: the preview does not know its groups"
        return [Unassignment(step.op, resource, what)]
    dropped = sorted(
        (name, group_id) for group_id, name in old.items() if group_id not in kept and (group_id, name) not in held
    )
    declarable = drop if step.op == "update" else None
    return [
        Unassignment(step.op, resource, f"{verb} {name} ({group_id})", (declarable, name) if declarable else None)
        for name, group_id in dropped
    ]


def _features_off(step: _Step, resource: str) -> list[Unassignment]:
    if step.op in REMOVES_OLD:
        return [Unassignment(step.op, resource, "deletes the To App features: Okta stops provisioning to Talend")]
    old = _statuses(step.oldState.inputs if step.oldState is not None else {})
    new = _statuses(step.newState.inputs if step.newState is not None else {})
    off = sorted(path for path, status in old.items() if status == "ENABLED" and new.get(path) != "ENABLED")
    return [Unassignment(step.op, resource, f"switches off {path}: Okta stops that for Talend") for path in off]


def unassignments(plan: Mapping[str, Any]) -> list[Unassignment]:
    """Every step of a `pulumi preview --json` plan that takes people out of Talend (drops not yet judged against
    the stack config: `declare`)."""
    try:
        steps = _Plan.model_validate(plan).steps
    except ValidationError as err:
        first = err.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(f"PLAN: not what `pulumi preview --json` writes ({where}: {first['msg']})") from None
    found: dict[tuple[str, str], Unassignment] = {}  # (resource, what) → the first step that does it
    # What the stack declares after this plan, per resource type: a deleted assignments or push-groups resource keeps
    # these groups (its provider keeps what the stack config still declares: a rename without an alias unassigns none).
    held_after: dict[str, frozenset[tuple[str, str]]] = {}
    for step in steps:
        kind = _type(step)
        if kind.endswith((ASSIGNMENTS_TYPE, PUSH_GROUPS_TYPE)) and step.op not in REMOVES_OLD:
            held_after[kind] = held_after.get(kind, frozenset()) | frozenset((_groups(step.newState) or {}).items())
    for step in steps:
        kind = _type(step)
        held = held_after.get(kind, frozenset()) if step.op == "delete" else frozenset()
        for item in _step_unassigns(step, kind, f"{kind} {_urn_parts(step.urn)[2]}", held):
            found.setdefault((item.resource, item.what), item)
    return list(found.values())


def plan_stack(plan: Mapping[str, Any]) -> str | None:
    """The stack the plan is for, from its first URN."""
    steps = plan.get("steps")
    if isinstance(steps, list) and steps and isinstance(steps[0], dict) and isinstance(steps[0].get("urn"), str):
        return _urn_parts(steps[0]["urn"])[0]
    return None


def declare(found: list[Unassignment], settings: StackSettings) -> list[Unassignment]:
    """Mark as declared each dropped group the stack config no longer lists (`groups`) or no longer pushes
    (`push`); a name it still lists, also as a former name, stays refused."""
    listed = {name.casefold() for group in settings.groups for name in (group.name, *group.former_names)}
    pushed = {name.casefold() for group in settings.groups if group.push for name in (group.name, *group.former_names)}
    still = {"groups": listed, "push": pushed}
    return [
        replace(item, declared=item.dropped[1].casefold() not in still[item.dropped[0]]) if item.dropped else item
        for item in found
    ]


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
            "say (Okta deactivates the people it unassigns there)"
        )
        lines.extend(f"  ✗ {item.line()}" for item in undeclared)
        if not allowed and any(GROUP_ASSIGNMENT_TYPE in item.resource for item in undeclared):
            lines.append(f"  Moving from per-group assignments? Run `{UPGRADE}` first (docs/rate-limits.md).")
        if not allowed:
            lines.append("  Meant to? Run again with --allow-unassign (see docs/pull-requests.md).")
    else:
        lines.append("talend-okta check-plan: OK: the plan unassigns no one and keeps the app and its provisioning")
    if declared:
        lines.append(f"  declared in the stack config ({len(declared)}; preflight showed whom each holds):")
        lines.extend(f"  - {item.line()}" for item in declared)
    return lines, 1 if undeclared and not allowed else 0


def _stack_settings(config: Path | None, plan: Mapping[str, Any]) -> StackSettings:
    """The stack config the plan's drops are judged against: `--config`, else `Pulumi.<stack>.yaml` here."""
    if config is None:
        stack = plan_stack(plan)
        config = Path(f"Pulumi.{stack}.yaml")
        if not config.is_file():
            raise InputError(
                f"--config: the plan drops groups and check-plan reads the stack config to tell whether it says so; "
                f"{config} is not here: pass --config Pulumi.<stack>.yaml"
            )
    try:
        return read_stack_config(config).settings
    except SettingsError as err:
        raise InputError(str(err)) from None


def run(path: str, *, allow_unassign: bool, config: Path | None = None) -> int:
    """Read, check, print; the exit code (2 with one line on stderr when the plan or the config cannot be read)."""
    try:
        plan = read_plan(path)
        found = unassignments(plan)
        if any(item.dropped for item in found):
            found = declare(found, _stack_settings(config, plan))
    except InputError as err:
        fail(str(err), Redactor())
    lines, code = report(found, allowed=allow_unassign)
    for line in lines:
        typer.echo(printable(line))  # group names and ids come from Okta
    return code
