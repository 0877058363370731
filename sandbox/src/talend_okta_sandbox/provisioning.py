"""Okta's side of SCIM provisioning for a custom (AIW) app, as the sandbox plays it (reference scim.md §5).

- Create: `GET /Users?filter=userName eq "…"&startIndex=1&count=100`; a match is linked, otherwise `POST /Users`.
- Update and deactivate: `GET /Users/{id}`, then `PUT /Users/{id}` with the whole user (`active: false` to
  deactivate). AIW apps never PATCH and never DELETE users.
- Group push: `POST /Groups` with no members, then `PUT /Groups/{id}` with the full member list.

One attempt per call and no retry: like Okta, a failed call leaves the app user in syncState ERROR until
someone retries it. `Provisioner` runs the org's queued jobs; `ScimClient` makes the calls.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import httpx

from talend_okta.http import tls_context
from talend_okta_sandbox import okta_json, okta_log
from talend_okta_sandbox.okta_org import Org
from talend_okta_sandbox.okta_state import App, AppUser

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
USER_AGENT = "Okta SCIM Client 1.0.0"


class ScimCallFailed(Exception):
    """A SCIM call that did not give Okta what it needed; the message is what Okta shows as the sync error."""


@dataclass(frozen=True)
class ScimPerson:
    """What Okta sends about one app user."""

    okta_id: str
    user_name: str
    given_name: str
    family_name: str
    email: str | None

    def resource(self, *, active: bool, scim_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "schemas": [USER_SCHEMA],
            "userName": self.user_name,
            "name": {"givenName": self.given_name, "familyName": self.family_name},
            "displayName": " ".join(part for part in (self.given_name, self.family_name) if part) or self.user_name,
            "externalId": self.okta_id,
            "active": active,
        }
        if self.email:
            body["emails"] = [{"primary": True, "value": self.email, "type": "work"}]
        if scim_id is not None:
            body["id"] = scim_id
        return body


class ScimClient:
    """An httpx client for one app's SCIM connection (bearer token, timeouts, Okta's User-Agent)."""

    def __init__(self, base_url: str, token: str, timeout: float) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": USER_AGENT,
                "Accept": "application/scim+json",
                "Content-Type": "application/scim+json",
            },
            timeout=httpx.Timeout(timeout),
            verify=tls_context(),
        )

    def __enter__(self) -> ScimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _call(self, method: str, path: str, expected: tuple[int, ...], **kwargs: Any) -> httpx.Response:
        # Okta's SCIM guide (reference scim.md §5): for custom App Integration Wizard apps, which Talend's
        # documented setup is, Okta sends PUT for every user update including `active: false`, never PATCH, and
        # never DELETEs a user (unassigning or deactivating sets `active: false`). Group pushes PUT as well; only
        # unlinking a pushed group with "delete the group in the target app" DELETEs it.
        if path.startswith("/Users") and method in ("PATCH", "DELETE"):
            raise ValueError(f"{method} {path}: Okta never sends {method} for a custom app's users")
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as exc:
            raise ScimCallFailed(f"{method} {path}: timed out") from exc
        except httpx.HTTPError as exc:
            raise ScimCallFailed(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code not in expected:
            raise ScimCallFailed(f"{method} {path}: HTTP {response.status_code}{_detail(response)}")
        return response

    def _json(self, response: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise ScimCallFailed(f"{what}: the response is not JSON") from exc
        if not isinstance(body, dict):
            raise ScimCallFailed(f"{what}: the response is not a JSON object")
        return body

    def find_user(self, user_name: str) -> dict[str, Any] | None:
        escaped = user_name.replace("\\", "\\\\").replace('"', '\\"')
        params = {"filter": f'userName eq "{escaped}"', "startIndex": 1, "count": 100}
        response = self._call("GET", "/Users", (200, 404), params=params)
        if response.status_code == 404:
            return None
        found = self._json(response, "GET /Users").get("Resources") or []
        return found[0] if found and isinstance(found[0], dict) else None

    def create_user(self, person: ScimPerson) -> dict[str, Any]:
        response = self._call("POST", "/Users", (200, 201), json=person.resource(active=True))
        created = self._json(response, "POST /Users")
        if not created.get("id"):
            raise ScimCallFailed("POST /Users: Create new user returned empty user")
        return created

    def replace_user(self, scim_id: str, person: ScimPerson, *, active: bool) -> dict[str, Any]:
        self._call("GET", f"/Users/{scim_id}", (200,))
        response = self._call("PUT", f"/Users/{scim_id}", (200,), json=person.resource(active=active, scim_id=scim_id))
        return self._json(response, f"PUT /Users/{scim_id}")

    def create_group(self, display_name: str) -> str:
        body = {"schemas": [GROUP_SCHEMA], "displayName": display_name, "members": []}
        created = self._json(self._call("POST", "/Groups", (200, 201), json=body), "POST /Groups")
        if not created.get("id"):
            raise ScimCallFailed("POST /Groups: the response has no id")
        return str(created["id"])

    def replace_group(self, scim_id: str, display_name: str, members: list[tuple[str, str]]) -> None:
        """Push the whole group: its name and members as (SCIM user id, userName)."""
        body = {
            "schemas": [GROUP_SCHEMA],
            "id": scim_id,
            "displayName": display_name,
            "members": [{"value": value, "display": display} for value, display in members],
        }
        self._call("PUT", f"/Groups/{scim_id}", (200, 204), json=body)

    def delete_group(self, scim_id: str) -> None:
        self._call("DELETE", f"/Groups/{scim_id}", (200, 204, 404))


def routed(base_url: str, routes: Mapping[str, str]) -> str:
    """Where SCIM calls for `base_url` go: under a routed prefix (a real Talend host), to its local stand-in instead.

    Lets `pulumi up` against the sandbox declare Talend's real SCIM URL while provisioning lands on loopback.
    """
    url = base_url.rstrip("/")
    for prefix, local in routes.items():
        routed_base = prefix.rstrip("/")
        rest = url[len(routed_base) :]
        if url.lower().startswith(routed_base.lower()) and (not rest or rest.startswith("/")):
            return local.rstrip("/") + rest
    return base_url


def _detail(response: httpx.Response) -> str:
    """The SCIM error's `detail`, kept short; never the request (which holds the token)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    detail = body.get("detail") if isinstance(body, dict) else None
    return f" ({str(detail)[:200]})" if detail else ""


class Provisioner:
    """Runs an org's pending provisioning, one job at a time; SCIM calls go out without holding the org's lock."""

    def __init__(self, org: Org, *, timeout: float, routes: Mapping[str, str]) -> None:
        """`routes` maps SCIM base URL prefixes (e.g. Talend's real hosts) to the local ones to call instead."""
        self._org = org
        self._timeout = timeout
        self._routes = dict(routes)

    def sync(self, *, retry_errors: bool = False) -> None:
        """Run every pending job, then return; app users in syncState ERROR only with `retry_errors`."""
        org = self._org
        with org.sync_lock:
            if retry_errors:
                with org.lock:
                    org.queue_errors()
            last_save = time.monotonic()
            while True:
                with org.lock:
                    job = org.next_job()
                if job is None:
                    break
                kind, app_id, key = job
                if kind == "user":
                    self._run_user_job(app_id, key)
                elif key:
                    self._push_group(app_id, key)
                else:
                    self._delete_scim_groups(app_id)
                if time.monotonic() - last_save > 1.0:
                    with org.lock:
                        org.save()
                    last_save = time.monotonic()
        with org.lock:  # after releasing the sync lock, so no concurrent change is left unsaved
            org.save_if_changed()

    def _client(self, app: App) -> ScimClient | str:
        """A SCIM client for the app's connection, or why there can't be one."""
        conn = app.connection
        if conn is None or not conn.base_url:
            return "the provisioning connection has no base URL"
        token = self._org.scim_token(app)
        if token is None:
            return "the provisioning connection's API token is missing; set the connection again"
        return ScimClient(routed(conn.base_url, self._routes), token, self._timeout)

    def _person(self, user_id: str, record: AppUser) -> ScimPerson:
        users = self._org.state.users
        profile = users[user_id].profile if user_id in users else {}
        return ScimPerson(
            okta_id=user_id,
            user_name=record.user_name,
            given_name=str(profile.get("firstName") or ""),
            family_name=str(profile.get("lastName") or ""),
            email=profile.get("email"),
        )

    def _run_user_job(self, app_id: str, user_id: str) -> None:
        """Create, update or deactivate one app user's SCIM user, as the app's To App switches allow."""
        with self._org.lock:
            app = self._org.state.apps.get(app_id)
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
            client = self._client(app)
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
        with self._org.lock:
            self._record_user_job(app_id, user_id, action, scim_id, failure)

    def _record_user_job(
        self, app_id: str, user_id: str, action: str, scim_id: str | None, failure: str | None
    ) -> None:
        org = self._org
        app = org.state.apps.get(app_id)
        if app is None:
            return
        stamp = okta_json.now()
        event_type = {"create": okta_log.PUSH, "update": okta_log.PUSH_PROFILE}.get(action, okta_log.DEACTIVATE)
        pushed = app.users.get(user_id) or app.deprovisioning.get(user_id)
        user = org.state.users.get(user_id)
        user_name = pushed.user_name if pushed is not None else user_id
        # What Okta's System Log records for the job: its outcome and, on a failure, the SCIM answer (okta_log).
        org.record_event(okta_log.provisioning_event(event_type, app, user_id, user, user_name, failure))
        if action == "deactivate":
            leaving = app.deprovisioning.get(user_id)
            if failure is None:
                app.deprovisioning.pop(user_id, None)
            elif leaving is not None:
                leaving.sync_state, leaving.sync_error = "ERROR", failure
            org.changed(structure=False, wake=False)
            return
        record = app.users.get(user_id)
        if record is None:
            # Unassigned while the push ran: deactivate what was just created.
            if failure is None and scim_id is not None and user_id in org.state.users:
                app.deprovisioning[user_id] = AppUser(
                    user_id=user_id,
                    direct=False,
                    user_name=org.expected_user_name(app, user_id),
                    status="PROVISIONED",
                    sync_state="SYNCHRONIZED",
                    external_id=scim_id,
                    created=stamp,
                    last_updated=stamp,
                    status_changed=stamp,
                )
                org.queue_user(app_id, user_id)
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
                org.queue_pushes_for(app, user_id)
        org.changed(structure=False, wake=False)

    def _push_group(self, app_id: str, mapping_id: str) -> None:
        """Push one group: create it in the app if needed, then replace its members with the provisioned ones."""
        org = self._org
        with org.lock:
            app = org.state.apps.get(app_id)
            mapping = app.push_mappings.get(mapping_id) if app is not None else None
            if app is None or mapping is None or mapping.status != "ACTIVE" or not okta_json.connection_enabled(app):
                return
            group = org.state.groups.get(mapping.source_group_id)
            members = [
                (record.external_id, record.user_name)
                for user_id in sorted(group.members if group else ())
                if (record := app.users.get(user_id)) is not None
                and record.external_id
                and record.status == "PROVISIONED"
            ]
            name, scim_group_id = mapping.target_group_name, mapping.scim_group_id
            client = self._client(app)
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
        with org.lock:
            app = org.state.apps.get(app_id)
            mapping = app.push_mappings.get(mapping_id) if app is not None else None
            if mapping is None:
                return
            if scim_group_id is not None:
                mapping.scim_group_id = scim_group_id
            mapping.error_summary = failure
            if failure is not None:
                mapping.status = "ERROR"
            mapping.last_updated = okta_json.now()
            org.changed(structure=False, wake=False)

    def _delete_scim_groups(self, app_id: str) -> None:
        """Delete the app's groups whose push mappings were deleted with deleteTargetGroup=true."""
        org = self._org
        with org.lock:
            app = org.state.apps.get(app_id)
            if app is None or not okta_json.connection_enabled(app):
                return
            deletions, app.scim_group_deletions = list(app.scim_group_deletions), []
            client = self._client(app)
            org.changed(structure=False, wake=False)
        if isinstance(client, str):
            return
        with client as scim:
            for scim_group_id in deletions:
                with suppress(ScimCallFailed):  # like Okta: a target group that can't be deleted is left behind
                    scim.delete_group(scim_group_id)
