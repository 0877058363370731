"""explain's `--timeout`: one deadline shared by its three clients bounds the whole run (issue 18 item 4)."""

from __future__ import annotations

import time

import httpx
import pytest
from pydantic import SecretStr

from talend_okta.explain.command import explain_person
from talend_okta.explain.read import ExplainAborted
from talend_okta.http import ApiError
from talend_okta.target import ConnectionSettings
from tests.conftest import vendor_transport

SLOW = 3.0  # seconds each answer takes: ten requests in three rounds would take 9 s or more


def slow_answer(request: httpx.Request) -> httpx.Response:
    """A server that needs SLOW seconds per answer, under the read timeout the client gave this request (a mock
    transport does not enforce timeouts itself)."""
    read = request.extensions["timeout"]["read"]
    if read is not None and read < SLOW:
        time.sleep(read)
        raise httpx.ReadTimeout("timed out", request=request)
    time.sleep(SLOW)
    return httpx.Response(200, json=[], request=request)


SETTINGS = ConnectionSettings(
    okta_url="https://acme.okta.com",
    okta_credentials=SecretStr("okta-canary-x7q2-1f2e3d"),
    app_id="0oa1talend",
    scim_url="https://api.eu.cloud.talend.com/scim/v2",
    scim_token=SecretStr("talend-canary-k4w9-9c8b7a"),
    talend_api_url="https://api.eu.cloud.talend.com",
    talend_api_token=SecretStr("talend-canary-k4w9-9c8b7a"),
)


def test_a_slow_org_ends_the_run_at_the_deadline() -> None:
    started = time.monotonic()
    with pytest.raises((ApiError, ExplainAborted)) as stopped:
        explain_person("ann@corp.example", SETTINGS, transport=vendor_transport(slow_answer), timeout=1.0)
    elapsed = time.monotonic() - started
    assert elapsed < SLOW + 1.0  # one request in flight when the deadline passed, none after
    assert "deadline" in str(stopped.value)
    assert "canary" not in str(stopped.value)
