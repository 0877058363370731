"""A read-only client for Talend Cloud's SCIM 2.0 API (`https://api.<region>.cloud.talend.com/scim/v2`).

Lists page with `startIndex`/`count` and are generators, so a caller holds a few pages at a time. The first page
says how many users there are (`totalResults`) and how many the server gives per page; the other pages are then
read `concurrency` at a time (4 by default), in order. Pages that do not add up (a startIndex other than the one
asked, the same id twice, a totalResults that changes, fewer resources than announced) raise `ScimPagingError`:
a list that cannot be trusted must never let a check pass. Attribute names are matched case-insensitively
(RFC 7643 §2.1): `Resources`/`resources`, `userName`/`username`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar, Unpack

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator
from pydantic.alias_generators import to_camel

from talend_okta.http import (
    ApiBodyError,
    ApiClient,
    ClientOptions,
    JsonApi,
    check_base_url,
)
from talend_okta.redact import Redactor

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
MAX_PAGE = 1000  # scim2-server's maxResults; Talend caps lower on its own and we follow itemsPerPage


class _ScimModel(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _attribute_names_ignore_case(cls, data: Any) -> Any:
        """`username` is `userName`: SCIM attribute names are case-insensitive (RFC 7643 §2.1)."""
        if not isinstance(data, dict):
            return data
        names = {(field.alias or name).lower(): field.alias or name for name, field in cls.model_fields.items()}
        return {names.get(key.lower(), key) if isinstance(key, str) else key: value for key, value in data.items()}


class ScimUserRole(_ScimModel):
    """One of a user's Talend roles: Talend's SCIM `roles` (value, display), as its User schema defines them."""

    value: str | None = None
    display: str | None = None

    @property
    def role_name(self) -> str:
        return self.display or self.value or ""


class ScimUser(_ScimModel):
    id: str
    user_name: str
    active: bool | None = None  # absent means the server does not say; treated as active
    external_id: str | None = None  # what Okta sent as externalId: its user id
    roles: list[ScimUserRole] = Field(default_factory=list)  # only when asked for (`attributes=…,roles`)

    @field_validator("roles", mode="before")
    @classmethod
    def _null_roles(cls, value: Any) -> Any:
        return [] if value is None else value

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


class ScimEntitlement(_ScimModel):
    value: str  # a permission id, like TMC_USER_MANAGEMENT


class ScimRole(_ScimModel):
    """A Talend role (`GET /scim/v2/Roles`, a Talend extension). Role mappings name roles by display name;
    `entitlement` holds the role's permissions (Talend: "Using API to create a user")."""

    id: str
    display_name: str | None = None
    name: str | None = None  # Talend documents the field loosely: either may carry the role's name
    entitlement: list[ScimEntitlement] = Field(default_factory=list)
    entitlements: list[ScimEntitlement] = Field(default_factory=list)  # the plural spelling Talend's portal uses

    @field_validator("entitlement", "entitlements", mode="before")
    @classmethod
    def _permission_list(cls, value: Any) -> Any:
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        return [{"value": item} if isinstance(item, str) else item for item in items]

    @property
    def role_name(self) -> str:
        return self.display_name or self.name or self.id

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset(e.value for e in (*self.entitlement, *self.entitlements))


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
        if LIST_RESPONSE.lower() not in (urn.lower() for urn in value):
            raise ValueError(f"must contain {LIST_RESPONSE}")
        return value


class ScimPagingError(ApiBodyError):
    """Talend's list pages do not add up, so the list cannot be trusted. `transient`: it changed while it was
    read (users being provisioned), so reading it again may succeed."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message, "Talend")
        self.transient = transient


class _PageCheck:
    """Checks, page by page, that a paged list adds up: asked startIndex, one totalResults, each id once."""

    def __init__(self, path: str, total: int, redact: Redactor) -> None:
        self.kind = path.strip("/").lower().removesuffix("s")  # user, group
        self.total = total
        self.redact = redact
        self.ids: set[str] = set()

    def check(self, asked: int, page: ListResponse[ResourceT]) -> list[ResourceT]:
        if page.start_index is not None and page.start_index != asked:
            self._fail(f"asked for startIndex {asked}, Talend answered startIndex {page.start_index}")
        if page.total_results != self.total:
            self._fail(
                f"totalResults changed from {self.total} to {page.total_results} while the list was read",
                transient=True,
            )
        for resource in page.resources:
            resource_id = getattr(resource, "id", "")
            if resource_id in self.ids:
                self._fail(f"the same {self.kind} twice ({resource_id}) at startIndex {asked}: pages overlap or repeat")
            self.ids.add(resource_id)
        return page.resources

    def finish(self) -> None:
        if len(self.ids) != self.total:
            self._fail(f"totalResults is {self.total} but the list ended after {len(self.ids)} {self.kind}s")

    def _fail(self, problem: str, *, transient: bool = False) -> None:
        message = self.redact(f"Talend's {self.kind} list cannot be trusted: {problem}")
        raise ScimPagingError(message, transient=transient)


class TalendScimClient(ApiClient):
    """Talend's SCIM API with `Authorization: Bearer <token>` (a personal access token); read-only."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        concurrency: int = 4,
        **options: Unpack[ClientOptions],
    ) -> None:
        self.base_url = check_base_url(base_url, "Talend SCIM URL")
        self.concurrency = max(1, concurrency)  # pages read at once once totalResults is known
        accept = {"Accept": "application/scim+json, application/json"}
        self._api = JsonApi("Talend", self.base_url, ("Bearer", token), accept, **options)

    def check_credentials(self) -> int:
        """Send what Okta's "Test API Credentials" sends; returns totalResults.

        Raises `ApiAuthError` on 401/403 and `ApiBodyError` unless the answer is a SCIM ListResponse.
        """
        page = self._page("/Users", ScimUser, start=1, count=2)
        return page.total_results

    def iter_users(self, count: int = MAX_PAGE, *, attributes: str = "userName,active") -> Iterator[ScimUser]:
        """Every SCIM user (only id and the `attributes` asked for: userName and active by default)."""
        return self._iter("/Users", ScimUser, count, attributes)

    def find_users(self, user_name: str, count: int = 10) -> list[ScimUser]:
        """Users with this userName (SCIM `userName eq`, case-insensitive: RFC 7643 caseExact=false), never the
        whole list: one page of at most `count`."""
        escaped = user_name.replace("\\", "\\\\").replace('"', '\\"')
        params: dict[str, str | int] = {"filter": f'userName eq "{escaped}"', "startIndex": 1, "count": count}
        data, response = self._api.get_json("/Users", params)
        return self._api.parse(ListResponse[ScimUser], data, response).resources

    def iter_groups(self, count: int = MAX_PAGE) -> Iterator[ScimGroup]:
        return self._iter("/Groups", ScimGroup, count, "displayName,members")

    def iter_roles(self, count: int = MAX_PAGE) -> Iterator[ScimRole]:
        """The tenant's Talend roles."""
        return self._iter("/Roles", ScimRole, count, "")  # no `attributes`: which name field Talend fills varies

    def _iter(self, path: str, model: type[ResourceT], count: int, attributes: str) -> Iterator[ResourceT]:
        first = self._page(path, model, start=1, count=count, attributes=attributes)
        pages = _PageCheck(path, first.total_results, self._api.redact)
        yield from pages.check(1, first)
        size = len(first.resources)  # the server's page size: it may give fewer than asked
        if size and first.total_results > size:
            starts = iter(range(1 + size, first.total_results + 1, size))
            pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="scim-page")
            try:
                window: deque[Future[list[tuple[int, ListResponse[ResourceT]]]]] = deque()
                while True:
                    while len(window) < self.concurrency and (start := next(starts, None)) is not None:
                        want = min(size, first.total_results - start + 1)
                        window.append(pool.submit(self._slot, path, model, start, (size, want), attributes))
                    if not window:
                        break
                    for asked, page in window.popleft().result():  # in order: the oldest page first
                        yield from pages.check(asked, page)
            finally:
                pool.shutdown(wait=False, cancel_futures=True)
        pages.finish()

    def _slot(
        self, path: str, model: type[ResourceT], start: int, sizes: tuple[int, int], attributes: str
    ) -> list[tuple[int, ListResponse[ResourceT]]]:
        """The `want` resources from `start`: one page of `size`, more when the server gives fewer than that."""
        size, want = sizes
        pages: list[tuple[int, ListResponse[ResourceT]]] = []
        got = 0
        while got < want:
            count = size if got == 0 else want - got
            page = self._page(path, model, start=start + got, count=count, attributes=attributes)
            pages.append((start + got, page))
            if not page.resources:
                break  # nothing where totalResults says there is more: `finish` reports the short read
            got += len(page.resources)
        return pages

    def _page(
        self, path: str, model: type[ResourceT], *, start: int, count: int, attributes: str | None = None
    ) -> ListResponse[ResourceT]:
        params: dict[str, str | int] = {"startIndex": start, "count": count}
        if attributes:
            params["attributes"] = attributes
        data, response = self._api.get_json(path, params)
        return self._api.parse(ListResponse[model], data, response)  # type: ignore[valid-type]
