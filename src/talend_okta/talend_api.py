"""A small client for Talend Cloud's API (`https://api.<region>.cloud.talend.com`): role mappings, roles, seats,
and who owns a token.

`GET /security/role-mappings` returns every mapping of the tenant, `[{"name": <customer role>, "roles": [<Talend
role name>, ...]}]`; `POST /security/role-mappings` replaces them all (idempotent, so it is retried like a GET).
Both need a token whose owner has SSO - Manage (`TMC_SSO_MANAGEMENT`). The tenant's roles and their permissions
come from `GET /scim/v2/Roles` on the same host.
`GET /account/subscription` (Talend API "Seats and Subscription" 2021-03) returns the license, with
`seats: [{application, maxUsers, currentUsers}]`. `GET /account/me` (Talend API "Identities Management" 2021-03,
section Me) returns the caller: the user (or service account) who owns the token sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Unpack
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter
from pydantic.alias_generators import to_camel

from talend_okta.http import ApiClient, ClientOptions, JsonApi, check_base_url
from talend_okta.roles import RoleMappings, as_body, normalized
from talend_okta.scim_api import TalendScimClient

ROLE_MAPPINGS_PATH = "/security/role-mappings"
SUBSCRIPTION_PATH = "/account/subscription"
ME_PATH = "/account/me"
SSO_PERMISSION = "SSO - Manage (TMC_SSO_MANAGEMENT)"


class RoleMapping(BaseModel):
    """One entry of Talend's role mappings."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    roles: list[str] = Field(default_factory=list)


_MAPPINGS = TypeAdapter(list[RoleMapping])


class _AccountModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", alias_generator=to_camel, populate_by_name=True)


class Seat(_AccountModel):
    """One application's seats in the license: a user holds at most one seat per application."""

    application: str
    max_users: StrictInt
    current_users: StrictInt


class Subscription(_AccountModel):
    """The part of `GET /account/subscription` talend-okta reads (the answer also has dates, tokens, engines)."""

    applications: list[str] = Field(default_factory=list)
    seats: list[Seat]


class OwnerRole(_AccountModel):
    name: str
    permissions: list[str] = Field(default_factory=list)


class TokenOwner(_AccountModel):
    """`GET /account/me`: who the token belongs to. `type` is USER (a personal access token) or SERVICE_ACCOUNT."""

    type: str
    id: str
    login: str | None = None
    email: str | None = None
    name: str | None = None
    active: bool | None = None  # users only
    roles: list[OwnerRole] = Field(default_factory=list)  # users only
    permissions: list[str] = Field(default_factory=list)  # service accounts only

    @property
    def label(self) -> str:
        return self.email or self.login or self.name or self.id

    @property
    def all_permissions(self) -> frozenset[str]:
        return frozenset(self.permissions) | {p for role in self.roles for p in role.permissions}


def api_origin(url: str) -> str:
    """`scheme://host[:port]` of a URL: the Talend API host of a SCIM base URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class TalendApiClient(ApiClient):
    """Talend's role-mapping API and role list with `Authorization: Bearer <token>`."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        setting: str = "Talend API URL",
        **options: Unpack[ClientOptions],
    ) -> None:
        self.base_url = check_base_url(api_url, setting)
        self._api = JsonApi("Talend", self.base_url, ("Bearer", token), **options)
        # One redactor: both clients' messages mask the token.
        self._scim = TalendScimClient(f"{self.base_url}/scim/v2", token, **(options | {"redactor": self._api.redact}))

    def close(self) -> None:
        self._scim.close()
        super().close()

    @property
    def requests(self) -> int:
        return self._api.requests + self._scim.requests

    def role_mappings(self) -> RoleMappings:
        """Every mapping the tenant holds, normalized (several entries of one name are merged)."""
        response = self._api.get(ROLE_MAPPINGS_PATH)
        merged: dict[str, list[str]] = {}
        for mapping in self._api.parse_body(_MAPPINGS, response):
            merged.setdefault(mapping.name, []).extend(mapping.roles)
        return normalized(merged)

    def replace_role_mappings(self, mappings: Mapping[str, Iterable[str]]) -> None:
        """Replace every mapping of the tenant with `mappings` (an empty mapping removes them all)."""
        self._api.post_json(ROLE_MAPPINGS_PATH, as_body(mappings))

    def role_names(self) -> list[str]:
        """The tenant's Talend role names, sorted."""
        return sorted(self.role_permissions())

    def role_permissions(self) -> dict[str, frozenset[str]]:
        """The tenant's Talend roles by name, each with its permission ids (several roles of one name: merged)."""
        roles: dict[str, frozenset[str]] = {}
        for role in self._scim.iter_roles():
            roles[role.role_name] = roles.get(role.role_name, frozenset()) | role.permissions
        return roles

    def subscription(self) -> Subscription:
        """The license: seats per application (needs a token whose owner may see the subscription)."""
        response = self._api.get(SUBSCRIPTION_PATH)
        return self._api.parse_body(_SUBSCRIPTION, response)

    def token_owner(self) -> TokenOwner:
        """Who owns the token this client sends."""
        response = self._api.get(ME_PATH)
        return self._api.parse_body(_OWNER, response)


_SUBSCRIPTION = TypeAdapter(Subscription)
_OWNER = TypeAdapter(TokenOwner)
