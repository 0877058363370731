"""The app's group assignments and push groups as two Pulumi resources: Python dynamic providers over `OktaClient`.

Why not pulumi-okta's per-group `okta.app.GroupAssignment` and `okta.PushGroup`: each reads its own Okta object on
every refresh, all in Okta's `/api/v1/apps*` rate-limit bucket (100 requests a minute; an API token may use 50% of
it by default. Okta: "Management rate limits", "Token and OAuth 2.0 app rate limits"). A drift check of 100 groups,
half pushed, sent 154 requests there within seconds and waited a minute on 429. These two resources read all the
app's assignments in one paged call and all its push mappings in another. Why not `okta.AppGroupAssignments`
either: it is authoritative (a group assigned by hand is unassigned by the next `pulumi up`, terraform-provider-okta
#1871), and every change re-PUTs every group (N requests in the same bucket).

Like the per-group resources they replace, both are keyed by the Okta group id and are not authoritative: groups
assigned or pushed by hand outside the stack are neither reported nor removed.
- read: the declared groups as Okta holds them. A declared group that is no longer assigned, has another priority,
  or is no longer pushed (mapping gone or INACTIVE) drops out, so `pulumi preview --refresh` shows it as a change.
- create: adopts what Okta already holds and writes only what differs, so a stack that moves from the per-group
  resources keeps every assignment as it is (docs/rate-limits.md, "Upgrading a stack").
- update: writes only what differs. A group no longer declared is unassigned (its members leave Talend); a group
  no longer pushed has its mapping deactivated and deleted, the group staying in Talend.
- delete: the same for every declared group that `talend-okta:groups` no longer declares. A resource renamed or
  moved without an alias is created anew (adopting) and the old one deleted: the groups the config still declares
  stay, so nobody is unassigned. (The component also marks both `deleted_with` the app.)
Writes go one at a time through `OktaClient`, which waits out Okta's 429 until `X-Rate-Limit-Reset`. Every change
reads Okta just before, writes, reads back and says on stderr what it did; a step refused half way undoes its own
writes first (`access_change`, as provision does), naming anyone it leaves without access first, with how to
restore them.

Where the token goes: the stack's Okta org as its Okta provider settings name it when the provider runs
(`okta:httpProxy`, else `https://<okta:orgName>.<okta:baseUrl>`, from the config the engine hands `configure`, else
OKTA_HTTP_PROXY, OKTA_ORG_NAME, OKTA_BASE_URL), never the `oktaUrl` the state holds: whoever can write the state
backend must not receive the token from the next `pulumi refresh`. A state naming another org is refused before any
request, as the role-mapping resource refuses it for the Talend token.

The Okta credentials are the ones the stack's Okta provider uses: `okta:apiToken`, or a service app (`okta:clientId`,
`okta:privateKey`, `okta:privateKeyId`, `okta:scopes`) from the stack config (Pulumi hands the config to a dynamic
provider's `configure`), else their environment variables (talend_okta.okta_auth). They are never inputs, so they
are not in the state, a rotated token or key needs no `pulumi up`, and a pull request's read-only token shows no
change. The provider objects are pickled (dill) into the state before `configure`, so they carry no secret.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any, TypeVar, cast

import pulumi
import pulumi.dynamic as dynamic
from pulumi.runtime import rpc

from talend_okta.access_change import Step, apply_change
from talend_okta.http import ApiError, ApiStatusError, InputError, same_origin
from talend_okta.okta_api import AppGroup, OktaClient, PushMapping
from talend_okta.okta_auth import SETTINGS, OktaCredentials, okta_credentials
from talend_okta.stack_config import okta_org_url

OKTA_URL, APP_ID, GROUPS, MAPPINGS = "oktaUrl", "appId", "groups", "pushMappings"
GROUPS_CONFIG = "talend-okta:groups"  # what the stack declares, read at delete time (see `delete`)
ORG_KEYS = ("okta:orgName", "okta:baseUrl", "okta:httpProxy")  # the Okta provider's settings: where the org is
ORG_VARIABLES = ("OKTA_ORG_NAME", "OKTA_BASE_URL", "OKTA_HTTP_PROXY")  # the same, as environment variables
RESOURCE_TIMEOUT = 30.0  # seconds per Okta request during a deployment
APP_GROUPS_PAGE = 200  # Okta's largest page of app groups
PUSH_MAPPINGS_PAGE = 1000  # Okta's largest page of push mappings
UNKNOWN = rpc.UNKNOWN  # what a not-yet-known input looks like to a provider during a preview
T = TypeVar("T")


class AssignmentError(Exception):
    """Okta refused a read or a write; one line, never the token."""


def _declared(props: Mapping[str, Any]) -> list[dict[str, Any]]:
    groups = props.get(GROUPS)
    return [dict(group) for group in groups] if isinstance(groups, list) else []


def _ids(groups: Iterable[Mapping[str, Any]]) -> set[str]:
    return {str(group["groupId"]) for group in groups}


def _priority(group: Mapping[str, Any]) -> int | None:
    """The declared priority; Pulumi hands numbers to a dynamic provider as floats, Okta wants an integer."""
    value = group.get("priority")
    return None if value is None else int(value)


def _key(groups: Iterable[Mapping[str, Any]]) -> list[tuple[str, str, int | None]]:
    """What must match for no change: each group's id, name and declared priority, in id order."""
    return sorted((str(g["groupId"]), str(g.get("name", "")), _priority(g)) for g in groups)


class _OktaProvider(dynamic.ResourceProvider):
    """What both providers share: diff by groups, the Okta client, errors as one line. Stateless (it is pickled)."""

    what = "Okta"
    _config: dict[str, str] | None = None  # the Okta provider's credential settings, from `configure`
    _org_url: str | None = None  # the stack's Okta org, from the config the engine hands `configure`

    _still_declared: frozenset[str] | None = None  # the names the stack config declares (None: unreadable)

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        self._config = {key: str(value) for key in SETTINGS if (value := req.config.get(key))}
        self._org_url = okta_org_url({key: req.config.get(key) for key in ORG_KEYS})
        self._still_declared = self._config_names(req.config.get(GROUPS_CONFIG))

    def _config_names(self, groups: Any) -> frozenset[str] | None:
        """The group names `talend-okta:groups` declares for this resource (JSON text, as the engine hands it)."""
        with suppress(ValueError):
            groups = json.loads(groups) if isinstance(groups, str) else groups or []
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            return None
        return frozenset(str(g.get("name")) for g in groups if self._declares(g))

    def _declares(self, group: Mapping[str, Any]) -> bool:
        return True

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        replaces = [APP_ID] if _changed(olds.get(APP_ID), news.get(APP_ID)) else []
        groups = news.get(GROUPS) == UNKNOWN or _key(_declared(olds)) != _key(_declared(news))
        # Another org URL (a proxy, a vanity domain) changes nothing in Okta; the update writes the stack's into the
        # state, which every later operation must name (`_okta`).
        url = _changed(olds.get(OKTA_URL), news.get(OKTA_URL))
        return dynamic.DiffResult(changes=bool(replaces or groups or url), replaces=replaces)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        return dynamic.CreateResult(str(props[APP_ID]), self._apply(props, []))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        gone = [group for group in _declared(olds) if group["groupId"] not in _ids(_declared(news))]
        return dynamic.UpdateResult(self._apply(news, gone))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Undo every group, except those the stack config still declares: then this resource was renamed or
        moved without an alias, and the one that declares them now (created just before) holds them."""
        if self._still_declared is None:
            raise AssignmentError(
                f"{self.what}: cannot read {GROUPS_CONFIG} from the stack config, so cannot tell the groups it still "
                "declares from those to remove; nothing was sent"
            )
        declared = _declared(props)
        kept = [group for group in declared if group.get("name") in self._still_declared]
        if kept:
            _tell(
                f"{self.what}: kept {', '.join(_named(g) for g in kept)}: the stack config still declares them, "
                "so this resource was renamed or moved and the one declaring them now holds them (to keep the "
                "name in the state too, give the resource `aliases=[pulumi.Alias(name=<old name>)]`)"
            )
        self._apply({**props, GROUPS: []}, [group for group in declared if group not in kept])

    def _apply(self, props: dict[str, Any], gone: list[dict[str, Any]]) -> dict[str, Any]:
        raise NotImplementedError

    def _change(
        self,
        read: Callable[[], T],
        plan: Callable[[T], list[Step]],
        check: Callable[[T], list[str]],
        lost: Callable[[T, T], list[str]] | None = None,
    ) -> T:
        """One change through `apply_change`: read just before, write, read back; a failure, or a read back that
        `check` finds short of what was written, undoes this change's own writes and fails with one line (who is
        left without access and how to restore them first). Called inside `_okta`. Returns the read back."""
        change = apply_change(
            self.what, read, plan, lost=lost, check=check, read_back_unwritten=False, errors=(ApiError, InputError)
        )
        if not change.ok:
            raise AssignmentError("; ".join(line.strip() for line in change.lines()))
        if change.done:
            _tell(f"{self.what}: {'; '.join(change.done)}; read back: as declared")
        return cast(T, change.after)  # read back, as `ok` says

    @contextmanager
    def _okta(self, props: Mapping[str, Any]) -> Iterator[OktaClient]:
        """A client for the stack's Okta org, which `props` (the state, or the program's inputs) must name too: the
        token never goes to a host read from the state. Any API failure inside becomes one `AssignmentError` line."""
        held = str(props.get(OKTA_URL) or "")
        if self._org_url is None:
            raise AssignmentError(
                f"{self.what}: the stack config names no Okta org ({', '.join(ORG_KEYS)}, or "
                f"{', '.join(ORG_VARIABLES)}), so there is no host to send the Okta token to; nothing was sent"
            )
        if not same_origin(held, self._org_url):
            raise AssignmentError(
                f"{self.what}: the state names the Okta org {held or '(none)'!r}, but the stack's Okta provider "
                f"settings say {self._org_url}; refusing to send the Okta token there, nothing was sent (restore the "
                "state from a backup, or `pulumi up` without --refresh to write the stack's org)"
            )
        credentials = self._credentials()
        try:
            with OktaClient(self._org_url, credentials, timeout=RESOURCE_TIMEOUT) as okta:
                yield okta
        except (ApiError, InputError) as err:
            raise AssignmentError(f"{self.what}: {err}") from None

    def _credentials(self) -> OktaCredentials:
        """The Okta provider's credentials: the stack config, else the environment (one line when none or bad)."""
        try:
            credentials = okta_credentials(self._config or {}, os.environ)
        except InputError as err:
            raise AssignmentError(f"{self.what}: {err}") from None
        if credentials is None:
            raise AssignmentError(
                f"{self.what}: no Okta credentials: set okta:apiToken (OKTA_API_TOKEN) or a service app "
                "(okta:clientId, okta:privateKey, okta:scopes)"
            )
        return credentials


def _changed(old: Any, new: Any) -> bool:
    return bool(new == UNKNOWN or old != new)


def _tell(message: str) -> None:
    """The outcome on stderr: the engine shows a dynamic provider's stderr in `pulumi up`."""
    print(message, file=sys.stderr, flush=True)


class GroupAssignmentsProvider(_OktaProvider):
    """The app's assignment of each declared group, with its priority."""

    what = "group assignments"

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        with self._okta(props) as okta:
            held = {group.id: group for group in okta.iter_app_groups(id_, APP_GROUPS_PAGE)}
        still = []
        for group in _declared(props):
            assigned = held.get(group["groupId"])
            if assigned is not None:
                priority = None if _priority(group) is None else assigned.priority
                still.append({**group, "priority": priority})
        return dynamic.ReadResult(id_, {**props, GROUPS: still})

    def _apply(self, props: dict[str, Any], gone: list[dict[str, Any]]) -> dict[str, Any]:
        app_id, declared = str(props[APP_ID]), _declared(props)
        with self._okta(props) as okta:

            def read() -> dict[str, AppGroup]:
                return {group.id: group for group in okta.iter_app_groups(app_id, APP_GROUPS_PAGE)}

            def plan(held: dict[str, AppGroup]) -> list[Step]:
                steps = []
                for group in declared:
                    assigned, priority = held.get(group["groupId"]), _priority(group)
                    if assigned is None or (priority is not None and assigned.priority != priority):
                        steps.append(_assign(okta, app_id, group, assigned))
                return steps + [
                    _unassign(okta, app_id, group, held[group["groupId"]]) for group in gone if group["groupId"] in held
                ]

            def check(held: dict[str, AppGroup]) -> list[str]:
                missing = [
                    f"group {_named(group)} is not assigned with priority {_priority(group)}"
                    for group in declared
                    if group["groupId"] not in held
                    or (_priority(group) is not None and held[group["groupId"]].priority != _priority(group))
                ]
                return missing + [
                    f"group {_named(group)} is still assigned" for group in gone if group["groupId"] in held
                ]

            def lost(before: dict[str, AppGroup], after: dict[str, AppGroup]) -> list[str]:
                """Groups assigned before and not after a failure: a write that took effect though its answer was
                lost, or an undo that did not happen (named as their unassign step names them)."""
                return [
                    _unassigned(app_id, group)
                    for group in [*declared, *gone]
                    if group["groupId"] not in after and group["groupId"] in before
                ]

            self._change(read, plan, check, lost)
        return {key: props[key] for key in (OKTA_URL, APP_ID, GROUPS)}


def _named(group: Mapping[str, Any]) -> str:
    return f"{group.get('name') or '?'} ({group['groupId']})"


def _assign(okta: OktaClient, app_id: str, group: Mapping[str, Any], held: AppGroup | None) -> Step:
    """Assign the group (or set its priority): undone by unassigning it (or setting the priority it had)."""
    group_id, priority = str(group["groupId"]), _priority(group)
    if held is None:
        return Step(
            f"assign group {_named(group)}",
            lambda: okta.assign_group(app_id, group_id, priority),
            lambda: okta.unassign_group(app_id, group_id),
            f"unassign group {_named(group)} again",
        )
    return Step(
        f"set group {_named(group)}'s priority {held.priority} → {priority}",
        lambda: okta.assign_group(app_id, group_id, priority),
        lambda: okta.assign_group(app_id, group_id, held.priority),
        f"set its priority back to {held.priority}",
    )


def _unassigned(app_id: str, group: Mapping[str, Any]) -> str:
    return f"the members of group {_named(group)}, unassigned from app {app_id}"


def _unassign(okta: OktaClient, app_id: str, group: Mapping[str, Any], held: AppGroup) -> Step:
    """Unassign the group (its members leave Talend): undone by assigning it again with the priority it had."""
    group_id = str(group["groupId"])
    return Step(
        f"unassign group {_named(group)}",
        lambda: okta.unassign_group(app_id, group_id),
        lambda: okta.assign_group(app_id, group_id, held.priority),
        f"assign group {_named(group)} again",
        removes=(_unassigned(app_id, group),),
        restore=(
            f"Okta Admin Console → Applications → the app → Assignments → Assign → Assign to Groups → "
            f"{group.get('name') or group_id} (priority {held.priority}), or PUT /api/v1/apps/{app_id}/groups/"
            f'{group_id} with {{"priority": {held.priority}}}'
        ),
    )


class PushGroupsProvider(_OktaProvider):
    """An ACTIVE push mapping for each declared group; Okta lists mappings only once provisioning is enabled."""

    what = "push groups"

    def _declares(self, group: Mapping[str, Any]) -> bool:
        return group.get("push") is True

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        declared = _declared(props)
        if not declared:
            return dynamic.ReadResult(id_, {**props, GROUPS: [], MAPPINGS: {}})
        with self._okta(props) as okta:
            mappings = self._mappings(okta, id_)
        active = {source: m for source, m in mappings.items() if m.status == "ACTIVE"}
        still = [group for group in declared if group["groupId"] in active]
        return dynamic.ReadResult(
            id_, {**props, GROUPS: still, MAPPINGS: {g["groupId"]: active[g["groupId"]].id for g in still}}
        )

    def _apply(self, props: dict[str, Any], gone: list[dict[str, Any]]) -> dict[str, Any]:
        app_id, declared = str(props[APP_ID]), _declared(props)
        outputs = {key: props[key] for key in (OKTA_URL, APP_ID, GROUPS)}
        if not declared and not gone:
            return {**outputs, MAPPINGS: {}}
        with self._okta(props) as okta:

            def plan(mappings: dict[str, PushMapping]) -> list[Step]:
                steps = []
                for group in declared:
                    mapping = mappings.get(group["groupId"])
                    if mapping is None:
                        steps.append(self._push(okta, app_id, group))
                    elif mapping.status != "ACTIVE":
                        steps.append(self._status(okta, app_id, group, mapping, "ACTIVE"))
                for group in gone:
                    if (mapping := mappings.get(group["groupId"])) is not None:
                        steps.append(self._stop(okta, app_id, group, mapping))
                return steps

            def check(mappings: dict[str, PushMapping]) -> list[str]:
                active = {source for source, m in mappings.items() if m.status == "ACTIVE"}
                missing = [f"group {_named(g)} is not pushed" for g in declared if g["groupId"] not in active]
                return missing + [f"group {_named(g)} is still pushed" for g in gone if g["groupId"] in active]

            after = self._change(lambda: self._mappings(okta, app_id), plan, check)
        return {**outputs, MAPPINGS: {g["groupId"]: after[g["groupId"]].id for g in declared}}

    def _push(self, okta: OktaClient, app_id: str, group: Mapping[str, Any]) -> Step:
        """A new ACTIVE mapping: undone by deactivating and deleting it."""
        made: list[PushMapping] = []
        return Step(
            f"push group {_named(group)}",
            lambda: made.append(okta.create_push_mapping(app_id, group["groupId"], group["name"])),
            lambda: self._unpush(okta, app_id, made[0]),
            f"stop pushing group {_named(group)} again",
        )

    def _status(self, okta: OktaClient, app_id: str, group: Mapping[str, Any], mapping: PushMapping, to: str) -> Step:
        was = mapping.status or "INACTIVE"
        return Step(
            f"set the push mapping of group {_named(group)} {was} → {to}",
            lambda: okta.set_push_mapping_status(app_id, mapping.id, to),
            lambda: okta.set_push_mapping_status(app_id, mapping.id, was),
            f"set it back to {was}",
        )

    def _stop(self, okta: OktaClient, app_id: str, group: Mapping[str, Any], mapping: PushMapping) -> Step:
        """Stop pushing (the group stays in Talend): undone by pushing it again, to a group of its name."""
        return Step(
            f"stop pushing group {_named(group)}",
            lambda: self._unpush(okta, app_id, mapping),
            lambda: okta.create_push_mapping(app_id, group["groupId"], group["name"]),
            f"push group {_named(group)} again",
        )

    def _mappings(self, okta: OktaClient, app_id: str) -> dict[str, PushMapping]:
        """The app's push mappings by source group (one paged read)."""
        return {m.source_group_id: m for m in okta.iter_push_mappings(app_id, PUSH_MAPPINGS_PAGE)}

    def _unpush(self, okta: OktaClient, app_id: str, mapping: PushMapping) -> None:
        """Okta deletes only an INACTIVE mapping (okta.PushGroup does the same two steps)."""
        try:
            if mapping.status == "ACTIVE":
                okta.set_push_mapping_status(app_id, mapping.id, "INACTIVE")
            okta.delete_push_mapping(app_id, mapping.id)
        except ApiStatusError as err:
            if err.status != 404:  # already gone
                raise


class GroupAssignments(dynamic.Resource, module="talend", name="GroupAssignments"):
    """The app's assignment of each declared Okta group: `groups` is `[{name, groupId, priority}]`."""

    groups: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self,
        name: str,
        *,
        okta_url: str,
        app_id: pulumi.Input[str],
        groups: list[dict[str, Any]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {OKTA_URL: okta_url, APP_ID: app_id, GROUPS: groups}
        super().__init__(GroupAssignmentsProvider(), name, props, opts)


class PushGroups(dynamic.Resource, module="talend", name="PushGroups"):
    """The app's push mapping of each declared Okta group: `groups` is `[{name, groupId}]`."""

    groups: pulumi.Output[list[dict[str, Any]]]
    pushMappings: pulumi.Output[dict[str, str]]

    def __init__(
        self,
        name: str,
        *,
        okta_url: str,
        app_id: pulumi.Input[str],
        groups: list[dict[str, Any]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {OKTA_URL: okta_url, APP_ID: app_id, GROUPS: groups, MAPPINGS: None}
        super().__init__(PushGroupsProvider(), name, props, opts)
