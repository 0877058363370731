"""What preflight reads from Okta: the configured groups with their members, the app's users and groups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from talend_okta.group_names import OKTA_GROUP, resolve_groups
from talend_okta.okta_api import AppUser, Group, GroupProfile, OktaClient, OktaUser
from talend_okta.settings import StackSettings


@dataclass
class GroupMembers:
    """An Okta group and its members; `group` is None when the configured name resolves to no one group, and
    `problem` says why (talend_okta.group_names: the rule `pulumi preview` stops on)."""

    name: str
    group: Group | None
    members: list[OktaUser] = field(default_factory=list)
    problem: str | None = None


@dataclass
class OktaSnapshot:
    """Everything preflight reads from Okta."""

    app_id: str | None  # None: the app is not deployed yet
    app_users: list[AppUser]
    assigned_group_ids: set[str]  # groups assigned to the app now
    configured_groups: list[GroupMembers]  # in config order
    removed_groups: list[GroupMembers]  # assigned now but not in the config: the deploy unassigns them


def read_snapshot(client: OktaClient, settings: StackSettings, app_id: str | None) -> OktaSnapshot:
    """The configured groups with their members; the app's users and groups (none when `app_id` is None)."""
    names = [group.name for group in settings.groups]
    resolved = resolve_groups(names, client.search_groups)  # as the program resolves them: one read
    configured = []
    for name in names:
        group_id = resolved.ids.get(name)
        group = Group(id=group_id, type=OKTA_GROUP, profile=GroupProfile(name=name)) if group_id else None
        members = list(client.iter_group_members(group_id)) if group_id else []
        configured.append(GroupMembers(name, group, members, resolved.problems.get(name)))
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


def read_role_groups(client: OktaClient, snapshot: OktaSnapshot, before: Mapping[str, list[str]]) -> list[GroupMembers]:
    """Groups mapped before the deploy that are no longer configured: their members may lose roles."""
    read = {g.name for g in (*snapshot.configured_groups, *snapshot.removed_groups)}
    groups = []
    for name in sorted(before.keys() - read):
        group = client.find_group(name)  # a customer role may name no Okta group (made by hand in Talend)
        groups.append(GroupMembers(name, group, list(client.iter_group_members(group.id)) if group else []))
    return groups
