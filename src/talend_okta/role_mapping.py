"""Talend's role mappings as a Pulumi resource: a Python dynamic provider over `TalendApiClient`.

The resource is the tenant's whole mapping set, because Talend's API replaces every mapping at once: it is
authoritative, and a mapping made by hand in Talend is removed by the next `pulumi up` (preflight lists those).
- check (also in `pulumi preview`): Talend role names the tenant does not have, and a token Talend rejects, are one
  check failure each (one line), before `pulumi up` changes anything in Okta.
- create / update: refuse Talend role names the tenant does not have (one line naming them and listing the
  tenant's roles), then `POST /security/role-mappings` with the declared mappings.
- read: what Talend holds now, so `pulumi preview --refresh` shows a mapping changed by hand as drift.
- delete: `POST []`, no mappings left (the stack declares roles no more).
- diff: the mappings as Talend applies them (names, each role set without order); another API URL is another
  tenant, so it replaces the resource.

Where the token goes and which token: `configure` receives the stack's config from the engine (all of it, for a
dynamic provider). The Talend API URL is derived from `talend-okta:region` (or is the loopback sandbox under the
program's own rule, `stack_config.talend_url`), never taken from the state: whoever can write the state backend
must not be able to send the next `pulumi refresh`, and its token, anywhere else. A state that names another URL
is refused before any request. The token is the configured one (`talendApiToken`, else `scimToken`), so a rotated
token works as soon as the config says so; the one kept in the state is only a fallback.

Every operation ends within `OPERATION_SECONDS`, retries and rate-limit waits included, and says on stderr (which
`pulumi up` shows) what it waits for.

The provider object is pickled (dill) into the state as `__provider`: it holds nothing, and its class is pickled by
reference to this module. The token reaches it only as the configured secret or the secret input `apiToken`, which
the state keeps encrypted, in inputs and outputs alike.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import pulumi
import pulumi.dynamic as dynamic
from pulumi.runtime import rpc

from talend_okta import definition
from talend_okta.http import ApiAuthError, ApiError, Deadline, InputError, same_origin
from talend_okta.roles import RoleMappings, as_body, normalized, unknown_roles, unknown_roles_message
from talend_okta.settings import NAMESPACE
from talend_okta.stack_config import okta_org_url, talend_url
from talend_okta.talend_api import ROLE_MAPPINGS_PATH, SSO_PERMISSION, TalendApiClient

API_URL, API_TOKEN, MAPPINGS = "apiUrl", "apiToken", "mappings"
OPERATION_SECONDS = 60.0
"""Each create, read, update and delete ends within this (retries and waits included), like the credentials hook."""
REQUEST_TIMEOUT = 30.0  # seconds per Talend request, within the operation's deadline
REGION_KEY, API_TOKEN_KEY, SCIM_TOKEN_KEY = (f"{NAMESPACE}:{key}" for key in ("region", "talendApiToken", "scimToken"))
T = TypeVar("T")
UNKNOWN = rpc.UNKNOWN  # what a not-yet-known input looks like to a provider during a preview


class RoleMappingError(Exception):
    """Talend refused, or would be given something wrong; one line, never the token."""


class TokenRejected(RoleMappingError):
    """Talend answered 401 or 403 to the token."""


@dataclass(frozen=True)
class StackTarget:
    """What the stack's config says about Talend: where the role-mapping API is, and the configured token."""

    region: str | None
    api_url: str | None  # None: no valid region, so no URL may be used
    token: str | None
    token_key: str


def stack_target(config: Mapping[str, Any], environ: Mapping[str, str]) -> StackTarget:
    """The Talend API URL for the stack's region (or the loopback sandbox, under the program's rule) and token."""
    region = config.get(REGION_KEY)
    region = region if isinstance(region, str) and region in definition.REGIONS else None
    api_url = None
    if region is not None:
        api_url = talend_url(definition.api_base_url(region), "TALEND_API_URL", okta_org_url(config), environ)
    key, token = next(
        ((k, v) for k in (API_TOKEN_KEY, SCIM_TOKEN_KEY) if isinstance(v := config.get(k), str) and v.strip()),
        (API_TOKEN_KEY, None),
    )
    return StackTarget(region=region, api_url=api_url, token=token, token_key=key)


def mappings_of(props: Mapping[str, Any]) -> RoleMappings:
    """The `mappings` property (Talend's `[{name, roles}]` shape) as customer role → roles, normalized."""
    entries = props.get(MAPPINGS) or []
    return normalized({entry["name"]: entry.get("roles") or [] for entry in entries})


class RoleMappingProvider(dynamic.ResourceProvider):
    """CRUD for one tenant's role mappings. Stateless when pickled: `configure` fills `target` in the provider
    process, from the config the engine sends."""

    target: StackTarget | None = None

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        keys = (REGION_KEY, API_TOKEN_KEY, SCIM_TOKEN_KEY, "okta:httpProxy", "okta:orgName", "okta:baseUrl")
        self.target = stack_target({key: req.config.get(key) for key in keys}, os.environ)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        entries = news.get(MAPPINGS)
        if entries == UNKNOWN:
            return dynamic.CheckResult(news, [])
        if not isinstance(entries, list) or not all(_is_mapping(entry) for entry in entries):
            return dynamic.CheckResult(news, [dynamic.CheckFailure(MAPPINGS, 'must be a list of {"name", "roles"}')])
        if len({entry["name"] for entry in entries}) < len(entries):
            return dynamic.CheckResult(news, [dynamic.CheckFailure(MAPPINGS, "names a customer role twice")])
        return dynamic.CheckResult(news, self._tenant_failures(news))

    def _tenant_failures(self, news: dict[str, Any]) -> list[dynamic.CheckFailure]:
        """`pulumi preview` runs Check too, with the token the config gives (the SCIM token at least): role names
        the tenant does not have, and a token Talend rejects, are one line there, before `pulumi up` changes
        anything in Okta. Talend unreachable, or a URL the stack does not name, is left to create and update."""
        wanted = mappings_of(news)
        if not wanted or UNKNOWN in (news.get(API_URL), news.get(API_TOKEN)):
            return []

        def role_names(deadline: Deadline) -> list[str]:
            with self._client(news, deadline) as talend:
                return self._call(talend.role_names, news)

        try:
            tenant_roles = self._bounded("reading Talend's roles", role_names)
        except TokenRejected as err:
            return [dynamic.CheckFailure(MAPPINGS, str(err))]
        except RoleMappingError:
            return []
        unknown = unknown_roles(wanted, tenant_roles)
        return [dynamic.CheckFailure(MAPPINGS, unknown_roles_message(unknown, tenant_roles))] if unknown else []

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        replaces = [API_URL] if _changed(olds.get(API_URL), news.get(API_URL)) else []
        mappings = news.get(MAPPINGS) == UNKNOWN or mappings_of(olds) != mappings_of(news)
        # A rotated token changes nothing in Talend, but the state should hold the new one too.
        token = _changed(olds.get(API_TOKEN), news.get(API_TOKEN))
        return dynamic.DiffResult(changes=bool(replaces or mappings or token), replaces=replaces)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        outs = self._bounded("writing Talend's role mappings", lambda deadline: self._write(props, deadline))
        return dynamic.CreateResult(f"{props[API_URL]}{ROLE_MAPPINGS_PATH}", outs)

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        def read(deadline: Deadline) -> RoleMappings:
            with self._client(props, deadline) as talend:
                return self._call(talend.role_mappings, props)

        held = self._bounded("reading Talend's role mappings", read)
        return dynamic.ReadResult(id_, {**props, MAPPINGS: as_body(held)})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        outs = self._bounded("writing Talend's role mappings", lambda deadline: self._write(news, deadline))
        return dynamic.UpdateResult(outs)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        def delete(deadline: Deadline) -> None:
            with self._client(props, deadline, deleting=True) as talend:
                self._call(lambda: talend.replace_role_mappings({}), props)

        self._bounded("removing Talend's role mappings", delete)

    def _write(self, props: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        """Refuse unknown role names, then replace the tenant's mappings; returns the resource's outputs."""
        wanted = mappings_of(props)
        with self._client(props, deadline) as talend:
            if wanted:
                tenant_roles = self._call(talend.role_names, props)
                if unknown := unknown_roles(wanted, tenant_roles):
                    raise RoleMappingError(unknown_roles_message(unknown, tenant_roles))
            self._call(lambda: talend.replace_role_mappings(wanted), props)
        return {API_URL: props[API_URL], API_TOKEN: props[API_TOKEN], MAPPINGS: as_body(wanted)}

    def _client(self, props: Mapping[str, Any], deadline: Deadline, *, deleting: bool = False) -> TalendApiClient:
        """A client for the stack's Talend API URL, with the configured token; refuses any other URL."""
        held = str(props.get(API_URL) or "").rstrip("/")
        target = self.target or StackTarget(None, None, None, API_TOKEN_KEY)
        if target.api_url is None:
            raise RoleMappingError(
                f"role mappings: the stack config has no valid {REGION_KEY} ({', '.join(definition.REGIONS)}), "
                "so there is no Talend host to send the token to; nothing was sent"
            )
        same_tenant = same_origin(held, target.api_url) if held else False
        # Replacing the resource after a region change deletes the old tenant's mappings: Talend's own host,
        # with the token that tenant was given.
        other_region = deleting and any(held == definition.api_base_url(r) for r in definition.REGIONS)
        if not same_tenant and not other_region:
            raise RoleMappingError(
                f"role mappings: the state names the Talend API {held or '(none)'!r}, but {REGION_KEY} "
                f"{target.region} means {target.api_url}; refusing to send the token there, nothing was sent "
                "(restore the state from a backup, or `pulumi up` to write the stack's URL)"
            )
        token = target.token if same_tenant and target.token else str(props.get(API_TOKEN) or "")
        try:
            return TalendApiClient(
                target.api_url if same_tenant else held,
                token,
                timeout=REQUEST_TIMEOUT,
                deadline=deadline,
                notify=_tell,
            )
        except InputError as err:
            raise RoleMappingError(f"role mappings: {err}") from None

    def _bounded(self, what: str, operation: Callable[[Deadline], T]) -> T:
        """Run `operation` within `OPERATION_SECONDS`: its requests and waits stop at the deadline, and a request
        still hanging then is abandoned (its thread is a daemon; the process ends with the deployment)."""
        deadline = Deadline(OPERATION_SECONDS)
        answer: list[T] = []
        failure: list[Exception] = []

        def run() -> None:
            try:
                answer.append(operation(deadline))
            except Exception as err:  # handed to the caller's thread
                failure.append(err)

        worker = threading.Thread(target=run, name="talend-role-mappings", daemon=True)
        worker.start()
        worker.join(OPERATION_SECONDS + 1)
        if failure:
            raise failure[0]
        if not answer:
            raise RoleMappingError(
                f"role mappings: gave up {what} after {OPERATION_SECONDS:g} s: Talend did not answer in time"
            )
        return answer[0]

    def _call(self, call: Callable[[], T], props: Mapping[str, Any]) -> T:
        """Run one Talend call; an API failure becomes one `RoleMappingError` line (the client redacts the token)."""
        try:
            return call()
        except ApiAuthError as err:
            if err.status == 403:
                need = f"; the token's owner needs {SSO_PERMISSION} ({self._token_name(props)})"
            elif self._configured_token(props):
                key = self.target.token_key if self.target else API_TOKEN_KEY
                need = (
                    f"; Talend rejected {self._token_name(props)}: set a valid one with `pulumi config set --secret "
                    f"{key}` (a Talend personal access token whose owner has {SSO_PERMISSION})"
                )
            else:
                need = (
                    f"; the token used was {self._token_name(props)} (a refresh without --run-program uses the "
                    "config of the last `pulumi up`). After rotating it, run `pulumi up` once (without --refresh) "
                    "or `pulumi refresh --run-program`"
                )
            raise TokenRejected(f"role mappings: {err}{need}") from None
        except ApiError as err:
            raise RoleMappingError(f"role mappings: {err}") from None

    def _configured_token(self, props: Mapping[str, Any]) -> bool:
        """Whether the call used the token of the stack's config (not the one kept in the state)."""
        target = self.target
        return bool(
            target and target.token and target.api_url and same_origin(str(props.get(API_URL) or ""), target.api_url)
        )

    def _token_name(self, props: Mapping[str, Any]) -> str:
        if self.target and self._configured_token(props):
            return f"{self.target.token_key} as the engine configured the provider"
        return f"the token kept in the state (the {API_TOKEN_KEY} of the `pulumi up` that wrote it)"


def _tell(message: str) -> None:
    """What an operation waits for, on stderr: the engine shows a dynamic provider's stderr in `pulumi up`."""
    print(f"role mappings: {message}", file=sys.stderr, flush=True)


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
