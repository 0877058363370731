"""preflight's plan, a pure function of what was read: who is created, deactivated, collides or has no email; which
groups are added, removed or renamed; the report models and why a change must not be merged."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, computed_field

from talend_okta.capacity import CapacityReport
from talend_okta.definition import email_prefix
from talend_okta.okta_api import AppUser, OktaUser
from talend_okta.preflight.roles import Member, RolePlan
from talend_okta.preflight.snapshot import GroupMembers, OktaSnapshot
from talend_okta.settings import StackSettings
from talend_okta.user_names import user_name_key
from talend_okta.wording import counted

NOT_ASSIGNABLE = frozenset({"DEPROVISIONED"})
"""Okta user statuses the app never provisions: deactivated people stay out of Talend whatever their groups."""


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
    problem: str | None = None  # not found: why, as `pulumi preview` says it (talend_okta.group_names)


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
    capacity: CapacityReport | None = None  # seats, the token owner, mass pushes

    @computed_field  # type: ignore[prop-decorator]
    @property
    def problems(self) -> list[str]:
        """Why this change must not be deployed as is (empty: fine)."""
        problems = [g.problem or f"group {g.name!r}: not found" for g in self.groups if g.change == "not found"]
        problems += [r.problem for r in self.renames if r.problem]
        for collision in self.collisions:
            who = ", ".join(who_of(p) for p in collision.people)
            problems.append(f"userName {collision.user_name!r} would be shared by {who}")
        if self.too_many_deactivations:
            problems.append(
                f"{counted(len(self.deactivated), 'person', 'people')} would be deactivated in Talend, more than "
                "--max-deactivations "
                f"{self.max_deactivations} (if intended, allow it with --allow-mass-deactivation)"
            )
        if self.roles is not None:
            problems += self.roles.problems
        if self.capacity is not None:
            problems += self.capacity.problems
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
    members, member_of = members_of(snapshot.configured_groups)
    leaving, left_from = members_of(removed)
    staying, _ = members_of(by_hand)  # the deploy leaves these groups (and their members) assigned
    current = {u.id: u for u in snapshot.app_users if u.is_active}
    # Assigned after the deploy whatever the configured groups say: directly (scope USER) or by a hand-made group.
    anchored = {user_id: u for user_id, u in current.items() if u.scope == "USER" or user_id in staying}
    kept = {user_id: u for user_id, u in anchored.items() if user_id not in members}

    # Okta computes no userName without an email, so it creates nobody in Talend for them (listed apart).
    newcomers = [as_person(u, member_of[user_id]) for user_id, u in members.items() if user_id not in current]
    created = [person for person in newcomers if person.user_name is not None]
    deactivated = [
        _leaver(u, leaving.get(user_id), left_from[user_id])
        for user_id, u in current.items()
        if user_id not in members and user_id not in kept
    ]
    # Everyone assigned after the deploy, as Talend will name them.
    resulting = [as_person(u, member_of[user_id]) for user_id, u in members.items()]
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
        unchanged=len(resulting) - len(newcomers),
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


def members_of(groups: Iterable[GroupMembers]) -> tuple[dict[str, OktaUser], dict[str, list[str]]]:
    """The assignable members of these groups by user id, and the names of the groups each is in."""
    members: dict[str, OktaUser] = {}
    member_of: dict[str, list[str]] = defaultdict(list)
    for group in groups:
        for user in group.members:
            if user.status not in NOT_ASSIGNABLE:
                members.setdefault(user.id, user)
                member_of[user.id].append(group.name)
    return members, member_of


def as_person(user: OktaUser, groups: list[str]) -> Person:
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
            missing = GroupChange(
                name=configured.name, id=None, members=0, change="not found", problem=configured.problem
            )
            changes.append(missing)
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


def role_members(snapshot: OktaSnapshot, extra: list[GroupMembers], settings: StackSettings) -> list[Member]:
    """Everyone in a group read from Okta, with the groups they are in and whether the app has them before/after."""
    assigned_now = {u.id for u in snapshot.app_users if u.is_active}
    direct = {u.id for u in snapshot.app_users if u.is_active and u.scope == "USER"}
    configured, _ = members_of(snapshot.configured_groups)
    groups: dict[str, set[str]] = defaultdict(set)
    users: dict[str, OktaUser] = {}
    for group in (*snapshot.configured_groups, *snapshot.removed_groups, *extra):
        for user in group.members:
            groups[user.id].add(group.name)
            users.setdefault(user.id, user)
    return [
        Member(
            user_id=user_id,
            user_name=as_person(user, []).user_name,
            who=user.profile.email or user.profile.login or user_id,
            groups=frozenset(groups[user_id]),
            assigned_before=user_id in assigned_now,
            assigned_after=user_id in configured or user_id in direct,
        )
        for user_id, user in users.items()
    ]


def who_of(person: Person) -> str:
    return person.email or person.login or person.user_id
