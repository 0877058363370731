"""An Okta Management API client: reads the app, its SCIM connection and features, app users, groups and push groups;
writes only group assignments and push mappings (for the stack's assignments resource, talend_okta.assignments).

Lists follow Okta's `Link: <…>; rel="next"` headers and are generators, so a caller holds one page at a time. A
listing that links back to any page it already read (A → B → A), or runs past `max_pages`, is refused: paging
cannot loop.
Models name a few fields of each shape and ignore the rest (`extra="ignore"`); the JSON shapes are those of
tests/sandbox/okta-recordings (Okta's Terraform provider acceptance tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, Unpack
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel

from talend_okta.http import (
    ApiBodyError,
    ApiClient,
    ApiStatusError,
    ClientOptions,
    InputError,
    JsonApi,
    check_base_url,
    origin,
    same_origin,
)
from talend_okta.okta_auth import OktaCredentials, ServiceApp, request_auth

ItemT = TypeVar("ItemT", bound=BaseModel)

PROVISIONING_NOT_ENABLED = "E0000001"  # features API on an app without provisioning
NOT_FOUND = "E0000007"
USERS_PER_SEARCH = 20
"""Ids per users search: Okta warns that "an overly complex or long search query can result in an error"."""
LOG_PAGE = 1000
"""Okta's largest System Log page (`limit`, 0 to 1000)."""
MAX_PAGES = 10_000
"""Pages per listing: 5 million app users at Okta's 500 a page; a longer listing is a loop."""
INACTIVE_APP_USER_STATUSES = frozenset({"INACTIVE", "DEPROVISIONED", "REVOKED", "UNASSIGNED"})
"""App user statuses Okta uses for an assignment that should no longer be active in the app."""

# The app's read-only `features` that mirror Provisioning → To App (Okta's app `features` enum).
SCIM_PROVISIONING = "SCIM_PROVISIONING"
TO_APP_FEATURES = {
    "Create Users": "PUSH_NEW_USERS",
    "Update User Attributes": "PUSH_PROFILE_UPDATES",
    "Deactivate Users": "PUSH_USER_DEACTIVATION",
}


def check_app_id(app_id: str) -> str:
    """`app_id` if it can be an Okta app id; it goes into request paths, so nothing else may pass."""
    if not app_id.isalnum():
        raise InputError(f"--app-id: an Okta app id is letters and digits, like 0oa1b2c3d4 (got {app_id!r})")
    return app_id


class _OktaModel(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True, frozen=True)


class UserNameTemplate(_OktaModel):
    template: str | None = None
    type: str | None = None


class AppCredentials(_OktaModel):
    user_name_template: UserNameTemplate = UserNameTemplate()


class AttributeStatement(_OktaModel):
    """A SAML attribute statement: EXPRESSION (`values`) or GROUP (the person's groups that pass the filter)."""

    type: str = "EXPRESSION"
    name: str = ""
    values: list[str] = []
    filter_type: str | None = None
    filter_value: str | None = None


class SamlSignOn(_OktaModel):
    """A SAML app's `settings.signOn`: where and how Okta sends the assertion."""

    sso_acs_url: str | None = None
    recipient: str | None = None
    destination: str | None = None
    audience: str | None = None
    subject_name_id_template: str | None = None
    subject_name_id_format: str | None = None
    response_signed: bool | None = None
    assertion_signed: bool | None = None
    signature_algorithm: str | None = None
    digest_algorithm: str | None = None
    authn_context_class_ref: str | None = None
    attribute_statements: list[AttributeStatement] = []


class AppSettings(_OktaModel):
    sign_on: SamlSignOn | None = None

    @property
    def attribute_statements(self) -> list[AttributeStatement]:
        return self.sign_on.attribute_statements if self.sign_on else []


class App(_OktaModel):
    """An Okta app (GET /api/v1/apps/{id})."""

    id: str
    label: str = ""
    name: str = ""
    status: str = ""
    sign_on_mode: str = ""
    credentials: AppCredentials = AppCredentials()
    settings: AppSettings = AppSettings()
    features: list[str] = []
    """Read-only: what provisioning does (SCIM_PROVISIONING, PUSH_NEW_USERS, …), even when the connection API
    reports UNKNOWN for the app."""


class AppUserCredentials(_OktaModel):
    user_name: str | None = None


class AppUser(_OktaModel):
    """A user's assignment to an app (GET /api/v1/apps/{id}/users). `id` is the Okta user id."""

    id: str
    external_id: str | None = None  # the SCIM id, once provisioned
    scope: str = "USER"  # USER (direct) or GROUP (through a group assignment)
    status: str = ""
    sync_state: str | None = None  # SYNCHRONIZED, SYNCING, OUT_OF_SYNC, ERROR, DISABLED
    last_sync: str | None = None
    credentials: AppUserCredentials = AppUserCredentials()
    profile: dict[str, Any] = {}  # the app profile (the definition's AppUserProfile)
    embedded: AppUserEmbedded | None = Field(default=None, alias="_embedded")  # with ?expand=user

    @property
    def okta_user(self) -> OktaUser | None:
        """The Okta user, when read with `expand=user`."""
        return self.embedded.user if self.embedded else None

    @property
    def user_name(self) -> str | None:
        """The app username: what Okta sends to Talend as SCIM `userName`."""
        return self.credentials.user_name

    @property
    def is_active(self) -> bool:
        return self.status not in INACTIVE_APP_USER_STATUSES


class AppUserEmbedded(_OktaModel):
    user: OktaUser | None = None


class OktaUserProfile(_OktaModel):
    login: str = ""
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class OktaUser(_OktaModel):
    """An Okta user (GET /api/v1/users/{id}, group members)."""

    id: str
    status: str = ""
    profile: OktaUserProfile = OktaUserProfile()


class GroupProfile(_OktaModel):
    name: str
    description: str | None = None


class Group(_OktaModel):
    id: str
    type: str = ""
    profile: GroupProfile


class AppGroupEmbedded(_OktaModel):
    group: Group | None = None


class AppGroup(_OktaModel):
    """A group assigned to an app (GET /api/v1/apps/{id}/groups)."""

    id: str
    priority: int | None = None
    profile: dict[str, Any] = {}
    embedded: AppGroupEmbedded | None = Field(default=None, alias="_embedded")  # with ?expand=group

    @property
    def name(self) -> str | None:
        return self.embedded.group.profile.name if self.embedded and self.embedded.group else None


class Connection(_OktaModel):
    """The app's provisioning connection. `status` is ENABLED, DISABLED or UNKNOWN (no provisioning, or an app
    whose connection Okta's API does not manage)."""

    auth_scheme: str = "UNKNOWN"
    status: str = "UNKNOWN"
    base_url: str | None = None


class FeatureStatus(_OktaModel):
    status: str | None = None


class CreateCapabilities(_OktaModel):
    lifecycle_create: FeatureStatus = FeatureStatus()


class UpdateCapabilities(_OktaModel):
    profile: FeatureStatus = FeatureStatus()
    lifecycle_deactivate: FeatureStatus = FeatureStatus()


class FeatureCapabilities(_OktaModel):
    create: CreateCapabilities = CreateCapabilities()
    update: UpdateCapabilities = UpdateCapabilities()


class Feature(_OktaModel):
    """An app feature; for USER_PROVISIONING the To App switches are in `capabilities`."""

    name: str
    status: str = ""
    capabilities: FeatureCapabilities = FeatureCapabilities()

    @property
    def creates_users(self) -> bool:
        return self.capabilities.create.lifecycle_create.status == "ENABLED"

    @property
    def updates_profiles(self) -> bool:
        return self.capabilities.update.profile.status == "ENABLED"

    @property
    def deactivates_users(self) -> bool:
        return self.capabilities.update.lifecycle_deactivate.status == "ENABLED"


class PushMapping(_OktaModel):
    """A group push mapping: Okta group `source_group_id` pushed to the app's group `target_group_id`."""

    id: str
    source_group_id: str
    target_group_id: str | None = None
    status: str = ""  # ACTIVE, INACTIVE, ERROR


class LogTarget(_OktaModel):
    id: str = ""
    type: str = ""
    alternate_id: str | None = None
    display_name: str | None = None


class LogOutcome(_OktaModel):
    result: str = ""  # SUCCESS, FAILURE, SKIPPED, ALLOW, DENY, CHALLENGE, UNKNOWN
    reason: str | None = None  # for a failed provisioning event, the app's answer


class LogActor(_OktaModel):
    """Who did what an event records: for a sign-in, the Okta user (`type` User, `alternateId` the login)."""

    id: str = ""
    type: str = ""
    alternate_id: str | None = None


class LogEvent(_OktaModel):
    """A System Log event (GET /api/v1/logs; Okta, "System Log query")."""

    uuid: str = ""
    published: str = ""
    event_type: str = ""
    display_message: str | None = None
    severity: str | None = None
    actor: LogActor | None = None
    outcome: LogOutcome | None = None
    target: list[LogTarget] | None = None


@dataclass(frozen=True)
class NamedGroup:
    """A group as Okta lists it: its id, `profile.name` and type (talend_okta.group_names resolves names to these)."""

    id: str
    name: str
    type: str


def okta_string(value: str) -> str:
    """A string literal for Okta's `filter`/`search` expressions."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class OktaClient(ApiClient):
    """Okta Management API with an API token (`Authorization: SSWS <token>`) or a service app's OAuth token
    (`Authorization: DPoP <token>` and a proof, talend_okta.okta_auth)."""

    def __init__(
        self,
        org_url: str,
        credentials: str | OktaCredentials,
        *,
        max_pages: int = MAX_PAGES,
        **options: Unpack[ClientOptions],
    ) -> None:
        self.org_url = check_base_url(org_url, "Okta org URL")
        self.max_pages = max_pages
        self.service_app = credentials if isinstance(credentials, ServiceApp) else None
        self._api = JsonApi("Okta", self.org_url, request_auth(self.org_url, credentials), **options)

    def current_user(self) -> OktaUser:
        """The token's own user; the cheapest call that proves the token works."""
        return self._get("/api/v1/users/me", OktaUser)

    def check_credentials(self) -> None:
        """Prove Okta accepts the credentials: the API token's own user; a service app has no user (Okta's
        /users/me is for tokens that act as a person), so the app's first call fetches its token."""
        if self.service_app is None:
            self.current_user()

    def get_app(self, app_id: str) -> App:
        return self._get(f"/api/v1/apps/{app_id}", App)

    def get_connection(self, app_id: str) -> Connection:
        return self._get(f"/api/v1/apps/{app_id}/connections/default", Connection)

    def get_user_provisioning(self, app_id: str) -> Feature | None:
        """The app's USER_PROVISIONING feature (To App), or None when Okta says provisioning is not enabled."""
        try:
            return self._get(f"/api/v1/apps/{app_id}/features/USER_PROVISIONING", Feature)
        except ApiStatusError as err:
            if err.status in (400, 404) and err.code in (PROVISIONING_NOT_ENABLED, NOT_FOUND):
                return None
            raise

    def get_group(self, group_id: str) -> Group:
        return self._get(f"/api/v1/groups/{group_id}", Group)

    def find_group(self, name: str) -> Group | None:
        """The group named exactly `name` (Okta's `q` is a prefix search), or None."""
        for group in self._iter("/api/v1/groups", {"q": name, "limit": 200}, Group):
            if group.profile.name == name:
                return group
        return None

    def search_groups(self, expression: str, limit: int = 200) -> Iterator[NamedGroup]:
        """The groups an Okta `search` expression finds, every page (talend_okta.group_names reads through this)."""
        for group in self._iter("/api/v1/groups", {"search": expression, "limit": limit}, Group):
            yield NamedGroup(group.id, group.profile.name, group.type)

    def iter_app_users(self, app_id: str, limit: int = 500, *, expand_user: bool = False) -> Iterator[AppUser]:
        """Every user assigned to the app, directly (scope USER) or through a group (scope GROUP); with
        `expand_user`, each with its Okta user (`okta_user`)."""
        params: dict[str, str | int] = {"limit": limit} | ({"expand": "user"} if expand_user else {})
        return self._iter(f"/api/v1/apps/{app_id}/users", params, AppUser)

    def users_by_id(self, user_ids: list[str], batch: int = USERS_PER_SEARCH) -> Iterator[OktaUser]:
        """The Okta users with these ids, deactivated ones included: one `search` (`id eq … or id eq …`) per
        `batch` ids, in the users bucket (Okta's List Users: a search returns DEPROVISIONED users too)."""
        for start in range(0, len(user_ids), batch):
            chunk = user_ids[start : start + batch]
            expression = " or ".join(f"id eq {okta_string(user_id)}" for user_id in chunk)
            yield from self._iter("/api/v1/users", {"search": expression, "limit": 200}, OktaUser)

    def find_users_by_email(self, email: str) -> list[OktaUser]:
        """Users whose primary email is `email` (Okta's `search` expression; exact, case-insensitive)."""
        return list(
            self._iter("/api/v1/users", {"search": f"profile.email eq {okta_string(email)}", "limit": 200}, OktaUser)
        )

    def get_app_user(self, app_id: str, user_id: str) -> AppUser | None:
        """The user's assignment to the app, or None when they are not assigned."""
        try:
            return self._get(f"/api/v1/apps/{app_id}/users/{user_id}", AppUser)
        except ApiStatusError as err:
            if err.status == 404:
                return None
            raise

    def iter_app_groups(self, app_id: str, limit: int = 200) -> Iterator[AppGroup]:
        return self._iter(f"/api/v1/apps/{app_id}/groups", {"limit": limit}, AppGroup)

    def iter_group_members(self, group_id: str, limit: int = 200) -> Iterator[OktaUser]:
        return self._iter(f"/api/v1/groups/{group_id}/users", {"limit": limit}, OktaUser)

    def iter_push_mappings(self, app_id: str, limit: int = 100) -> Iterator[PushMapping]:
        return self._iter(f"/api/v1/apps/{app_id}/group-push/mappings", {"limit": limit}, PushMapping)

    def get_user(self, id_or_login: str) -> OktaUser | None:
        """The user with this id or login (Okta's Users API takes either in the path), or None."""
        return self._get_or_none(f"/api/v1/users/{quote(id_or_login, safe='@')}", OktaUser)

    def find_app_users(self, app_id: str, prefix: str, limit: int = 50) -> list[AppUser]:
        """App users whose username (or name, or email) starts with `prefix` (Okta's `q`), each with its Okta user,
        at most `limit`."""
        params: dict[str, str | int] = {"q": prefix, "expand": "user", "limit": limit}
        return self._first(self._iter(f"/api/v1/apps/{app_id}/users", params, AppUser), limit)

    def iter_user_groups(self, user_id: str) -> Iterator[Group]:
        """Okta's listUserGroups takes no `limit` (nor paging parameters): it answers every group of the user."""
        return self._iter(f"/api/v1/users/{user_id}/groups", {}, Group)

    def iter_app_groups_named(self, app_id: str, limit: int = 200) -> Iterator[AppGroup]:
        """The app's group assignments with each group embedded (`expand=group`), for their names."""
        return self._iter(f"/api/v1/apps/{app_id}/groups", {"limit": limit, "expand": "group"}, AppGroup)

    def log_events(
        self,
        filter_expression: str,
        *,
        since: str,
        until: str,
        newest_first: bool = True,
        max_events: int = 20,
        max_pages: int = 3,
    ) -> list[LogEvent]:
        """System Log events matching `filter_expression` between `since` and `until` (a bounded query: Okta's
        pages then end), at most `max_events` and `max_pages` pages whatever the next links say."""
        events: list[LogEvent] = []
        pages = self.iter_log_pages(
            filter_expression,
            since=since,
            until=until,
            newest_first=newest_first,
            page_size=min(max_events, LOG_PAGE),
            max_pages=max_pages,
        )
        for batch in pages:
            events += batch
            if len(events) >= max_events:
                break
        return events[:max_events]

    def iter_log_pages(
        self,
        filter_expression: str,
        *,
        since: str,
        until: str,
        newest_first: bool = True,
        page_size: int = LOG_PAGE,
        max_pages: int | None = None,
    ) -> Iterator[list[LogEvent]]:
        """The pages of a bounded System Log query, one at a time, following the next links (`max_pages`: stop
        there quietly; None: the client's `max_pages`, past which the listing is refused as a loop)."""
        params: dict[str, str | int] = {
            "filter": filter_expression,
            "since": since,
            "until": until,
            "limit": page_size,
            "sortOrder": "DESCENDING" if newest_first else "ASCENDING",
        }
        page = TypeAdapter(list[LogEvent])
        url: str | None = "/api/v1/logs"
        query: dict[str, str | int] | None = params
        read: set[tuple[object, ...]] = set()
        while url is not None:
            if max_pages is not None and len(read) >= max_pages:
                return
            if len(read) >= self.max_pages:
                message = f"Okta's System Log ran past {self.max_pages} pages; refusing to read on (a loop?)"
                raise ApiBodyError(self._api.redact(message), "Okta")
            response = self._api.get(url, query)
            read.add(_page_key(response.request.url))
            yield self._api.parse_body(page, response)
            url, query = self._next_link(response, read), None

    def _get_or_none(self, path: str, model: type[ItemT]) -> ItemT | None:
        try:
            return self._get(path, model)
        except ApiStatusError as err:
            if err.status == 404:
                return None
            raise

    @staticmethod
    def _first(items: Iterator[ItemT], limit: int) -> list[ItemT]:
        found: list[ItemT] = []
        for item in items:
            found.append(item)
            if len(found) >= limit:
                break
        return found

    # --- writes (the assignments resource) ---------------------------------------------------------------------

    def assign_group(self, app_id: str, group_id: str, priority: int | None) -> AppGroup:
        """Assign the group to the app, or set its priority if it is assigned (PUT is idempotent)."""
        body = {} if priority is None else {"priority": priority}
        response = self._api.send("PUT", f"/api/v1/apps/{app_id}/groups/{group_id}", json_body=body)
        return self._api.parse(AppGroup, self._json(response), response)

    def unassign_group(self, app_id: str, group_id: str) -> None:
        """Remove the group's assignment (its members lose the app); already gone is fine."""
        self._delete(f"/api/v1/apps/{app_id}/groups/{group_id}")

    def create_push_mapping(self, app_id: str, group_id: str, target_name: str) -> PushMapping:
        """Push the group to the app as an ACTIVE mapping, to a group of that name."""
        body = {"sourceGroupId": group_id, "status": "ACTIVE", "targetGroupName": target_name}
        response = self._api.send("POST", f"/api/v1/apps/{app_id}/group-push/mappings", json_body=body)
        return self._api.parse(PushMapping, self._json(response), response)

    def set_push_mapping_status(self, app_id: str, mapping_id: str, status: str) -> None:
        path = f"/api/v1/apps/{app_id}/group-push/mappings/{mapping_id}"
        self._api.send("PATCH", path, json_body={"status": status})

    def delete_push_mapping(self, app_id: str, mapping_id: str) -> None:
        """Stop pushing: the mapping goes, the group stays in the app (`deleteTargetGroup=false`)."""
        self._delete(f"/api/v1/apps/{app_id}/group-push/mappings/{mapping_id}", {"deleteTargetGroup": "false"})

    def _json(self, response: httpx.Response) -> object:
        try:
            return response.json()
        except ValueError:
            what = f"{response.request.method} {response.request.url.path}"
            raise ApiBodyError(self._api.redact(f"Okta answered {what} with a body that is not JSON"), "Okta") from None

    def _delete(self, path: str, params: dict[str, str | int] | None = None) -> None:
        try:
            self._api.send("DELETE", path, params)
        except ApiStatusError as err:
            if err.status != 404:
                raise

    def _get(self, path: str, model: type[ItemT]) -> ItemT:
        data, response = self._api.get_json(path)
        return self._api.parse(model, data, response)

    def _iter(self, path: str, params: dict[str, str | int], model: type[ItemT]) -> Iterator[ItemT]:
        page = TypeAdapter(list[model])  # type: ignore[valid-type]
        url: str | None = path
        query: dict[str, str | int] | None = params
        read: set[tuple[object, ...]] = set()  # every page of this listing so far, as URLs compare
        while url is not None:
            if len(read) >= self.max_pages:
                message = f"Okta's listing of {path} ran past {self.max_pages} pages; refusing to read on (a loop?)"
                raise ApiBodyError(self._api.redact(message), "Okta")
            response = self._api.get(url, query)
            read.add(_page_key(response.request.url))
            yield from self._api.parse_body(page, response)
            url, query = self._next_link(response, read), None

    def _next_link(self, response: httpx.Response, read: set[tuple[object, ...]]) -> str | None:
        """The `rel="next"` URL; refuses another host (it would get our token) and any page already read (a loop)."""
        url = response.links.get("next", {}).get("url")
        if not url:
            return None
        try:
            next_url = response.url.join(url)
        except httpx.InvalidURL:
            message = self._api.redact(f"Okta sent a next-page link that is not a URL: {url}")
            raise ApiBodyError(message, "Okta") from None
        if not same_origin(next_url, self.org_url):  # one origin however spelled: https://Acme.okta.com:443
            raise ApiBodyError(self._api.redact(f"Okta sent a next-page link to another host: {next_url}"), "Okta")
        if _page_key(next_url) in read:
            what = (
                "the page itself" if _page_key(next_url) == _page_key(response.request.url) else "a page already read"
            )
            raise ApiBodyError(self._api.redact(f"Okta sent a next-page link to {what}: {next_url}"), "Okta")
        return str(next_url)


def _page_key(url: httpx.URL) -> tuple[object, ...]:
    """A page as URLs compare: one origin however spelled, the path, the query parameters in any order."""
    return (*origin(url), url.path, tuple(sorted(url.params.multi_items())))
