"""A read-only client for Talend Cloud's SCIM 2.0 API (`https://api.<region>.cloud.talend.com/scim/v2`).

Lists page with `startIndex`/`count` and are generators, so a caller holds one page at a time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Generic, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator
from pydantic.alias_generators import to_camel

from talend_okta.http import ApiClient, JsonApi, RetryPolicy, Sleep, check_base_url
from talend_okta.redact import Redactor

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_PAGE = 1000  # scim2-server's maxResults; Talend caps lower on its own and we follow itemsPerPage


class _ScimModel(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True, frozen=True)


class ScimUser(_ScimModel):
    id: str
    user_name: str
    active: bool | None = None  # absent means the server does not say; treated as active

    @property
    def is_active(self) -> bool:
        return self.active is not False


class ScimMember(_ScimModel):
    value: str  # the member's SCIM id
    display: str | None = None


class ScimGroup(_ScimModel):
    id: str
    display_name: str
    members: list[ScimMember] = Field(default_factory=list)

    @field_validator("members", mode="before")
    @classmethod
    def _null_members(cls, value: Any) -> Any:
        return [] if value is None else value  # Okta's SCIM guide allows `members: null`


class ScimRole(_ScimModel):
    """A Talend role (`GET /scim/v2/Roles`, a Talend extension). Role mappings name roles by display name."""

    id: str
    display_name: str | None = None
    name: str | None = None  # Talend documents the field loosely: either may carry the role's name

    @property
    def role_name(self) -> str:
        return self.display_name or self.name or self.id


ResourceT = TypeVar("ResourceT", bound=_ScimModel)


class ListResponse(_ScimModel, Generic[ResourceT]):
    """A SCIM ListResponse. Okta insists the counters are integers, so this does too."""

    schemas: list[str]
    total_results: StrictInt
    start_index: StrictInt | None = None
    items_per_page: StrictInt | None = None
    resources: list[ResourceT] = Field(default_factory=list, alias="Resources")

    @field_validator("schemas")
    @classmethod
    def _is_list_response(cls, value: list[str]) -> list[str]:
        if LIST_RESPONSE not in value:
            raise ValueError(f"must contain {LIST_RESPONSE}")
        return value


class TalendScimClient(ApiClient):
    """Talend's SCIM API with `Authorization: Bearer <token>` (a personal access token); read-only."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        transport: httpx.BaseTransport | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url, "Talend SCIM URL")
        redactor = redactor or Redactor()
        redactor.add(token)
        self._api = JsonApi(
            "Talend",
            self.base_url,
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/scim+json, application/json",
                "User-Agent": "talend-okta-verify",
            },
            redactor=redactor,
            timeout=timeout,
            retry=retry,
            sleep=sleep,
            transport=transport,
        )

    def check_credentials(self) -> int:
        """Send what Okta's "Test API Credentials" sends; returns totalResults.

        Raises `ApiAuthError` on 401/403 and `ApiBodyError` unless the answer is a SCIM ListResponse.
        """
        page = self._page("/Users", ScimUser, start=1, count=2)
        return page.total_results

    def iter_users(self, count: int = MAX_PAGE) -> Iterator[ScimUser]:
        """Every SCIM user (only id, userName and active are asked for)."""
        return self._iter("/Users", ScimUser, count, "userName,active")

    def iter_groups(self, count: int = MAX_PAGE) -> Iterator[ScimGroup]:
        return self._iter("/Groups", ScimGroup, count, "displayName,members")

    def iter_roles(self, count: int = MAX_PAGE) -> Iterator[ScimRole]:
        """The tenant's Talend roles."""
        return self._iter("/Roles", ScimRole, count, "")  # no `attributes`: which name field Talend fills varies

    def _iter(self, path: str, model: type[ResourceT], count: int, attributes: str) -> Iterator[ResourceT]:
        start = 1
        while True:
            page = self._page(path, model, start=start, count=count, attributes=attributes)
            yield from page.resources
            start += len(page.resources)
            if not page.resources or start > page.total_results:
                return

    def _page(
        self, path: str, model: type[ResourceT], *, start: int, count: int, attributes: str | None = None
    ) -> ListResponse[ResourceT]:
        params: dict[str, str | int] = {"startIndex": start, "count": count}
        if attributes:
            params["attributes"] = attributes
        data, response = self._api.get_json(path, params)
        return self._api.parse(ListResponse[model], data, response)  # type: ignore[valid-type]
