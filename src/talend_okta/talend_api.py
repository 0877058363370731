"""A small client for Talend Cloud's role-mapping API (`https://api.<region>.cloud.talend.com`).

`GET /security/role-mappings` returns every mapping of the tenant, `[{"name": <customer role>, "roles": [<Talend
role name>, ...]}]`; `POST /security/role-mappings` replaces them all (idempotent, so it is retried like a GET).
Both need a token whose owner has SSO - Manage (`TMC_SSO_MANAGEMENT`). The tenant's role names come from
`GET /scim/v2/Roles` on the same host.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from talend_okta.http import ApiClient, Deadline, JsonApi, Notify, RetryPolicy, Sleep, check_base_url
from talend_okta.redact import Redactor
from talend_okta.roles import RoleMappings, as_body, normalized
from talend_okta.scim_api import TalendScimClient

ROLE_MAPPINGS_PATH = "/security/role-mappings"
SSO_PERMISSION = "SSO - Manage (TMC_SSO_MANAGEMENT)"


class RoleMapping(BaseModel):
    """One entry of Talend's role mappings."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    roles: list[str] = Field(default_factory=list)


_MAPPINGS = TypeAdapter(list[RoleMapping])


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
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        transport: httpx.BaseTransport | None = None,
        redactor: Redactor | None = None,
        deadline: Deadline | None = None,
        notify: Notify | None = None,
    ) -> None:
        self.base_url = check_base_url(api_url, setting)
        self._api = JsonApi(
            "Talend",
            self.base_url,
            ("Bearer", token),
            redactor=redactor,
            timeout=timeout,
            retry=retry,
            sleep=sleep,
            transport=transport,
            deadline=deadline,
            notify=notify,
        )
        self._scim = TalendScimClient(
            f"{self.base_url}/scim/v2",
            token,
            timeout=timeout,
            retry=retry,
            sleep=sleep,
            transport=transport,
            deadline=deadline,
            notify=notify,
            redactor=self._api.redact,  # one redactor: both clients' messages mask the token
        )

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
        return sorted({role.role_name for role in self._scim.iter_roles()})
