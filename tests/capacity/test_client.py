"""The Talend client's seats, token-owner and role-permission reads, over httpx.MockTransport."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from talend_okta.http import ApiAuthError, ApiBodyError, RetryPolicy
from talend_okta.talend_api import TalendApiClient
from tests.conftest import vendor_transport

TOKEN = "talend-capacity-canary-7c6b5a4d3e2f1a0b"
SUBSCRIPTION = {
    "startDate": "2026-01-01",
    "endDate": "2027-01-01",
    "licenseType": "ENTERPRISE",
    "applications": ["STUDIO", "TMC"],
    "supportLevel": "GOLD",
    "tokensStatus": {"total": 100, "consumed": 20},
    "enginesStatus": [{"type": "CLOUD", "consumed": 1}],
    "seats": [{"application": "Studio", "maxUsers": 300, "currentUsers": 260}],
}
ME = {
    "type": "USER",
    "id": "u-1",
    "login": "svc-talend@acme.com",
    "email": "svc-talend@acme.com",
    "name": "Provisioning Owner",
    "active": True,
    "roles": [{"name": "Security Administrator", "permissions": ["TMC_USER_MANAGEMENT", "TMC_SSO_MANAGEMENT"]}],
    "createdDate": "2026-01-01",
    "lastModified": "2026-01-01",
}


def client(handler: Callable[[httpx.Request], httpx.Response]) -> TalendApiClient:
    return TalendApiClient(
        "https://api.eu.cloud.talend.com",
        TOKEN,
        transport=vendor_transport(handler),
        retry=RetryPolicy(attempts=2, backoff=0),
        sleep=lambda _: None,
    )


def answering(path: str, body: Any, status: int = 200) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        assert request.url.path == path
        return httpx.Response(status, json=body)

    return handler


def test_subscription_reads_the_seats_per_application() -> None:
    with client(answering("/account/subscription", SUBSCRIPTION)) as api:
        subscription = api.subscription()
    (seat,) = subscription.seats
    assert (seat.application, seat.current_users, seat.max_users) == ("Studio", 260, 300)


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"applications": []}, "seats"),
        ({"seats": [{"application": "Studio", "maxUsers": "300", "currentUsers": 1}]}, "maxUsers"),
        ({"seats": [{"application": "Studio", "maxUsers": 3}]}, "currentUsers"),
    ],
)
def test_a_subscription_without_numbers_is_one_line_naming_the_field(body: dict[str, Any], where: str) -> None:
    with client(answering("/account/subscription", body)) as api, pytest.raises(ApiBodyError) as caught:
        api.subscription()
    assert where in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_token_without_subscription_rights_is_refused_without_showing_the_token() -> None:
    body = {"status": 403, "detail": f"Forbidden for {TOKEN}"}
    with client(answering("/account/subscription", body, 403)) as api, pytest.raises(ApiAuthError) as caught:
        api.subscription()
    assert caught.value.status == 403
    assert TOKEN not in str(caught.value)


def test_token_owner_reads_account_me() -> None:
    with client(answering("/account/me", ME)) as api:
        owner = api.token_owner()
    assert (owner.type, owner.label, owner.active) == ("USER", "svc-talend@acme.com", True)
    assert owner.all_permissions == {"TMC_USER_MANAGEMENT", "TMC_SSO_MANAGEMENT"}


def test_role_permissions_come_from_the_scim_role_list_in_either_spelling() -> None:
    roles = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": 2,
        "startIndex": 1,
        "itemsPerPage": 2,
        "Resources": [
            {"id": "r1", "displayName": "Operator", "entitlement": [{"value": "TMC_OPERATOR"}]},
            {"id": "r2", "name": "Data Preparator", "entitlements": ["TDP_BASIC"]},
        ],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/scim/v2/Roles"
        return httpx.Response(200, content=json.dumps(roles), headers={"Content-Type": "application/scim+json"})

    with client(handler) as api:
        assert api.role_permissions() == {
            "Operator": frozenset({"TMC_OPERATOR"}),
            "Data Preparator": frozenset({"TDP_BASIC"}),
        }
