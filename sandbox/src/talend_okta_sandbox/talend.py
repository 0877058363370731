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

from talend_okta_sandbox.serving import LOOPBACK, serve_wsgi
from talend_okta_sandbox.talend_account import TalendAccount, TalendAccountRoutes
from talend_okta_sandbox.talend_roles import TalendRoleRoutes, TalendRoles

TENANT = "scim"


class _PatchReturnsResource(ScimService):
    def patch_response(self, base_url: Any, resource: Any, response_parameters: Any) -> Any:
        return self.resource_response(
            self.publish(base_url, resource), Context.RESOURCE_REPLACEMENT_RESPONSE, response_parameters
        )


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
    scim = TenantDispatcher(lambda tenant: app if tenant == TENANT else None)
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
    inject faults with it)."""
    storage, roles, account = InMemoryStorage(), TalendRoles(), TalendAccount()
    app = build_talend_app(token, storage, roles=roles, users_only_tokens=users_only_tokens, account=account)
    assert isinstance(app.scim_app, TalendAccountRoutes)
    with serve_wsgi(middleware(app) if middleware else app, host, port) as base_url:
        yield RunningTalend(
            scim_url=f"{base_url}/{TENANT}/v2",
            storage=storage,
            api_url=base_url,
            roles=roles,
            account=account,
            accounts=app.scim_app,
        )
