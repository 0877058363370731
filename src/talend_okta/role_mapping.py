"""Talend's role mappings as a Pulumi resource: a Python dynamic provider over `TalendApiClient`.

The resource is the tenant's whole mapping set, because Talend's API replaces every mapping at once: it is
authoritative, and a mapping made by hand in Talend is removed by the next `pulumi up` (preflight lists those).
- create / update: refuse Talend role names the tenant does not have (one line naming them and listing the
  tenant's roles), then `POST /security/role-mappings` with the declared mappings.
- read: what Talend holds now, so `pulumi preview --refresh` shows a mapping changed by hand as drift.
- delete: `POST []`, no mappings left (the stack declares roles no more).
- diff: the mappings as Talend applies them (names, each role set without order); another API URL is another
  tenant, so it replaces the resource.

The provider object is pickled (dill) into the state as `__provider`: it holds nothing, and its class is pickled by
reference to this module. The token reaches it only as the secret input `apiToken`, which the state keeps
encrypted, in inputs and outputs alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import pulumi
import pulumi.dynamic as dynamic
from pulumi.runtime import rpc

from talend_okta.http import ApiAuthError, ApiError, InputError
from talend_okta.roles import RoleMappings, as_body, normalized, unknown_roles, unknown_roles_message
from talend_okta.talend_api import ROLE_MAPPINGS_PATH, SSO_PERMISSION, TalendApiClient

API_URL, API_TOKEN, MAPPINGS = "apiUrl", "apiToken", "mappings"
RESOURCE_TIMEOUT = 30.0  # seconds per Talend request during a deployment
T = TypeVar("T")
UNKNOWN = rpc.UNKNOWN  # what a not-yet-known input looks like to a provider during a preview


class RoleMappingError(Exception):
    """Talend refused, or would be given something wrong; one line, never the token."""


def mappings_of(props: Mapping[str, Any]) -> RoleMappings:
    """The `mappings` property (Talend's `[{name, roles}]` shape) as customer role → roles, normalized."""
    entries = props.get(MAPPINGS) or []
    return normalized({entry["name"]: entry.get("roles") or [] for entry in entries})


class RoleMappingProvider(dynamic.ResourceProvider):
    """CRUD for one tenant's role mappings. Stateless on purpose: this object is pickled into the state."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        entries = news.get(MAPPINGS)
        if entries == UNKNOWN:
            return dynamic.CheckResult(news, [])
        if not isinstance(entries, list) or not all(_is_mapping(entry) for entry in entries):
            return dynamic.CheckResult(news, [dynamic.CheckFailure(MAPPINGS, 'must be a list of {"name", "roles"}')])
        if len({entry["name"] for entry in entries}) < len(entries):
            return dynamic.CheckResult(news, [dynamic.CheckFailure(MAPPINGS, "names a customer role twice")])
        return dynamic.CheckResult(news, [])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        replaces = [API_URL] if _changed(olds.get(API_URL), news.get(API_URL)) else []
        mappings = news.get(MAPPINGS) == UNKNOWN or mappings_of(olds) != mappings_of(news)
        # A rotated token changes nothing in Talend, but the state must hold the new one for later reads.
        token = _changed(olds.get(API_TOKEN), news.get(API_TOKEN))
        return dynamic.DiffResult(changes=bool(replaces or mappings or token), replaces=replaces)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        outs = self._write(props)
        return dynamic.CreateResult(f"{props[API_URL]}{ROLE_MAPPINGS_PATH}", outs)

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        with _client(props) as talend:
            held = _call(talend.role_mappings)
        return dynamic.ReadResult(id_, {**props, MAPPINGS: as_body(held)})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        return dynamic.UpdateResult(self._write(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        with _client(props) as talend:
            _call(lambda: talend.replace_role_mappings({}))

    def _write(self, props: dict[str, Any]) -> dict[str, Any]:
        """Refuse unknown role names, then replace the tenant's mappings; returns the resource's outputs."""
        wanted = mappings_of(props)
        with _client(props) as talend:
            if wanted:
                tenant_roles = _call(talend.role_names)
                if unknown := unknown_roles(wanted, tenant_roles):
                    raise RoleMappingError(unknown_roles_message(unknown, tenant_roles))
            _call(lambda: talend.replace_role_mappings(wanted))
        return {API_URL: props[API_URL], API_TOKEN: props[API_TOKEN], MAPPINGS: as_body(wanted)}


def _changed(old: Any, new: Any) -> bool:
    return bool(new == UNKNOWN or old != new)


def _is_mapping(entry: Any) -> bool:
    return (
        isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and bool(entry["name"])
        and isinstance(entry.get("roles"), list)
        and all(isinstance(role, str) for role in entry["roles"])
    )


def _client(props: Mapping[str, Any]) -> TalendApiClient:
    try:
        return TalendApiClient(str(props[API_URL]), str(props[API_TOKEN]), timeout=RESOURCE_TIMEOUT)
    except InputError as err:
        raise RoleMappingError(f"role mappings: {err}") from None


def _call(call: Callable[[], T]) -> T:
    """Run one Talend call; an API failure becomes one `RoleMappingError` line (the client redacts the token)."""
    try:
        return call()
    except ApiAuthError as err:
        need = f"; the token's owner needs {SSO_PERMISSION} (talend-okta:talendApiToken)" if err.status == 403 else ""
        raise RoleMappingError(f"role mappings: {err}{need}") from None
    except ApiError as err:
        raise RoleMappingError(f"role mappings: {err}") from None


class TalendRoleMappings(dynamic.Resource, module="talend", name="RoleMappings"):
    """Every role mapping of one Talend tenant (customer role → Talend roles), owned by the stack."""

    apiUrl: pulumi.Output[str]
    mappings: pulumi.Output[list[dict[str, Any]]]

    def __init__(
        self,
        name: str,
        *,
        api_url: str,
        api_token: pulumi.Input[str],
        mappings: Mapping[str, list[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        secret = pulumi.ResourceOptions(additional_secret_outputs=[API_TOKEN])
        props = {API_URL: api_url, API_TOKEN: pulumi.Output.secret(api_token), MAPPINGS: as_body(mappings)}
        super().__init__(RoleMappingProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret))
