"""Fixtures for the Okta sandbox tests: a served sandbox, an Okta API client, and a real Talend SCIM stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.talend import RunningTalend, run_talend
from tests.conftest import sandbox_client

API_TOKEN = "okta-sandbox-canary-7f3a"
SCIM_TOKEN = "talend-scim-canary-91c2"


@pytest.fixture
def sandbox() -> OktaSandbox:
    return OktaSandbox(API_TOKEN, scim_timeout=5.0)


@pytest.fixture
def okta(sandbox: OktaSandbox) -> Iterator[httpx.Client]:
    """An httpx client for the served sandbox, authenticated with `SSWS <token>`."""
    with (
        sandbox.serve() as base_url,
        sandbox_client(base_url=base_url, headers={"Authorization": f"SSWS {API_TOKEN}"}) as client,
    ):
        yield client


@pytest.fixture
def talend() -> Iterator[RunningTalend]:
    with run_talend(SCIM_TOKEN) as running:
        yield running


@pytest.fixture
def scim(talend: RunningTalend) -> Iterator[httpx.Client]:
    """A client for the Talend stand-in, to read what provisioning left there."""
    with sandbox_client(
        base_url=talend.scim_url, headers={"Authorization": f"Bearer {SCIM_TOKEN}"}, timeout=5.0
    ) as client:
        yield client


def scim_users(scim: httpx.Client) -> dict[str, dict[str, Any]]:
    """Talend's SCIM users by userName."""
    response = scim.get("/Users", params={"count": 1000})
    response.raise_for_status()
    return {user["userName"]: user for user in response.json().get("Resources", [])}


def scim_groups(scim: httpx.Client) -> dict[str, dict[str, Any]]:
    """Talend's SCIM groups by displayName."""
    response = scim.get("/Groups", params={"count": 1000})
    response.raise_for_status()
    return {group["displayName"]: group for group in response.json().get("Resources", [])}
