"""The Okta and Talend SCIM clients and the shared retrying helper, against the two local servers."""

from __future__ import annotations

import json
import time
from email.utils import formatdate

import httpx
import pytest

from talend_okta.credentials import check_talend_credentials
from talend_okta.http import (
    ApiAuthError,
    ApiBodyError,
    ApiStatusError,
    InputError,
    RetryPolicy,
    check_base_url,
    rate_limit_wait,
)
from talend_okta.okta_api import OktaClient
from talend_okta.redact import Redactor
from talend_okta.scim_api import TalendScimClient
from tests.verify.conftest import OKTA_TOKEN, SCIM_TOKEN, World, assert_no_secrets

NOW = 1_800_000_000  # an epoch second


def okta_client(world: World, waits: list[float] | None = None) -> OktaClient:
    return OktaClient(world.okta_url, OKTA_TOKEN, timeout=5, sleep=(waits if waits is not None else []).append)


def talend_client(world: World, waits: list[float] | None = None, token: str = SCIM_TOKEN) -> TalendScimClient:
    return TalendScimClient(world.scim_url, token, timeout=5, sleep=(waits if waits is not None else []).append)


def test_okta_client_reads_the_app_as_okta_shapes_it(world: World) -> None:
    alice = world.person("alice", "corp.example")
    developers = world.okta.add_group("Talend Developers")
    world.okta.add_member(developers, alice)
    mapping_id = world.okta.push_group(world.app_id, developers)

    with okta_client(world) as okta:
        app = okta.get_app(world.app_id)
        connection = okta.get_connection(world.app_id)
        feature = okta.get_user_provisioning(world.app_id)
        [app_user] = list(okta.iter_app_users(world.app_id))
        [mapping] = list(okta.iter_push_mappings(world.app_id))
        [member] = list(okta.iter_group_members(developers))
        found = okta.find_group("Talend Developers")
        not_found = okta.find_group("Talend")  # Okta's q= is a prefix search; find_group wants the exact name
        [assigned] = list(okta.iter_app_groups(world.app_id))

    assert app.label == "Talend Cloud"
    assert app.credentials.user_name_template.template == '${fn:substringBefore(source.email, "@")}'
    assert (connection.status, connection.base_url) == ("ENABLED", world.scim_url)
    assert feature is not None
    assert (feature.creates_users, feature.updates_profiles, feature.deactivates_users) == (True, True, True)
    assert (app_user.id, app_user.user_name, app_user.scope) == (alice, "alice", "GROUP")
    assert (mapping.id, mapping.source_group_id, mapping.status) == (mapping_id, developers, "ACTIVE")
    assert member.profile.login == "alice@corp.example"
    assert found is not None
    assert found.id == developers
    assert not_found is None
    assert assigned.id == world.group_id


def test_features_of_an_app_without_provisioning_are_none(world: World) -> None:
    bare = world.okta.add_saml_app("Bare", provisioning=False)
    with okta_client(world) as okta:
        assert okta.get_user_provisioning(bare) is None
        assert okta.get_connection(bare).status == "UNKNOWN"


def test_okta_429_waits_until_reset_read_against_date(world: World) -> None:
    now = int(time.time())
    world.okta.inject_fault(
        "GET", r"/users/me$", 429, headers={"Date": formatdate(now, usegmt=True), "X-Rate-Limit-Reset": str(now + 5)}
    )
    waits: list[float] = []

    with okta_client(world, waits) as okta:
        okta.current_user()
        assert okta.requests == 2

    assert waits == [6.0]  # reset − Date + 1, as Okta's SDK does


def test_okta_429_wait_is_capped_and_bounded(world: World) -> None:
    now = int(time.time())
    headers = {"Date": formatdate(now, usegmt=True), "X-Rate-Limit-Reset": str(now + 3600)}
    world.okta.inject_fault("GET", r"/users/me$", 429, headers=headers, times=10)
    waits: list[float] = []

    with (
        OktaClient(world.okta_url, OKTA_TOKEN, retry=RetryPolicy(rate_limit_waits=3), sleep=waits.append) as okta,
        pytest.raises(ApiStatusError, match=r"429 Too Many Requests: E0000047 .* \(4 tries\)") as caught,
    ):
        okta.current_user()

    assert caught.value.status == 429
    assert waits == [60.0, 60.0, 60.0]


def test_scim_429_honours_retry_after(world: World) -> None:
    world.talend_faults.add(r"/Users$", 429, b"", {"Retry-After": "7"})
    waits: list[float] = []

    with talend_client(world, waits) as talend:
        assert talend.check_credentials() == 0

    assert waits == [7.0]


def test_5xx_retries_are_bounded_with_doubling_backoff(world: World) -> None:
    world.talend_faults.add(r"/Users$", 503, b"", times=10)
    waits: list[float] = []

    with talend_client(world, waits) as talend, pytest.raises(ApiStatusError, match="503 Fault") as caught:
        talend.check_credentials()

    assert caught.value.status == 503
    assert waits == [0.5, 1.0, 2.0]
    assert talend.requests == 4


def test_okta_pages_follow_link_next_with_500_per_page(world: World) -> None:
    with world.okta.bulk():
        for number in range(1001):
            world.person(f"user{number:04d}")

    with okta_client(world) as okta:
        names = [app_user.user_name for app_user in okta.iter_app_users(world.app_id)]

    assert len(names) == 1001
    assert len(set(names)) == 1001
    pages = [path for _, path in world.okta.requests if "/users" in path]
    assert len(pages) == 3
    assert "after=" not in pages[0]
    assert all("after=" in path and "limit=500" in path for path in pages[1:])


def test_okta_next_link_to_another_host_is_refused(world: World) -> None:
    world.okta.inject_fault(
        "GET", r"/apps/[^/]+/users$", 200, body="[]", headers={"Link": '<https://attacker.example/x>; rel="next"'}
    )

    with okta_client(world) as okta, pytest.raises(ApiBodyError, match="next-page link to another host"):
        list(okta.iter_app_users(world.app_id))

    assert all("attacker" not in path for _, path in world.okta.requests)


def test_scim_pages_by_start_index(world: World) -> None:
    for number in range(25):
        world.talend_user(f"user{number:02d}", active=number % 2 == 0)

    with talend_client(world) as talend:
        users = list(talend.iter_users(count=10))

    assert sorted(user.user_name for user in users) == [f"user{n:02d}" for n in range(25)]
    assert sum(user.is_active for user in users) == 13
    starts = [p.split("startIndex=")[1].split("&")[0] for p in world.talend_faults.requests if "/Users?" in p]
    assert sorted(starts, key=int) == ["1", "11", "21"]  # pages after the first are read concurrently


def test_scim_list_response_must_have_integer_counters(world: World) -> None:
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": "1", "Resources": []}
    world.talend_faults.add(r"/Users$", 200, json.dumps(body).encode(), {"Content-Type": "application/scim+json"})

    with (
        talend_client(world) as talend,
        pytest.raises(ApiBodyError, match="totalResults: Input should be a valid integer"),
    ):
        talend.check_credentials()


def test_scim_answer_that_is_not_a_list_response(world: World) -> None:
    world.talend_faults.add(r"/Users$", 200, b'{"schemas": ["urn:other"], "totalResults": 0}')

    with talend_client(world) as talend, pytest.raises(ApiBodyError, match="schemas: Value error, must contain"):
        talend.check_credentials()


def test_scim_401_is_an_auth_error_without_the_token(world: World) -> None:
    with talend_client(world, token="wrong-token-value") as talend, pytest.raises(ApiAuthError) as caught:
        talend.check_credentials()

    assert caught.value.status == 401
    assert "wrong-token-value" not in str(caught.value)


def test_check_talend_credentials_for_the_pulumi_hook(world: World) -> None:
    good = check_talend_credentials(world.scim_url, SCIM_TOKEN, timeout=5)
    bad = check_talend_credentials(world.scim_url, SCIM_TOKEN[::-1], timeout=5)
    refused = check_talend_credentials("http://talend.example/scim/v2", SCIM_TOKEN)

    assert (good.name, good.ok) == ("talend-credentials", True)
    assert bad.ok is False
    assert "401 Unauthorized" in bad.detail
    assert "personal access token" in bad.detail
    assert refused.ok is False
    assert "plain http:// is only allowed for loopback hosts" in refused.detail
    assert_no_secrets(good.detail, bad.detail, refused.detail)
    assert SCIM_TOKEN[::-1] not in bad.detail


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "12"}, 12.0),
        ({"Retry-After": formatdate(NOW + 30, usegmt=True)}, 30.0),
        ({"X-Rate-Limit-Reset": str(NOW + 59), "Date": formatdate(NOW - 100, usegmt=True)}, 160.0),  # server clock
        ({"X-Rate-Limit-Reset": str(NOW + 59)}, 60.0),  # no Date: our clock
        ({"X-RateLimit-Reset": "15"}, 15.0),  # a delay, not an epoch second
        ({"X-Rate-Limit-Reset": str(NOW - 10), "Date": formatdate(NOW, usegmt=True)}, 0.0),
        ({}, None),
        ({"X-Rate-Limit-Reset": "soon"}, None),
    ],
)
def test_rate_limit_wait(headers: dict[str, str], expected: float | None) -> None:
    response = httpx.Response(429, headers=headers)
    assert rate_limit_wait(response, now=float(NOW)) == expected


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://acme.okta.com/", True),
        ("http://127.0.0.1:8080", True),
        ("http://localhost:1", True),
        ("http://[::1]:1", True),
        ("http://acme.okta.com", False),
        ("acme.okta.com", False),
        ("https://user:pw@acme.okta.com", False),
    ],
)
def test_check_base_url(url: str, ok: bool) -> None:
    if ok:
        assert not check_base_url(url, "--okta-url").endswith("/")
    else:
        with pytest.raises(InputError, match="--okta-url"):
            check_base_url(url, "--okta-url")


def test_redactor_masks_plain_and_url_encoded_secrets() -> None:
    redact = Redactor(["s3cr3t/token+1", None, "abc"])  # too-short values are not secrets worth masking
    text = "a s3cr3t/token+1 b s3cr3t%2Ftoken%2B1 c abc"
    assert redact(text) == "a [REDACTED] b [REDACTED] c abc"
