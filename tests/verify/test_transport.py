"""Every transport failure is "could not run": exit 2 and one line, never a traceback and never exit 1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from talend_okta.credentials import CREDENTIALS
from talend_okta.http import ApiUnreachable
from tests.verify.conftest import World, assert_no_secrets
from tests.verify.test_clients import talend_client

GZIP_LIE = {"Content-Type": "application/json", "Content-Encoding": "gzip"}  # the body is plain JSON


def assert_could_not_run(run_stderr: str, exit_code: int, *expected: str) -> None:
    assert exit_code == 2, run_stderr
    assert run_stderr.count("\n") == 1, run_stderr
    assert run_stderr.startswith("talend-okta: error: ")
    assert "Traceback" not in run_stderr
    for text in expected:
        assert text in run_stderr


@contextmanager
def not_http() -> Iterator[str]:
    """A loopback server that answers every connection with something that is not HTTP."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def test_okta_body_that_claims_gzip_but_is_not(world: World) -> None:
    world.okta.inject_fault("GET", r"/users/me$", 200, body='{"id": "00u1"}', headers=GZIP_LIE)

    run = world.run()

    assert_could_not_run(run.stderr, run.exit_code, "Okta", "/api/v1/users/me", "could not be decoded")


def test_talend_body_that_claims_gzip_but_is_not(world: World) -> None:
    world.person("alice")
    world.okta.sync()
    world.talend_faults.add(r"/Users$", 200, b'{"totalResults": 1}', GZIP_LIE)

    run = world.run()

    assert_could_not_run(run.stderr, run.exit_code, "Talend", "/scim/v2/Users", "could not be decoded")


@pytest.mark.usefixtures("instant_retries")
def test_a_server_that_does_not_speak_http(world: World) -> None:
    with not_http() as url:
        run = world.run(env={"TALEND_SCIM_URL": f"{url}/scim/v2"})

    assert_could_not_run(run.stderr, run.exit_code, "Talend at http://127.0.0.1:", "could not be reached")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OKTA_ORG_URL": "https://acme.okta.com:abc"}, "--okta-url (OKTA_ORG_URL): "),
        ({"TALEND_SCIM_URL": "https://api.eu.cloud.talend.com:99999/scim/v2"}, "--scim-url (TALEND_SCIM_URL): "),
        ({"TALEND_SCIM_URL": "https://a..b/scim/v2"}, "--scim-url (TALEND_SCIM_URL): "),
        ({"OKTA_ORG_URL": "https://\u2488.okta.com"}, "--okta-url (OKTA_ORG_URL): "),
    ],
)
def test_invalid_urls_are_bad_input(world: World, env: dict[str, str], message: str) -> None:
    run = world.run(env=env)

    assert_could_not_run(run.stderr, run.exit_code, message)
    assert world.okta.requests == []


def test_invalid_next_link_from_okta(world: World) -> None:
    world.person("alice")
    world.okta.sync()
    world.okta.inject_fault(
        "GET", r"/apps/[^/]+/users$", 200, body="[]", headers={"Link": '<http://127.0.0.1:abc/x>; rel="next"'}
    )

    run = world.run()

    assert_could_not_run(run.stderr, run.exit_code, "Okta", "next-page link")


@pytest.mark.usefixtures("instant_retries")
def test_talend_5xx_that_outlives_the_retries_is_could_not_run(world: World) -> None:
    world.talend_faults.add(r"/Users$", 503, b"upstream down", {"Content-Type": "text/plain"}, times=10)

    run = world.run()

    assert run.report is None
    assert_could_not_run(run.stderr, run.exit_code, "Talend answered GET /scim/v2/Users with 503", "4 tries")


def test_talend_redirect_is_could_not_run_and_not_followed(world: World) -> None:
    world.talend_faults.add(r"/Users$", 302, b"", {"Location": "https://login.example/scim/v2/Users"})

    run = world.run()

    assert run.report is None
    assert_could_not_run(
        run.stderr, run.exit_code, "Talend answered GET /scim/v2/Users with 302", "redirect", "not followed"
    )
    assert_no_secrets(run.stderr)


def test_talend_rejecting_the_token_is_still_a_failed_check(world: World) -> None:
    run = world.run(env={"TALEND_SCIM_TOKEN": "not-the-right-token"})

    assert run.exit_code == 1
    assert run.check(CREDENTIALS)["ok"] is False


def test_decoding_error_is_unreachable_for_the_client(world: World) -> None:
    world.talend_faults.add(r"/Users$", 200, b"{}", GZIP_LIE)

    with talend_client(world) as talend, pytest.raises(ApiUnreachable, match="could not be decoded"):
        talend.check_credentials()
