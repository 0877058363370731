"""A local, stateful stand-in for the part of Okta's Management API this project uses (loopback only).

`OktaSandbox` keeps users, groups, SAML apps, provisioning connections, USER_PROVISIONING features, group
assignments, app users and group push mappings, and answers `/api/v1/...` with the JSON shapes of the recorded
Okta traffic (okta-recordings/). Tests seed it directly (`add_user`, `assign_group`, …) and read it through HTTP.

Provisioning works like Okta's for a custom SCIM app: once an app's connection is enabled, people assigned from
then on are pushed to the SCIM base URL; people assigned before stay unprovisioned (stranded) until an admin
provisions each one (`provision_user`, the console's "Provision User") or they are assigned anew. `sync()` runs
the pending work now; `serve(auto_sync=True)` runs it in the background after each change, as Okta does.

With a `state_file`, every change is written atomically to that JSON file and loaded again on start; the
connection's SCIM token is sealed with a key derived from the sandbox's API token, never written in plaintext.

Where things are: this module is the seeding API, the server and the sync worker; `okta_org` the state and every
change to it; `okta_routes` the HTTP endpoints; `provisioning` the SCIM jobs; `okta_json` the response shapes;
`okta_http` requests, errors, paging, filters and faults; `okta_limits` Okta's rate-limit buckets; `okta_state` the
saved records.
"""

from __future__ import annotations

import hmac
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE
from talend_okta_sandbox import contract, okta_json
from talend_okta_sandbox.contract_watch import FAULT_KEY, checked
from talend_okta_sandbox.okta_http import (
    Fault,
    OktaError,
    Request,
    Response,
    finish,
    invalid_token,
    parse_request,
    rate_limited,
)
from talend_okta_sandbox.okta_limits import RateLimiter, RateLimits
from talend_okta_sandbox.okta_oauth import TOKEN_PATH, AuthorizationServer, OAuthRefused
from talend_okta_sandbox.okta_org import NO_PROVISIONING, Org, SandboxError
from talend_okta_sandbox.okta_routes import ADMIN_PREFIX, OktaRoutes, ProvisioningApi
from talend_okta_sandbox.okta_state import App
from talend_okta_sandbox.provisioning import Provisioner
from talend_okta_sandbox.serving import LOOPBACK, serve_wsgi

__all__ = ["OktaSandbox", "SandboxError"]

JSON = dict[str, Any]
_log = logging.getLogger(__name__)


class OktaSandbox:
    """A stateful Okta org for tests and the offline demo. Thread-safe; serve it with `serve()`."""

    requests: list[tuple[str, str]]
    """(method, path+query) of every HTTP request served, in order."""
    throttled: list[tuple[str, str]]
    """(method, path+query) of every request answered 429 (over a rate limit, or an injected 429), in order."""

    def __init__(
        self,
        api_token: str,
        state_file: Path | None = None,
        scim_timeout: float = 10.0,
        *,
        rate_limits: RateLimits | None = None,
        scim_routes: Mapping[str, str] | None = None,
        provisioning_api: ProvisioningApi = "refused",
        check_contract: bool = True,
        log_cap: int | None = None,
    ) -> None:
        """`scim_routes` maps SCIM base URL prefixes (e.g. Talend's real hosts) to local ones provisioning uses.

        `rate_limits`: the org's plan and the API token's share of each bucket (default: Okta's Enterprise plan, 50%).

        `provisioning_api`: for apps created over the API, "refused" (default, as Okta treats a custom SAML app:
        connection ignored, features and push groups refused until an admin enables SCIM) or "supported".

        `check_contract=False` serves without checking exchanges against Okta's definition: for benchmarks only,
        where the check would be what is measured."""
        self._api_token = api_token
        self._scim_timeout = scim_timeout
        self._org = Org(api_token, state_file)
        if log_cap is not None:  # events the System Log keeps (Okta: 90 days' worth)
            self._org.log_cap = log_cap
        self._provisioner = Provisioner(self._org, timeout=scim_timeout, routes=scim_routes or {})
        self._routes = OktaRoutes(self._org, provisioning_api=provisioning_api)
        self.oauth = AuthorizationServer()
        """The org authorization server: service apps (`register_service_app`) and the tokens it issued."""
        self._faults: list[Fault] = []
        self.rate_limiter = RateLimiter(rate_limits or RateLimits())
        self._base_url = f"http://{LOOPBACK}"
        self.requests = []
        self.throttled = []
        self._check_contract = check_contract
        # The token endpoint is Okta's OAuth 2.0 API, not in the Management API definition: okta_oauth.py cites its
        # sources (Okta's guides, RFC 6749/7523/9449) per behaviour, and the ledger lists them.
        self._checked = checked(self._answer, contract.okta, unchecked=(ADMIN_PREFIX, TOKEN_PATH))

    def __repr__(self) -> str:  # never show the token
        state = self._org.state
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
        profile = {  # Okta's UserProfile: a name is null or at least one character (minLength 1)
            "firstName": first_name or None,
            "lastName": last_name or None,
            "mobilePhone": None,
            "secondEmail": None,
            "login": login,
            "email": email,
        }
        with self._org.lock:
            return self._org.create_user(profile, status).id

    def update_user(self, user_id: str, **profile: Any) -> None:
        """Change profile attributes (firstName, lastName, email, login, …); provisioning pushes the change."""
        with self._org.lock:
            user = self._org.user(user_id)
            self._org.update_profile(user, {**user.profile, **profile})

    def register_service_app(
        self,
        client_id: str,
        public_key_pem: str,
        scopes: Iterable[str],
        *,
        key_id: str | None = None,
        dpop: bool = True,
    ) -> None:
        """An OAuth 2.0 service app with its public key and granted Okta API scopes (DPoP required by default, as
        Okta creates new service apps)."""
        self.oauth.register(client_id, public_key_pem, scopes, key_id=key_id, dpop=dpop)

    def add_group(self, name: str) -> str:
        """Create an Okta group; returns its id ("00g…")."""
        with self._org.lock:
            return self._org.create_group({"name": name, "description": ""}).id

    def add_app_group(self, name: str) -> str:
        """A group imported from an app or directory (APP_GROUP), which may share an Okta group's name."""
        with self._org.lock:
            return self._org.import_app_group(name).id

    def add_member(self, group_id: str, user_id: str) -> None:
        with self._org.lock:
            self._org.add_member(self._org.group(group_id), self._org.user(user_id))

    def remove_member(self, group_id: str, user_id: str) -> None:
        with self._org.lock:
            self._org.remove_member(self._org.group(group_id), self._org.user(user_id))

    def add_saml_app(
        self,
        label: str,
        user_name_template: str = EMAIL_PREFIX_TEMPLATE,
        user_name_template_type: str = "BUILT_IN",
        provisioning: bool = True,
        connection_api: bool = True,
    ) -> str:
        """Create an active custom SAML 2.0 app; returns its id ("0oa…"). (Apps created over HTTP follow the
        sandbox's `provisioning_api` instead.)

        `provisioning=False` makes an app without provisioning (connections GET → status UNKNOWN, features
        GET → 400 E0000001), like a SAML app whose SCIM switch was never turned on.
        `connection_api=False` makes an app Okta's connection API ignores: the connection reads UNKNOWN, POSTs to
        it are accepted and ignored, features answer E0000001; `set_connection` and `set_user_provisioning` still
        work (an admin configured SCIM by hand) and show in the app's `features`.
        """
        with self._org.lock:
            name = self._org.app_name(label)
            body = okta_json.saml_app_body(label, user_name_template, user_name_template_type, name, okta_json.now())
            return self._org.create_app(body, provisioning=provisioning, connection_api=connection_api).id

    def set_connection(self, app_id: str, base_url: str, token: str, enabled: bool = True) -> None:
        """Configure the app's SCIM connection (base URL + bearer token), enabled or not."""
        with self._org.lock:
            app = self._provisioning_app(app_id)
            self._org.configure_connection(app, base_url, token, "ENABLED" if enabled else "DISABLED")

    def set_user_provisioning(self, app_id: str, create: bool, update_profile: bool, deactivate: bool) -> None:
        """Provisioning → To App: Create Users, Update User Attributes, Deactivate Users."""

        def status(on: bool) -> JSON:
            return {"status": "ENABLED" if on else "DISABLED"}

        with self._org.lock:
            update = {
                "create": {"lifecycleCreate": status(create)},
                "update": {"profile": status(update_profile), "lifecycleDeactivate": status(deactivate)},
            }
            self._org.update_user_provisioning(self._provisioning_app(app_id), update)

    def assign_group(self, app_id: str, group_id: str, priority: int | None = None) -> None:
        with self._org.lock:
            self._org.assign_group(self._org.app(app_id), self._org.group(group_id), priority, None)

    def unassign_group(self, app_id: str, group_id: str) -> None:
        with self._org.lock:
            app = self._org.app(app_id)
            if group_id not in app.groups:
                raise SandboxError(f"group {group_id} is not assigned to app {app_id}")
            self._org.unassign_group(app, group_id)

    def assign_user(self, app_id: str, user_id: str, user_name: str | None = None) -> None:
        """Assign a user directly (scope USER); `user_name` overrides the app's username template."""
        with self._org.lock:
            self._org.assign_user(self._org.app(app_id), self._org.user(user_id), user_name)

    def unassign_user(self, app_id: str, user_id: str) -> None:
        """Remove a direct assignment (the user stays assigned if a group assigns them)."""
        with self._org.lock:
            app = self._org.app(app_id)
            record = app.users.get(user_id)
            if record is None or not record.direct:
                raise SandboxError(f"user {user_id} is not assigned directly to app {app_id}")
            self._org.unassign_user(app, record)

    def provision_user(self, app_id: str, user_id: str) -> None:
        """Assignments → Provision User: push a person assigned before the app's provisioning was enabled."""
        with self._org.lock:
            self._org.provision_user(self._org.app(app_id), user_id)

    def sign_in(self, app_id: str, user_id: str, at: datetime | None = None) -> None:
        """The person signs in to the app through Okta (a `user.authentication.sso` event); `at`: when (tests and
        benchmarks seed the past; the event then takes its place in the log's order)."""
        published = at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if at else None
        with self._org.lock:
            self._org.sign_in(self._org.app(app_id), user_id, published)

    def push_group(self, app_id: str, group_id: str) -> str:
        """Push a group to the app (Push Groups); returns the group push mapping id ("gPm…")."""
        with self._org.lock:
            app = self._provisioning_app(app_id)
            group = self._org.group(group_id)
            return self._org.create_push_mapping(app, group, str(group.profile.get("name", "")), "ACTIVE").id

    def app_user(self, app_id: str, user_id: str) -> JSON | None:
        """The Okta AppUser JSON the API returns for this assignment, or None when the user isn't assigned."""
        with self._org.lock:
            state = self._org.state
            app = state.apps.get(app_id)
            record = app.users.get(user_id) if app is not None else None
            if app is None or record is None:
                return None
            return okta_json.app_user(self._base_url, app_id, record, state.users[user_id].profile)

    def sync_error(self, app_id: str, user_id: str) -> str | None:
        """Why provisioning this app user failed (syncState ERROR), including a failed deactivation."""
        with self._org.lock:
            app = self._org.app(app_id)
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
        with self._org.lock:
            app = self._org.app(app_id)
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
            self._org.changed(structure=False)

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
        with self._org.lock:
            self._faults.append(Fault(method.upper(), re.compile(path_pattern), status, body, fault_headers, times))

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Write the state file once at the end instead of after each change (for seeding thousands of users)."""
        with self._org.bulk():
            yield

    def _provisioning_app(self, app_id: str) -> App:
        app = self._org.app(app_id)
        if not app.provisioning:
            raise SandboxError(f"app {app_id}: {NO_PROVISIONING}")
        return app

    # ---------------------------------------------------------------------------------------------------------
    # Provisioning
    # ---------------------------------------------------------------------------------------------------------

    def reprovision(self) -> None:
        """Push every app user and group again (see `Org.reprovision`)."""
        with self._org.lock:
            self._org.reprovision()

    def has_state(self) -> bool:
        """Whether the org holds anything yet (a state file from an earlier run)."""
        with self._org.lock:
            return bool(self._org.state.users or self._org.state.apps)

    def sync(self, *, retry_errors: bool = False) -> None:
        """Run all pending provisioning now (SCIM calls to each app's connection), then return.

        Like Okta, app users in syncState ERROR are not retried unless `retry_errors` is set.
        """
        self._provisioner.sync(retry_errors=retry_errors)

    def wait_for_sync(self, timeout: float = 10.0) -> bool:
        """With `serve(auto_sync=True)`: wait until no provisioning is pending; False on timeout."""
        org = self._org
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with org.lock:
                idle = not org.user_queue and not org.group_queue and not org.sync_lock.locked()
            if idle:
                return True
            time.sleep(0.01)
        return False

    def _sync_worker(self, stop: threading.Event) -> None:
        wakeup = self._org.wakeup
        while not stop.is_set():
            wakeup.wait(timeout=0.5)
            wakeup.clear()
            if not stop.is_set():
                self.sync()

    # ---------------------------------------------------------------------------------------------------------
    # HTTP
    # ---------------------------------------------------------------------------------------------------------

    @contextmanager
    def serve(
        self,
        host: str = LOOPBACK,
        port: int = 0,
        *,
        auto_sync: bool = False,
        wrap: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
    ) -> Iterator[str]:
        """Serve the API until the block ends; yields the base URL `http://127.0.0.1:P`.

        With `auto_sync`, a background worker provisions after each change, like Okta's asynchronous pushes.
        `wrap` wraps the WSGI app (benchmarks add latency: `serving.Latency(0.05).wrap`); the links it answers with
        still name this server.
        """
        stop = threading.Event()
        worker = threading.Thread(target=self._sync_worker, args=(stop,), name="okta-sandbox-sync", daemon=True)
        with serve_wsgi(wrap(self.wsgi_app) if wrap else self.wsgi_app, host, port) as base_url:
            self._base_url = base_url
            if auto_sync:
                worker.start()
                self._org.wakeup.set()
            try:
                yield base_url
            finally:
                stop.set()
                self._org.wakeup.set()
                if auto_sync:
                    worker.join(timeout=self._scim_timeout + 5)

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The WSGI application (also usable in-process with `httpx.WSGITransport`); every exchange is checked
        against Okta's definition (contract_watch), except the admin-console routes, which are not Okta's API."""
        if not self._check_contract:
            return self._answer(environ, start_response)
        return self._checked(environ, start_response)

    def _answer(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        try:
            request = parse_request(environ, self._base_url)
        except OktaError as err:  # refused before any route: not logged, not counted
            return finish(Response.from_error(err), start_response, [])
        with self._org.lock:
            self.requests.append((request.method, request.target))
            fault = next((f for f in self._faults if f.matches(request)), None)
            if fault is not None:
                fault.times -= 1
                self._faults = [f for f in self._faults if f.times > 0]
        _, allowed, limit_headers = self.rate_limiter.take(request.method, request.path)
        if fault is not None:
            environ[FAULT_KEY] = True
            response = fault.response()
        else:
            try:
                if request.path == TOKEN_PATH:
                    response = self.oauth.token(request)
                else:
                    if request.path.startswith(("/api/", ADMIN_PREFIX)):
                        self._authenticate(request)
                    if not allowed:
                        raise rate_limited()
                    response = self._routes.dispatch(request)
            except OAuthRefused as refused:
                response = refused.response
            except OktaError as err:
                response = Response.from_error(err)
            except Exception:  # a sandbox bug still answers like Okta; the traceback goes to the log, not the client
                _log.exception("Okta sandbox failed on %s %s", request.method, request.path)
                response = Response.from_error(OktaError(500, "E0000009", "Internal Server Error"))
        if response.status == 429:
            with self._org.lock:
                self.throttled.append((request.method, request.target))
        return finish(response, start_response, limit_headers)

    def _authenticate(self, request: Request) -> None:
        """An API token (SSWS), or a service app's access token (DPoP or Bearer, okta_oauth). The console actions
        under ADMIN_PREFIX take the API token only (Inferred: they stand for a person in the Admin Console)."""
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        # Source: Okta service app guide (API calls with `Authorization: DPoP`/`Bearer`); Inferred: console
        # actions take the API token only.
        if scheme in ("DPoP", "Bearer") and not request.path.startswith(ADMIN_PREFIX):
            self.oauth.authorize(request, scheme, token)
            return
        if scheme != "SSWS" or not hmac.compare_digest(token.strip().encode(), self._api_token.encode()):
            raise invalid_token()
