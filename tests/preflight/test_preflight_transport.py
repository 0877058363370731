"""Preflight turns a client's `ApiError` into "could not run": exit 2 and one line, never a traceback. The failures
themselves (bodies that cannot be decoded, redirects, 5xx after the retries) are checked once, at the client level
(tests/unit/test_http.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from talend_okta_sandbox.serving import serve_wsgi
from tests.preflight.conftest import Org


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (302, {"Location": "https://login.example/"}, "a redirect to https://login.example/: not followed"),
    ],
)
def test_transport_failures_are_could_not_run(org: Org, status: int, headers: dict[str, str], message: str) -> None:
    org.config(["Talend Developers"])
    org.okta.inject_fault("GET", r"/groups$", status, body='{"id": "x"}', headers=headers)

    result = org.preflight()

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("talend-okta: error: ")
    assert message in result.stderr


def test_timeout_bounds_the_whole_read(org: Org) -> None:
    """--timeout (issue 18 item 4): an Okta that takes 8 s per answer is given up at 1 s, saying what it waited
    for, exit 2."""
    org.group("Talend Developers", *org.people("acme.com", "jdoe"))
    org.deploy("Talend Developers")
    org.config(["Talend Developers"])

    def slow(environ: dict[str, Any], start_response: Any) -> Any:
        time.sleep(8)
        return org.okta.wsgi_app(environ, start_response)

    with serve_wsgi(slow) as slow_url:
        started = time.monotonic()
        result = org.preflight("--timeout", "1", env={"OKTA_ORG_URL": slow_url})

    assert time.monotonic() - started < 5
    assert result.exit_code == 2
    assert "before the 1 s deadline" in result.stderr
    assert "Traceback" not in result.stderr
