"""A local, stateful stand-in for the part of Okta's Management API this project uses (loopback only).

`OktaSandbox` keeps users, groups, SAML apps, provisioning connections, USER_PROVISIONING features, group
assignments, app users and group push mappings, and answers `/api/v1/...` with the JSON shapes of the recorded
Okta traffic (okta-recordings/). Tests seed it directly (`add_user`, `assign_group`, …) and read it through HTTP.

Provisioning works like Okta's for a custom SCIM app: once an app's connection is enabled, assigned users are
pushed to the SCIM base URL (`provisioning.py`). `sync()` runs the pending work now; `serve(auto_sync=True)`
runs it in the background after each change, as Okta does.

With a `state_file`, every change is written atomically to that JSON file and loaded again on start; the
connection's SCIM token is sealed with a key derived from the sandbox's API token, never written in plaintext.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE, USER_PROVISIONING
from talend_okta.sandbox import okta_json
from talend_okta.sandbox.okta_http import (
    Fault,
    OktaError,
    RateLimiter,
    Request,
    Response,
    finish,
    getter,
    invalid,
    invalid_token,
    limit_param,
    link_headers,
    not_found,
    page,
    parse_expression,
    parse_request,
    rate_limited,
    starts_with_any,
)
from talend_okta.sandbox.okta_state import (
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
from talend_okta.sandbox.provisioning import ScimCallFailed, ScimClient, ScimPerson, routed
from talend_okta.sandbox.serving import LOOPBACK, serve_wsgi

JSON = dict[str, Any]
_log = logging.getLogger(__name__)
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_NO_PROVISIONING = "Provisioning is not enabled for the app instance."
_ADMIN = User(
    id="00usandboxadmin00001",
    status="ACTIVE",
    created="2024-01-01T00:00:00.000Z",
    activated="2024-01-01T00:00:00.000Z",
    status_changed="2024-01-01T00:00:00.000Z",
    last_updated="2024-01-01T00:00:00.000Z",
    profile={"firstName": "Sandbox", "lastName": "Admin", "login": "admin@example.com", "email": "admin@example.com"},
)
# A throwaway self-signed certificate (its key was discarded) standing in for the app's SAML signing key.
_SIGNING_CERT = (
    "MIIDTTCCAjWgAwIBAgIUIfARi9KeVGx6ggHm+MFYzaapYyAwDQYJKoZIhvcNAQELBQAwNTEVMBMGA1UEAwwMb2t0YS1zYW5kYm94"
    "MRwwGgYDVQQKDBN0YWxlbmQtb2t0YSBzYW5kYm94MCAXDTI2MTEyODE4MjY1NloYDzIxMjYxMTA0MTgyNjU2WjA1MRUwEwYDVQQD"
    "DAxva3RhLXNhbmRib3gxHDAaBgNVBAoME3RhbGVuZC1va3RhIHNhbmRib3gwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIB"
    "AQCrfSImIlxQRwVYezljQhIBIeIn50WffBXv5rOP8D9u+nNSYpDOmLBWSZVUv26ctISvv1/ZDyRhBB3w7Rfus04Wg/su8CFwuwjV"
    "fAjRPHrPzYiPWJP8DngpVmju3PLcMHnGVF7JYpgFUlpynUeM9IrVwdicxewblciwd8ifxNi9akhr15sD/IPHKN0fmmQVctIS/agw"
    "ANZfYQI+PpH170QllwWTnEKg8jU9tpQ51Sjx/+FXcl7sOFM3wh60N4b79Tf4Bz8oytY7iBF05AEgK0Vw85wdqwxGv/DXwhD+Ehno"
    "HXRCcevV4Ww0cW4Mt3vtBh7J0lV3Mp3D+5ULuvmu8NpRAgMBAAGjUzBRMB0GA1UdDgQWBBQiQgG0ZaIdkJSoOazdT/7ef6XMczAf"
    "BgNVHSMEGDAWgBQiQgG0ZaIdkJSoOazdT/7ef6XMczAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQBzj8YZSBQt"
    "CkTZryA1n5ajPHWf3ABiYJ3J6Gd8RcTeLTU2QqGVDNZEYokjm1iXjpY5BWVaywJAQ+9CyxuzTnptqOit5PHn/EMfmpVxo+LMTjAZ"
    "1npXBx/xC0B/wAS8qTfneqafUsttsza8Gq4Xe4XEwzGAiz2T05uxN2cP2a/Ka8yfxC98jqjY3g034WDwwVoYXGbzjG1ySLUakTzy"
    "R/pmER0pGodl7wcyxSJMaFvw324XugYNH8VDwEL73tNldSYgHvWXsN9q8tYXUt3fSdz5tU490D0M8GItpLwweNFKQ9VC2KHYEDGf"
    "PWdd0dxjhK5w5V8YhPw0W96BRNKNQ9QD"
)


class SandboxError(ValueError):
    """A seeding call the sandbox can't honour (unknown id, duplicate name, …); the message says which."""


Handler = Callable[..., Response]


class OktaSandbox:
    """A stateful Okta org for tests and the offline demo. Thread-safe; serve it with `serve()`."""

    requests: list[tuple[str, str]]
    """(method, path+query) of every HTTP request served, in order."""

    def __init__(
        self,
        api_token: str,
        state_file: Path | None = None,
        scim_timeout: float = 10.0,
        *,
        rate_limit: int = 10_000,
        scim_routes: Mapping[str, str] | None = None,
    ) -> None:
        """`scim_routes` maps SCIM base URL prefixes (e.g. Talend's real hosts) to local ones provisioning uses."""
        self._api_token = api_token
        self._state_file = state_file
        self._scim_timeout = scim_timeout
        self._scim_routes = dict(scim_routes or {})
        self._state = load_state(state_file) if state_file is not None else State()
        self._lock = threading.RLock()
        self._sync_lock = threading.Lock()
        self._wakeup = threading.Event()
        self._bulk_depth = 0
        self._dirty = False
        self._epoch = 0
        self._sorted_cache: dict[str, tuple[int, list[str]]] = {}
        self._faults: list[Fault] = []
        self._rate_limiter = RateLimiter(rate_limit)
        self._base_url = f"http://{LOOPBACK}"
        self.requests = []
        # Indexes rebuilt from the state: who is in which group, and logins/group names for uniqueness.
        self._user_groups: dict[str, set[str]] = {}
        self._logins: dict[str, str] = {}
        self._group_names: dict[str, str] = {}
        for group in self._state.groups.values():
            self._group_names[str(group.profile.get("name", "")).lower()] = group.id
            for user_id in group.members:
                self._user_groups.setdefault(user_id, set()).add(group.id)
        for user in self._state.users.values():
            self._logins[str(user.profile.get("login", "")).lower()] = user.id
        self._user_queue: dict[str, None] = dict.fromkeys(self._state.user_tasks)
        self._group_queue: dict[str, None] = dict.fromkeys(self._state.group_tasks)
        self._routes = self._build_routes()

    def __repr__(self) -> str:  # never show the token
        state = self._state
        return f"OktaSandbox(users={len(state.users)}, groups={len(state.groups)}, apps={len(state.apps)})"

    # ---------------------------------------------------------------------------------------------------------
    # Seeding and inspection (no HTTP)
    # ---------------------------------------------------------------------------------------------------------

    def add_user(
        self,
        login: str,
        email: str | None = None,
        first_name: str = "",
        last_name: str = "",
        status: str = "ACTIVE",
    ) -> str:
        """Create an Okta user; returns its id ("00u…"). `email=None` makes a user without an email."""
        profile = {
            "firstName": first_name,
            "lastName": last_name,
            "mobilePhone": None,
            "secondEmail": None,
            "login": login,
            "email": email,
        }
        with self._lock:
            return self._create_user(profile, status, error=SandboxError).id

    def update_user(self, user_id: str, **profile: Any) -> None:
        """Change profile attributes (firstName, lastName, email, login, …); provisioning pushes the change."""
        with self._lock:
            user = self._user(user_id, SandboxError)
            self._update_profile(user, {**user.profile, **profile}, error=SandboxError)
            self._changed()

    def add_group(self, name: str) -> str:
        """Create an Okta group; returns its id ("00g…")."""
        with self._lock:
            return self._create_group({"name": name, "description": ""}, error=SandboxError).id

    def add_member(self, group_id: str, user_id: str) -> None:
        with self._lock:
            self._add_member(self._group(group_id, SandboxError), self._user(user_id, SandboxError))

    def remove_member(self, group_id: str, user_id: str) -> None:
        with self._lock:
            self._remove_member(self._group(group_id, SandboxError), self._user(user_id, SandboxError))

    def add_saml_app(
        self,
        label: str,
        user_name_template: str = EMAIL_PREFIX_TEMPLATE,
        user_name_template_type: str = "BUILT_IN",
        provisioning: bool = True,
    ) -> str:
        """Create an active custom SAML 2.0 app; returns its id ("0oa…").

        `provisioning=False` makes an app without provisioning (connections GET → status UNKNOWN, features
        GET → 400 E0000001), like a SAML app whose SCIM switch was never turned on.
        """
        with self._lock:
            app_id = self._new_id("0oa")
            created = okta_json.now()
            body = okta_json.saml_app_body(
                label, user_name_template, user_name_template_type, self._app_name(label), created
            )
            self._state.apps[app_id] = App(
                id=app_id,
                body=body,
                provisioning=provisioning,
                user_provisioning=okta_json.merge({}, okta_json.DEFAULT_USER_PROVISIONING),
            )
            self._changed()
            return app_id

    def set_connection(self, app_id: str, base_url: str, token: str, enabled: bool = True) -> None:
        """Configure the app's SCIM connection (base URL + bearer token), enabled or not."""
        with self._lock:
            app = self._app(app_id, SandboxError)
            if not app.provisioning:
                raise SandboxError(f"app {app_id}: {_NO_PROVISIONING}")
            self._configure_connection(app, base_url, token, "ENABLED" if enabled else "DISABLED")

    def set_user_provisioning(self, app_id: str, create: bool, update_profile: bool, deactivate: bool) -> None:
        """Provisioning → To App: Create Users, Update User Attributes, Deactivate Users."""

        def status(on: bool) -> JSON:
            return {"status": "ENABLED" if on else "DISABLED"}

        with self._lock:
            app = self._app(app_id, SandboxError)
            if not app.provisioning:
                raise SandboxError(f"app {app_id}: {_NO_PROVISIONING}")
            update = {
                "create": {"lifecycleCreate": status(create)},
                "update": {"profile": status(update_profile), "lifecycleDeactivate": status(deactivate)},
            }
            self._update_user_provisioning(app, update)

    def assign_group(self, app_id: str, group_id: str, priority: int | None = None) -> None:
        with self._lock:
            app = self._app(app_id, SandboxError)
            self._assign_group(app, self._group(group_id, SandboxError), priority, None)

    def unassign_group(self, app_id: str, group_id: str) -> None:
        with self._lock:
            app = self._app(app_id, SandboxError)
            if group_id not in app.groups:
                raise SandboxError(f"group {group_id} is not assigned to app {app_id}")
            self._unassign_group(app, group_id)

    def assign_user(self, app_id: str, user_id: str, user_name: str | None = None) -> None:
        """Assign a user directly (scope USER); `user_name` overrides the app's username template."""
        with self._lock:
            app = self._app(app_id, SandboxError)
            self._assign_user(app, self._user(user_id, SandboxError), user_name, SandboxError)

    def unassign_user(self, app_id: str, user_id: str) -> None:
        """Remove a direct assignment (the user stays assigned if a group assigns them)."""
        with self._lock:
            app = self._app(app_id, SandboxError)
            record = app.users.get(user_id)
            if record is None or not record.direct:
                raise SandboxError(f"user {user_id} is not assigned directly to app {app_id}")
            record.direct = False
            self._refresh_assignment(app, user_id)
            self._changed()

    def push_group(self, app_id: str, group_id: str) -> str:
        """Push a group to the app (Push Groups); returns the group push mapping id ("gPm…")."""
        with self._lock:
            app = self._app(app_id, SandboxError)
            group = self._group(group_id, SandboxError)
            if not app.provisioning:
                raise SandboxError(f"app {app_id}: {_NO_PROVISIONING}")
            return self._create_push_mapping(app, group, str(group.profile.get("name", "")), "ACTIVE", SandboxError).id

    def app_user(self, app_id: str, user_id: str) -> JSON | None:
        """The Okta AppUser JSON the API returns for this assignment, or None when the user isn't assigned."""
        with self._lock:
            app = self._state.apps.get(app_id)
            record = app.users.get(user_id) if app is not None else None
            if app is None or record is None:
                return None
            return okta_json.app_user(self._base_url, app_id, record, self._state.users[user_id].profile)

    def sync_error(self, app_id: str, user_id: str) -> str | None:
        """Why provisioning this app user failed (syncState ERROR), including a failed deactivation."""
        with self._lock:
            app = self._app(app_id, SandboxError)
            record = app.users.get(user_id) or app.deprovisioning.get(user_id)
            return record.sync_error if record is not None else None

    def set_sync_state(
        self,
        app_id: str,
        user_id: str,
        sync_state: str,
        error: str | None = None,
        *,
        status: str | None = None,
        external_id: str | None = None,
    ) -> None:
        """Force an app user's syncState (and optionally status/externalId), e.g. to fake a provisioning error.

        SYNCHRONIZED on a STAGED app user also marks it PROVISIONED, as a successful push would.
        """
        with self._lock:
            app = self._app(app_id, SandboxError)
            record = app.users.get(user_id)
            if record is None:
                raise SandboxError(f"user {user_id} is not assigned to app {app_id}")
            stamp = okta_json.now()
            record.sync_state, record.sync_error = sync_state, error
            if status is None and sync_state == "SYNCHRONIZED" and record.status == "STAGED":
                status = "PROVISIONED"
            if status is not None and status != record.status:
                record.status, record.status_changed = status, stamp
            if external_id is not None:
                record.external_id = external_id
            record.last_updated = stamp
            self._changed(structure=False)

    def inject_fault(
        self,
        method: str,
        path_pattern: str,
        status: int,
        *,
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests whose path matches (`re.search`) with this response instead.

        `method` "*" matches any method. Without a body, the response carries Okta's error body for the status.
        """
        fault_headers = dict(headers or {})
        if status == 429:
            fault_headers.setdefault("X-Rate-Limit-Remaining", "0")
        with self._lock:
            self._faults.append(Fault(method.upper(), re.compile(path_pattern), status, body, fault_headers, times))

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Write the state file once at the end instead of after each change (for seeding thousands of users)."""
        with self._lock:
            self._bulk_depth += 1
        try:
            yield
        finally:
            with self._lock:
                self._bulk_depth -= 1
                if self._bulk_depth == 0 and self._dirty:
                    self._save()

    @contextmanager
    def serve(self, host: str = LOOPBACK, port: int = 0, *, auto_sync: bool = False) -> Iterator[str]:
        """Serve the API until the block ends; yields the base URL `http://127.0.0.1:P`.

        With `auto_sync`, a background worker provisions after each change, like Okta's asynchronous pushes.
        """
        stop = threading.Event()
        worker = threading.Thread(target=self._sync_worker, args=(stop,), name="okta-sandbox-sync", daemon=True)
        with serve_wsgi(self.wsgi_app, host, port) as base_url:
            self._base_url = base_url
            if auto_sync:
                worker.start()
                self._wakeup.set()
            try:
                yield base_url
            finally:
                stop.set()
                self._wakeup.set()
                if auto_sync:
                    worker.join(timeout=self._scim_timeout + 5)

    # ---------------------------------------------------------------------------------------------------------
    # Provisioning
    # ---------------------------------------------------------------------------------------------------------

    def sync(self, *, retry_errors: bool = False) -> None:
        """Run all pending provisioning now (SCIM calls to each app's connection), then return.

        Like Okta, app users in syncState ERROR are not retried unless `retry_errors` is set.
        """
        with self._sync_lock:
            if retry_errors:
                self._queue_errors()
            last_save = time.monotonic()
            while (job := self._next_job()) is not None:
                kind, app_id, key = job
                if kind == "user":
                    self._run_user_job(app_id, key)
                else:
                    self._run_group_job(app_id, key)
                if time.monotonic() - last_save > 1.0:
                    with self._lock:
                        self._save()
                    last_save = time.monotonic()
        with self._lock:  # after releasing the sync lock, so no concurrent change is left unsaved
            if self._dirty:
                self._save()

    def wait_for_sync(self, timeout: float = 10.0) -> bool:
        """With `serve(auto_sync=True)`: wait until no provisioning is pending; False on timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = not self._user_queue and not self._group_queue and not self._sync_lock.locked()
            if idle:
                return True
            time.sleep(0.01)
        return False

    def _sync_worker(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self._wakeup.wait(timeout=0.5)
            self._wakeup.clear()
            if not stop.is_set():
                self.sync()

    def _next_job(self) -> tuple[str, str, str] | None:
        """The oldest pending job: app users first, so a group push sends members provisioned in the same run."""
        with self._lock:
            for kind, queue in (("user", self._user_queue), ("group", self._group_queue)):
                if queue:
                    task = next(iter(queue))
                    del queue[task]
                    app_id, _, key = task.partition("/")
                    self._dirty = True
                    return kind, app_id, key
            return None

    def _queue_errors(self) -> None:
        with self._lock:
            for app in self._state.apps.values():
                for user_id, record in (*app.users.items(), *app.deprovisioning.items()):
                    if record.sync_state == "ERROR":
                        self._user_queue[f"{app.id}/{user_id}"] = None
                for mapping in app.push_mappings.values():
                    if mapping.status == "ERROR":
                        mapping.status = "ACTIVE"
                        self._group_queue[f"{app.id}/{mapping.id}"] = None

    def _scim_client(self, app: App) -> ScimClient | str:
        """A SCIM client for the app's connection, or why there can't be one."""
        conn = app.connection
        if conn is None or not conn.base_url:
            return "the provisioning connection has no base URL"
        token = unseal(conn.sealed_token, self._api_token) if conn.sealed_token else None
        if token is None:
            return "the provisioning connection's API token is missing; set the connection again"
        return ScimClient(routed(conn.base_url, self._scim_routes), token, self._scim_timeout)

    def _person(self, user_id: str, record: AppUser) -> ScimPerson:
        profile = self._state.users[user_id].profile if user_id in self._state.users else {}
        return ScimPerson(
            okta_id=user_id,
            user_name=record.user_name,
            given_name=str(profile.get("firstName") or ""),
            family_name=str(profile.get("lastName") or ""),
            email=profile.get("email"),
        )

    def _run_user_job(self, app_id: str, user_id: str) -> None:
        with self._lock:
            app = self._state.apps.get(app_id)
            if app is None or not okta_json.connection_enabled(app):
                return
            create, update, deactivate = okta_json.provisioning_switches(app)
            record = app.users.get(user_id)
            leaving = app.deprovisioning.get(user_id)
            if record is not None:
                action = "update" if record.external_id else "create"
                if (action == "create" and not create) or (action == "update" and not update):
                    return
                person, scim_id = self._person(user_id, record), record.external_id
            elif leaving is not None and leaving.external_id and deactivate:
                action, person, scim_id = "deactivate", self._person(user_id, leaving), leaving.external_id
            else:
                app.deprovisioning.pop(user_id, None)
                return
            client = self._scim_client(app)
        failure: str | None = client if isinstance(client, str) else None
        if not isinstance(client, str):
            try:
                with client as scim:
                    if action == "create":
                        found = scim.find_user(person.user_name)
                        if found is not None and found.get("id"):
                            scim_id = str(found["id"])  # link to the existing SCIM user, then send the profile
                            scim.replace_user(scim_id, person, active=True)
                        else:
                            scim_id = str(scim.create_user(person)["id"])
                    elif scim_id is not None:
                        scim.replace_user(scim_id, person, active=action != "deactivate")
            except ScimCallFailed as exc:
                failure = str(exc)
        with self._lock:
            self._apply_user_job(app_id, user_id, action, scim_id, failure)

    def _apply_user_job(self, app_id: str, user_id: str, action: str, scim_id: str | None, failure: str | None) -> None:
        app = self._state.apps.get(app_id)
        if app is None:
            return
        stamp = okta_json.now()
        if action == "deactivate":
            leaving = app.deprovisioning.get(user_id)
            if failure is None:
                app.deprovisioning.pop(user_id, None)
            elif leaving is not None:
                leaving.sync_state, leaving.sync_error = "ERROR", failure
            self._changed(structure=False, wake=False)
            return
        record = app.users.get(user_id)
        if record is None:
            # Unassigned while the push ran: deactivate what was just created.
            if failure is None and scim_id is not None and user_id in self._state.users:
                app.deprovisioning[user_id] = AppUser(
                    user_id=user_id,
                    direct=False,
                    user_name=self._expected_user_name(app, user_id),
                    status="PROVISIONED",
                    sync_state="SYNCHRONIZED",
                    external_id=scim_id,
                    created=stamp,
                    last_updated=stamp,
                    status_changed=stamp,
                )
                self._user_queue[f"{app_id}/{user_id}"] = None
            return
        record.last_updated = stamp
        if failure is not None:
            record.sync_state, record.sync_error = "ERROR", failure
        else:
            newly = record.external_id is None
            record.external_id, record.sync_state, record.sync_error, record.last_sync = (
                scim_id,
                "SYNCHRONIZED",
                None,
                stamp,
            )
            if record.status != "PROVISIONED":
                record.status, record.status_changed = "PROVISIONED", stamp
            if newly:
                self._queue_pushes_for(app, user_id)
        self._changed(structure=False, wake=False)

    def _run_group_job(self, app_id: str, mapping_id: str) -> None:
        if mapping_id:
            self._push_group_now(app_id, mapping_id)
        else:
            self._delete_scim_groups_now(app_id)

    def _push_group_now(self, app_id: str, mapping_id: str) -> None:
        """Push one group: create it in the app if needed, then replace its members with the provisioned ones."""
        with self._lock:
            app = self._state.apps.get(app_id)
            mapping = app.push_mappings.get(mapping_id) if app is not None else None
            if app is None or mapping is None or mapping.status != "ACTIVE" or not okta_json.connection_enabled(app):
                return
            group = self._state.groups.get(mapping.source_group_id)
            members = [
                (record.external_id, record.user_name)
                for user_id in sorted(group.members if group else ())
                if (record := app.users.get(user_id)) is not None
                and record.external_id
                and record.status == "PROVISIONED"
            ]
            name, scim_group_id = mapping.target_group_name, mapping.scim_group_id
            client = self._scim_client(app)
        failure: str | None = None
        if isinstance(client, str):
            failure = client
        else:
            try:
                with client as scim:
                    if scim_group_id is None:
                        scim_group_id = scim.create_group(name)
                    scim.replace_group(scim_group_id, name, members)
            except ScimCallFailed as exc:
                failure = str(exc)
        with self._lock:
            app = self._state.apps.get(app_id)
            mapping = app.push_mappings.get(mapping_id) if app is not None else None
            if mapping is None:
                return
            if scim_group_id is not None:
                mapping.scim_group_id = scim_group_id
            mapping.error_summary = failure
            if failure is not None:
                mapping.status = "ERROR"
            mapping.last_updated = okta_json.now()
            self._changed(structure=False, wake=False)

    def _delete_scim_groups_now(self, app_id: str) -> None:
        """Delete the app's groups whose push mappings were deleted with deleteTargetGroup=true."""
        with self._lock:
            app = self._state.apps.get(app_id)
            if app is None or not okta_json.connection_enabled(app):
                return
            deletions, app.scim_group_deletions = list(app.scim_group_deletions), []
            client = self._scim_client(app)
            self._changed(structure=False, wake=False)
        if isinstance(client, str):
            return
        with client as scim:
            for scim_group_id in deletions:
                with suppress(ScimCallFailed):  # like Okta: a target group that can't be deleted is left behind
                    scim.delete_group(scim_group_id)

    def _queue_pushes_for(self, app: App, user_id: str) -> None:
        groups = self._user_groups.get(user_id, set())
        for mapping in app.push_mappings.values():
            if mapping.source_group_id in groups and mapping.status == "ACTIVE":
                self._group_queue[f"{app.id}/{mapping.id}"] = None

    def _queue_provisioning(self, app: App) -> None:
        """After the connection or the switches changed: push whatever is pending for this app."""
        if not okta_json.connection_enabled(app):
            return
        for user_id, record in app.users.items():
            if record.sync_state in ("DISABLED", "OUT_OF_SYNC"):
                if record.status != "PROVISIONED":
                    record.status, record.status_changed = "STAGED", okta_json.now()
                record.sync_state = "OUT_OF_SYNC"
                self._user_queue[f"{app.id}/{user_id}"] = None
        for user_id in app.deprovisioning:
            self._user_queue[f"{app.id}/{user_id}"] = None
        for mapping in app.push_mappings.values():
            if mapping.status == "ACTIVE":
                self._group_queue[f"{app.id}/{mapping.id}"] = None
        if app.scim_group_deletions:
            self._group_queue[f"{app.id}/"] = None

    # ---------------------------------------------------------------------------------------------------------
    # Domain operations (callers hold the lock)
    # ---------------------------------------------------------------------------------------------------------

    def _changed(self, *, structure: bool = True, wake: bool = True) -> None:
        """Record a change: persist it (unless in `bulk()`), and wake the provisioning worker."""
        if structure:
            self._epoch += 1
        self._dirty = True
        if self._bulk_depth == 0 and not self._sync_lock.locked():
            self._save()
        if wake:
            self._wakeup.set()

    def _save(self) -> None:
        if self._state_file is not None:
            self._state.user_tasks = list(self._user_queue)
            self._state.group_tasks = list(self._group_queue)
            save_state(self._state, self._state_file)
        self._dirty = False

    def _new_id(self, prefix: str) -> str:
        """Okta-looking 20-character ids that sort in creation order (the paging cursor relies on it)."""
        number, digits = self._state.next_id, ""
        self._state.next_id += 1
        while number:
            number, rest = divmod(number, 62)
            digits = _BASE62[rest] + digits
        return f"{prefix}{digits.rjust(14, '0')}1d7"

    def _sorted(self, key: str, ids: Iterable[str]) -> list[str]:
        """Sorted ids of a collection, cached until the next structural change (50k-user pages stay cheap)."""
        cached = self._sorted_cache.get(key)
        if cached is not None and cached[0] == self._epoch:
            return cached[1]
        ordered = sorted(ids)
        self._sorted_cache[key] = (self._epoch, ordered)
        return ordered

    def _user(self, user_id: str, error: Callable[[str], Exception]) -> User:
        user = self._state.users.get(user_id)
        if user is None:
            raise error(f"User {user_id}") if error is not SandboxError else SandboxError(f"unknown user id {user_id}")
        return user

    def _group(self, group_id: str, error: Callable[[str], Exception]) -> Group:
        group = self._state.groups.get(group_id)
        if group is None:
            raise (
                error(f"Group {group_id}")
                if error is not SandboxError
                else SandboxError(f"unknown group id {group_id}")
            )
        return group

    def _app(self, app_id: str, error: Callable[[str], Exception]) -> App:
        app = self._state.apps.get(app_id)
        if app is None:
            raise error(f"App {app_id}") if error is not SandboxError else SandboxError(f"unknown app id {app_id}")
        return app

    def _create_user(self, profile: JSON, status: str, error: type[Exception]) -> User:
        login = str(profile.get("login") or "")
        if not login:
            raise _raise(error, "login: The field cannot be left blank")
        if login.lower() in self._logins:
            raise _raise(error, "login: An object with this field already exists in the current organization")
        stamp = okta_json.now()
        user = User(
            id=self._new_id("00u"),
            status=status,
            created=stamp,
            activated=stamp if status in ("ACTIVE", "PROVISIONED") else None,
            status_changed=stamp,
            last_updated=stamp,
            profile=profile,
        )
        self._state.users[user.id] = user
        self._logins[login.lower()] = user.id
        self._changed()
        return user

    def _update_profile(self, user: User, profile: JSON, error: type[Exception]) -> None:
        old_login, new_login = str(user.profile.get("login", "")).lower(), str(profile.get("login") or "").lower()
        if not new_login:
            raise _raise(error, "login: The field cannot be left blank")
        if new_login != old_login:
            if new_login in self._logins:
                raise _raise(error, "login: An object with this field already exists in the current organization")
            del self._logins[old_login]
            self._logins[new_login] = user.id
        user.profile, user.last_updated = profile, okta_json.now()
        for app in self._state.apps.values():
            record = app.users.get(user.id)
            if record is None:
                continue
            if not record.user_name_fixed:
                record.user_name = self._expected_user_name(app, user.id)
            if record.external_id and okta_json.connection_enabled(app) and okta_json.provisioning_switches(app)[1]:
                record.sync_state = "OUT_OF_SYNC"
                self._user_queue[f"{app.id}/{user.id}"] = None
                self._queue_pushes_for(app, user.id)

    def _set_user_status(self, user: User, status: str) -> None:
        stamp = okta_json.now()
        user.status, user.status_changed, user.last_updated = status, stamp, stamp
        for app in self._state.apps.values():
            self._refresh_assignment(app, user.id)
        self._changed()

    def _delete_user(self, user: User) -> None:
        for group_id in list(self._user_groups.get(user.id, ())):
            self._remove_member(self._state.groups[group_id], user)
        for app in self._state.apps.values():
            if user.id in app.users:
                app.users[user.id].direct = False
            self._refresh_assignment(app, user.id)
        del self._state.users[user.id]
        self._logins.pop(str(user.profile.get("login", "")).lower(), None)
        self._changed()

    def _create_group(self, profile: JSON, error: type[Exception]) -> Group:
        name = str(profile.get("name") or "")
        if not name:
            raise _raise(error, "name: The field cannot be left blank")
        if name.lower() in self._group_names:
            raise _raise(error, "name: An object with this field already exists in the current organization")
        stamp = okta_json.now()
        group = Group(
            id=self._new_id("00g"),
            created=stamp,
            last_updated=stamp,
            last_membership_updated=stamp,
            profile={"name": name, "description": profile.get("description") or ""},
        )
        self._state.groups[group.id] = group
        self._group_names[name.lower()] = group.id
        self._changed()
        return group

    def _delete_group(self, group: Group) -> None:
        for app in self._state.apps.values():
            for mapping in [m for m in app.push_mappings.values() if m.source_group_id == group.id]:
                self._delete_push_mapping(app, mapping, delete_target=False)
            if group.id in app.groups:
                self._unassign_group(app, group.id)
        for user_id in list(group.members):
            self._remove_member(group, self._state.users[user_id])
        del self._state.groups[group.id]
        self._group_names.pop(str(group.profile.get("name", "")).lower(), None)
        self._changed()

    def _add_member(self, group: Group, user: User) -> None:
        if user.id in group.members:
            return
        group.members.add(user.id)
        self._user_groups.setdefault(user.id, set()).add(group.id)
        group.last_membership_updated = okta_json.now()
        for app in self._state.apps.values():
            if group.id in app.groups:
                self._refresh_assignment(app, user.id)
            if any(m.source_group_id == group.id for m in app.push_mappings.values()):
                self._queue_pushes_for(app, user.id)
        self._changed()

    def _remove_member(self, group: Group, user: User) -> None:
        if user.id not in group.members:
            return
        group.members.discard(user.id)
        self._user_groups.get(user.id, set()).discard(group.id)
        group.last_membership_updated = okta_json.now()
        for app in self._state.apps.values():
            if group.id in app.groups:
                self._refresh_assignment(app, user.id)
            for mapping in app.push_mappings.values():
                if mapping.source_group_id == group.id and mapping.status == "ACTIVE":
                    self._group_queue[f"{app.id}/{mapping.id}"] = None
        self._changed()

    def _app_name(self, label: str) -> str:
        slug = re.sub(r"[^a-z0-9]+", "", label.lower()) or "app"
        return f"sandbox_{slug}_{len(self._state.apps) + 1}"

    def _expected_user_name(self, app: App, user_id: str) -> str:
        template = app.body.get("credentials", {}).get("userNameTemplate", {})
        return okta_json.app_user_name(
            str(template.get("template") or okta_json.OKTA_USERNAME_TEMPLATE),
            str(template.get("type") or "BUILT_IN"),
            self._state.users[user_id].profile,
        )

    def _configure_connection(self, app: App, base_url: str, token: str | None, status: str) -> None:
        sealed = seal(token, self._api_token) if token else (app.connection.sealed_token if app.connection else None)
        app.connection = Connection(base_url=base_url, sealed_token=sealed, status=status)
        self._queue_provisioning(app)
        self._changed()

    def _update_user_provisioning(self, app: App, update: JSON) -> None:
        app.user_provisioning = okta_json.merge(app.user_provisioning, update)
        self._queue_provisioning(app)
        self._changed()

    def _assign_group(self, app: App, group: Group, priority: int | None, profile: JSON | None) -> GroupAssignment:
        stamp = okta_json.now()
        existing = app.groups.get(group.id)
        if existing is None:
            existing = GroupAssignment(
                group_id=group.id, priority=priority if priority is not None else len(app.groups), last_updated=stamp
            )
            app.groups[group.id] = existing
            for user_id in group.members:
                self._refresh_assignment(app, user_id)
        elif priority is not None:
            existing.priority = priority
        if profile is not None:
            existing.profile = profile
        existing.last_updated = stamp
        self._changed()
        return existing

    def _unassign_group(self, app: App, group_id: str) -> None:
        del app.groups[group_id]
        group = self._state.groups.get(group_id)
        for user_id in group.members if group else ():
            self._refresh_assignment(app, user_id)
        self._changed()

    def _assign_user(self, app: App, user: User, user_name: str | None, error: type[Exception]) -> AppUser:
        self._refresh_assignment(app, user.id, direct=True)
        record = app.users.get(user.id)
        if record is None:
            raise _raise(error, f"id: user {user.id} can't be assigned while {user.status}")
        if user_name:
            record.user_name, record.user_name_fixed = user_name, True
        self._changed()
        return record

    def _refresh_assignment(self, app: App, user_id: str, *, direct: bool | None = None) -> None:
        """Make the app user match its assignments: direct, or through any assigned group (scope GROUP)."""
        record = app.users.get(user_id)
        user = self._state.users.get(user_id)
        is_direct = direct if direct is not None else (record.direct if record else False)
        via_group = any(group_id in app.groups for group_id in self._user_groups.get(user_id, ()))
        wanted = user is not None and user.status != "DEPROVISIONED" and (is_direct or via_group)
        if record is not None and wanted:
            record.direct = is_direct
        elif record is None and wanted:
            stamp = okta_json.now()
            provisioned = okta_json.connection_enabled(app)
            record = AppUser(
                user_id=user_id,
                direct=is_direct,
                user_name=self._expected_user_name(app, user_id),
                status="STAGED" if provisioned else "ACTIVE",
                sync_state="OUT_OF_SYNC" if provisioned else "DISABLED",
                created=stamp,
                last_updated=stamp,
                status_changed=stamp,
            )
            app.users[user_id] = record
            app.deprovisioning.pop(user_id, None)  # assigned again before the deactivation went out
            if provisioned:
                self._user_queue[f"{app.id}/{user_id}"] = None
            self._epoch += 1
        elif record is not None and not wanted:
            del app.users[user_id]
            self._epoch += 1
            if record.external_id and okta_json.connection_enabled(app):
                app.deprovisioning[user_id] = record
                self._user_queue[f"{app.id}/{user_id}"] = None
                self._queue_pushes_for(app, user_id)

    def _create_push_mapping(
        self, app: App, group: Group, target_name: str, status: str, error: type[Exception]
    ) -> PushMapping:
        if any(m.source_group_id == group.id for m in app.push_mappings.values()):
            raise _raise(error, f"sourceGroupId: group {group.id} is already pushed to this app")
        stamp = okta_json.now()
        mapping = PushMapping(
            id=self._new_id("gPm"),
            source_group_id=group.id,
            target_group_id=self._new_id("00g"),
            target_group_name=target_name or str(group.profile.get("name", "")),
            status=status,
            created=stamp,
            last_updated=stamp,
        )
        app.push_mappings[mapping.id] = mapping
        if status == "ACTIVE":
            self._group_queue[f"{app.id}/{mapping.id}"] = None
        self._changed()
        return mapping

    def _delete_push_mapping(self, app: App, mapping: PushMapping, *, delete_target: bool) -> None:
        del app.push_mappings[mapping.id]
        if delete_target and mapping.scim_group_id:
            app.scim_group_deletions.append(mapping.scim_group_id)
            self._group_queue[f"{app.id}/"] = None
        self._changed()

    # ---------------------------------------------------------------------------------------------------------
    # HTTP
    # ---------------------------------------------------------------------------------------------------------

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        """The WSGI application (also usable in-process with `httpx.WSGITransport`)."""
        request = parse_request(environ)
        with self._lock:
            self.requests.append((request.method, request.target))
            fault = next((f for f in self._faults if f.matches(request)), None)
            if fault is not None:
                fault.times -= 1
                self._faults = [f for f in self._faults if f.times > 0]
        allowed, limit_headers = self._rate_limiter.take()
        if fault is not None:
            return finish(fault.response(), start_response, limit_headers)
        try:
            if request.path.startswith("/api/"):
                self._authenticate(request)
            if not allowed:
                raise rate_limited()
            response = self._dispatch(request)
        except OktaError as err:
            response = Response.from_error(err)
        except Exception:  # a sandbox bug still answers like Okta; the traceback goes to the log, not the client
            _log.exception("Okta sandbox failed on %s %s", request.method, request.path)
            response = Response.from_error(OktaError(500, "E0000009", "Internal Server Error"))
        return finish(response, start_response, limit_headers)

    def _authenticate(self, request: Request) -> None:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme != "SSWS" or not hmac.compare_digest(token.strip().encode(), self._api_token.encode()):
            raise invalid_token()

    def _dispatch(self, request: Request) -> Response:
        allowed_methods = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed_methods = True
                continue
            with self._lock:
                return handler(request, *match.groups())
        if allowed_methods:
            raise OktaError(405, "E0000022", "The endpoint does not support the provided HTTP method")
        raise not_found(request.path)

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        i = r"([A-Za-z0-9_-]+)"
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/.well-known/okta-organization", self._get_organization),
            ("GET", "/api/v1/users/me", self._get_me),
            ("GET", "/api/v1/users", self._list_users),
            ("POST", "/api/v1/users", self._post_user),
            ("GET", f"/api/v1/users/{i}", self._get_user),
            ("POST", f"/api/v1/users/{i}", self._post_user_update),
            ("PUT", f"/api/v1/users/{i}", self._put_user),
            ("DELETE", f"/api/v1/users/{i}", self._delete_user_route),
            ("POST", f"/api/v1/users/{i}/lifecycle/(activate|deactivate)", self._user_lifecycle),
            ("GET", f"/api/v1/users/{i}/groups", self._list_user_groups),
            ("GET", "/api/v1/groups", self._list_groups),
            ("POST", "/api/v1/groups", self._post_group),
            ("GET", f"/api/v1/groups/{i}", self._get_group),
            ("PUT", f"/api/v1/groups/{i}", self._put_group),
            ("DELETE", f"/api/v1/groups/{i}", self._delete_group_route),
            ("GET", f"/api/v1/groups/{i}/users", self._list_group_users),
            ("PUT", f"/api/v1/groups/{i}/users/{i}", self._put_group_user),
            ("DELETE", f"/api/v1/groups/{i}/users/{i}", self._delete_group_user),
            ("GET", "/api/v1/apps", self._list_apps),
            ("POST", "/api/v1/apps", self._post_app),
            ("GET", f"/api/v1/apps/{i}", self._get_app),
            ("PUT", f"/api/v1/apps/{i}", self._put_app),
            ("DELETE", f"/api/v1/apps/{i}", self._delete_app),
            ("POST", f"/api/v1/apps/{i}/lifecycle/(activate|deactivate)", self._app_lifecycle),
            ("PUT", f"/api/v1/apps/{i}/policies/{i}", self._put_app_policy),
            ("GET", f"/api/v1/apps/{i}/credentials/keys", self._get_app_keys),
            ("GET", f"/api/v1/apps/{i}/sso/saml/metadata", self._get_app_metadata),
            ("GET", f"/api/v1/apps/{i}/connections/default", self._get_connection),
            ("POST", f"/api/v1/apps/{i}/connections/default", self._post_connection),
            (
                "POST",
                f"/api/v1/apps/{i}/connections/default/lifecycle/(activate|deactivate)",
                self._connection_lifecycle,
            ),
            ("GET", f"/api/v1/apps/{i}/features", self._list_features),
            ("GET", f"/api/v1/apps/{i}/features/{i}", self._get_feature),
            ("PUT", f"/api/v1/apps/{i}/features/{i}", self._put_feature),
            ("GET", f"/api/v1/apps/{i}/groups", self._list_app_groups),
            ("GET", f"/api/v1/apps/{i}/groups/{i}", self._get_app_group),
            ("PUT", f"/api/v1/apps/{i}/groups/{i}", self._put_app_group),
            ("DELETE", f"/api/v1/apps/{i}/groups/{i}", self._delete_app_group),
            ("GET", f"/api/v1/apps/{i}/users", self._list_app_users),
            ("POST", f"/api/v1/apps/{i}/users", self._post_app_user),
            ("GET", f"/api/v1/apps/{i}/users/{i}", self._get_app_user),
            ("DELETE", f"/api/v1/apps/{i}/users/{i}", self._delete_app_user),
            ("GET", f"/api/v1/apps/{i}/group-push/mappings", self._list_push_mappings),
            ("POST", f"/api/v1/apps/{i}/group-push/mappings", self._post_push_mapping),
            ("GET", f"/api/v1/apps/{i}/group-push/mappings/{i}", self._get_push_mapping),
            ("PATCH", f"/api/v1/apps/{i}/group-push/mappings/{i}", self._patch_push_mapping),
            ("DELETE", f"/api/v1/apps/{i}/group-push/mappings/{i}", self._delete_push_mapping_route),
        ]
        return [(method, re.compile(path), handler) for method, path, handler in table]

    def _paged(
        self,
        request: Request,
        key: str,
        ids: Iterable[str],
        render: Callable[[str], JSON],
        *,
        default: int,
        maximum: int,
        keep: Callable[[str], bool] | None = None,
    ) -> Response:
        limit = limit_param(request, default, maximum)
        ordered = self._sorted(key, ids)
        if keep is not None:
            ordered = [item for item in ordered if keep(item)]
        chunk, next_after = page(ordered, request.query.get("after", ""), limit)
        return Response(200, [render(item) for item in chunk], link_headers(request, limit, next_after))

    # --- users ---

    def _get_organization(self, request: Request) -> Response:
        # The Classic pipeline makes pulumi-okta skip the OIE access-policy calls.
        body = {
            "id": "00osandbox0000000000",
            "cell": "sandbox",
            "_links": {"organization": {"href": request.base_url}},
            "pipeline": "v1",
            "settings": dict.fromkeys(
                (
                    "analyticsCollectionEnabled",
                    "bugReportingEnabled",
                    "omEnabled",
                    "pssoEnabled",
                    "desktopMFAEnabled",
                    "itpEnabled",
                    "op4wEnabled",
                ),
                False,
            ),
        }
        return Response(200, body)

    def _get_me(self, request: Request) -> Response:
        return Response(200, okta_json.user(request.base_url, _ADMIN))

    def _user_filter(self, request: Request) -> Callable[[str], bool] | None:
        q = request.query.get("q", "")
        expression = request.query.get("search") or request.query.get("filter")
        predicate = parse_expression(expression) if expression else None
        if not q and predicate is None:
            return None

        def keep(user_id: str) -> bool:
            user = self._state.users[user_id]
            fields = ("firstName", "lastName", "email", "login")
            if q and not starts_with_any((user.profile.get(f) for f in fields), q):
                return False
            return predicate is None or predicate(
                getter({"id": user.id, "status": user.status, "profile": user.profile})
            )

        return keep

    def _list_users(self, request: Request) -> Response:
        base = request.base_url
        return self._paged(
            request,
            "users",
            self._state.users,
            lambda user_id: okta_json.user(base, self._state.users[user_id]),
            default=200,
            maximum=200,
            keep=self._user_filter(request),
        )

    def _post_user(self, request: Request) -> Response:
        body = request.json()
        profile = body.get("profile")
        if not isinstance(profile, dict):
            raise invalid("profile: The field cannot be left blank")
        profile = {"firstName": None, "lastName": None, "mobilePhone": None, "secondEmail": None, **profile}
        has_password = bool(body.get("credentials", {}).get("password", {}).get("value"))
        activate = request.query.get("activate", "true").lower() != "false"
        status = ("ACTIVE" if has_password else "PROVISIONED") if activate else "STAGED"
        user = self._create_user({k: v for k, v in profile.items() if k != "postalAddress" or v}, status, OktaError)
        return Response(200, okta_json.user(request.base_url, user))

    def _get_user(self, request: Request, user_id: str) -> Response:
        if user_id in (_ADMIN.id, "me"):
            return Response(200, okta_json.user(request.base_url, _ADMIN))
        user = self._state.users.get(user_id) or self._state.users.get(self._logins.get(user_id.lower(), ""))
        if user is None:
            raise not_found(f"User {user_id}")
        return Response(200, okta_json.user(request.base_url, user))

    def _post_user_update(self, request: Request, user_id: str) -> Response:
        user = self._user(user_id, not_found)
        profile = request.json().get("profile") or {}
        self._update_profile(user, {**user.profile, **profile}, OktaError)
        self._changed()
        return Response(200, okta_json.user(request.base_url, user))

    def _put_user(self, request: Request, user_id: str) -> Response:
        user = self._user(user_id, not_found)
        profile = request.json().get("profile")
        if not isinstance(profile, dict):
            raise invalid("profile: The field cannot be left blank")
        self._update_profile(user, profile, OktaError)
        self._changed()
        return Response(200, okta_json.user(request.base_url, user))

    def _delete_user_route(self, request: Request, user_id: str) -> Response:
        user = self._user(user_id, not_found)
        if user.status == "DEPROVISIONED":
            self._delete_user(user)
        else:  # Okta deactivates on the first DELETE and deletes on the second
            self._set_user_status(user, "DEPROVISIONED")
        return Response(204)

    def _user_lifecycle(self, request: Request, user_id: str, action: str) -> Response:
        user = self._user(user_id, not_found)
        self._set_user_status(user, "ACTIVE" if action == "activate" else "DEPROVISIONED")
        return Response(200, {})

    def _list_user_groups(self, request: Request, user_id: str) -> Response:
        self._user(user_id, not_found)
        base = request.base_url
        return self._paged(
            request,
            f"user-groups/{user_id}",
            self._user_groups.get(user_id, set()),
            lambda group_id: okta_json.group(base, self._state.groups[group_id]),
            default=200,
            maximum=200,
        )

    # --- groups ---

    def _list_groups(self, request: Request) -> Response:
        q = request.query.get("q", "")
        expression = request.query.get("search") or request.query.get("filter")
        predicate = parse_expression(expression) if expression else None

        def keep(group_id: str) -> bool:
            group = self._state.groups[group_id]
            if q and not starts_with_any([group.profile.get("name")], q):
                return False
            return predicate is None or predicate(
                getter({"id": group.id, "type": group.type, "profile": group.profile})
            )

        base = request.base_url
        return self._paged(
            request,
            "groups",
            self._state.groups,
            lambda group_id: okta_json.group(base, self._state.groups[group_id]),
            default=200,
            maximum=200,
            keep=keep if q or predicate else None,
        )

    def _post_group(self, request: Request) -> Response:
        profile = request.json().get("profile")
        if not isinstance(profile, dict):
            raise invalid("profile: The field cannot be left blank")
        return Response(200, okta_json.group(request.base_url, self._create_group(profile, OktaError)))

    def _get_group(self, request: Request, group_id: str) -> Response:
        return Response(200, okta_json.group(request.base_url, self._group(group_id, not_found)))

    def _put_group(self, request: Request, group_id: str) -> Response:
        group = self._group(group_id, not_found)
        profile = request.json().get("profile")
        if not isinstance(profile, dict) or not profile.get("name"):
            raise invalid("name: The field cannot be left blank")
        old, new = str(group.profile.get("name", "")).lower(), str(profile["name"]).lower()
        if new != old:
            if new in self._group_names:
                raise invalid("name: An object with this field already exists in the current organization")
            del self._group_names[old]
            self._group_names[new] = group.id
        group.profile, group.last_updated = {"description": "", **profile}, okta_json.now()
        self._changed()
        return Response(200, okta_json.group(request.base_url, group))

    def _delete_group_route(self, request: Request, group_id: str) -> Response:
        self._delete_group(self._group(group_id, not_found))
        return Response(204)

    def _list_group_users(self, request: Request, group_id: str) -> Response:
        group = self._group(group_id, not_found)
        base = request.base_url
        return self._paged(
            request,
            f"members/{group_id}",
            group.members,
            lambda user_id: okta_json.user(base, self._state.users[user_id], full_links=False),
            default=1000,
            maximum=10_000,
        )

    def _put_group_user(self, request: Request, group_id: str, user_id: str) -> Response:
        self._add_member(self._group(group_id, not_found), self._user(user_id, not_found))
        return Response(204)

    def _delete_group_user(self, request: Request, group_id: str, user_id: str) -> Response:
        self._remove_member(self._group(group_id, not_found), self._user(user_id, not_found))
        return Response(204)

    # --- apps ---

    def _list_apps(self, request: Request) -> Response:
        q = request.query.get("q", "")
        expression = request.query.get("filter")
        predicate = parse_expression(expression) if expression else None

        def keep(app_id: str) -> bool:
            body = self._state.apps[app_id].body
            if q and not starts_with_any([body.get("label"), body.get("name")], q):
                return False
            return predicate is None or predicate(getter({"id": app_id, **body}))

        base = request.base_url
        return self._paged(
            request,
            "apps",
            self._state.apps,
            lambda app_id: okta_json.app(base, self._state.apps[app_id]),
            default=200,
            maximum=200,
            keep=keep if q or predicate else None,
        )

    def _post_app(self, request: Request) -> Response:
        body = request.json()
        label = body.get("label")
        if not label or not isinstance(label, str):
            raise invalid("label: The field cannot be left blank")
        app_id, created = self._new_id("0oa"), okta_json.now()
        name = body.get("name") if isinstance(body.get("name"), str) else None  # catalogue apps bring their name
        name = name or self._app_name(label)
        if body.get("signOnMode") == "SAML_2_0":
            template = body.get("credentials", {}).get("userNameTemplate", {})
            stored = okta_json.saml_app_body(
                label,
                template.get("template") or okta_json.OKTA_USERNAME_TEMPLATE,
                template.get("type") or "BUILT_IN",
                name,
                created,
            )
            update = {k: v for k, v in body.items() if k not in ("id", "_links", "status", "name", "features")}
            stored = okta_json.merge(stored, update)
        else:
            stored = okta_json.generic_app_body(body, name, created)
        if request.query.get("activate", "true").lower() == "false":
            stored["status"] = "INACTIVE"
        # Apps created through the API act as if SCIM provisioning had been switched on in the Admin Console.
        app = App(
            id=app_id,
            body=stored,
            provisioning=True,
            user_provisioning=okta_json.merge({}, okta_json.DEFAULT_USER_PROVISIONING),
        )
        self._state.apps[app_id] = app
        self._changed()
        return Response(200, okta_json.app(request.base_url, app))

    def _get_app(self, request: Request, app_id: str) -> Response:
        return Response(200, okta_json.app(request.base_url, self._app(app_id, not_found)))

    def _put_app(self, request: Request, app_id: str) -> Response:
        app = self._app(app_id, not_found)
        body = request.json()
        if not body.get("label"):
            raise invalid("label: The field cannot be left blank")
        update = {k: v for k, v in body.items() if k not in ("id", "_links", "status", "name", "features", "created")}
        signing = app.body.get("credentials", {}).get("signing")
        app.body = okta_json.merge(app.body, update)
        if signing and not app.body.get("credentials", {}).get("signing", {}).get("kid"):
            app.body["credentials"]["signing"] = signing
        app.body["lastUpdated"] = okta_json.now()
        self._changed()
        return Response(200, okta_json.app(request.base_url, app))

    def _delete_app(self, request: Request, app_id: str) -> Response:
        app = self._app(app_id, not_found)
        if app.body.get("status") == "ACTIVE":
            raise invalid("status: Application must be deactivated before it can be deleted")
        del self._state.apps[app_id]
        self._changed()
        return Response(204)

    def _app_lifecycle(self, request: Request, app_id: str, action: str) -> Response:
        app = self._app(app_id, not_found)
        app.body["status"] = "ACTIVE" if action == "activate" else "INACTIVE"
        app.body["lastUpdated"] = okta_json.now()
        self._changed()
        return Response(200, {})

    def _put_app_policy(self, request: Request, app_id: str, policy_id: str) -> Response:
        self._app(app_id, not_found)
        return Response(204)

    def _get_app_keys(self, request: Request, app_id: str) -> Response:
        app = self._app(app_id, not_found)
        kid = app.body.get("credentials", {}).get("signing", {}).get("kid")
        if not kid:
            return Response(200, [])
        created = str(app.body.get("created"))
        key = {
            "kty": "RSA",
            "created": created,
            "lastUpdated": created,
            "expiresAt": "2126-11-04T18:26:56.000Z",
            "kid": kid,
            "use": "sig",
            "x5c": [_SIGNING_CERT],
            "x5t#S256": "JTvrB5CI-4djzBBNeCpfxJOJXaP6Iu1UliG4degfy8E",
            "e": "AQAB",
            "n": "q30iJiJcUEcFWHs5Y0ISASHiJ-dFn3wV7-azj_A_bvpzUmKQzpiwVkmVVL9unLSEr79f2Q8kYQQd8O0X7rNOFoP7LvAhcLsI1XwI0"
            "Tx6z82Ij1iT_A54KVZo7tzy3DB5xlReyWKYBVJacp1HjPSK1cHYnMXsG5XIsHfIn8TYvWpIa9ebA_yDxyjdH5pkFXLSEv2oMADWX2ECP"
            "j6R9e9EJZcFk5xCoPI1PbaUOdUo8f_hV3Je7DhTN8IetDeG-_U3-Ac_KMrWO4gRdOQBICtFcPOcHasMRr_w18IQ_hIZ6B10QnHr1eFs"
            "NHFuDLd77QYeydJVdzKdw_uVC7r5rvDaUQ",
        }
        return Response(200, [key])

    def _get_app_metadata(self, request: Request, app_id: str) -> Response:
        app = self._app(app_id, not_found)
        sso = f"{request.base_url}/app/{app.body.get('name')}/{app_id}/sso/saml"
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor '
            f'entityID="http://www.okta.com/exk{app_id[3:]}" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
            '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">'
            '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>'
            f"{_SIGNING_CERT}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
            "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
            '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
            f'Location="{sso}"/><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            f'Location="{sso}"/></md:IDPSSODescriptor></md:EntityDescriptor>'
        )
        return Response(200, xml.encode(), content_type="application/xml;charset=ISO-8859-1")

    # --- provisioning connection and features ---

    def _provisioning_app(self, app_id: str) -> App:
        app = self._app(app_id, not_found)
        if not app.provisioning:
            raise OktaError(400, "E0000001", _NO_PROVISIONING, [_NO_PROVISIONING])
        return app

    def _get_connection(self, request: Request, app_id: str) -> Response:
        return Response(200, okta_json.connection(request.base_url, self._app(app_id, not_found)))

    def _post_connection(self, request: Request, app_id: str) -> Response:
        app = self._provisioning_app(app_id)
        body = request.json()
        profile = body.get("profile")
        if not isinstance(profile, dict) or profile.get("authScheme") not in ("TOKEN", "OAUTH2"):
            raise invalid("profile.authScheme: must be one of [TOKEN, OAUTH2]")
        base_url = body.get("baseUrl") or (app.connection.base_url if app.connection else None)
        if not base_url or not isinstance(base_url, str):
            raise invalid("baseUrl: The field cannot be left blank")
        token = profile.get("token")
        if profile["authScheme"] == "TOKEN" and not token and not (app.connection and app.connection.sealed_token):
            raise invalid("profile.token: The field cannot be left blank")
        # Okta answers a connection POST with status DISABLED (the provider then calls lifecycle/activate),
        # even for an app whose connection was enabled before, unless ?activate=true.
        status = "ENABLED" if request.query.get("activate", "").lower() == "true" else "DISABLED"
        self._configure_connection(app, base_url, str(token) if token else None, status)
        assert app.connection is not None
        app.connection.auth_scheme = profile["authScheme"]
        return Response(200, okta_json.connection(request.base_url, app))

    def _connection_lifecycle(self, request: Request, app_id: str, action: str) -> Response:
        app = self._provisioning_app(app_id)
        if app.connection is None:
            raise invalid("connection: no provisioning connection is configured for this app")
        app.connection.status = "ENABLED" if action == "activate" else "DISABLED"
        self._queue_provisioning(app)
        self._changed()
        return Response(204)

    def _list_features(self, request: Request, app_id: str) -> Response:
        app = self._provisioning_app(app_id)
        return Response(
            200, [okta_json.feature(request.base_url, app, name) for name in okta_json.FEATURE_DESCRIPTIONS]
        )

    def _feature_name(self, name: str) -> str:
        if name not in okta_json.FEATURE_DESCRIPTIONS:
            raise not_found(f"Feature {name}")
        return name

    def _get_feature(self, request: Request, app_id: str, name: str) -> Response:
        app = self._provisioning_app(app_id)
        return Response(200, okta_json.feature(request.base_url, app, self._feature_name(name)))

    def _put_feature(self, request: Request, app_id: str, name: str) -> Response:
        app = self._provisioning_app(app_id)
        if self._feature_name(name) != USER_PROVISIONING:
            return Response(200, okta_json.feature(request.base_url, app, name))
        body = request.json()
        capabilities = body.get("capabilities", body)  # the provider sends the capabilities object itself
        for path in (("create", "lifecycleCreate"), ("update", "profile"), ("update", "lifecycleDeactivate")):
            status = capabilities.get(path[0], {}).get(path[1], {}).get("status")
            if status is not None and status not in ("ENABLED", "DISABLED"):
                raise invalid(f"{'.'.join(path)}.status: must be one of [ENABLED, DISABLED]")
        self._update_user_provisioning(app, {k: v for k, v in capabilities.items() if k in ("create", "update")})
        return Response(200, okta_json.feature(request.base_url, app, name))

    # --- group assignments ---

    def _list_app_groups(self, request: Request, app_id: str) -> Response:
        app = self._app(app_id, not_found)
        q = request.query.get("q", "")
        expand = request.query.get("expand") == "group"
        base = request.base_url

        def render(group_id: str) -> JSON:
            body = okta_json.group_assignment(base, app_id, app.groups[group_id])
            if expand:
                body["_embedded"] = {"group": okta_json.group(base, self._state.groups[group_id])}
            return body

        def keep(group_id: str) -> bool:
            return starts_with_any([self._state.groups[group_id].profile.get("name")], q)

        return self._paged(
            request, f"app-groups/{app_id}", app.groups, render, default=20, maximum=200, keep=keep if q else None
        )

    def _app_group(self, app: App, group_id: str) -> GroupAssignment:
        assignment = app.groups.get(group_id)
        if assignment is None:
            raise not_found(f"ApplicationGroupAssignment {group_id}")
        return assignment

    def _get_app_group(self, request: Request, app_id: str, group_id: str) -> Response:
        app = self._app(app_id, not_found)
        return Response(200, okta_json.group_assignment(request.base_url, app_id, self._app_group(app, group_id)))

    def _put_app_group(self, request: Request, app_id: str, group_id: str) -> Response:
        app = self._app(app_id, not_found)
        group = self._group(group_id, not_found)
        body = request.json()
        priority = body.get("priority")
        if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool) or priority < 0):
            raise invalid("priority: must be a number between 0 and 100")
        profile = body.get("profile")
        if profile is not None and not isinstance(profile, dict):
            raise invalid("profile: must be an object")
        assignment = self._assign_group(app, group, priority, profile)
        return Response(200, okta_json.group_assignment(request.base_url, app_id, assignment))

    def _delete_app_group(self, request: Request, app_id: str, group_id: str) -> Response:
        app = self._app(app_id, not_found)
        self._app_group(app, group_id)
        self._unassign_group(app, group_id)
        return Response(204)

    # --- app users ---

    def _render_app_user(self, base: str, app: App, user_id: str, expand: bool) -> JSON:
        user = self._state.users[user_id]
        body = okta_json.app_user(base, app.id, app.users[user_id], user.profile)
        if expand:
            body["_embedded"] = {"user": okta_json.user(base, user)}
        return body

    def _list_app_users(self, request: Request, app_id: str) -> Response:
        app = self._app(app_id, not_found)
        q = request.query.get("q", "")
        expand = request.query.get("expand") == "user"
        base = request.base_url

        def keep(user_id: str) -> bool:
            profile = self._state.users[user_id].profile
            names = [
                app.users[user_id].user_name,
                profile.get("firstName"),
                profile.get("lastName"),
                profile.get("email"),
            ]
            return starts_with_any(names, q)

        return self._paged(
            request,
            f"app-users/{app_id}",
            app.users,
            lambda user_id: self._render_app_user(base, app, user_id, expand),
            default=50,
            maximum=500,
            keep=keep if q else None,
        )

    def _post_app_user(self, request: Request, app_id: str) -> Response:
        app = self._app(app_id, not_found)
        body = request.json()
        user_id = body.get("id")
        if not isinstance(user_id, str) or not user_id:
            raise invalid("id: The field cannot be left blank")
        user = self._user(user_id, not_found)
        user_name = body.get("credentials", {}).get("userName") or None
        self._assign_user(app, user, str(user_name) if user_name else None, OktaError)
        return Response(200, self._render_app_user(request.base_url, app, user_id, False))

    def _get_app_user(self, request: Request, app_id: str, user_id: str) -> Response:
        app = self._app(app_id, not_found)
        if user_id not in app.users:
            raise not_found(f"AppUser {user_id}")
        return Response(
            200, self._render_app_user(request.base_url, app, user_id, request.query.get("expand") == "user")
        )

    def _delete_app_user(self, request: Request, app_id: str, user_id: str) -> Response:
        app = self._app(app_id, not_found)
        record = app.users.get(user_id)
        if record is None:
            raise not_found(f"AppUser {user_id}")
        if not record.direct:
            raise invalid("scope: a user assigned through a group can't be unassigned individually")
        record.direct = False
        self._refresh_assignment(app, user_id)
        self._changed()
        return Response(204)

    # --- group push mappings ---

    def _list_push_mappings(self, request: Request, app_id: str) -> Response:
        app = self._app(app_id, not_found)
        source = request.query.get("sourceGroupId")
        status = request.query.get("status")

        def keep(mapping_id: str) -> bool:
            mapping = app.push_mappings[mapping_id]
            return (not source or mapping.source_group_id == source) and (not status or mapping.status == status)

        base = request.base_url
        return self._paged(
            request,
            f"push/{app_id}",
            app.push_mappings,
            lambda mapping_id: okta_json.push_mapping(base, app_id, app.push_mappings[mapping_id]),
            default=100,
            maximum=1000,
            keep=keep if source or status else None,
        )

    def _push_mapping(self, app: App, mapping_id: str) -> PushMapping:
        mapping = app.push_mappings.get(mapping_id)
        if mapping is None:
            raise not_found(f"GroupPushMapping {mapping_id}")
        return mapping

    def _post_push_mapping(self, request: Request, app_id: str) -> Response:
        app = self._provisioning_app(app_id)
        body = request.json()
        source = body.get("sourceGroupId")
        if not isinstance(source, str) or not source:
            raise invalid("sourceGroupId: The field cannot be left blank")
        status = body.get("status", "ACTIVE")
        if status not in ("ACTIVE", "INACTIVE"):
            raise invalid("status: must be one of [ACTIVE, INACTIVE]")
        group = self._group(source, not_found)
        mapping = self._create_push_mapping(app, group, str(body.get("targetGroupName") or ""), status, OktaError)
        return Response(200, okta_json.push_mapping(request.base_url, app_id, mapping))

    def _get_push_mapping(self, request: Request, app_id: str, mapping_id: str) -> Response:
        app = self._app(app_id, not_found)
        return Response(200, okta_json.push_mapping(request.base_url, app_id, self._push_mapping(app, mapping_id)))

    def _patch_push_mapping(self, request: Request, app_id: str, mapping_id: str) -> Response:
        app = self._app(app_id, not_found)
        mapping = self._push_mapping(app, mapping_id)
        status = request.json().get("status")
        if status not in ("ACTIVE", "INACTIVE"):
            raise invalid("status: must be one of [ACTIVE, INACTIVE]")
        mapping.status, mapping.last_updated, mapping.error_summary = status, okta_json.now(), None
        if status == "ACTIVE":
            self._group_queue[f"{app_id}/{mapping.id}"] = None
        self._changed()
        return Response(200, okta_json.push_mapping(request.base_url, app_id, mapping))

    def _delete_push_mapping_route(self, request: Request, app_id: str, mapping_id: str) -> Response:
        app = self._app(app_id, not_found)
        mapping = self._push_mapping(app, mapping_id)
        if mapping.status == "ACTIVE":
            raise invalid("status: deactivate the group push mapping before deleting it")
        self._delete_push_mapping(app, mapping, delete_target=request.query.get("deleteTargetGroup") == "true")
        return Response(200)


def _raise(error: type[Exception], cause: str) -> Exception:
    """A validation error for the caller's world: Okta's E0000001 over HTTP, SandboxError when seeding."""
    if error is OktaError:
        return invalid(cause)
    return error(cause)
