"""The Talend stand-in (SCIM + role API) on loopback, for the role-mapping client, provider and checks."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import dill
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from talend_okta.role_mapping import RoleMappingProvider
from talend_okta_sandbox.talend import RunningTalend, run_talend

# Canary tokens: tests assert they never show up in any message.
ADMIN_TOKEN = "talend-sso-admin-canary-8d2f4b6a"  # its owner has SSO - Manage
USERS_ONLY_TOKEN = "talend-users-only-canary-1e9c7a3f"  # Users - Manage only: role mappings answer 403


@pytest.fixture
def talend() -> Iterator[RunningTalend]:
    with run_talend(ADMIN_TOKEN, users_only_tokens=[USERS_ONLY_TOKEN]) as running:
        yield running


@pytest.fixture
def provider(talend: RunningTalend, monkeypatch: pytest.MonkeyPatch) -> RoleMappingProvider:
    """The provider as the engine's provider process gets it: pickled as the SDK does, then unpickled, then
    configured with the stack config of a stack on the sandbox (Okta on loopback, TALEND_API_URL its Talend)."""
    monkeypatch.setenv("TALEND_API_URL", talend.api_url)
    return configured(dill.loads(base64.b64decode(serialize_provider(RoleMappingProvider()))))


def configured(provider: RoleMappingProvider, **config: str) -> RoleMappingProvider:
    """`provider` after the engine's Configure with a sandbox stack's config (plus `config`, full keys)."""
    sandbox = {"talend-okta:region": "us", "okta:httpProxy": "http://127.0.0.1:1", **config}
    provider.configure(ConfigureRequest(Config(sandbox, "talend-okta")))
    return provider
