"""The Talend stand-in's role API over HTTP: role mappings (GET, POST replacing all) and /scim/v2/Roles."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from talend_okta_sandbox.talend import RunningTalend, run_talend
from talend_okta_sandbox.talend_roles import TALEND_ROLES
from tests.conftest import sandbox_client

ADMIN = "talend-sso-admin-token-77"
USERS_ONLY = "talend-users-only-token-88"


@pytest.fixture
def talend() -> Iterator[RunningTalend]:
    with run_talend(ADMIN, users_only_tokens=[USERS_ONLY]) as running:
        yield running


def client(talend: RunningTalend, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return sandbox_client(base_url=talend.api_url, headers=headers, timeout=5.0)


def test_post_replaces_every_mapping_and_get_returns_them(talend: RunningTalend) -> None:
    with client(talend, ADMIN) as api:
        assert api.get("/security/role-mappings").json() == []
        first = [{"name": "Developer", "roles": ["API Tester", "API Designer"]}, {"name": "Ops", "roles": ["Operator"]}]
        assert api.post("/security/role-mappings", json=first).status_code == 200
        assert api.get("/security/role-mappings").json() == first
        second = [{"name": "Administrator", "roles": ["Operator"]}]
        api.post("/security/role-mappings", json=second).raise_for_status()
        assert api.get("/security/role-mappings").json() == second  # the whole set replaced, not merged
        assert api.post("/security/role-mappings", json=[]).status_code == 200
        assert api.get("/security/role-mappings").json() == []
    assert talend.roles.writes == 3


@pytest.mark.parametrize(
    "body", [{"name": "A", "roles": []}, [{"name": "A"}], [{"name": "", "roles": []}], [{"name": "A", "roles": [1]}]]
)
def test_malformed_body_is_400_and_changes_nothing(talend: RunningTalend, body: object) -> None:
    talend.roles.set_mapping("Kept", ["Operator"])
    with client(talend, ADMIN) as api:
        assert api.post("/security/role-mappings", json=body).status_code == 400
        assert api.post("/security/role-mappings", content=b"{not json", headers={"Content-Type": "application/json"})
    assert talend.roles.snapshot() == {"Kept": ["Operator"]}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_role_mappings_need_a_token_with_sso_management(talend: RunningTalend, method: str) -> None:
    for token, status in ((None, 401), ("wrong-token-1234", 401), (USERS_ONLY, 403)):
        with client(talend, token) as api:
            response = api.request(method, "/security/role-mappings", json=[] if method == "POST" else None)
            assert response.status_code == status, token
            if status == 401:
                assert response.headers["WWW-Authenticate"] == "Bearer"
    assert talend.roles.writes == 0
    with client(talend, USERS_ONLY) as api:  # the same token still manages users over SCIM
        assert api.get("/scim/v2/Users").status_code == 200


def test_roles_list_is_a_paged_scim_list_of_talend_roles(talend: RunningTalend) -> None:
    with client(talend, USERS_ONLY) as api:
        everything = api.get("/scim/v2/Roles").json()
        page = api.get("/scim/v2/Roles", params={"startIndex": 3, "count": 2}).json()
    assert everything["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert everything["totalResults"] == len(TALEND_ROLES)
    names = [role["displayName"] for role in everything["Resources"]]
    assert names == list(TALEND_ROLES)
    assert {"Security Administrator", "Operator", "Integration Developer", "API Designer"} <= set(names)
    security = everything["Resources"][0]
    assert {"value": "TMC_SSO_MANAGEMENT"} in security["entitlement"]
    assert (page["startIndex"], page["itemsPerPage"]) == (3, 2)
    assert [role["displayName"] for role in page["Resources"]] == names[2:4]
    with client(talend, None) as api:
        assert api.get("/scim/v2/Roles").status_code == 401
