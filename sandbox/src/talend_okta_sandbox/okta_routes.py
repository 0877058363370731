"""Okta's Management API over the sandbox's org: one handler per endpoint, in the JSON shapes of okta_json.

`OktaRoutes.dispatch` finds the handler for a request and runs it holding the org's lock. Handlers check what
Okta checks, change the org through its methods (okta_org), and answer with Okta's status codes and error bodies;
a `SandboxError` from the org becomes Okta's E0000001, an `UnknownId` its E0000007. Under `/sandbox/admin/` are
the Admin Console actions Okta has no API for (enable SCIM for a custom app, To App, Provision User), for
`sandbox.admin`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any, Literal

from talend_okta.definition import USER_PROVISIONING
from talend_okta_sandbox import okta_json, okta_log
from talend_okta_sandbox.okta_http import (
    OktaError,
    Request,
    Response,
    getter,
    invalid,
    limit_param,
    link_headers,
    not_found,
    page,
    parse_expression,
    starts_with_any,
)
from talend_okta_sandbox.okta_org import NO_PROVISIONING, AssignedByGroup, Org, SandboxError, UnknownId
from talend_okta_sandbox.okta_state import App, AppUser, GroupAssignment, PushMapping, User

JSON = dict[str, Any]
Handler = Callable[..., Response]
ADMIN = User(
    id="00usandboxadmin00001",
    status="ACTIVE",
    created="2024-01-01T00:00:00.000Z",
    activated="2024-01-01T00:00:00.000Z",
    status_changed="2024-01-01T00:00:00.000Z",
    last_updated="2024-01-01T00:00:00.000Z",
    profile={"firstName": "Sandbox", "lastName": "Admin", "login": "admin@example.com", "email": "admin@example.com"},
)
"""The owner of the API token (`/api/v1/users/me`); not one of the org's users."""


ProvisioningApi = Literal["refused", "supported"]
ADMIN_PREFIX = "/sandbox/admin/"
"""Not Okta's API: what an admin does in the Okta Admin Console, for `python -m talend_okta_sandbox.admin`."""


def forbidden_by_groups(err: AssignedByGroup) -> OktaError:
    """403 E0000046 in Okta's Error shape; 403 is declared for both app-user operations in the definition."""
    # Source: articulate/terraform-provider-okta#120 (summary, cause), gravitational/teleport#53947 (status, code).
    return OktaError(403, err.code, err.summary, [err.cause])


class OktaRoutes:
    """The `/api/v1/...` endpoints the project and pulumi-okta use, and the sandbox's admin-console actions."""

    def __init__(self, org: Org, *, provisioning_api: ProvisioningApi = "refused") -> None:
        """`provisioning_api`: how Okta treats the connection and features APIs of a custom SAML app created over
        the API. "refused" (what Okta documents: they are for some catalog apps only): the connection is accepted
        and ignored (reads UNKNOWN), the features answer E0000001, until an admin enables SCIM in the console.
        "supported": as if Okta honoured them, so a deploy over the API provisions end to end."""
        self._org = org
        self._connection_api = provisioning_api == "supported"
        self._sorted_cache: dict[str, tuple[int, list[str]]] = {}
        self._routes = self._build_routes()

    def dispatch(self, request: Request) -> Response:
        """The handler's response; raises `OktaError` (404 for an unknown path, 405 for a wrong method, …)."""
        allowed_methods = False
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed_methods = True
                continue
            with self._org.lock:
                try:
                    return handler(request, *match.groups())
                except UnknownId as err:
                    raise not_found(f"{err.kind} {err.object_id}") from None
                except SandboxError as err:
                    raise invalid(str(err)) from None
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
            # Okta's Users API also finds a user by login in the path ("Get a User": id, login or login shortname).
            ("GET", r"/api/v1/users/([^/]+@[^/]+)", self._get_user),
            ("POST", f"/api/v1/users/{i}", self._post_user_update),
            ("PUT", f"/api/v1/users/{i}", self._put_user),
            ("DELETE", f"/api/v1/users/{i}", self._delete_user),
            ("POST", f"/api/v1/users/{i}/lifecycle/(activate|deactivate|suspend|unsuspend)", self._user_lifecycle),
            ("GET", f"/api/v1/users/{i}/groups", self._list_user_groups),
            ("GET", "/api/v1/logs", self._list_log_events),
            ("GET", "/api/v1/groups", self._list_groups),
            ("POST", "/api/v1/groups", self._post_group),
            ("GET", f"/api/v1/groups/{i}", self._get_group),
            ("PUT", f"/api/v1/groups/{i}", self._put_group),
            ("DELETE", f"/api/v1/groups/{i}", self._delete_group),
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
            ("POST", f"/api/v1/apps/{i}/users/{i}", self._post_app_user_update),
            ("DELETE", f"/api/v1/apps/{i}/users/{i}", self._delete_app_user),
            ("GET", f"/api/v1/apps/{i}/group-push/mappings", self._list_push_mappings),
            ("POST", f"/api/v1/apps/{i}/group-push/mappings", self._post_push_mapping),
            ("GET", f"/api/v1/apps/{i}/group-push/mappings/{i}", self._get_push_mapping),
            ("PATCH", f"/api/v1/apps/{i}/group-push/mappings/{i}", self._patch_push_mapping),
            ("DELETE", f"/api/v1/apps/{i}/group-push/mappings/{i}", self._delete_push_mapping),
            ("PUT", f"{ADMIN_PREFIX}apps/{i}/provisioning", self._admin_enable_scim),
            ("PUT", f"{ADMIN_PREFIX}apps/{i}/to-app", self._admin_to_app),
            ("PUT", f"{ADMIN_PREFIX}apps/{i}/users/{i}/provision", self._admin_provision_user),
            ("PUT", f"{ADMIN_PREFIX}apps/{i}/users/{i}/sign-in", self._admin_sign_in),
        ]
        return [(method, re.compile(path), handler) for method, path, handler in table]

    def _sorted(self, key: str, ids: Iterable[str]) -> list[str]:
        """Sorted ids of a collection, cached until the org's next structural change (50k-user pages stay cheap)."""
        cached = self._sorted_cache.get(key)
        if cached is not None and cached[0] == self._org.epoch:
            return cached[1]
        ordered = sorted(ids)
        self._sorted_cache[key] = (self._org.epoch, ordered)
        return ordered

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
        return Response(200, okta_json.organization(request.base_url))

    def _get_me(self, request: Request) -> Response:
        return Response(200, okta_json.user(request.base_url, ADMIN))

    def _filter(
        self,
        request: Request,
        q_fields: Callable[[str], Iterable[Any]],
        as_json: Callable[[str], JSON] | None = None,
        expression_params: tuple[str, ...] = ("search", "filter"),
    ) -> Callable[[str], bool] | None:
        """Okta's `q` (a prefix of any of `q_fields`) and, with `as_json`, a `search`/`filter` expression, as one
        test of an id; None when the request filters nothing."""
        q = request.query.get("q", "")
        expression = next((request.query[p] for p in expression_params if request.query.get(p)), None)
        predicate = parse_expression(expression) if expression and as_json is not None else None
        if not q and predicate is None:
            return None

        def keep(item_id: str) -> bool:
            if q and not starts_with_any(q_fields(item_id), q):
                return False
            return predicate is None or as_json is None or predicate(getter(as_json(item_id)))

        return keep

    def _list_users(self, request: Request) -> Response:
        base, users = request.base_url, self._org.state.users
        return self._paged(
            request,
            "users",
            users,
            lambda user_id: okta_json.user(base, users[user_id]),
            default=200,
            maximum=200,
            keep=self._filter(
                request,
                lambda user_id: (users[user_id].profile.get(f) for f in ("firstName", "lastName", "email", "login")),
                lambda user_id: {"id": user_id, "status": users[user_id].status, "profile": users[user_id].profile},
            ),
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
        user = self._org.create_user({k: v for k, v in profile.items() if k != "postalAddress" or v}, status)
        return Response(200, okta_json.user(request.base_url, user))

    def _get_user(self, request: Request, user_id: str) -> Response:
        if user_id in (ADMIN.id, "me"):
            return Response(200, okta_json.user(request.base_url, ADMIN))
        user = self._org.state.users.get(user_id) or self._org.user_by_login(user_id)
        if user is None:
            raise not_found(f"User {user_id}")
        return Response(200, okta_json.user(request.base_url, user))

    def _post_user_update(self, request: Request, user_id: str) -> Response:
        user = self._org.user(user_id)
        profile = request.json().get("profile") or {}
        self._org.update_profile(user, {**user.profile, **profile})
        return Response(200, okta_json.user(request.base_url, user))

    def _put_user(self, request: Request, user_id: str) -> Response:
        user = self._org.user(user_id)
        profile = request.json().get("profile")
        if not isinstance(profile, dict):
            raise invalid("profile: The field cannot be left blank")
        self._org.update_profile(user, profile)
        return Response(200, okta_json.user(request.base_url, user))

    def _delete_user(self, request: Request, user_id: str) -> Response:
        user = self._org.user(user_id)
        if user.status == "DEPROVISIONED":
            self._org.delete_user(user)
        else:  # Okta deactivates on the first DELETE and deletes on the second
            self._org.set_user_status(user, "DEPROVISIONED")
        return Response(204)

    def _user_lifecycle(self, request: Request, user_id: str, action: str) -> Response:
        user = self._org.user(user_id)
        # Okta's User Lifecycle API: only an ACTIVE user can be suspended, only a SUSPENDED one unsuspended.
        if action == "suspend" and user.status != "ACTIVE":
            raise invalid("status: Cannot suspend a user that is not active")
        if action == "unsuspend" and user.status != "SUSPENDED":
            raise invalid("status: Cannot unsuspend a user that is not suspended")
        status = {"activate": "ACTIVE", "unsuspend": "ACTIVE", "suspend": "SUSPENDED"}.get(action, "DEPROVISIONED")
        self._org.set_user_status(user, status)
        return Response(200, {})

    def _list_log_events(self, request: Request) -> Response:
        return okta_log.list_events(request, self._org.state)

    def _list_user_groups(self, request: Request, user_id: str) -> Response:
        self._org.user(user_id)
        base = request.base_url
        return self._paged(
            request,
            f"user-groups/{user_id}",
            self._org.groups_of(user_id),
            lambda group_id: okta_json.group(base, self._org.state.groups[group_id]),
            default=200,
            maximum=200,
        )

    # --- groups ---

    def _list_groups(self, request: Request) -> Response:
        """listGroups: `q` (a name prefix), and `search`/`filter` expressions over any group property, `type` and
        `profile.name` among them, with `and`, `or` and parentheses (Okta Management API 2026.06.3, listGroups
        `search`: "Any group profile attribute … the top-level properties: id, created, lastMembershipUpdated,
        lastUpdated, and type"; operators sw, eq, co). String values compare without regard to case: Okta documents
        that for listUsers' `search` ("operators … and string values are case insensitive"); for groups inferred."""
        base, groups = request.base_url, self._org.state.groups
        return self._paged(
            request,
            "groups",
            groups,
            lambda group_id: okta_json.group(base, groups[group_id]),
            default=200,
            maximum=200,
            keep=self._filter(
                request,
                lambda group_id: [groups[group_id].profile.get("name")],
                lambda group_id: {"id": group_id, "type": groups[group_id].type, "profile": groups[group_id].profile},
            ),
        )

    def _post_group(self, request: Request) -> Response:
        profile = request.json().get("profile")
        if not isinstance(profile, dict):
            raise invalid("profile: The field cannot be left blank")
        return Response(200, okta_json.group(request.base_url, self._org.create_group(profile)))

    def _get_group(self, request: Request, group_id: str) -> Response:
        return Response(200, okta_json.group(request.base_url, self._org.group(group_id)))

    def _put_group(self, request: Request, group_id: str) -> Response:
        group = self._org.group(group_id)
        profile = request.json().get("profile")
        if not isinstance(profile, dict):
            raise invalid("name: The field cannot be left blank")
        self._org.update_group_profile(group, profile)
        return Response(200, okta_json.group(request.base_url, group))

    def _delete_group(self, request: Request, group_id: str) -> Response:
        self._org.delete_group(self._org.group(group_id))
        return Response(204)

    def _list_group_users(self, request: Request, group_id: str) -> Response:
        group = self._org.group(group_id)
        base = request.base_url
        return self._paged(
            request,
            f"members/{group_id}",
            group.members,
            lambda user_id: okta_json.user(base, self._org.state.users[user_id], full_links=False),
            default=1000,
            maximum=10_000,
        )

    def _put_group_user(self, request: Request, group_id: str, user_id: str) -> Response:
        self._org.add_member(self._org.group(group_id), self._org.user(user_id))
        return Response(204)

    def _delete_group_user(self, request: Request, group_id: str, user_id: str) -> Response:
        self._org.remove_member(self._org.group(group_id), self._org.user(user_id))
        return Response(204)

    # --- apps ---

    def _list_apps(self, request: Request) -> Response:
        base, apps = request.base_url, self._org.state.apps
        return self._paged(
            request,
            "apps",
            apps,
            lambda app_id: okta_json.app(base, apps[app_id]),
            default=200,
            maximum=200,
            keep=self._filter(
                request,
                lambda app_id: [apps[app_id].body.get("label"), apps[app_id].body.get("name")],
                lambda app_id: {"id": app_id, **apps[app_id].body},
                expression_params=("filter",),
            ),
        )

    def _post_app(self, request: Request) -> Response:
        body = request.json()
        label = body.get("label")
        if not label or not isinstance(label, str):
            raise invalid("label: The field cannot be left blank")
        created = okta_json.now()
        name = body.get("name") if isinstance(body.get("name"), str) else None  # catalogue apps bring their name
        name = name or self._org.app_name(label)
        if body.get("signOnMode") == "SAML_2_0":
            template = body.get("credentials", {}).get("userNameTemplate", {})
            stored = okta_json.saml_app_body(
                label,
                template.get("template") or okta_json.OKTA_USERNAME_TEMPLATE,
                template.get("type") or "BUILT_IN",
                name,
                created,
            )
            update = {k: v for k, v in body.items() if k not in okta_json.APP_FIELDS_OKTA_SETS}
            stored = okta_json.merge(stored, update)
        else:
            stored = okta_json.generic_app_body(body, name, created)
        if request.query.get("activate", "true").lower() == "false":
            stored["status"] = "INACTIVE"
        # Okta documents its connection and features APIs only for some catalog apps: by default a custom app
        # created here gets them refused until an admin enables SCIM by hand (the admin routes below). A catalogue
        # app (it brings its `name`) comes with provisioning, as in the recordings.
        catalogue = isinstance(body.get("name"), str)
        app = self._org.create_app(stored, connection_api=self._connection_api or catalogue)
        return Response(200, okta_json.app(request.base_url, app))

    def _get_app(self, request: Request, app_id: str) -> Response:
        return Response(200, okta_json.app(request.base_url, self._org.app(app_id)))

    def _put_app(self, request: Request, app_id: str) -> Response:
        app = self._org.app(app_id)
        body = request.json()
        if not body.get("label"):
            raise invalid("label: The field cannot be left blank")
        update = {k: v for k, v in body.items() if k not in (*okta_json.APP_FIELDS_OKTA_SETS, "created")}
        signing = app.body.get("credentials", {}).get("signing")
        app.body = okta_json.merge(app.body, update)
        if signing and not app.body.get("credentials", {}).get("signing", {}).get("kid"):
            app.body["credentials"]["signing"] = signing
        app.body["lastUpdated"] = okta_json.now()
        self._org.changed()
        return Response(200, okta_json.app(request.base_url, app))

    def _delete_app(self, request: Request, app_id: str) -> Response:
        app = self._org.app(app_id)
        if app.body.get("status") == "ACTIVE":
            raise invalid("status: Application must be deactivated before it can be deleted")
        del self._org.state.apps[app_id]
        self._org.changed()
        return Response(204)

    def _app_lifecycle(self, request: Request, app_id: str, action: str) -> Response:
        app = self._org.app(app_id)
        app.body["status"] = "ACTIVE" if action == "activate" else "INACTIVE"
        app.body["lastUpdated"] = okta_json.now()
        self._org.changed()
        return Response(200, {})

    def _put_app_policy(self, request: Request, app_id: str, policy_id: str) -> Response:
        self._org.app(app_id)
        return Response(204)

    def _get_app_keys(self, request: Request, app_id: str) -> Response:
        return Response(200, okta_json.signing_keys(self._org.app(app_id)))

    def _get_app_metadata(self, request: Request, app_id: str) -> Response:
        xml = okta_json.saml_metadata(request.base_url, self._org.app(app_id))
        return Response(200, xml.encode(), content_type="application/xml;charset=ISO-8859-1")

    # --- provisioning connection and features ---

    def _provisioning_app(self, app_id: str, *, features: bool = False) -> App:
        """The app, or Okta's refusal while its provisioning is off. Okta's definition, listFeaturesForApplication:
        "This request returns an error if provisioning isn't enabled for the app" (400 declared there), and the
        ApplicationFeatures tag: "You must have app provisioning enabled to configure provisioning features". The
        same 400 E0000001 for getting or updating one feature is inferred from it (a quirk in contract_quirks)."""
        app = self._org.app(app_id)
        if not app.provisioning or (features and not app.connection_api):
            raise OktaError(400, "E0000001", NO_PROVISIONING, [NO_PROVISIONING])
        return app

    def _get_connection(self, request: Request, app_id: str) -> Response:
        return Response(200, okta_json.connection(request.base_url, self._org.app(app_id)))

    def _post_connection(self, request: Request, app_id: str) -> Response:
        if not self._org.app(app_id).connection_api:
            return self._get_connection(request, app_id)  # accepted and ignored: still UNKNOWN
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
        self._org.configure_connection(app, base_url, str(token) if token else None, status, profile["authScheme"])
        return Response(200, okta_json.connection(request.base_url, app))

    def _connection_lifecycle(self, request: Request, app_id: str, action: str) -> Response:
        if not self._org.app(app_id).connection_api:
            return Response(204)  # accepted and ignored
        app = self._provisioning_app(app_id)
        self._org.set_connection_status(app, "ENABLED" if action == "activate" else "DISABLED")
        return Response(204)

    def _list_features(self, request: Request, app_id: str) -> Response:
        app = self._provisioning_app(app_id, features=True)
        return Response(
            200, [okta_json.feature(request.base_url, app, name) for name in okta_json.FEATURE_DESCRIPTIONS]
        )

    def _feature_name(self, name: str) -> str:
        if name not in okta_json.FEATURE_DESCRIPTIONS:
            raise not_found(f"Feature {name}")
        return name

    def _get_feature(self, request: Request, app_id: str, name: str) -> Response:
        app = self._provisioning_app(app_id, features=True)
        return Response(200, okta_json.feature(request.base_url, app, self._feature_name(name)))

    def _put_feature(self, request: Request, app_id: str, name: str) -> Response:
        app = self._provisioning_app(app_id, features=True)
        if self._feature_name(name) != USER_PROVISIONING:
            return Response(200, okta_json.feature(request.base_url, app, name))
        body = request.json()
        capabilities = body.get("capabilities", body)  # the provider sends the capabilities object itself
        for path in (("create", "lifecycleCreate"), ("update", "profile"), ("update", "lifecycleDeactivate")):
            status = capabilities.get(path[0], {}).get(path[1], {}).get("status")
            if status is not None and status not in ("ENABLED", "DISABLED"):
                raise invalid(f"{'.'.join(path)}.status: must be one of [ENABLED, DISABLED]")
        self._org.update_user_provisioning(app, {k: v for k, v in capabilities.items() if k in ("create", "update")})
        return Response(200, okta_json.feature(request.base_url, app, name))

    # --- group assignments ---

    def _list_app_groups(self, request: Request, app_id: str) -> Response:
        app = self._org.app(app_id)
        expand = request.query.get("expand") == "group"
        base = request.base_url

        def render(group_id: str) -> JSON:
            body = okta_json.group_assignment(base, app_id, app.groups[group_id])
            if expand:
                body["_embedded"] = {"group": okta_json.group(base, self._org.state.groups[group_id])}
            return body

        keep = self._filter(request, lambda group_id: [self._org.state.groups[group_id].profile.get("name")])
        return self._paged(request, f"app-groups/{app_id}", app.groups, render, default=20, maximum=200, keep=keep)

    def _app_group(self, app: App, group_id: str) -> GroupAssignment:
        assignment = app.groups.get(group_id)
        if assignment is None:
            raise not_found(f"ApplicationGroupAssignment {group_id}")
        return assignment

    def _get_app_group(self, request: Request, app_id: str, group_id: str) -> Response:
        app = self._org.app(app_id)
        return Response(200, okta_json.group_assignment(request.base_url, app_id, self._app_group(app, group_id)))

    def _put_app_group(self, request: Request, app_id: str, group_id: str) -> Response:
        app = self._org.app(app_id)
        group = self._org.group(group_id)
        body = request.json()
        priority = body.get("priority")
        if priority is not None and (not isinstance(priority, int) or isinstance(priority, bool) or priority < 0):
            raise invalid("priority: must be a number between 0 and 100")
        profile = body.get("profile")
        if profile is not None and not isinstance(profile, dict):
            raise invalid("profile: must be an object")
        assignment = self._org.assign_group(app, group, priority, profile)
        return Response(200, okta_json.group_assignment(request.base_url, app_id, assignment))

    def _delete_app_group(self, request: Request, app_id: str, group_id: str) -> Response:
        app = self._org.app(app_id)
        self._app_group(app, group_id)
        self._org.unassign_group(app, group_id)
        return Response(204)

    # --- app users ---

    def _render_app_user(self, base: str, app: App, user_id: str, expand: bool) -> JSON:
        user = self._org.state.users[user_id]
        body = okta_json.app_user(base, app.id, app.users[user_id], user.profile)
        if expand:
            body["_embedded"] = {"user": okta_json.user(base, user)}
        return body

    def _list_app_users(self, request: Request, app_id: str) -> Response:
        app = self._org.app(app_id)
        expand = request.query.get("expand") == "user"
        base, users = request.base_url, self._org.state.users

        def names(user_id: str) -> list[Any]:
            profile = users[user_id].profile
            return [app.users[user_id].user_name, *(profile.get(f) for f in ("firstName", "lastName", "email"))]

        return self._paged(
            request,
            f"app-users/{app_id}",
            app.users,
            lambda user_id: self._render_app_user(base, app, user_id, expand),
            default=50,
            maximum=500,
            keep=self._filter(request, names),
        )

    def _post_app_user(self, request: Request, app_id: str) -> Response:
        app = self._org.app(app_id)
        body = request.json()
        user_id = body.get("id")
        if not isinstance(user_id, str) or not user_id:
            raise invalid("id: The field cannot be left blank")
        user = self._org.user(user_id)
        user_name = body.get("credentials", {}).get("userName") or None
        self._org.assign_user(app, user, str(user_name) if user_name else None)
        return Response(200, self._render_app_user(request.base_url, app, user_id, False))

    def _get_app_user(self, request: Request, app_id: str, user_id: str) -> Response:
        app = self._org.app(app_id)
        if user_id not in app.users:
            raise not_found(f"AppUser {user_id}")
        return Response(
            200, self._render_app_user(request.base_url, app, user_id, request.query.get("expand") == "user")
        )

    def _app_user(self, app: App, user_id: str) -> AppUser:
        record = app.users.get(user_id)
        if record is None:
            raise not_found(f"AppUser {user_id}")
        return record

    def _post_app_user_update(self, request: Request, app_id: str, user_id: str) -> Response:
        """updateApplicationUser: `credentials.userName`, `profile` (accepted; the sandbox derives app profiles from
        the Okta user's) and `scope`, which the definition does not list (see `Org.convert_scope`)."""
        app = self._org.app(app_id)
        record = self._app_user(app, user_id)
        body = request.json()
        scope = body.get("scope")
        if scope is not None and scope not in ("USER", "GROUP"):
            # Inferred: 400 E0000001 (declared for this operation) for a scope outside AppUser.scope's enum.
            raise invalid("scope: must be USER or GROUP")
        user_name = body.get("credentials", {}).get("userName") if isinstance(body.get("credentials"), dict) else None
        if user_name is not None and (not isinstance(user_name, str) or not 1 <= len(user_name) <= 100):
            raise invalid("credentials.userName: must be 1 to 100 characters")  # Source: AppUserCredentials.userName
        try:
            if scope is not None:
                self._org.convert_scope(app, record, scope)
        except AssignedByGroup as err:
            raise forbidden_by_groups(err) from None
        if user_name is not None:
            self._org.update_app_user_name(app, record, user_name)
        return Response(200, self._render_app_user(request.base_url, app, user_id, False))

    def _delete_app_user(self, request: Request, app_id: str, user_id: str) -> Response:
        app = self._org.app(app_id)
        try:
            self._org.unassign_user(app, self._app_user(app, user_id))
        except AssignedByGroup as err:
            raise forbidden_by_groups(err) from None
        return Response(204)

    # --- group push mappings ---

    def _push_app(self, app_id: str) -> App:
        """Group push "requires provisioning enabled in the target app" (Okta's GroupPushMapping API): for an app
        whose connection API Okta ignores, until an admin switches SCIM on, its endpoints answer with the features
        API's E0000001 (the exact body is not recorded)."""
        app = self._org.app(app_id)
        if not app.provisioning or (not app.connection_api and app.connection is None):
            raise OktaError(400, "E0000001", NO_PROVISIONING, [NO_PROVISIONING])
        return app

    def _list_push_mappings(self, request: Request, app_id: str) -> Response:
        app = self._push_app(app_id)
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
        app = self._push_app(app_id)
        body = request.json()
        source = body.get("sourceGroupId")
        if not isinstance(source, str) or not source:
            raise invalid("sourceGroupId: The field cannot be left blank")
        status = body.get("status", "ACTIVE")
        if status not in ("ACTIVE", "INACTIVE"):
            raise invalid("status: must be one of [ACTIVE, INACTIVE]")
        group = self._org.group(source)
        mapping = self._org.create_push_mapping(app, group, str(body.get("targetGroupName") or ""), status)
        return Response(200, okta_json.push_mapping(request.base_url, app_id, mapping))

    def _get_push_mapping(self, request: Request, app_id: str, mapping_id: str) -> Response:
        app = self._org.app(app_id)
        return Response(200, okta_json.push_mapping(request.base_url, app_id, self._push_mapping(app, mapping_id)))

    def _patch_push_mapping(self, request: Request, app_id: str, mapping_id: str) -> Response:
        app = self._org.app(app_id)
        mapping = self._push_mapping(app, mapping_id)
        status = request.json().get("status")
        if status not in ("ACTIVE", "INACTIVE"):
            raise invalid("status: must be one of [ACTIVE, INACTIVE]")
        self._org.set_push_status(app, mapping, status)
        return Response(200, okta_json.push_mapping(request.base_url, app_id, mapping))

    def _delete_push_mapping(self, request: Request, app_id: str, mapping_id: str) -> Response:
        app = self._org.app(app_id)
        mapping = self._push_mapping(app, mapping_id)
        # Okta's definition, deleteGroupPushMapping: "The group push mapping must be in an INACTIVE state." It
        # declares no status for the refusal (204, 401, 403, 404, 429): Okta's validation error, 400 E0000001, is
        # inferred (listed as a quirk in contract_quirks).
        if mapping.status == "ACTIVE":
            raise invalid("status: deactivate the group push mapping before deleting it")
        self._org.delete_push_mapping(app, mapping, delete_target=request.query.get("deleteTargetGroup") == "true")
        return Response(200)

    # --- the admin console (sandbox only) ---

    def _admin_enable_scim(self, request: Request, app_id: str) -> Response:
        """General → App Settings → Provisioning = SCIM, then Provisioning → Integration: base URL, HTTP header
        token; Save. The connection is enabled; Okta's connection API may still report UNKNOWN for the app."""
        app = self._org.app(app_id)
        if not app.provisioning:
            raise invalid("provisioning: this app can't provision")
        body = request.json()
        base_url, token = body.get("baseUrl"), body.get("token")
        if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
            raise invalid("baseUrl: must be an http(s) URL")
        if not isinstance(token, str) or not token:
            raise invalid("token: The field cannot be left blank")
        self._org.configure_connection(app, base_url, token, "ENABLED")
        return Response(200, {"appId": app_id, "features": okta_json.app_features(app)})

    def _admin_to_app(self, request: Request, app_id: str) -> Response:
        """Provisioning → To App → Edit: Create Users, Update User Attributes, Deactivate Users; Save."""
        app = self._org.app(app_id)
        if not app.provisioning or app.connection is None:
            raise OktaError(400, "E0000001", NO_PROVISIONING, [NO_PROVISIONING])
        body = request.json()
        switches = {key: body.get(key) for key in ("create", "update", "deactivate")}
        if not all(isinstance(on, bool) for on in switches.values()):
            raise invalid("create, update, deactivate: must be true or false")

        def status(on: object) -> JSON:
            return {"status": "ENABLED" if on else "DISABLED"}

        update = {
            "create": {"lifecycleCreate": status(switches["create"])},
            "update": {"profile": status(switches["update"]), "lifecycleDeactivate": status(switches["deactivate"])},
        }
        self._org.update_user_provisioning(app, update)
        return Response(200, {"appId": app_id, "features": okta_json.app_features(app)})

    def _admin_provision_user(self, request: Request, app_id: str, user_id: str) -> Response:
        """Assignments → People → (the red exclamation) → Provision User → OK (Okta help: "Provision unprovisioned
        users"). Refused when provisioning is off or Okta already provisions the app user."""
        app = self._org.app(app_id)
        record = self._org.provision_user(app, user_id)
        user = self._org.state.users[user_id]
        return Response(200, okta_json.app_user(request.base_url, app_id, record, user.profile))

    def _admin_sign_in(self, request: Request, app_id: str, user_id: str) -> Response:
        """Not a console action: the person opens the app from their Okta dashboard and Okta signs them in (SAML),
        recording `user.authentication.sso` in the System Log (okta_log.sign_in_event)."""
        return Response(200, self._org.sign_in(self._org.app(app_id), user_id))
