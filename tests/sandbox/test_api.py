"""The sandbox's HTTP side: auth, Okta error bodies, paging, filters, absolute-form requests, faults, rate limits."""

from __future__ import annotations

import json
import socket
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE
from talend_okta_sandbox.okta import OktaSandbox, SandboxError
from talend_okta_sandbox.okta_json import OKTA_USERNAME_PREFIX_TEMPLATE, OKTA_USERNAME_TEMPLATE
from talend_okta_sandbox.talend import RunningTalend
from tests.conftest import contract_violations, sandbox_client
from tests.sandbox.conftest import API_TOKEN, SCIM_TOKEN, scim_users

ERROR_KEYS = {"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}


def assert_okta_error(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["errorCode"] == code
    return body


def test_users_me_answers_the_token_owner(okta: httpx.Client) -> None:
    response = okta.get("/api/v1/users/me")
    assert response.status_code == 200
    assert response.json()["status"] == "ACTIVE"
    assert response.json()["profile"]["login"]


@pytest.mark.parametrize("authorization", [None, "SSWS wrong-token", f"Bearer {API_TOKEN}", "SSWS"])
def test_a_bad_token_gets_e0000011(okta: httpx.Client, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    client = sandbox_client(base_url=str(okta.base_url), headers=headers)
    body = assert_okta_error(client.get("/api/v1/users/me"), 401, "E0000011")
    assert body["errorSummary"] == "Invalid token provided"


def test_unknown_app_gets_e0000007(okta: httpx.Client) -> None:
    for path in ("/api/v1/apps/0oaNoSuchApp000000000", "/api/v1/apps/0oaNoSuchApp000000000/users"):
        assert_okta_error(okta.get(path), 404, "E0000007")


def test_bad_bodies_get_validation_errors(okta: httpx.Client, sandbox: OktaSandbox) -> None:
    assert_okta_error(okta.post("/api/v1/groups", content=b"{not json"), 400, "E0000003")
    assert_okta_error(okta.post("/api/v1/groups", content=b"[1, 2]"), 400, "E0000003")
    body = assert_okta_error(okta.post("/api/v1/apps", json={"signOnMode": "SAML_2_0"}), 400, "E0000001")
    assert "label" in str(body["errorSummary"])
    app_id = sandbox.add_saml_app("Talend Cloud")
    group_id = sandbox.add_group("Talend Users")
    bad_priority = okta.put(f"/api/v1/apps/{app_id}/groups/{group_id}", json={"priority": "high"})
    assert_okta_error(bad_priority, 400, "E0000001")
    bad_feature = okta.put(
        f"/api/v1/apps/{app_id}/features/USER_PROVISIONING", json={"create": {"lifecycleCreate": {"status": "ON"}}}
    )
    assert_okta_error(bad_feature, 400, "E0000001")
    assert_okta_error(okta.post("/api/v1/users", json={"profile": {"email": "x@example.com"}}), 400, "E0000001")
    # These refused requests break Okta's definition too (the array body and the login-less user only the sandbox's
    # own checks refuse: Okta's E0000003 for a non-object body, E0000001 for a missing login).
    assert contract_violations() == [
        "addGroup request.body: json",
        "assignGroupToApplication request.body.priority: type",
        "createApplication request.body: required",
        "updateFeatureForApplication request.body: oneOf",
    ]


def test_wrong_method_gets_e0000022(okta: httpx.Client) -> None:
    assert_okta_error(okta.patch("/api/v1/users/me"), 405, "E0000022")
    assert contract_violations() == ["PATCH /api/v1/users/{id} method: undeclared"]


def test_every_response_carries_rate_limit_and_date_headers(okta: httpx.Client) -> None:
    for response in (okta.get("/api/v1/users/me"), okta.get("/api/v1/apps/nope"), okta.post("/api/v1/groups")):
        for header in ("Date", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"):
            assert header in response.headers
        assert int(response.headers["X-Rate-Limit-Reset"]) > 0
    assert contract_violations() == ["addGroup request.body: required"]  # the bodiless POST, on purpose


def test_app_without_provisioning_reports_unknown_connection_and_refuses_features(
    okta: httpx.Client, sandbox: OktaSandbox
) -> None:
    app_id = sandbox.add_saml_app("Plain SAML", provisioning=False)
    connection = okta.get(f"/api/v1/apps/{app_id}/connections/default")
    assert connection.status_code == 200
    assert connection.json()["status"] == "UNKNOWN"
    # Okta's definition has no UNKNOWN authScheme (ProvisioningConnectionResponse): it is said in the profile only.
    assert connection.json()["profile"]["authScheme"] == "UNKNOWN"
    assert "authScheme" not in connection.json()
    assert "baseUrl" not in connection.json()
    for path in ("features", "features/USER_PROVISIONING"):
        body = assert_okta_error(okta.get(f"/api/v1/apps/{app_id}/{path}"), 400, "E0000001")
        assert body["errorSummary"] == "Provisioning is not enabled for the app instance."
    with pytest.raises(SandboxError, match="Provisioning is not enabled"):
        sandbox.set_connection(app_id, "http://127.0.0.1:9/scim/v2", "t")


def test_an_app_the_connection_api_ignores_provisions_what_an_admin_set_by_hand(
    okta: httpx.Client, sandbox: OktaSandbox, talend: RunningTalend, scim: httpx.Client
) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud", connection_api=False)
    features = ["SCIM_PROVISIONING", "PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "PUSH_USER_DEACTIVATION", "GROUP_PUSH"]
    assert okta.get(f"/api/v1/apps/{app_id}").json()["features"] == []
    sandbox.set_connection(app_id, talend.scim_url, SCIM_TOKEN)  # the admin console
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    assert okta.get(f"/api/v1/apps/{app_id}").json()["features"] == features

    connection_path = f"/api/v1/apps/{app_id}/connections/default"
    for response in (
        okta.get(connection_path),
        okta.post(connection_path, json={"baseUrl": "http://127.0.0.1:9/v2", "profile": {"authScheme": "TOKEN"}}),
    ):
        assert response.status_code == 200
        body = response.json()
        assert (body["status"], body["profile"]["authScheme"], body.get("baseUrl")) == ("UNKNOWN", "UNKNOWN", None)
    assert okta.post(f"{connection_path}/lifecycle/deactivate").status_code == 204  # accepted, ignored
    switches = {"create": {"lifecycleCreate": {"status": "DISABLED"}}}
    for refused in (
        okta.get(f"/api/v1/apps/{app_id}/features"),
        okta.get(f"/api/v1/apps/{app_id}/features/USER_PROVISIONING"),
        okta.put(f"/api/v1/apps/{app_id}/features/USER_PROVISIONING", json=switches),
    ):
        body = assert_okta_error(refused, 400, "E0000001")
        assert body["errorSummary"] == "Provisioning is not enabled for the app instance."
    assert okta.get(f"/api/v1/apps/{app_id}").json()["features"] == features  # nothing the API sent took effect

    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sync()
    assert scim_users(scim)["ann.lee"]["active"] is True
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=False)
    assert "PUSH_USER_DEACTIVATION" not in okta.get(f"/api/v1/apps/{app_id}").json()["features"]


def test_connection_and_features_reflect_what_was_set(okta: httpx.Client, sandbox: OktaSandbox) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.set_connection(app_id, "http://127.0.0.1:9/scim/v2", "secret-scim-token")
    sandbox.set_user_provisioning(app_id, create=True, update_profile=False, deactivate=True)
    connection = okta.get(f"/api/v1/apps/{app_id}/connections/default").json()
    assert (connection["status"], connection["authScheme"], connection["baseUrl"]) == (
        "ENABLED",
        "TOKEN",
        "http://127.0.0.1:9/scim/v2",
    )
    assert "secret-scim-token" not in okta.get(f"/api/v1/apps/{app_id}/connections/default").text
    feature = okta.get(f"/api/v1/apps/{app_id}/features/USER_PROVISIONING").json()
    capabilities = feature["capabilities"]
    assert feature["status"] == "ENABLED"
    assert capabilities["create"]["lifecycleCreate"]["status"] == "ENABLED"
    assert capabilities["update"]["profile"]["status"] == "DISABLED"
    assert capabilities["update"]["lifecycleDeactivate"]["status"] == "ENABLED"
    features = okta.get(f"/api/v1/apps/{app_id}/features").json()
    assert [f["name"] for f in features] == ["USER_PROVISIONING", "INBOUND_PROVISIONING"]
    # The provider's update: POST (→ DISABLED), then lifecycle/activate.
    posted = okta.post(
        f"/api/v1/apps/{app_id}/connections/default",
        json={"baseUrl": "http://127.0.0.1:9/v2", "profile": {"authScheme": "TOKEN", "token": "t2"}},
    )
    assert posted.json()["status"] == "DISABLED"
    assert okta.post(f"/api/v1/apps/{app_id}/connections/default/lifecycle/activate").status_code == 204
    assert okta.get(f"/api/v1/apps/{app_id}/connections/default").json()["status"] == "ENABLED"


def follow(okta: httpx.Client, path: str) -> tuple[list[dict[str, object]], list[httpx.Response]]:
    """Follow `Link: rel="next"` to the end; returns all items and every page's response."""
    items: list[dict[str, object]] = []
    pages: list[httpx.Response] = []
    url: str | None = path
    while url is not None:
        response = okta.get(url)
        assert response.status_code == 200, response.text
        pages.append(response)
        items.extend(response.json())
        url = response.links.get("next", {}).get("url")
    return items, pages


def test_app_users_page_with_link_next_and_an_after_cursor(okta: httpx.Client, sandbox: OktaSandbox) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    group_id = sandbox.add_group("Talend Users")
    user_ids = []
    for n in range(23):
        user_id = sandbox.add_user(f"person{n}@corp.example", f"p{n}.name@corp.example", "P", f"N{n}")
        sandbox.add_member(group_id, user_id)
        user_ids.append(user_id)
    sandbox.assign_group(app_id, group_id)
    items, pages = follow(okta, f"/api/v1/apps/{app_id}/users?limit=10")
    assert [len(page.json()) for page in pages] == [10, 10, 3]
    assert sorted(item["id"] for item in items) == sorted(user_ids)  # every user once
    assert {item["credentials"]["userName"] for item in items} == {f"p{n}.name" for n in range(23)}  # type: ignore[index]
    assert {item["scope"] for item in items} == {"GROUP"}
    for page in pages:
        links = page.headers.get_list("Link")
        assert sum('rel="self"' in link for link in links) == 1  # one header per relation
        assert all(link.count("rel=") == 1 for link in links)
    next_url = urlsplit(pages[0].links["next"]["url"])
    assert parse_qs(next_url.query)["limit"] == ["10"]
    assert parse_qs(next_url.query)["after"]
    assert "next" not in pages[-1].links
    # The limit is capped at 500 for app users; the default is 50.
    assert len(okta.get(f"/api/v1/apps/{app_id}/users").json()) == 23
    assert "limit=500>" in okta.get(f"/api/v1/apps/{app_id}/users?limit=9999").headers["Link"]
    assert contract_violations() == ["listApplicationUsers query.limit: maximum"]  # over the maximum, on purpose


def test_group_members_and_users_page_too(okta: httpx.Client, sandbox: OktaSandbox) -> None:
    group_id = sandbox.add_group("Everyone at Corp")
    for n in range(7):
        sandbox.add_member(group_id, sandbox.add_user(f"u{n}@corp.example", f"u{n}@corp.example"))
    members, pages = follow(okta, f"/api/v1/groups/{group_id}/users?limit=3")
    assert len(members) == 7
    assert len(pages) == 3
    assert set(members[0]["_links"]) == {"self"}  # type: ignore[arg-type]
    users, pages = follow(okta, "/api/v1/users?limit=4")
    assert len(users) == 7
    assert len(pages) == 2


def test_search_filter_and_q(okta: httpx.Client, sandbox: OktaSandbox) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.add_user("bob@corp.example", "bob@corp.example", "Bob", "Ray", status="STAGED")
    sandbox.add_group("Talend Users")
    sandbox.add_group("Finance")
    found = okta.get("/api/v1/users", params={"search": 'profile.email eq "ANN.LEE@corp.example"'}).json()
    assert [user["id"] for user in found] == [ann]
    staged = okta.get("/api/v1/users", params={"filter": 'status eq "STAGED"'}).json()
    assert [user["profile"]["login"] for user in staged] == ["bob@corp.example"]
    both = okta.get("/api/v1/users", params={"search": '(status eq "STAGED" or profile.firstName sw "an")'}).json()
    assert len(both) == 2
    assert [g["profile"]["name"] for g in okta.get("/api/v1/groups", params={"q": "tal"}).json()] == ["Talend Users"]
    assert okta.get("/api/v1/groups", params={"filter": 'type eq "APP_GROUP"'}).json() == []
    assert_okta_error(okta.get("/api/v1/users", params={"search": 'profile.email eq "x" and'}), 400, "E0000031")
    assert contract_violations() == ["listUsers status.400: undeclared"]  # E0000031: Okta's error codes, inferred
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.add_saml_app("Other")
    assert [a["id"] for a in okta.get("/api/v1/apps", params={"q": "Talend", "limit": 1}).json()] == [app_id]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (EMAIL_PREFIX_TEMPLATE, "ann.lee"),
        (OKTA_USERNAME_TEMPLATE, "ann@corp.example"),
        (OKTA_USERNAME_PREFIX_TEMPLATE, "ann"),
        ("${source.email}", "ann.lee@corp.example"),
    ],
)
def test_app_username_follows_the_template(sandbox: OktaSandbox, template: str, expected: str) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud", user_name_template=template)
    user_id = sandbox.add_user("ann@corp.example", "ann.lee@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, user_id)
    app_user = sandbox.app_user(app_id, user_id)
    assert app_user is not None
    assert app_user["credentials"]["userName"] == expected
    assert app_user["scope"] == "USER"
    assert (app_user["status"], app_user["syncState"]) == ("ACTIVE", "DISABLED")  # no connection yet


@pytest.mark.parametrize("with_port", [True, False], ids=["v2-client", "v4-v6-clients-drop-the-port"])
def test_absolute_form_request_line(okta: httpx.Client, sandbox: OktaSandbox, with_port: bool) -> None:
    """pulumi-okta with okta:httpProxy sends `GET http://host:port/api/v1/... HTTP/1.1` (okta.md §4); its newer
    SDK clients leave the port out (`GET http://127.0.0.1/api/v1/...`, seen with the real provider)."""
    group_id = sandbox.add_group("Talend Users")
    base = urlsplit(str(okta.base_url))
    netloc = base.netloc if with_port else str(base.hostname)
    request_line = f"GET http://{netloc}/api/v1/groups/{group_id} HTTP/1.1\r\n"
    headers = f"Host: {netloc}\r\nAuthorization: SSWS {API_TOKEN}\r\nProxy-Authorization: Basic Og==\r\n"
    with socket.create_connection((base.hostname, base.port), timeout=5) as conn:
        conn.sendall(f"{request_line}{headers}Connection: close\r\n\r\n".encode())
        raw = b""
        while chunk := conn.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.")
    assert b" 200 " in head.split(b"\r\n")[0]
    assert group_id.encode() in body
    assert b"Talend Users" in body
    assert ("GET", f"/api/v1/groups/{group_id}") in sandbox.requests


def test_injected_faults_answer_the_next_matching_requests(okta: httpx.Client, sandbox: OktaSandbox) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.inject_fault("GET", r"/apps/[^/]+/users$", 503, times=2)
    sandbox.inject_fault("*", r"/groups$", 200, body=b"<html>not json", headers={"Content-Type": "text/html"})
    assert_okta_error(okta.get(f"/api/v1/apps/{app_id}/users"), 503, "E0000009")
    assert okta.get(f"/api/v1/apps/{app_id}/users?limit=5").status_code == 503  # the path matches, not the query
    assert okta.get(f"/api/v1/apps/{app_id}/users").status_code == 200  # used up
    assert okta.get(f"/api/v1/apps/{app_id}").status_code == 200  # never matched
    garbage = okta.get("/api/v1/groups")
    assert garbage.status_code == 200
    assert garbage.text == "<html>not json"
    assert garbage.headers["Content-Type"] == "text/html"
    assert okta.get("/api/v1/groups").json() == []
    assert [entry[0] for entry in sandbox.requests].count("GET") == 6


def test_injected_429_carries_rate_limit_headers(okta: httpx.Client, sandbox: OktaSandbox) -> None:
    sandbox.inject_fault("GET", "/api/v1/users/me", 429)
    response = okta.get("/api/v1/users/me")
    assert_okta_error(response, 429, "E0000047")
    assert response.headers["X-Rate-Limit-Remaining"] == "0"
    assert int(response.headers["X-Rate-Limit-Reset"]) > 0
    assert response.headers["Date"]
    assert okta.get("/api/v1/users/me").status_code == 200


def test_group_assignment_and_push_mapping_endpoints(okta: httpx.Client, sandbox: OktaSandbox) -> None:
    app_id = sandbox.add_saml_app("Talend Cloud")
    group_id = sandbox.add_group("Talend Users")
    put = okta.put(f"/api/v1/apps/{app_id}/groups/{group_id}", json={"priority": 2})
    assert put.status_code == 200
    assert put.json()["priority"] == 2
    assert [a["id"] for a in okta.get(f"/api/v1/apps/{app_id}/groups").json()] == [group_id]
    created = okta.post(
        f"/api/v1/apps/{app_id}/group-push/mappings",
        json={"sourceGroupId": group_id, "status": "ACTIVE", "targetGroupName": "Talend Users"},
    )
    mapping_id = created.json()["id"]
    assert created.status_code == 200
    assert mapping_id.startswith("gPm")
    listed = okta.get(f"/api/v1/apps/{app_id}/group-push/mappings", params={"sourceGroupId": group_id}).json()
    assert [m["id"] for m in listed] == [mapping_id]
    active = okta.delete(f"/api/v1/apps/{app_id}/group-push/mappings/{mapping_id}?deleteTargetGroup=false")
    assert_okta_error(active, 400, "E0000001")  # Okta's definition: the mapping must be INACTIVE first
    patched = okta.patch(f"/api/v1/apps/{app_id}/group-push/mappings/{mapping_id}", json={"status": "INACTIVE"})
    assert patched.json()["status"] == "INACTIVE"
    assert (
        okta.delete(f"/api/v1/apps/{app_id}/group-push/mappings/{mapping_id}?deleteTargetGroup=false").status_code
        == 200
    )
    assert okta.delete(f"/api/v1/apps/{app_id}/groups/{group_id}").status_code == 204
    assert_okta_error(okta.get(f"/api/v1/apps/{app_id}/groups/{group_id}"), 404, "E0000007")


def test_seeding_rejects_unknown_ids_and_duplicates(sandbox: OktaSandbox) -> None:
    sandbox.add_user("ann@corp.example")
    with pytest.raises(SandboxError, match="login"):
        sandbox.add_user("ANN@corp.example")
    with pytest.raises(SandboxError, match="unknown app id"):
        sandbox.assign_group("0oaMissing00000000000", sandbox.add_group("G"))
    with pytest.raises(SandboxError, match="unknown user id"):
        sandbox.add_member(sandbox.add_group("H"), "00uMissing00000000000")
    assert "okta-sandbox-canary" not in repr(sandbox)


def _raw_exchange(base_url: str, request: str) -> tuple[bytes, bytes]:
    """Send `request` as written (what httpx refuses to send) and read the whole answer: (head, body)."""
    base = urlsplit(base_url)
    with socket.create_connection((base.hostname, base.port), timeout=5) as conn:
        conn.sendall(request.encode())
        raw = b""
        while chunk := conn.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    return head, body


@pytest.mark.parametrize("length", ["abc", "12abc", "1e3", "-1", "+5", "99999999999999999999999"])
def test_a_malformed_content_length_gets_an_okta_400_and_no_traceback(
    okta: httpx.Client, sandbox: OktaSandbox, capfd: pytest.CaptureFixture[str], length: str
) -> None:
    request = (
        "POST /api/v1/groups HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nAuthorization: SSWS {API_TOKEN}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\nConnection: close\r\n\r\n"
        '{"profile": {"name": "Sneaky"}}'
    )
    head, body = _raw_exchange(str(okta.base_url), request)

    assert head.split(b"\r\n")[0].split(b" ")[1] == b"400", head
    assert okta_error_code(body) == "E0000003"
    assert "Traceback" not in capfd.readouterr().err
    assert okta.get("/api/v1/groups", params={"q": "Sneaky"}).json() == []  # nothing half-done


def okta_error_code(body: bytes) -> str:
    parsed = json.loads(body)
    assert set(parsed) == ERROR_KEYS
    return str(parsed["errorCode"])


@pytest.mark.parametrize(
    "request_line",
    ["GET /api/v1/groups?limit=1 HTTP/1.1", "GET http://evil.example:8443/api/v1/groups?limit=1 HTTP/1.1"],
    ids=["host-header", "absolute-form"],
)
def test_link_urls_come_from_the_servers_own_address(
    okta: httpx.Client, sandbox: OktaSandbox, request_line: str
) -> None:
    """A forged `Host` (or the authority of an absolute-form request) must not steer a client's next request, and
    with it the client's token, elsewhere: Okta's links name Okta's own org URL."""
    sandbox.add_group("Talend Users")
    sandbox.add_group("Talend Admins")
    request = (
        f"{request_line}\r\nHost: evil.example:8443\r\nAuthorization: SSWS {API_TOKEN}\r\nConnection: close\r\n\r\n"
    )
    head, _ = _raw_exchange(str(okta.base_url), request)

    lines = head.split(b"\r\n")
    links = [line.split(b":", 1)[1].strip().decode() for line in lines if line.lower().startswith(b"link:")]
    assert {link.rsplit("rel=", 1)[1] for link in links} == {'"self"', '"next"'}
    for link in links:
        assert link.startswith(f"<{str(okta.base_url).rstrip('/')}/api/v1/groups?"), link
        assert "evil.example" not in link
