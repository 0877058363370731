"""The Okta sandbox's org: its state, and every change to it made the way Okta makes it.

`Org` holds the records (okta_state), indexes for cheap lookups, and the queues of pending provisioning. A change
keeps assignments consistent (assigning a group assigns its members; a user leaving it is unassigned), queues the
SCIM work Okta would do, and saves the state file. The seeding API (okta.py) and the HTTP routes (okta_routes.py)
change the org only through these methods, holding `lock`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from talend_okta_sandbox import okta_json, okta_log
from talend_okta_sandbox.okta_state import (
    App,
    AppUser,
    Connection,
    Group,
    GroupAssignment,
    PushMapping,
    State,
    User,
    load_state,
    save_state,
    seal,
    unseal,
)

JSON = dict[str, Any]
NO_PROVISIONING = "Provisioning is not enabled for the app instance."
ASSIGNED_BEFORE_PROVISIONING = (
    "User was assigned this application before Provisioning was enabled and not provisioned in the downstream "
    "application. Click Provision User."
)
"""The admin console's error on a person assigned before provisioning was enabled (Okta support: "Provisioning Error:
User Was Assigned This Application Before Provisioning Was Enabled…"); Okta's API has no field for it."""
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TAKEN = "An object with this field already exists in the current organization"


def sso_only(record: AppUser) -> bool:
    """An SSO-only app user: assigned while the app's provisioning was off, never provisioned. Okta's Apps API
    documents it as status ACTIVE, syncState DISABLED, no externalId ("Application User Status"; recorded in
    okta-recordings/TestAccDataSourceOktaAppUserAssignments_read.yaml). Once provisioning is on, such a person is
    stranded: Okta leaves the app user as it is and never pushes them (Okta help: "Provision unprovisioned users")."""
    return record.external_id is None and record.sync_state == "DISABLED"


class SandboxError(ValueError):
    """A change the sandbox can't make (unknown id, duplicate name, …); the message says which.

    Seeding calls raise it as is; over HTTP it becomes Okta's E0000001 (E0000007 for an `UnknownId`).
    """


class UnknownId(SandboxError):
    """No user, group or app with this id."""

    def __init__(self, kind: str, object_id: str) -> None:
        super().__init__(f"unknown {kind.lower()} id {object_id}")
        self.kind, self.object_id = kind, object_id


class AssignedByGroup(SandboxError):
    """Okta refuses to end an individual assignment while the person's groups grant the app: 403 E0000046."""

    # Source: articulate/terraform-provider-okta#120 (the summary and cause, as the API returned them) and
    # gravitational/teleport#53947 (403 E0000046 for the same refusal); the definition (okta-management-2026.06.3.yaml,
    # unassignUserFromApplication) declares 403 with the Error schema.
    code = "E0000046"
    summary = "Deactivate application for user forbidden"
    cause = "The application cannot be unassigned from the user while their group memberships grant them access"

    def __init__(self, user_id: str, cause: str = cause) -> None:
        super().__init__(f"user {user_id}: {cause}")
        self.cause = cause


class Org:
    """An Okta org's users, groups and apps. Not locked by itself: callers hold `lock` around every call."""

    def __init__(self, api_token: str, state_file: Path | None = None) -> None:
        self._api_token = api_token  # seals the connections' SCIM tokens
        self._state_file = state_file
        self.state = load_state(state_file) if state_file is not None else State()
        self.lock = threading.RLock()
        self.sync_lock = threading.Lock()
        """Held while provisioning runs; the run saves the state itself then, not after every change."""
        self.wakeup = threading.Event()
        """Set after each change, for the background provisioning worker."""
        self.log_cap = okta_log.LOG_CAP
        """Events the System Log keeps (benchmarks keep more)."""
        self.epoch = 0
        """Bumped when objects or assignments come or go: sorted id lists for paging are cached per epoch."""
        self._bulk_depth = 0
        self._dirty = False
        # Indexes rebuilt from the state: who is in which group, and logins/group names for uniqueness.
        self._user_groups: dict[str, set[str]] = {}
        self._logins: dict[str, str] = {}
        self._group_names: dict[str, str] = {}
        for group in self.state.groups.values():
            if group.type == "OKTA_GROUP":
                self._group_names[str(group.profile.get("name", "")).lower()] = group.id
            for user_id in group.members:
                self._user_groups.setdefault(user_id, set()).add(group.id)
        for user in self.state.users.values():
            self._logins[str(user.profile.get("login", "")).lower()] = user.id
        # Pending provisioning as `app_id/user_id` and `app_id/mapping_id` (dicts: ordered sets, oldest first).
        self.user_queue: dict[str, None] = dict.fromkeys(self.state.user_tasks)
        self.group_queue: dict[str, None] = dict.fromkeys(self.state.group_tasks)

    # --- persistence and queues ---

    def changed(self, *, structure: bool = True, wake: bool = True) -> None:
        """Record a change: persist it (unless in `bulk()` or a provisioning run), and wake the worker."""
        if structure:
            self.epoch += 1
        self._dirty = True
        if self._bulk_depth == 0 and not self.sync_lock.locked():
            self.save()
        if wake:
            self.wakeup.set()

    def save(self) -> None:
        if self._state_file is not None:
            self.state.user_tasks = list(self.user_queue)
            self.state.group_tasks = list(self.group_queue)
            save_state(self.state, self._state_file)
        self._dirty = False

    def save_if_changed(self) -> None:
        if self._dirty:
            self.save()

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Save once at the end instead of after each change."""
        with self.lock:
            self._bulk_depth += 1
        try:
            yield
        finally:
            with self.lock:
                self._bulk_depth -= 1
                if self._bulk_depth == 0:
                    self.save_if_changed()

    def next_job(self) -> tuple[str, str, str] | None:
        """The oldest pending job as (kind, app id, key): app users first, so a group push sends members
        provisioned in the same run."""
        for kind, queue in (("user", self.user_queue), ("group", self.group_queue)):
            if queue:
                task = next(iter(queue))
                del queue[task]
                app_id, _, key = task.partition("/")
                self._dirty = True
                return kind, app_id, key
        return None

    def queue_user(self, app_id: str, user_id: str) -> None:
        self.user_queue[f"{app_id}/{user_id}"] = None

    def queue_group(self, app_id: str, mapping_id: str = "") -> None:
        """Push a group mapping; without a mapping id, delete the app's groups queued in `scim_group_deletions`."""
        self.group_queue[f"{app_id}/{mapping_id}"] = None

    def record_event(self, event: JSON) -> None:
        """Add an event to the System Log (okta_log)."""
        okta_log.record(self.state, event, self.log_cap)
        self.changed(structure=False, wake=False)

    def reprovision(self) -> None:
        """Forget what was pushed to SCIM and queue every app user and push mapping again: for a kept Okta state
        whose Talend starts empty (the stand-in lives in memory), as Okta re-pushes after a connection is reset.
        People stranded by an assignment made before provisioning stay stranded."""
        for app in self.state.apps.values():
            for user_id, record in app.users.items():
                if sso_only(record):
                    continue
                record.external_id = None
                self.queue_user(app.id, user_id)
            for mapping in app.push_mappings.values():
                mapping.scim_group_id = None
                self.queue_group(app.id, mapping.id)
        self.changed()

    def new_id(self, prefix: str) -> str:
        """Okta-looking 20-character ids that sort in creation order (the paging cursor relies on it)."""
        number, digits = self.state.next_id, ""
        self.state.next_id += 1
        while number:
            number, rest = divmod(number, 62)
            digits = _BASE62[rest] + digits
        return f"{prefix}{digits.rjust(14, '0')}1d7"

    # --- lookups ---

    def user(self, user_id: str) -> User:
        user = self.state.users.get(user_id)
        if user is None:
            raise UnknownId("User", user_id)
        return user

    def group(self, group_id: str) -> Group:
        group = self.state.groups.get(group_id)
        if group is None:
            raise UnknownId("Group", group_id)
        return group

    def app(self, app_id: str) -> App:
        app = self.state.apps.get(app_id)
        if app is None:
            raise UnknownId("App", app_id)
        return app

    def user_by_login(self, login: str) -> User | None:
        return self.state.users.get(self._logins.get(login.lower(), ""))

    def groups_of(self, user_id: str) -> set[str]:
        return self._user_groups.get(user_id, set())

    # --- users and groups ---

    def create_user(self, profile: JSON, status: str) -> User:
        login = str(profile.get("login") or "")
        if not login:
            raise SandboxError("login: The field cannot be left blank")
        if login.lower() in self._logins:
            raise SandboxError(f"login: {_TAKEN}")
        stamp = okta_json.now()
        user = User(
            id=self.new_id("00u"),
            status=status,
            created=stamp,
            activated=stamp if status in ("ACTIVE", "PROVISIONED") else None,
            status_changed=stamp,
            last_updated=stamp,
            profile=profile,
        )
        self.state.users[user.id] = user
        self._logins[login.lower()] = user.id
        self.changed()
        return user

    def update_profile(self, user: User, profile: JSON) -> None:
        """Replace the profile; app usernames follow it, and provisioning pushes it where Update is on."""
        old_login, new_login = str(user.profile.get("login", "")).lower(), str(profile.get("login") or "").lower()
        if not new_login:
            raise SandboxError("login: The field cannot be left blank")
        if new_login != old_login:
            if new_login in self._logins:
                raise SandboxError(f"login: {_TAKEN}")
            del self._logins[old_login]
            self._logins[new_login] = user.id
        user.profile, user.last_updated = profile, okta_json.now()
        for app in self.state.apps.values():
            record = app.users.get(user.id)
            if record is None:
                continue
            if not record.user_name_fixed:
                record.user_name = self.expected_user_name(app, user.id)
            if record.external_id and okta_json.connection_enabled(app) and okta_json.provisioning_switches(app)[1]:
                record.sync_state = "OUT_OF_SYNC"
                self.queue_user(app.id, user.id)
                self.queue_pushes_for(app, user.id)
        self.changed()

    def set_user_status(self, user: User, status: str) -> None:
        stamp = okta_json.now()
        user.status, user.status_changed, user.last_updated = status, stamp, stamp
        for app in self.state.apps.values():
            self.refresh_assignment(app, user.id)
        self.changed()

    def delete_user(self, user: User) -> None:
        for group_id in list(self.groups_of(user.id)):
            self.remove_member(self.state.groups[group_id], user)
        for app in self.state.apps.values():
            if user.id in app.users:
                app.users[user.id].direct = False
            self.refresh_assignment(app, user.id)
        del self.state.users[user.id]
        self._logins.pop(str(user.profile.get("login", "")).lower(), None)
        self.changed()

    def create_group(self, profile: JSON) -> Group:
        name = str(profile.get("name") or "")
        if not name:
            raise SandboxError("name: The field cannot be left blank")
        if name.lower() in self._group_names:
            raise SandboxError(f"name: {_TAKEN}")
        stamp = okta_json.now()
        group = Group(
            id=self.new_id("00g"),
            created=stamp,
            last_updated=stamp,
            last_membership_updated=stamp,
            profile={"name": name, "description": profile.get("description") or ""},
        )
        self.state.groups[group.id] = group
        self._group_names[name.lower()] = group.id
        self.changed()
        return group

    def import_app_group(self, name: str) -> Group:
        """A group imported from an app or a directory (type APP_GROUP). Okta keeps the source's name, even one an
        Okta group already has: only Okta groups' names are unique (pulumi-okta's group lookup notes "imported groups
        allow duplicate names": terraform-provider-okta data_source_okta_group.go)."""
        stamp = okta_json.now()
        group = Group(
            id=self.new_id("00g"),
            created=stamp,
            last_updated=stamp,
            last_membership_updated=stamp,
            type="APP_GROUP",
            profile={"name": name, "description": ""},
        )
        self.state.groups[group.id] = group
        self.changed()
        return group

    def update_group_profile(self, group: Group, profile: JSON) -> None:
        if group.type != "OKTA_GROUP":  # Groups API, Replace a group: "only the profile of an OKTA_GROUP"
            raise SandboxError(f"type: the profile of an {group.type} group cannot be changed")
        if not profile.get("name"):
            raise SandboxError("name: The field cannot be left blank")
        old, new = str(group.profile.get("name", "")).lower(), str(profile["name"]).lower()
        if new != old:
            if new in self._group_names:
                raise SandboxError(f"name: {_TAKEN}")
            del self._group_names[old]
            self._group_names[new] = group.id
        group.profile, group.last_updated = {"description": "", **profile}, okta_json.now()
        self.changed()

    def delete_group(self, group: Group) -> None:
        for app in self.state.apps.values():
            for mapping in [m for m in app.push_mappings.values() if m.source_group_id == group.id]:
                self.delete_push_mapping(app, mapping, delete_target=False)
            if group.id in app.groups:
                self.unassign_group(app, group.id)
        for user_id in list(group.members):
            self.remove_member(group, self.state.users[user_id])
        del self.state.groups[group.id]
        name = str(group.profile.get("name", "")).lower()
        if self._group_names.get(name) == group.id:
            del self._group_names[name]
        self.changed()

    def add_member(self, group: Group, user: User) -> None:
        if user.id in group.members:
            return
        group.members.add(user.id)
        self._user_groups.setdefault(user.id, set()).add(group.id)
        group.last_membership_updated = okta_json.now()
        for app in self.state.apps.values():
            if group.id in app.groups:
                self.refresh_assignment(app, user.id)
            if any(m.source_group_id == group.id for m in app.push_mappings.values()):
                self.queue_pushes_for(app, user.id)
        self.changed()

    def remove_member(self, group: Group, user: User) -> None:
        if user.id not in group.members:
            return
        group.members.discard(user.id)
        self.groups_of(user.id).discard(group.id)
        group.last_membership_updated = okta_json.now()
        for app in self.state.apps.values():
            if group.id in app.groups:
                self.refresh_assignment(app, user.id)
            for mapping in app.push_mappings.values():
                if mapping.source_group_id == group.id and mapping.status == "ACTIVE":
                    self.queue_group(app.id, mapping.id)
        self.changed()

    # --- apps and their provisioning settings ---

    def app_name(self, label: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "", label.lower()) or "app"
        return f"sandbox_{slug}_{len(self.state.apps) + 1}"

    def create_app(self, body: JSON, *, provisioning: bool = True, connection_api: bool = True) -> App:
        app = App(
            id=self.new_id("0oa"),
            body=body,
            provisioning=provisioning,
            connection_api=connection_api,
            user_provisioning=okta_json.merge({}, okta_json.DEFAULT_USER_PROVISIONING),
        )
        self.state.apps[app.id] = app
        self.changed()
        return app

    def expected_user_name(self, app: App, user_id: str) -> str:
        template = app.body.get("credentials", {}).get("userNameTemplate", {})
        return okta_json.app_user_name(
            str(template.get("template") or okta_json.OKTA_USERNAME_TEMPLATE),
            str(template.get("type") or "BUILT_IN"),
            self.state.users[user_id].profile,
        )

    def configure_connection(
        self, app: App, base_url: str, token: str | None, status: str, auth_scheme: str = "TOKEN"
    ) -> None:
        """Set the SCIM connection; without a token, the one set before stays."""
        sealed = seal(token, self._api_token) if token else (app.connection.sealed_token if app.connection else None)
        app.connection = Connection(base_url=base_url, sealed_token=sealed, status=status, auth_scheme=auth_scheme)
        self.queue_provisioning(app)
        self.changed()

    def set_connection_status(self, app: App, status: str) -> None:
        if app.connection is None:
            raise SandboxError("connection: no provisioning connection is configured for this app")
        app.connection.status = status
        self.queue_provisioning(app)
        self.changed()

    def scim_token(self, app: App) -> str | None:
        """The connection's SCIM token; None when there is none, or it was sealed under another API token."""
        sealed = app.connection.sealed_token if app.connection else None
        return unseal(sealed, self._api_token) if sealed else None

    def update_user_provisioning(self, app: App, update: JSON) -> None:
        app.user_provisioning = okta_json.merge(app.user_provisioning, update)
        self.queue_provisioning(app)
        self.changed()

    # --- assignments ---

    def assign_group(self, app: App, group: Group, priority: int | None, profile: JSON | None) -> GroupAssignment:
        stamp = okta_json.now()
        existing = app.groups.get(group.id)
        if existing is None:
            existing = GroupAssignment(
                group_id=group.id, priority=priority if priority is not None else len(app.groups), last_updated=stamp
            )
            app.groups[group.id] = existing
            for user_id in group.members:
                self.refresh_assignment(app, user_id)
        elif priority is not None:
            existing.priority = priority
        if profile is not None:
            existing.profile = profile
        existing.last_updated = stamp
        self.changed()
        return existing

    def unassign_group(self, app: App, group_id: str) -> None:
        del app.groups[group_id]
        group = self.state.groups.get(group_id)
        for user_id in group.members if group else ():
            self.refresh_assignment(app, user_id)
        self.changed()

    def assign_user(self, app: App, user: User, user_name: str | None) -> AppUser:
        """Assign directly (scope USER); `user_name` fixes the app username instead of the app's template."""
        self.refresh_assignment(app, user.id, direct=True)
        record = app.users.get(user.id)
        if record is None:
            raise SandboxError(f"id: user {user.id} can't be assigned while {user.status}")
        if user_name:
            record.user_name, record.user_name_fixed = user_name, True
        self.changed()
        return record

    def grants_through_groups(self, app: App, user_id: str) -> bool:
        """Whether one of the user's groups is assigned to the app."""
        return any(group_id in app.groups for group_id in self.groups_of(user_id))

    def unassign_user(self, app: App, record: AppUser) -> None:
        """End the assignment; refused (`AssignedByGroup`) while one of their groups grants the app, whatever the
        scope: Okta never turns an individual assignment back into a group one by unassigning it."""
        # Source: articulate/terraform-provider-okta#120, gravitational/teleport#53947 (403 E0000046).
        if self.grants_through_groups(app, record.user_id):
            raise AssignedByGroup(record.user_id)
        self.refresh_assignment(app, record.user_id, direct=False)
        self.changed()

    def convert_scope(self, app: App, record: AppUser, scope: str) -> None:
        """`POST /api/v1/apps/{appId}/users/{userId}` with `{"scope": ...}`.

        USER makes a group-owned assignment individually owned, so leaving the group no longer removes the app.
        Source: Okta support, "How to convert an existing user's app assignment from group-owned to
        individually-owned"; Okta Workflows template "Convert application assignment scope".
        GROUP is refused (E0000046). The sources disagree: the Workflows template converts back to GROUP when a group
        still assigns them; gravitational/teleport#53947 says Okta's API does not allow it; the definition
        (AppUserUpdateRequest) lists only `credentials` or `profile`, no `scope` at all. The sandbox plays the
        stricter: an individual assignment never becomes a group one again over the API."""
        # Source: Okta support "How to convert an existing user's app assignment from group-owned to
        # individually-owned"; Okta Workflows template "Convert application assignment scope" (scope USER).
        # Source: gravitational/teleport#53947 (no conversion to GROUP over the API); sources disagree, stricter played.
        if scope == "GROUP" and record.direct:
            # Inferred: the answer's code and summary are those teleport#53947 reports for this scenario.
            raise AssignedByGroup(record.user_id, "An individual assignment can't be converted to a group assignment")
        record.direct = record.direct or scope == "USER"
        record.last_updated = okta_json.now()
        self.changed()

    def update_app_user_name(self, app: App, record: AppUser, user_name: str) -> None:
        """`credentials.userName` of an app user; pushed again when the person is provisioned."""
        # Source: the definition (okta-management-2026.06.3.yaml): updateApplicationUser, AppUserCredentials.userName.
        # Inferred: a provisioned person's new username is pushed like any profile change (syncState OUT_OF_SYNC).
        record.user_name, record.user_name_fixed = user_name, True
        record.last_updated = okta_json.now()
        if okta_json.connection_enabled(app) and record.external_id:
            record.sync_state = "OUT_OF_SYNC"
            self.queue_user(app.id, record.user_id)
        self.changed()

    def refresh_assignment(self, app: App, user_id: str, *, direct: bool | None = None) -> None:
        """Make the app user match its assignments: direct, or through any assigned group (scope GROUP)."""
        record = app.users.get(user_id)
        user = self.state.users.get(user_id)
        is_direct = direct if direct is not None else (record.direct if record else False)
        via_group = any(group_id in app.groups for group_id in self.groups_of(user_id))
        wanted = user is not None and user.status != "DEPROVISIONED" and (is_direct or via_group)
        if record is not None and wanted:
            # Inferred: an assignment that changes scope is the same app user: no new assignment, no push (Okta
            # documents no push for it; the sandbox used to push here, without a source).
            record.direct = is_direct
        elif record is None and wanted:
            # A new assignment (direct, or through a group assigned again after it was unassigned). On an app that
            # creates users it is STAGED, then pushed.
            # Source: the definition's assignGroupToApplication ("assigns the app to each User that belongs to the
            # group") and AppUserStatus STAGED ("the background provisioning operation is queued ... PUSH_NEW_USERS").
            # Inferred: a member whose assignment ended when the group was unassigned gets a new one, provisioned, when
            # the group is assigned again (as unassigning and assigning a person again does: reference okta.md §7).
            stamp = okta_json.now()
            provisioned = okta_json.connection_enabled(app)
            record = AppUser(
                user_id=user_id,
                direct=is_direct,
                user_name=self.expected_user_name(app, user_id),
                status="STAGED" if provisioned else "ACTIVE",
                sync_state="OUT_OF_SYNC" if provisioned else "DISABLED",
                created=stamp,
                last_updated=stamp,
                status_changed=stamp,
            )
            app.users[user_id] = record
            app.deprovisioning.pop(user_id, None)  # assigned again before the deactivation went out
            if provisioned:
                self.queue_user(app.id, user_id)
            self.epoch += 1
        elif record is not None and not wanted:
            del app.users[user_id]
            self.epoch += 1
            if record.external_id and okta_json.connection_enabled(app):
                app.deprovisioning[user_id] = record
                self.queue_user(app.id, user_id)
                self.queue_pushes_for(app, user_id)

    def provision_user(self, app: App, user_id: str) -> AppUser:
        """The console's Assignments → Provision User for a person assigned before provisioning was enabled
        (Okta help: "Provision unprovisioned users"); Okta's API has no such call."""
        record = app.users.get(user_id)
        if record is None:
            raise UnknownId("AppUser", user_id)
        if not okta_json.connection_enabled(app):
            raise SandboxError(NO_PROVISIONING)
        if not sso_only(record):
            raise SandboxError(f"user {user_id}: Okta already provisions this app user (status {record.status})")
        self._assign_anew(app, record)
        self.changed()
        return record

    def sign_in(self, app: App, user_id: str, published: str | None = None) -> JSON:
        """The person signs in to the app through Okta: a `user.authentication.sso` event in the System Log.
        Inferred: Okta signs in only an ACTIVE user assigned to the app (others never reach the app)."""
        user = self.user(user_id)
        record = app.users.get(user_id)
        if record is None:
            raise SandboxError(f"user {user_id} is not assigned to app {app.id}: Okta does not sign them in to it")
        if user.status != "ACTIVE":
            raise SandboxError(f"user {user_id} is {user.status}: Okta does not sign them in")
        event = okta_log.sign_in_event(app, user_id, user, record.user_name, published)
        self.record_event(event)
        return event

    def _assign_anew(self, app: App, record: AppUser) -> None:
        """Treat an unprovisioned app user as a new assignment on an app that provisions: STAGED, pushed next
        (Okta's Apps API, "Application User Status": STAGED with no externalId while the job is queued)."""
        stamp = okta_json.now()
        record.status, record.sync_state, record.sync_error = "STAGED", "OUT_OF_SYNC", None
        record.status_changed = record.last_updated = stamp
        self.queue_user(app.id, record.user_id)

    # --- group push ---

    def create_push_mapping(self, app: App, group: Group, target_name: str, status: str) -> PushMapping:
        if any(m.source_group_id == group.id for m in app.push_mappings.values()):
            raise SandboxError(f"sourceGroupId: group {group.id} is already pushed to this app")
        stamp = okta_json.now()
        mapping = PushMapping(
            id=self.new_id("gPm"),
            source_group_id=group.id,
            target_group_id=self.new_id("00g"),
            target_group_name=target_name or str(group.profile.get("name", "")),
            status=status,
            created=stamp,
            last_updated=stamp,
        )
        app.push_mappings[mapping.id] = mapping
        if status == "ACTIVE":
            self.queue_group(app.id, mapping.id)
        self.changed()
        return mapping

    def set_push_status(self, app: App, mapping: PushMapping, status: str) -> None:
        mapping.status, mapping.last_updated, mapping.error_summary = status, okta_json.now(), None
        if status == "ACTIVE":
            self.queue_group(app.id, mapping.id)
        self.changed()

    def delete_push_mapping(self, app: App, mapping: PushMapping, *, delete_target: bool) -> None:
        del app.push_mappings[mapping.id]
        if delete_target and mapping.scim_group_id:
            app.scim_group_deletions.append(mapping.scim_group_id)
            self.queue_group(app.id)
        self.changed()

    # --- what provisioning has to do next ---

    def queue_pushes_for(self, app: App, user_id: str) -> None:
        """Re-push the active push groups the user is in (their member lists changed)."""
        groups = self.groups_of(user_id)
        for mapping in app.push_mappings.values():
            if mapping.source_group_id in groups and mapping.status == "ACTIVE":
                self.queue_group(app.id, mapping.id)

    def queue_provisioning(self, app: App) -> None:
        """After the connection or the switches changed: push whatever is pending for this app."""
        if not okta_json.connection_enabled(app):
            return
        for user_id, record in app.users.items():
            if sso_only(record):
                # Assigned for SSO while provisioning was off: Okta never provisions them on its own (Okta help,
                # "Provision unprovisioned users"); their app user stays as the SSO assignment left it.
                record.sync_error = ASSIGNED_BEFORE_PROVISIONING
            elif record.sync_state == "OUT_OF_SYNC":  # assigned while provisioning was on, not pushed yet
                self.queue_user(app.id, user_id)
        for user_id in app.deprovisioning:
            self.queue_user(app.id, user_id)
        for mapping in app.push_mappings.values():
            if mapping.status == "ACTIVE":
                self.queue_group(app.id, mapping.id)
        if app.scim_group_deletions:
            self.queue_group(app.id)

    def queue_errors(self) -> None:
        """Retry what ended in ERROR (Okta's "Retry" on failed app users and push groups)."""
        for app in self.state.apps.values():
            for user_id, record in (*app.users.items(), *app.deprovisioning.items()):
                if record.sync_state == "ERROR":
                    self.queue_user(app.id, user_id)
            for mapping in app.push_mappings.values():
                if mapping.status == "ERROR":
                    mapping.status = "ACTIVE"
                    self.queue_group(app.id, mapping.id)
