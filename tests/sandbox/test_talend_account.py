"""The Talend stand-in's account API over HTTP: seats computed from its users and their roles, a token's owner,
and a deactivated owner's token refused; read by the product's own client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from scim2_models import Email, User
from scim2_server.utils import load_default_provider

from talend_okta import capacity
from talend_okta.http import ApiAuthError
from talend_okta.talend_api import TalendApiClient
from talend_okta_sandbox import talend_account
from talend_okta_sandbox.talend import RunningTalend, run_talend

OWNER_TOKEN = "talend-owner-canary-1a2b3c4d5e6f"
USER_TYPE = next(rt for rt in load_default_provider().resource_types if rt.name == "User")


@pytest.fixture
def talend() -> Iterator[RunningTalend]:
    with run_talend(OWNER_TOKEN) as running:
        running.account.seats.clear()
        running.account.seats.update({"Studio": 3, "Management Console": 2})
        yield running


def add_user(talend: RunningTalend, user_name: str, *, active: bool = True) -> None:
    user = User(user_name=user_name, active=active, emails=[Email(value=f"{user_name}@acme.com", primary=True)])
    talend.storage.create(USER_TYPE, user)


def api(talend: RunningTalend) -> TalendApiClient:
    return TalendApiClient(talend.api_url, OWNER_TOKEN)


def seats(talend: RunningTalend) -> dict[str, tuple[int, int]]:
    with api(talend) as client:
        return {s.application: (s.current_users, s.max_users) for s in client.subscription().seats}


def test_seats_count_each_active_user_once_per_application(talend: RunningTalend) -> None:
    for name in ("ann", "bob", "cid", "dan"):
        add_user(talend, name, active=name != "dan")
    talend.account.set_roles("ann", ["Integration Developer", "Pipelines Designer"])  # one Studio seat
    talend.account.set_roles("bob", ["Integration Developer", "Operator"])
    talend.account.set_roles("cid", ["Security Administrator"])  # no seat
    talend.account.set_roles("dan", ["Integration Developer"])  # deactivated: no seat
    assert seats(talend) == {"Studio": (2, 3), "Management Console": (1, 2)}


def test_sign_in_applies_the_mappings_and_refuses_roles_without_a_free_seat(talend: RunningTalend) -> None:
    assert talend.accounts is not None
    talend.roles.set_mapping("Devs", ["Integration Developer"])
    talend.roles.set_mapping("Ops", ["Operator"])
    for name in ("ann", "bob", "cid", "eve"):
        add_user(talend, name)
        assert talend.accounts.sign_in(name, ["Devs"]) == ([] if name != "eve" else ["Studio"])
    assert talend.account.roles_of("eve") == []  # Studio is full: no role given
    assert talend.accounts.sign_in("ann", ["Ops"]) == []  # ann's Studio seat is freed, a console seat taken
    assert seats(talend) == {"Studio": (2, 3), "Management Console": (1, 2)}


def test_me_names_the_tokens_owner_with_roles_and_permissions(talend: RunningTalend) -> None:
    add_user(talend, "svc-talend")
    talend.account.owners[OWNER_TOKEN] = "svc-talend"
    talend.account.set_roles("svc-talend", ["Security Administrator"])
    with api(talend) as client:
        owner = client.token_owner()
    assert (owner.type, owner.email, owner.active) == ("USER", "svc-talend@acme.com", True)
    assert "TMC_USER_MANAGEMENT" in owner.all_permissions


def test_a_deactivated_owners_token_stops_working_for_scim_too(talend: RunningTalend) -> None:
    add_user(talend, "svc-talend", active=False)
    talend.account.owners[OWNER_TOKEN] = "svc-talend"
    with api(talend) as client, pytest.raises(ApiAuthError) as refused:
        client.token_owner()
    assert refused.value.status == 401
    headers = {"Authorization": f"Bearer {OWNER_TOKEN}"}
    assert httpx.get(f"{talend.scim_url}/Users", headers=headers, timeout=5).status_code == 401


def test_account_routes_want_a_valid_token(talend: RunningTalend) -> None:
    for path in ("/account/subscription", "/account/me"):
        answer = httpx.get(talend.api_url + path, headers={"Authorization": "Bearer nope"}, timeout=5)
        assert answer.status_code == 401


def test_a_token_no_owner_is_named_for_belongs_to_a_local_security_administrator(talend: RunningTalend) -> None:
    with api(talend) as client:
        owner = client.token_owner()
    assert (owner.login, owner.email, owner.active) == ("admin", None, True)
    assert {"TMC_USER_MANAGEMENT", "TMC_SSO_MANAGEMENT"} <= owner.all_permissions


def test_the_default_license_is_large() -> None:
    with run_talend(OWNER_TOKEN) as running, TalendApiClient(running.api_url, OWNER_TOKEN) as client:
        assert {s.application: s.max_users for s in client.subscription().seats} == {
            "Data Preparation": 1000,
            "Data Stewardship": 1000,
            "Management Console": 1000,
            "Studio": 1000,
        }


def test_the_stand_in_reads_talends_seat_rules_as_the_product_does() -> None:
    """Both tables come from Talend's guides, kept apart on purpose (the stand-in plays Talend); they must agree, or
    preflight's seat plan and the stand-in's seat count drift apart unnoticed."""
    assert talend_account.ROLE_APPLICATIONS == capacity.ROLE_APPLICATIONS
    assert talend_account.CONSOLE_SEAT_PERMISSIONS == capacity.CONSOLE_SEAT_PERMISSIONS
    assert set(talend_account.APPLICATIONS) == set(capacity.APPLICATION_NAMES.values())
