"""Preflight turns a client's `ApiError` into "could not run": exit 2 and one line, never a traceback. The failures
themselves (bodies that cannot be decoded, redirects, 5xx after the retries) are checked once, at the client level
(tests/unit/test_http.py)."""

from __future__ import annotations

import pytest

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
