"""Where the role-mapping provider sends the Talend token, which token, and how long it may take (issue 18, 1-3).

The state is not trusted: whoever can write the state backend must not steer the next `pulumi refresh`, and its
token, to another host. A rotated token must work as soon as the config says so. No operation may wait for long.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from talend_okta import role_mapping
from talend_okta.role_mapping import RoleMappingError, RoleMappingProvider, stack_target
from talend_okta_sandbox.serving import serve_wsgi
from talend_okta_sandbox.talend import RunningTalend, run_talend
from tests.roles.conftest import ADMIN_TOKEN, configured
from tests.roles.test_role_mapping_provider import DEVS, props

ROTATED_TOKEN = "talend-rotated-canary-3b7e9d01"


class Listener:
    """A loopback HTTP server that records every request (and its Authorization header) and answers `answer`."""

    def __init__(self, answer: Callable[[], tuple[str, list[tuple[str, str]], bytes]]) -> None:
        self.answer = answer
        self.requests: list[tuple[str, str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        self.requests.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("HTTP_AUTHORIZATION", "")))
        status, headers, body = self.answer()
        start_response(status, headers)
        return [body]


@pytest.fixture
def attacker() -> Iterator[tuple[str, Listener]]:
    listener = Listener(lambda: ("200 OK", [("Content-Type", "application/json")], b"[]"))
    with serve_wsgi(listener) as url:
        yield url, listener


def finishes_within(seconds: float, call: Callable[[], object]) -> BaseException | None:
    """Run `call` in a thread; fail the test if it is still running after `seconds`. Returns what it raised."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as err:
            raised.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still waiting after {seconds} s"
    return raised[0] if raised else None


# --- 1. the token goes only where the stack's region says -------------------------------------------------------


@pytest.mark.parametrize("operation", ["read", "delete", "create", "update"])
def test_a_state_naming_another_host_is_refused_and_nothing_is_sent(
    provider: RoleMappingProvider, talend: RunningTalend, attacker: tuple[str, Listener], operation: str
) -> None:
    attacker_url, listener = attacker
    tampered = {**props(talend, DEVS), "apiUrl": attacker_url}  # someone wrote the state backend
    calls: dict[str, Callable[[], object]] = {
        "read": lambda: provider.read("id", tampered),
        "delete": lambda: provider.delete("id", tampered),
        "create": lambda: provider.create(tampered),
        "update": lambda: provider.update("id", props(talend, DEVS), tampered),
    }
    with pytest.raises(RoleMappingError) as raised:
        calls[operation]()

    message = str(raised.value)
    assert message.startswith(f"role mappings: the state names the Talend API '{attacker_url}', but ")
    assert f"talend-okta:region us means {talend.api_url}" in message
    assert "nothing was sent" in message
    assert "\n" not in message
    assert ADMIN_TOKEN not in message
    assert listener.requests == []
    assert talend.roles.writes == 0


def test_a_real_stack_sends_the_token_only_to_its_regions_host(
    monkeypatch: pytest.MonkeyPatch, attacker: tuple[str, Listener]
) -> None:
    """Without a loopback Okta (a real stack), TALEND_API_URL is ignored and the state's loopback URL is refused."""
    attacker_url, listener = attacker
    monkeypatch.setenv("TALEND_API_URL", attacker_url)
    provider = RoleMappingProvider()
    provider.configure(
        role_mapping.dynamic.ConfigureRequest(
            role_mapping.dynamic.Config({"talend-okta:region": "eu", "okta:orgName": "acme"}, "talend-okta")
        )
    )
    state = {"apiUrl": attacker_url, "apiToken": ADMIN_TOKEN, "mappings": []}

    with pytest.raises(RoleMappingError, match=r"talend-okta:region eu means https://api\.eu\.cloud\.talend\.com;"):
        provider.read("id", state)

    assert listener.requests == []


def test_the_url_comes_from_the_region_or_the_loopback_sandbox() -> None:
    sandbox_env = {"TALEND_API_URL": "http://127.0.0.1:7000"}
    real = {"talend-okta:region": "ap", "okta:orgName": "acme", "okta:baseUrl": "okta.com"}
    assert stack_target(real, sandbox_env).api_url == "https://api.ap.cloud.talend.com"
    sandbox = {"talend-okta:region": "us", "okta:httpProxy": "http://127.0.0.1:9000"}
    assert stack_target(sandbox, sandbox_env).api_url == "http://127.0.0.1:7000"
    assert stack_target(sandbox, {"TALEND_API_URL": "https://evil.example"}).api_url == (
        "https://api.us.cloud.talend.com"
    )
    assert stack_target({"talend-okta:region": "mars"}, {}).api_url is None
    assert stack_target({}, {}).api_url is None


def test_without_a_region_nothing_is_sent(talend: RunningTalend) -> None:
    provider = RoleMappingProvider()  # never configured: the engine gave no config
    with pytest.raises(RoleMappingError, match=r"^role mappings: the stack config has no valid talend-okta:region"):
        provider.read("id", props(talend, DEVS))
    assert talend.roles.writes == 0


def test_a_region_change_still_deletes_the_old_tenants_mappings_on_talends_host(
    provider: RoleMappingProvider, talend: RunningTalend
) -> None:
    """Replacing the resource after `talend-okta:region` changed deletes the old one: Talend's own host of another
    region is allowed for that delete (and only for it), never a host outside Talend's."""
    old = {"apiUrl": "https://api.eu.cloud.talend.com", "apiToken": ADMIN_TOKEN, "mappings": []}
    with pytest.raises(RoleMappingError, match="the state names the Talend API"):
        provider.read("id", old)
    assert provider._client(old, role_mapping.Deadline(1), deleting=True).base_url == old["apiUrl"]


# --- 2. a rotated token works as soon as the config says so -----------------------------------------------------


def test_refresh_uses_the_configured_token_after_a_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    with run_talend(ROTATED_TOKEN) as rotated:  # the old token is revoked: Talend accepts only the new one
        monkeypatch.setenv("TALEND_API_URL", rotated.api_url)
        rotated.roles.set_mapping("Talend Developers", ["Operator"])
        provider = configured(RoleMappingProvider(), **{"talend-okta:talendApiToken": ROTATED_TOKEN})
        state = props(rotated, DEVS, token=ADMIN_TOKEN)  # the state still holds the old one

        read = provider.read("id", state)
        provider.delete("id", state)

    assert read.outs is not None
    assert read.outs["mappings"] == [{"name": "Talend Developers", "roles": ["Operator"]}]
    assert rotated.roles.snapshot() == {}


def test_a_401_names_the_token_used_and_how_to_recover(talend: RunningTalend, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TALEND_API_URL", talend.api_url)
    provider = configured(RoleMappingProvider())  # no token in the config the engine gave: the state's is used
    with pytest.raises(RoleMappingError) as raised:
        provider.read("id", props(talend, DEVS, token="revoked-token-canary-77"))

    message = str(raised.value)
    assert "401 Unauthorized" in message
    assert "the token used was the token kept in the state" in message
    assert "`pulumi up` once" in message
    assert "`pulumi refresh --run-program`" in message
    assert "revoked-token-canary-77" not in message
    assert "\n" not in message


# --- 3. every operation has a deadline, and says what it waits for ----------------------------------------------


def test_a_retry_after_of_an_hour_fails_at_once_naming_the_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    limited = Listener(lambda: ("429 Too Many Requests", [("Retry-After", "3600")], b""))
    with serve_wsgi(limited) as url:
        monkeypatch.setenv("TALEND_API_URL", url)
        provider = configured(RoleMappingProvider())
        state = {"apiUrl": url, "apiToken": ADMIN_TOKEN, "mappings": []}
        raised = finishes_within(5, lambda: provider.read("id", state))

    assert isinstance(raised, RoleMappingError)
    message = str(raised)
    assert "GET /security/role-mappings" in message
    assert "rate limit (Retry-After: 3600)" in message
    assert "60 s deadline" in message
    assert len(limited.requests) == 1


def test_a_talend_that_never_answers_is_given_up_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(role_mapping, "OPERATION_SECONDS", 1.5, raising=False)

    def hang() -> tuple[str, list[tuple[str, str]], bytes]:
        time.sleep(20)
        return "200 OK", [], b"[]"

    with serve_wsgi(Listener(hang)) as url:
        monkeypatch.setenv("TALEND_API_URL", url)
        provider = configured(RoleMappingProvider())
        started = time.monotonic()
        raised = finishes_within(6, lambda: provider.read("id", {"apiUrl": url, "apiToken": ADMIN_TOKEN}))

    assert isinstance(raised, RoleMappingError)
    assert "did not answer GET /security/role-mappings before the 1.5 s deadline" in str(raised)
    assert time.monotonic() - started < 4


def test_a_wait_is_told_on_stderr(
    talend: RunningTalend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter([("429 Too Many Requests", [("Retry-After", "1")], b"")])

    def once_limited() -> tuple[str, list[tuple[str, str]], bytes]:
        return next(answers, ("200 OK", [("Content-Type", "application/json")], b"[]"))

    with serve_wsgi(Listener(once_limited)) as url:
        monkeypatch.setenv("TALEND_API_URL", url)
        read = configured(RoleMappingProvider()).read("id", {"apiUrl": url, "apiToken": ADMIN_TOKEN})

    assert read.outs is not None
    assert read.outs["mappings"] == []
    err = capsys.readouterr().err
    assert (
        "role mappings: Talend: waiting 1 s for its rate limit (Retry-After: 1) before GET /security/role-mappings"
        in err
    )
