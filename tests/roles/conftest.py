"""The Talend stand-in (SCIM + role API) on loopback, for the role-mapping client, provider and checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from talend_okta_sandbox.talend import RunningTalend, run_talend

# Canary tokens: tests assert they never show up in any message.
ADMIN_TOKEN = "talend-sso-admin-canary-8d2f4b6a"  # its owner has SSO - Manage
USERS_ONLY_TOKEN = "talend-users-only-canary-1e9c7a3f"  # Users - Manage only: role mappings answer 403


@pytest.fixture
def talend() -> Iterator[RunningTalend]:
    with run_talend(ADMIN_TOKEN, users_only_tokens=[USERS_ONLY_TOKEN]) as running:
        yield running
