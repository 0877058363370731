"""Okta's side of SCIM provisioning for a custom (AIW) app, as the sandbox plays it (reference scim.md §5).

- Create: `GET /Users?filter=userName eq "…"&startIndex=1&count=100`; a match is linked, otherwise `POST /Users`.
- Update and deactivate: `GET /Users/{id}`, then `PUT /Users/{id}` with the whole user (`active: false` to
  deactivate). AIW apps never PATCH and never DELETE users.
- Group push: `POST /Groups` with no members, then `PUT /Groups/{id}` with the full member list.

One attempt per call and no retry: like Okta, a failed call leaves the app user in syncState ERROR until
someone retries it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

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
        )

    def __enter__(self) -> ScimClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def _call(self, method: str, path: str, expected: tuple[int, ...], **kwargs: Any) -> httpx.Response:
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
