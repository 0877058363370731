"""Preflight meets the same transport failures as verify: exit 2 and one line, never a traceback."""

from __future__ import annotations

import pytest

from tests.preflight.conftest import Org

GZIP_LIE = {"Content-Type": "application/json", "Content-Encoding": "gzip"}  # the body is plain JSON


@pytest.mark.parametrize(
    ("status", "headers", "message"),
    [
        (200, GZIP_LIE, "Okta answered GET /api/v1/groups with a body that could not be decoded"),
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
