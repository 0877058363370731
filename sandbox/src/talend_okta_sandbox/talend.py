"""A Talend Cloud SCIM stand-in: scim2-server under `/scim/v2`, guarded by a bearer token.

Like Talend, it answers 401 to a missing or wrong token and serves Users and Groups with filters and paging.
PATCH answers 200 with the resource, which is what Okta's SCIM client expects. Talend's role API (role mappings and
`/scim/v2/Roles`) is served on the same host by `talend_roles`, its account API (seats, a token's owner) by
`talend_account`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from scim2_models import Context
from scim2_server.applications.wsgi import TenantDispatcher
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.utils import load_default_provider

from talend_okta_sandbox import contract
from talend_okta_sandbox.contract_watch import checked
from talend_okta_sandbox.serving import LOOPBACK, serve_wsgi
from talend_okta_sandbox.talend_account import TalendAccount, TalendAccountRoutes
from talend_okta_sandbox.talend_roles import TalendRoleRoutes, TalendRoles

TENANT = "scim"


class _PatchReturnsResource(ScimService):
    def patch_response(self, base_url: Any, resource: Any, response_parameters: Any) -> Any:
        return self.resource_response(
            self.publish(base_url, resource), Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters
        )


def _conflict_as_bad_request(app: Any) -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    """Talend's SCIM definition declares no 409 for creating or replacing a user or group (talend-scim-v2-2021-03:
    `create`, `replace` answer 201/200, 400, 401, 403, 404, 429, 500; its 400 is "Invalid request body … the
    message varies depending on the cause"): a uniqueness conflict, which scim2-server answers 409 (RFC 7644
    §3.3), is answered 400 with the same SCIM error body. Sources disagree: Okta's SCIM guide says a server must
    answer 409 when the user exists (reference scim.md §5) and Okta's SCIM SPEC suite expects it; the stand-in plays
    Talend's own definition, the one documented Talend difference of tests/sandbox/test_okta_scim_suites.py."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def relabel(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if status.startswith("409"):
                status = "400 Bad Request"
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        chunks = list(app(environ, relabel))
        body = b"".join(chunks)
        if b'"status": "409"' in body or b'"status":"409"' in body:
            body = body.replace(b'"409"', b'"400"', 1)
        return [body]

    return serve


@functools.cache
def _provider() -> Any:
    """Schemas and resource types are read-only once loaded, and loading them takes ~0.2 s: load them once."""
    provider = load_default_provider()
    assert provider.config is not None  # the default provider always has a ServiceProviderConfig
    provider.config.authentication_schemes = [BEARER_TOKEN_SCHEME]  # so 401s carry WWW-Authenticate
    return provider


def build_talend_app(
    token: str,
    storage: InMemoryStorage | None = None,
    *,
    roles: TalendRoles | None = None,
    users_only_tokens: Iterable[str] = (),
    account: TalendAccount | None = None,
) -> TalendRoleRoutes:
    """A WSGI app serving Talend's SCIM API at `/scim/v2`, its role API and account API, accepting only
    `Bearer <token>`.

    `users_only_tokens`: tokens of owners with Users - Manage but not SSO - Manage (SCIM yes, role mappings 403).
    """
    provider = _provider()
    storage = storage if storage is not None else InMemoryStorage()
    roles = roles if roles is not None else TalendRoles()
    tokens = [token, *users_only_tokens]
    app = BearerTokenApplication(storage, provider, service=_PatchReturnsResource(provider), bearer_tokens=tokens)
    talend_scim = _conflict_as_bad_request(app)
    scim = TenantDispatcher(lambda tenant: talend_scim if tenant == TENANT else None)
    accounts = TalendAccountRoutes(scim, account if account is not None else TalendAccount(), roles, storage, tokens)
    return TalendRoleRoutes(accounts, roles, [token], users_only_tokens)


@dataclass(frozen=True)
class RunningTalend:
    """A running stand-in: its SCIM base URL and its storage (to seed or inspect users directly)."""

    scim_url: str
    storage: InMemoryStorage
    api_url: str = ""  # Talend's API origin: /security/role-mappings, /scim/v2/Roles
    roles: TalendRoles = field(default_factory=TalendRoles)  # to seed or change role mappings directly
    account: TalendAccount = field(default_factory=TalendAccount)  # seats, people's roles, token owners
    accounts: TalendAccountRoutes | None = None  # to sign people in (roles from the mappings), count seats


@contextmanager
def run_talend(
    token: str,
    host: str = LOOPBACK,
    port: int = 0,
    *,
    users_only_tokens: Iterable[str] = (),
    middleware: Callable[[Any], Any] | None = None,
) -> Iterator[RunningTalend]:
    """Serve the stand-in on loopback until the block ends. `middleware` wraps the WSGI app before it is served (tests
    inject faults with it, setting `contract_watch.FAULT_KEY` in the environ so their answers are not checked)."""
    storage, roles, account = InMemoryStorage(), TalendRoles(), TalendAccount()
    app = build_talend_app(token, storage, roles=roles, users_only_tokens=users_only_tokens, account=account)
    assert isinstance(app.scim_app, TalendAccountRoutes)
    # Every exchange against Talend's definitions (contract_watch); a test's middleware marks the faults it answers.
    served = checked(middleware(app) if middleware else app, contract.talend)
    with serve_wsgi(served, host, port) as base_url:
        yield RunningTalend(
            scim_url=f"{base_url}/{TENANT}/v2",
            storage=storage,
            api_url=base_url,
            roles=roles,
            account=account,
            accounts=app.scim_app,
        )
