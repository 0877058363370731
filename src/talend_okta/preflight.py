"""`talend-okta preflight`: what deploying a stack config will do to people in Talend, before it is deployed.

Reads the stack config file (e.g. `Pulumi.dev.yaml`) and, from Okta, the app's current assignments and the
members of the configured groups; then plans, without touching anything:
- who will be created in Talend (members of configured groups not assigned to the app yet),
- who will be deactivated (assigned now, but by no configured group, not directly and not by a group assigned by
  hand outside the stack),
- `userName` collisions under the Email-prefix rule (`jdoe@a.com` and `jdoe@b.com` both become `jdoe`),
- members without an email (Okta cannot compute their userName),
- groups the last deployment assigned under another name (from the stack outputs): unless the config lists that
  name in the group's `formerNames`, Pulumi deletes the old assignment, which unassigns the group.
The plan is a pure function of what was read (`plan`), so tests and renderers need no network.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, SecretStr, computed_field
from rich.console import Console
from rich.table import Table

from talend_okta.definition import api_base_url, email_prefix
from talend_okta.http import Deadline, InputError, check_base_url
from talend_okta.okta_api import AppUser, Group, OktaClient, OktaUser, check_app_id
from talend_okta.redact import Redactor
from talend_okta.role_preflight import Member, RolePlan, Source, plan_roles
from talend_okta.settings import SettingsError, StackSettings, load_settings, namespace_keys, okta_org_url
from talend_okta.talend_api import TalendApiClient, api_origin
from talend_okta.user_names import user_name_key
from talend_okta.verify import StackOutputs

SECRET_PLACEHOLDER = "preflight-needs-no-secret"  # stands in for `secure:` values, never decrypted
NOT_ASSIGNABLE = frozenset({"DEPROVISIONED"})
"""Okta user statuses the app never provisions: deactivated people stay out of Talend whatever their groups."""
MARKDOWN_ROWS = 50  # rows per list in a PR comment; GitHub caps a comment at 65,536 characters


# --- The stack config file -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackConfig:
    """A `Pulumi.<stack>.yaml`, validated: the stack settings, and the Okta org the provider is pointed at."""

    path: Path
    settings: StackSettings
    okta_org_url: str | None


def read_stack_config(path: Path) -> StackConfig:
    """Read and validate a stack config file; every problem is one `SettingsError` line naming the file or key."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SettingsError(f"--config {path}: cannot read the stack config file ({err.strerror})") from None
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise SettingsError(f"--config {path}: not valid YAML{at}") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise SettingsError(f"--config {path}: not a Pulumi stack config file (no `config:` mapping)")

    raw = {key: _placeholder_if_secure(value) for key, value in namespace_keys(config).items()}
    # The token is set with `pulumi config set --secret`, encrypted or elsewhere; preflight never needs it.
    raw.setdefault("scimToken", SECRET_PLACEHOLDER)
    return StackConfig(path, load_settings(raw), okta_org_url(config))


def _placeholder_if_secure(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER
    return value


# --- Which Okta org and app ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OktaTarget:
    """The Okta org to read, its token, and the deployed app (None: not deployed yet).

    `assigned_groups` is what the last deployment assigned (name → Okta group id, from the stack outputs); None
    without stack outputs for the app.
    """

    org_url: str
    token: SecretStr
    app_id: str | None
    assigned_groups: dict[str, str] | None = None


def okta_target(
    *,
    okta_url: str | None,
    okta_token: str | None,
    app_id: str | None,
    outputs: StackOutputs | None,
    config: StackConfig,
) -> OktaTarget:
    """Options (or their environment variables) win over the stack outputs, which win over the stack config file.

    Without an app id, preflight would see nobody to deactivate; so it needs either `--app-id` or the stack
    outputs, where a missing `appId` means the app was never deployed.
    """
    url = okta_url or (outputs.okta_org_url if outputs else None) or config.okta_org_url
    if not url:
        raise InputError(
            "missing --okta-url (OKTA_ORG_URL): give the option, its environment variable, --stack-outputs with "
            f"oktaOrgUrl, or okta:orgName and okta:baseUrl in {config.path}"
        )
    if not okta_token or not okta_token.strip():
        raise InputError("missing --okta-token (OKTA_API_TOKEN): give the environment variable (or the option)")
    if outputs is None and not app_id:
        raise InputError(
            "missing --app-id (TALEND_OKTA_APP_ID) or --stack-outputs: preflight compares the config with the app's "
            "current assignments (stack outputs without appId mean the app is not deployed yet)"
        )
    chosen_app = (app_id or (outputs.app_id if outputs else None) or "").strip() or None
    if chosen_app is not None:
        check_app_id(chosen_app)
    # The outputs name the groups as the last deployment did; only meaningful for the app they describe.
    assigned = outputs.assigned_groups if outputs is not None and chosen_app == outputs.app_id else None
    return OktaTarget(
        check_base_url(url, "--okta-url (OKTA_ORG_URL)"), SecretStr(okta_token.strip()), chosen_app, assigned
    )


@dataclass(frozen=True)
class TalendTarget:
    """Talend's API, to read the role mappings a deploy would replace (optional: preflight runs without it)."""

    api_url: str
    token: SecretStr


def talend_target(
    *, api_url: str | None, api_token: str | None, outputs: StackOutputs | None, config: StackConfig
) -> TalendTarget | None:
    """Only with a token; the URL defaults to the stack outputs' SCIM host, else the config's region."""
    if not api_token or not api_token.strip():
        return None
    scim_url = outputs.scim_base_url if outputs else None
    url = api_url or (api_origin(scim_url) if scim_url else api_base_url(config.settings.region))
    return TalendTarget(check_base_url(url, "--talend-api-url (TALEND_API_URL)"), SecretStr(api_token.strip()))


def run_preflight(
    config: StackConfig,
    target: OktaTarget,
    *,
    max_deactivations: int = 10,
    allow_mass_deactivation: bool = False,
    redactor: Redactor | None = None,
    talend: TalendTarget | None = None,
    last_role_mappings: Mapping[str, list[str]] | None = None,
    deadline: Deadline | None = None,
) -> PreflightReport:
    """Read Okta (and Talend's role mappings when `talend` is given), then plan. Raises `ApiError` (one redacted
    line) when Okta or Talend cannot be read, or not before `deadline` (`--timeout`).

    `last_role_mappings`: the stack outputs' `roleMappings`, compared with when Talend is not read.
    """
    before: Mapping[str, list[str]] = last_role_mappings or {}
    source: Source = "stack outputs" if last_role_mappings is not None else "none"
    tenant_roles: list[str] | None = None
    if talend is not None:
        with TalendApiClient(
            talend.api_url,
            talend.token.get_secret_value(),
            setting="--talend-api-url",
            redactor=redactor,
            deadline=deadline,
        ) as api:
            before, tenant_roles, source = api.role_mappings(), api.role_names(), "talend"
    # Only a stack that declares (or declared) role mappings owns them: otherwise the deploy leaves Talend's alone.
    with_roles = bool(config.settings.role_mappings or last_role_mappings)
    with OktaClient(target.org_url, target.token.get_secret_value(), redactor=redactor, deadline=deadline) as client:
        snapshot = read_okta(client, config.settings, target.app_id)
        extra = read_role_groups(client, snapshot, before) if with_roles else []
    report = plan(
        snapshot,
        config.settings,
        stack_config=str(config.path),
        last_assigned=target.assigned_groups,
        max_deactivations=max_deactivations,
        allow_mass_deactivation=allow_mass_deactivation,
    )
    if not with_roles:
        return report
    members = role_members(snapshot, extra, config.settings)
    roles = plan_roles(before, config.settings.role_mappings, members, compared_with=source, tenant_roles=tenant_roles)
    return report.model_copy(update={"roles": roles})


def read_role_groups(client: OktaClient, snapshot: OktaSnapshot, before: Mapping[str, list[str]]) -> list[GroupMembers]:
    """Groups mapped before the deploy that are no longer configured: their members may lose roles."""
    read = {g.name for g in (*snapshot.configured_groups, *snapshot.removed_groups)}
    groups = []
    for name in sorted(before.keys() - read):
        group = client.find_group(name)  # a customer role may name no Okta group (made by hand in Talend)
        groups.append(GroupMembers(name, group, list(client.iter_group_members(group.id)) if group else []))
    return groups


def role_members(snapshot: OktaSnapshot, extra: list[GroupMembers], settings: StackSettings) -> list[Member]:
    """Everyone in a group read from Okta, with the groups they are in and whether the app has them before/after."""
    assigned_now = {u.id for u in snapshot.app_users if u.is_active}
    direct = {u.id for u in snapshot.app_users if u.is_active and u.scope == "USER"}
    configured, _ = _members(snapshot.configured_groups)
    groups: dict[str, set[str]] = defaultdict(set)
    users: dict[str, OktaUser] = {}
    for group in (*snapshot.configured_groups, *snapshot.removed_groups, *extra):
        for user in group.members:
            groups[user.id].add(group.name)
            users.setdefault(user.id, user)
    return [
        Member(
            user_id=user_id,
            user_name=_person(user, []).user_name,
            who=user.profile.email or user.profile.login or user_id,
            groups=frozenset(groups[user_id]),
            assigned_before=user_id in assigned_now,
            assigned_after=user_id in configured or user_id in direct,
        )
        for user_id, user in users.items()
    ]


# --- What Okta holds now -------------------------------------------------------------------------------------


@dataclass
class GroupMembers:
    """An Okta group and its members; `group` is None when no group has the configured name."""

    name: str
    group: Group | None
    members: list[OktaUser] = field(default_factory=list)


@dataclass
class OktaSnapshot:
    """Everything preflight reads from Okta."""

    app_id: str | None  # None: the app is not deployed yet
    app_users: list[AppUser]
    assigned_group_ids: set[str]  # groups assigned to the app now
    configured_groups: list[GroupMembers]  # in config order
    removed_groups: list[GroupMembers]  # assigned now but not in the config: the deploy unassigns them


def read_okta(client: OktaClient, settings: StackSettings, app_id: str | None) -> OktaSnapshot:
    """The configured groups with their members; the app's users and groups (none when `app_id` is None)."""
    configured = []
    for group_settings in settings.groups:
        group = client.find_group(group_settings.name)
        members = list(client.iter_group_members(group.id)) if group else []
        configured.append(GroupMembers(group_settings.name, group, members))
    if app_id is None:
        return OktaSnapshot(None, [], set(), configured, [])

    app_users = list(client.iter_app_users(app_id))
    configured_ids = {c.group.id for c in configured if c.group}
    assigned_ids: set[str] = set()
    removed = []
    for app_group in client.iter_app_groups(app_id):
        assigned_ids.add(app_group.id)
        if app_group.id not in configured_ids:
            # Read only to name, in the report, the group and the people the deploy would deactivate.
            group = client.get_group(app_group.id)
            removed.append(GroupMembers(group.profile.name, group, list(client.iter_group_members(group.id))))
    return OktaSnapshot(app_id, app_users, assigned_ids, configured, removed)


# --- The plan ------------------------------------------------------------------------------------------------


class _ReportModel(BaseModel):
    model_config = ConfigDict(frozen=True)


class Person(_ReportModel):
    """One person as Talend will know them: `user_name` is their Talend userName (None without an email)."""

    user_id: str
    user_name: str | None
    login: str | None = None
    email: str | None = None
    groups: list[str] = []  # created: the configured groups assigning them; deactivated: the groups removed


class GroupChange(_ReportModel):
    """A group and what the deploy does to its assignment."""

    name: str
    id: str | None
    members: int
    change: Literal["kept", "added", "removed", "not found", "assigned by hand"]


class Rename(_ReportModel):
    """A configured group the last deployment assigned under another name: its Pulumi resources get a new name."""

    name: str
    former_name: str
    id: str
    members: int
    deactivated: int  # assigned now through this group only: deactivated if the old assignment is deleted
    in_former_names: bool  # listed in the group's formerNames: Pulumi renames the resources instead of deleting

    @property
    def problem(self) -> str | None:
        if self.in_former_names:
            return None
        whom = f"{self.deactivated} of its" if self.deactivated < self.members else "its"
        members = "member" if self.members == 1 else "members"
        return (
            f"group {self.name!r} was assigned as {self.former_name!r} in the last deployment: add formerNames: "
            f"{json.dumps([self.former_name], ensure_ascii=False)} to it to keep its assignment, or the deploy "
            f"unassigns it and deactivates {whom} {self.members} {members} in Talend"
        )


class Collision(_ReportModel):
    """People who would share one Talend userName."""

    user_name: str
    people: list[Person]


class PreflightReport(_ReportModel):
    """What deploying the config does to people in Talend, and whether that is safe to merge."""

    stack_config: str
    app_id: str | None
    groups: list[GroupChange]
    renames: list[Rename]
    created: list[Person]
    deactivated: list[Person]
    collisions: list[Collision]
    without_email: list[Person]
    unchanged: int
    max_deactivations: int
    mass_deactivation_allowed: bool
    notes: list[str]
    roles: RolePlan | None = None  # with talendRoles in the config, roleMappings in the outputs, or Talend read

    @computed_field  # type: ignore[prop-decorator]
    @property
    def problems(self) -> list[str]:
        """Why this change must not be deployed as is (empty: fine)."""
        problems = [f"group {g.name!r} does not exist in Okta" for g in self.groups if g.change == "not found"]
        problems += [r.problem for r in self.renames if r.problem]
        for collision in self.collisions:
            who = ", ".join(_who(p) for p in collision.people)
            problems.append(f"userName {collision.user_name!r} would be shared by {who}")
        if self.too_many_deactivations:
            problems.append(
                f"{len(self.deactivated)} people would be deactivated in Talend, more than --max-deactivations "
                f"{self.max_deactivations} (if intended, allow it with --allow-mass-deactivation)"
            )
        if self.roles is not None:
            problems += self.roles.problems
        return problems

    @property
    def too_many_deactivations(self) -> bool:
        return len(self.deactivated) > self.max_deactivations and not self.mass_deactivation_allowed

    @property
    def exit_code(self) -> int:
        return 1 if self.problems else 0


def plan(
    snapshot: OktaSnapshot,
    settings: StackSettings,
    *,
    stack_config: str = "",
    last_assigned: Mapping[str, str] | None = None,
    max_deactivations: int = 10,
    allow_mass_deactivation: bool = False,
) -> PreflightReport:
    """What Okta will do to Talend accounts once the config is deployed, from what it holds now.

    `last_assigned`: the groups the last deployment assigned (stack output `assignedGroups`); None when unknown.
    """
    removed, by_hand = _managed(snapshot.removed_groups, last_assigned)
    members, member_of = _members(snapshot.configured_groups)
    leaving, left_from = _members(removed)
    staying, _ = _members(by_hand)  # the deploy leaves these groups (and their members) assigned
    current = {u.id: u for u in snapshot.app_users if u.is_active}
    # Assigned after the deploy whatever the configured groups say: directly (scope USER) or by a hand-made group.
    anchored = {user_id: u for user_id, u in current.items() if u.scope == "USER" or user_id in staying}
    kept = {user_id: u for user_id, u in anchored.items() if user_id not in members}

    created = [_person(u, member_of[user_id]) for user_id, u in members.items() if user_id not in current]
    deactivated = [
        _leaver(u, leaving.get(user_id), left_from[user_id])
        for user_id, u in current.items()
        if user_id not in members and user_id not in kept
    ]
    # Everyone assigned after the deploy, as Talend will name them.
    resulting = [_person(u, member_of[user_id]) for user_id, u in members.items()]
    resulting += [_leaver(u, None, []) for u in kept.values()]

    return PreflightReport(
        stack_config=stack_config,
        app_id=snapshot.app_id,
        groups=_group_changes(snapshot, by_hand),
        renames=_renames(snapshot, settings, last_assigned or {}, current, anchored, member_of),
        created=_sorted(created),
        deactivated=_sorted(deactivated),
        collisions=_collisions(resulting),
        without_email=_sorted(p for p in resulting if p.user_name is None and p.user_id in members),
        unchanged=len(resulting) - len(created),
        max_deactivations=max_deactivations,
        mass_deactivation_allowed=allow_mass_deactivation,
        notes=_notes(snapshot, settings, last_assigned, by_hand),
    )


def _managed(
    assigned_elsewhere: list[GroupMembers], last_assigned: Mapping[str, str] | None
) -> tuple[list[GroupMembers], list[GroupMembers]]:
    """Split the groups assigned now but not configured into (removed by the deploy, assigned by hand).

    The stack's assignments are non-authoritative: a deploy unassigns only groups it managed, i.e. those in the
    last deployment's `assignedGroups`. Without that output every such group counts as removed (the safe side).
    """
    if last_assigned is None:
        return assigned_elsewhere, []
    managed = set(last_assigned.values())
    removed = [g for g in assigned_elsewhere if g.group is not None and g.group.id in managed]
    return removed, [g for g in assigned_elsewhere if g not in removed]


def _members(groups: Iterable[GroupMembers]) -> tuple[dict[str, OktaUser], dict[str, list[str]]]:
    """The assignable members of these groups by user id, and the names of the groups each is in."""
    members: dict[str, OktaUser] = {}
    member_of: dict[str, list[str]] = defaultdict(list)
    for group in groups:
        for user in group.members:
            if user.status not in NOT_ASSIGNABLE:
                members.setdefault(user.id, user)
                member_of[user.id].append(group.name)
    return members, member_of


def _person(user: OktaUser, groups: list[str]) -> Person:
    """A group member as Okta will provision them: userName is the email prefix."""
    email = user.profile.email or None
    user_name = email_prefix(email) if email else None
    return Person(user_id=user.id, user_name=user_name, login=user.profile.login, email=email, groups=groups)


def _leaver(app_user: AppUser, user: OktaUser | None, groups: list[str]) -> Person:
    """An app user as Talend knows them now (their app username), named from Okta when we read their group."""
    profile = user.profile if user else None
    return Person(
        user_id=app_user.id,
        user_name=app_user.user_name or None,
        login=profile.login if profile else None,
        email=(profile.email or None) if profile else None,
        groups=groups,
    )


def _sorted(people: Iterable[Person]) -> list[Person]:
    return sorted(people, key=lambda p: ((p.user_name or "").casefold(), p.login or "", p.user_id))


def _collisions(people: Iterable[Person]) -> list[Collision]:
    # Compared as Talend compares userNames (user_names.py): JDoe and jdoe collide, straße and strasse do not.
    by_name: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        if person.user_name:
            by_name[user_name_key(person.user_name)].append(person)
    return [
        Collision(user_name=same[0].user_name or key, people=_sorted(same))
        for key, same in sorted(by_name.items())
        if len(same) > 1
    ]


def _renames(
    snapshot: OktaSnapshot,
    settings: StackSettings,
    last_assigned: Mapping[str, str],
    current: Mapping[str, AppUser],
    anchored: Mapping[str, AppUser],
    member_of: Mapping[str, list[str]],
) -> list[Rename]:
    """Configured groups whose Okta id the last deployment assigned under another name.

    Pulumi names the assignment after the group, so a new name is a new resource, and the old one is deleted after
    the new one is created: `DELETE /apps/{app}/groups/{group}` unassigns the group the new one just assigned.
    """
    former_names = {group.name: group.former_names for group in settings.groups}
    renames = []
    for configured in snapshot.configured_groups:
        if configured.group is None:
            continue
        group_id = configured.group.id
        # Exact names, as Pulumi compares resource names: a case-only rename is a rename too.
        for old_name in sorted(n for n, i in last_assigned.items() if i == group_id and n != configured.name):
            only_here = [
                u.id
                for u in configured.members
                if u.id in current and u.id not in anchored and member_of.get(u.id) == [configured.name]
            ]
            renames.append(
                Rename(
                    name=configured.name,
                    former_name=old_name,
                    id=group_id,
                    members=len(configured.members),
                    deactivated=len(only_here),
                    in_former_names=old_name in former_names.get(configured.name, []),
                )
            )
    return renames


def _group_changes(snapshot: OktaSnapshot, by_hand: list[GroupMembers]) -> list[GroupChange]:
    changes = []
    for configured in snapshot.configured_groups:
        if configured.group is None:
            changes.append(GroupChange(name=configured.name, id=None, members=0, change="not found"))
            continue
        change: Literal["kept", "added"] = "kept" if configured.group.id in snapshot.assigned_group_ids else "added"
        changes.append(
            GroupChange(name=configured.name, id=configured.group.id, members=len(configured.members), change=change)
        )
    for other in sorted(snapshot.removed_groups, key=lambda g: g.name.casefold()):
        group_id = other.group.id if other.group else None
        outcome: Literal["removed", "assigned by hand"] = "assigned by hand" if other in by_hand else "removed"
        changes.append(GroupChange(name=other.name, id=group_id, members=len(other.members), change=outcome))
    return changes


def _notes(
    snapshot: OktaSnapshot,
    settings: StackSettings,
    last_assigned: Mapping[str, str] | None,
    by_hand: list[GroupMembers],
) -> list[str]:
    notes = []
    if snapshot.app_id is None:
        notes.append("The app is not deployed yet: everyone in the configured groups will be created.")
    elif last_assigned is None:
        notes.append(
            "Without the app's stack outputs, groups renamed since the last deployment are not checked, and every "
            "assigned group the config does not list counts as removed (also one assigned by hand)."
        )
    if by_hand:
        names = ", ".join(sorted((g.name for g in by_hand), key=str.casefold))
        notes.append(
            f"Assigned by hand, outside this stack (not in the last deployment's assignedGroups): {names}. The deploy "
            "leaves them assigned, and their members stay in Talend."
        )
    if any(c.group is not None and not c.members for c in snapshot.configured_groups):
        notes.append("An empty group assigns nobody: its former members are counted as deactivated.")
    provisioning = settings.provisioning
    if provisioning.manage and not provisioning.create_users:
        notes.append("createUsers is off: new people are assigned in Okta, but Okta will not create them in Talend.")
    if provisioning.manage and not provisioning.deactivate_users:
        notes.append("deactivateUsers is off: removed people lose the Okta assignment but stay active in Talend.")
    return notes


# --- Rendering -----------------------------------------------------------------------------------------------


def to_json(report: PreflightReport) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2) + "\n"


PEOPLE_COLUMNS = ("userName", "email / login", "groups", "Okta user id")


def _who(person: Person) -> str:
    return person.email or person.login or person.user_id


def _row(person: Person) -> tuple[str, str, str, str]:
    return (
        person.user_name or "-",
        person.email or person.login or "-",
        ", ".join(person.groups) or "-",
        person.user_id,
    )


def print_table(report: PreflightReport, console: Console) -> None:
    """The human report: a verdict line, then one table per kind of change."""
    console.print(_verdict(report), markup=False, highlight=False)
    groups = Table(title="Groups", title_justify="left")
    for column in ("group", "change", "members"):
        groups.add_column(column)
    for group in report.groups:
        change = _change(report, group)
        groups.add_row(group.name, change, "" if group.change == "not found" else str(group.members))
    console.print(groups)
    sections: list[tuple[str, list[Person]]] = [
        ("Will be DEACTIVATED in Talend", report.deactivated),
        ("Will be created in Talend", report.created),
        ("Without an email (no userName)", report.without_email),
    ]
    for title, people in sections:
        if people:
            table = Table(*PEOPLE_COLUMNS, title=f"{title} ({len(people)})", title_justify="left")
            for person in people:
                table.add_row(*_row(person))
            console.print(table)
    if report.collisions:
        table = Table(
            "userName", "people", title=f"userName collisions ({len(report.collisions)})", title_justify="left"
        )
        for collision in report.collisions:
            table.add_row(collision.user_name, ", ".join(_who(p) for p in collision.people))
        console.print(table)
    if report.roles is not None:
        _print_roles(report.roles, console)
    for line in report.problems:
        console.print(f"problem: {line}", markup=False, highlight=False)
    for line in [*report.notes, *(report.roles.notes() if report.roles else [])]:
        console.print(f"note: {line}", markup=False, highlight=False)


def _print_roles(roles: RolePlan, console: Console) -> None:
    """Role mappings the deploy replaces (Talend's API replaces them all), and who gains or loses which role."""
    if roles.mappings:
        table = Table("customer role", "change", "Talend roles now", "after the deploy", title_justify="left")
        table.title = f"Talend role mappings (compared with {roles.compared_with}; the deploy replaces them all)"
        for mapping in roles.mappings:
            change = "REMOVED" if mapping.change == "removed" else mapping.change
            table.add_row(mapping.name, change, ", ".join(mapping.before) or "-", ", ".join(mapping.after) or "-")
        console.print(table)
    if roles.people:
        table = Table("userName", "email / login", "gains", "loses", title_justify="left")
        table.title = f"Talend roles at next SSO sign-in ({len(roles.people)} people)"
        for person in roles.people:
            table.add_row(
                person.user_name or "-", person.who, ", ".join(person.gains) or "-", ", ".join(person.loses) or "-"
            )
        console.print(table)


def _change(report: PreflightReport, group: GroupChange) -> str:
    """The group's change, with the name the last deployment assigned it under when the config renames it."""
    former = [r.former_name for r in report.renames if r.name == group.name]
    return group.change + "".join(f", renamed from {name!r}" for name in former)


def _verdict(report: PreflightReport) -> str:
    counts = (
        f"{len(report.created)} created, {len(report.deactivated)} deactivated, {report.unchanged} unchanged, "
        f"{len(report.collisions)} userName collisions, {len(report.without_email)} without email"
    )
    status = "BLOCKED" if report.problems else "OK"
    return f"preflight {status}: {counts}"


def to_markdown(report: PreflightReport) -> str:
    """The report as a PR comment: the verdict and dangerous changes first, long lists folded."""
    icon = ":x:" if report.problems else ":white_check_mark:"
    lines = [
        "<!-- talend-okta-preflight -->",
        f"### {icon} talend-okta preflight: what this change does to people in Talend",
        "",
        f"Stack config `{report.stack_config}`" + (f", Okta app `{report.app_id}`" if report.app_id else "") + ".",
        "",
        "| created | **deactivated** | unchanged | userName collisions | without email |",
        "|---:|---:|---:|---:|---:|",
        f"| {len(report.created)} | **{len(report.deactivated)}** | {report.unchanged} | {len(report.collisions)} "
        f"| {len(report.without_email)} |",
        "",
    ]
    if report.problems:
        lines += ["> [!CAUTION]", "> **This change must not be merged as is:**"]
        lines += [f"> - {_md(problem)}" for problem in report.problems]
        lines.append("")
    if report.deactivated:
        allowed = " (allowed with `--allow-mass-deactivation`)" if report.mass_deactivation_allowed else ""
        lines += [
            "> [!WARNING]",
            f"> **{len(report.deactivated)} people will be deactivated in Talend**{allowed}: they can no longer "
            "sign in and their personal access tokens stop working.",
            "",
        ]
        lines += _people_list("Will be deactivated", report.deactivated, open_=True)
    if report.collisions:
        lines += ["#### userName collisions", "", "| userName | people |", "|---|---|"]
        lines += [
            f"| `{_md(c.user_name)}` | {', '.join(_md(_who(p)) for p in c.people)} |"
            for c in report.collisions[:MARKDOWN_ROWS]
        ]
        lines += [*_more(len(report.collisions), columns=2), ""]
    lines += _people_list("Will be created", report.created, open_=False)
    lines += _people_list("Without an email (Okta cannot compute their userName)", report.without_email, open_=True)
    renamed = {r.name for r in report.renames}
    changed_groups = [g for g in report.groups if g.change != "kept" or g.members == 0 or g.name in renamed]
    if changed_groups:
        lines += ["#### Groups", "", "| group | change | members |", "|---|---|---:|"]
        for group in changed_groups:
            empty = " (empty)" if group.members == 0 and group.change in ("kept", "added") else ""
            members = "" if group.change == "not found" else str(group.members)
            lines.append(f"| {_md(group.name)} | {_md(_change(report, group))}{empty} | {members} |")
        lines.append("")
    if report.roles is not None:
        lines += _roles_markdown(report.roles)
    lines += [f"_{_md(note)}_" for note in [*report.notes, *(report.roles.notes() if report.roles else [])]]
    return "\n".join(lines).rstrip() + "\n"


def _roles_markdown(roles: RolePlan) -> list[str]:
    lines: list[str] = []
    if roles.removed:
        names = ", ".join(f"`{_md(m.name)}`" for m in roles.removed)
        lines += [
            "> [!WARNING]",
            f"> **The deploy removes {len(roles.removed)} role mappings Talend holds today:** {names} (Talend's "
            "role-mapping API replaces every mapping of the tenant).",
            "",
        ]
    if roles.mappings:
        lines += [
            f"#### Talend role mappings (compared with {roles.compared_with})",
            "",
            "| customer role | change | Talend roles now | after the deploy |",
            "|---|---|---|---|",
        ]
        for m in roles.mappings:
            change = f"**{m.change}**" if m.change == "removed" else m.change
            lines.append(
                f"| {_md(m.name)} | {change} | {_md(', '.join(m.before)) or '-'} | {_md(', '.join(m.after)) or '-'} |"
            )
        lines.append("")
    if roles.people:
        lines += [
            f"<details open><summary>Talend roles at next SSO sign-in ({len(roles.people)} people)</summary>",
            "",
            "| userName | email / login | gains | loses |",
            "|---|---|---|---|",
        ]
        for p in roles.people[:MARKDOWN_ROWS]:
            gains, loses = _md(", ".join(p.gains)) or "-", _md(", ".join(p.loses)) or "-"
            lines.append(f"| {_md(p.user_name or '-')} | {_md(p.who)} | {gains} | {loses} |")
        lines += [*_more(len(roles.people), columns=4), "", "</details>", ""]
    return lines


def _people_list(title: str, people: list[Person], *, open_: bool) -> list[str]:
    if not people:
        return []
    lines = [
        f"<details{' open' if open_ else ''}><summary>{title} ({len(people)})</summary>",
        "",
        "| " + " | ".join(PEOPLE_COLUMNS) + " |",
        "|---|---|---|---|",
    ]
    for person in people[:MARKDOWN_ROWS]:
        user_name, who, groups, user_id = _row(person)
        lines.append(f"| {_md(user_name)} | {_md(who)} | {_md(groups)} | `{user_id}` |")
    return [*lines, *_more(len(people), columns=len(PEOPLE_COLUMNS)), "", "</details>", ""]


def _more(total: int, *, columns: int) -> list[str]:
    if total <= MARKDOWN_ROWS:
        return []
    return [f"| … and {total - MARKDOWN_ROWS} more (see `--json`) |" + " |" * (columns - 1)]


def _md(text: str) -> str:
    """Text safe inside a Markdown table cell (people's names come from Okta, not from us)."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")
