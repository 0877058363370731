"""Paging both services over a real network: Okta's cursor links compared as URLs, SCIM pages read concurrently,
and SCIM servers whose paging cannot be trusted caught rather than passed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from talend_okta.http import ApiBodyError, same_origin
from talend_okta.okta_api import OktaClient
from talend_okta.scim_api import ScimPagingError, TalendScimClient
from talend_okta.target import okta_target
from talend_okta.verify.inputs import PollSettings
from talend_okta.verify.polling import verify
from talend_okta.verify.report import USER_SYNC
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.serving import serve_wsgi
from tests.conftest import vendor_transport
from tests.verify.conftest import OKTA_TOKEN, SCIM_TOKEN, World
from tests.verify.scim_fakes import MISBEHAVIOURS, PagedScim

# --- Okta: one origin, however it is spelled ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://Acme.okta.com", "https://acme.okta.com:443", True),
        ("https://acme.okta.com", "https://ACME.OKTA.COM/api/v1/users?after=x", True),
        ("HTTPS://acme.okta.com:443/", "https://acme.okta.com", True),
        ("http://127.0.0.1:80", "http://127.0.0.1", True),
        ("https://acme.okta.com", "https://acme.okta.com:8443", False),
        ("https://acme.okta.com", "http://acme.okta.com", False),
        ("https://acme.okta.com", "https://acme.okta.com.attacker.example", False),
    ],
)
def test_same_origin(a: str, b: str, same: bool) -> None:
    assert same_origin(a, b) is same


def okta_pages(org_url: str, next_link: str) -> httpx.MockTransport:
    """An Okta whose first page of app users links to `next_link`, and whose second page ends the list."""

    def answer(request: httpx.Request) -> httpx.Response:
        if "after=" in str(request.url):
            return httpx.Response(200, json=[{"id": "00u2", "credentials": {"userName": "bob"}}])
        headers = {"Link": f'<{next_link}>; rel="next"'}
        return httpx.Response(200, json=[{"id": "00u1", "credentials": {"userName": "alice"}}], headers=headers)

    return vendor_transport(answer)


@pytest.mark.parametrize(
    ("org_url", "next_link"),
    [
        ("https://Acme.okta.com", "https://acme.okta.com/api/v1/apps/0oa1/users?after=00u1"),
        ("https://acme.okta.com", "https://acme.okta.com:443/api/v1/apps/0oa1/users?after=00u1"),
        ("https://acme.okta.com:443", "https://Acme.Okta.com/api/v1/apps/0oa1/users?after=00u1"),
    ],
)
def test_okta_next_link_on_the_same_origin_spelled_differently_is_followed(org_url: str, next_link: str) -> None:
    with OktaClient(org_url, OKTA_TOKEN, transport=okta_pages(org_url, next_link)) as okta:
        names = [user.user_name for user in okta.iter_app_users("0oa1")]
    assert names == ["alice", "bob"]


@pytest.mark.parametrize(
    "next_link", ["https://acme.okta.com:8443/api/v1/x?after=1", "http://acme.okta.com/api/v1/x?after=1"]
)
def test_okta_next_link_to_another_origin_is_refused(next_link: str) -> None:
    org_url = "https://acme.okta.com"
    with (
        OktaClient(org_url, OKTA_TOKEN, transport=okta_pages(org_url, next_link)) as okta,
        pytest.raises(ApiBodyError, match="next-page link to another host"),
    ):
        list(okta.iter_app_users("0oa1"))


def test_okta_next_link_back_to_any_page_already_read_is_refused() -> None:
    """A → B → A: each link leads to a page not the one just read, yet the listing would never end."""
    org_url = "https://acme.okta.com"
    first = f"{org_url}/api/v1/apps/0oa1/users?limit=500"
    second = f"{org_url}/api/v1/apps/0oa1/users?after=00u1&limit=500"
    asked: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        back = "after=" in str(request.url)
        link = "https://ACME.okta.com:443/api/v1/apps/0oa1/users?limit=500" if back else second  # A, spelled anew
        return httpx.Response(200, json=[{"id": "00u2" if back else "00u1"}], headers={"Link": f'<{link}>; rel="next"'})

    with (
        OktaClient(org_url, OKTA_TOKEN, transport=vendor_transport(answer)) as okta,
        pytest.raises(ApiBodyError, match=r"^Okta sent a next-page link to a page already read: ") as raised,
    ):
        list(okta.iter_app_users("0oa1"))

    assert asked == [first, second]
    assert "\n" not in str(raised.value)


def test_okta_listing_pages_are_bounded() -> None:
    """Every page new, forever (a cursor that never ends): the listing stops at `max_pages`, with one line."""

    def answer(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params.get("after", "0")) + 1
        link = f"https://acme.okta.com/api/v1/groups?after={after}&limit=200"
        return httpx.Response(200, json=[], headers={"Link": f'<{link}>; rel="next"'})

    okta = OktaClient("https://acme.okta.com", OKTA_TOKEN, transport=vendor_transport(answer), max_pages=25)
    with okta, pytest.raises(ApiBodyError, match=r"^Okta's listing of /api/v1/groups ran past 25 pages"):
        okta.find_group("Talend Users")
    assert okta.requests == 25


def spelled_differently(url: str) -> str:
    """The sandbox's loopback URL as `HTTP://127.0.0.1:P/`: one origin, another spelling. (The sandbox's links name
    its own address, as Okta's name the org's, so the host itself stays.)"""
    return url.replace("http://", "HTTP://") + "/"


def test_a_target_spelled_differently_follows_the_sandboxs_pages() -> None:
    """verify, preflight and adopt read Okta through `okta_target` and `OktaClient`: an org URL spelled `HTTP://…/`
    (options, environment or stack outputs alike) still follows the real sandbox's next-page links."""
    okta = OktaSandbox(OKTA_TOKEN)
    app_id, group_id = okta.add_saml_app("Talend Cloud"), okta.add_group("Talend Users")
    okta.assign_group(app_id, group_id)
    with okta.bulk():
        for number in range(501):  # two pages of app users (500 a page), three of group members (200)
            okta.add_member(group_id, okta.add_user(f"user{number:04d}@example.com", f"user{number:04d}@example.com"))

    with okta.serve() as url:
        target = okta_target(okta_url=spelled_differently(url), okta_token=OKTA_TOKEN, app_id=app_id)
        with OktaClient(target.org_url, target.credentials) as client:
            app_users = [user.user_name for user in client.iter_app_users(app_id)]
            members = list(client.iter_group_members(group_id))

    assert len(app_users) == len(members) == 501
    pages = [path for _, path in okta.requests if path.startswith((f"/api/v1/apps/{app_id}/users", "/api/v1/groups/"))]
    assert len(pages) == 5
    assert all("after=" in path for path in pages if path not in (pages[0], pages[2]))


# --- SCIM: pages that cannot be trusted ---------------------------------------------------------------------------

ASSIGNED = [f"user{number:04d}" for number in range(100)]
ORPHANS = [f"zorphan{number:02d}" for number in range(50)]  # active in Talend, assigned to nobody: on page 2


@contextmanager
def fake_talend(world: World, scim: PagedScim) -> Iterator[str]:
    """Okta assigns ASSIGNED; verify reads Talend from `scim` (Okta's connection still names the stand-in)."""
    with world.okta.bulk():
        for name in ASSIGNED:
            world.person(name)
    with serve_wsgi(scim) as base_url:
        yield f"{base_url}/scim/v2"


def test_an_honest_paged_server_shows_every_orphan(world: World) -> None:
    scim = PagedScim(ASSIGNED + ORPHANS, SCIM_TOKEN)
    with fake_talend(world, scim) as scim_url:
        report = verify(world.settings(scim_url=scim_url, connection_url=world.scim_url), poll=PollSettings(timeout=0))

    detail = report.check(USER_SYNC).detail
    assert detail == "100/100 assigned users active in Talend; 50 active in Talend but not assigned"
    assert report.users.unexpected_active == ORPHANS


@pytest.mark.parametrize(
    ("misbehaviour", "message"),
    [
        ("ignores-start-index", "asked for startIndex 101, Talend answered startIndex 1"),
        ("omits-start-index", "the same user twice (id-user0000)"),
        ("repeats-a-page", "the same user twice (id-user00"),
        ("total-shifts", "totalResults changed from"),
        ("short-read", "totalResults is 200 but the list ended after 150 users"),
    ],
)
def test_untrustworthy_scim_paging_never_passes(world: World, misbehaviour: str, message: str) -> None:
    assert misbehaviour in MISBEHAVIOURS
    scim = PagedScim(ASSIGNED + ORPHANS, SCIM_TOKEN, misbehaviour=misbehaviour)
    poll = PollSettings(timeout=2, interval=0.05)
    with fake_talend(world, scim) as scim_url:
        report = verify(world.settings(scim_url=scim_url, connection_url=world.scim_url), poll=poll)

    assert report.ok is False
    check = report.check(USER_SYNC)
    assert check.ok is False
    assert "Talend's user list cannot be trusted" in check.detail
    assert message in check.detail
    # A list that changed while it was read is read again on the next pass; a server that pages wrongly is not.
    assert (report.rounds > 1) is (misbehaviour == "total-shifts")


def test_scim_attribute_names_are_case_insensitive(world: World) -> None:
    scim = PagedScim(ASSIGNED, SCIM_TOKEN, lowercase=True, cap=30)  # resources, totalresults, username, …
    with fake_talend(world, scim) as scim_url:
        report = verify(world.settings(scim_url=scim_url, connection_url=world.scim_url), poll=PollSettings(timeout=0))

    assert report.ok, report.model_dump_json(indent=2)
    assert report.users.in_sync == 100


# --- SCIM: concurrent pages ---------------------------------------------------------------------------------------

MANY = [f"user{number:04d}" for number in range(1000)]


def talend_on(scim: PagedScim, **options: int) -> TalendScimClient:
    return TalendScimClient(
        "https://talend.example/scim/v2", SCIM_TOKEN, transport=httpx.WSGITransport(app=scim), **options
    )


@pytest.mark.parametrize(("concurrency", "expected_at_once"), [(None, 4), (2, 2), (1, 1)])
def test_scim_pages_are_read_concurrently_within_the_bound(concurrency: int | None, expected_at_once: int) -> None:
    scim = PagedScim(MANY, SCIM_TOKEN, hold=expected_at_once)
    options = {} if concurrency is None else {"concurrency": concurrency}
    with serve_wsgi(scim) as base_url:
        talend = TalendScimClient(f"{base_url}/scim/v2", SCIM_TOKEN, **options)
        with talend:
            names = [user.user_name for user in talend.iter_users()]
            requests = talend.requests

    assert names == MANY  # in order, each once
    assert requests == 10  # ceil(1000 / 100): the first page says how many follow
    assert sorted(scim.starts) == list(range(1, 1000, 100))
    assert scim.max_in_flight == expected_at_once


def test_a_short_page_in_the_middle_is_filled_in() -> None:
    scim = PagedScim(MANY, SCIM_TOKEN, short_pages={301: 60, 701: 1})
    with talend_on(scim) as talend:
        names = [user.user_name for user in talend.iter_users()]

    assert names == MANY
    assert sorted(scim.starts) == sorted([*range(1, 1000, 100), 361, 702])


def test_a_rate_limited_page_pauses_every_page_for_retry_after() -> None:
    scim = PagedScim(MANY, SCIM_TOKEN, hold=4, rate_limited={101: 3})
    waits: list[float] = []
    with serve_wsgi(scim) as base_url:
        talend = TalendScimClient(f"{base_url}/scim/v2", SCIM_TOKEN, sleep=waits.append)
        with talend:
            names = [user.user_name for user in talend.iter_users()]

    assert names == MANY
    assert waits[0] == 3.0  # the page that was told to wait
    assert any(2.0 < wait < 3.0 for wait in waits[1:])  # pages sent after it waited out the rest of the pause
    assert scim.starts.count(101) == 2


def test_untrustworthy_paging_is_an_error_of_the_client() -> None:
    scim = PagedScim(MANY, SCIM_TOKEN, misbehaviour="repeats-a-page")
    with talend_on(scim) as talend, pytest.raises(ScimPagingError, match="the same user twice") as caught:
        list(talend.iter_users())
    assert caught.value.transient is False
