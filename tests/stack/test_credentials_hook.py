"""The credentials check `pulumi up` runs before the SCIM connection is created or updated.

Hooks never run under mocks, so the tests check what the program registers with the engine (which hook is bound
to which resource, for which step) and call the bound hook's function against a real SCIM server on loopback.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pulumi
import pytest

import talend_cloud_app
from talend_cloud_app import require_talend_credentials
from talend_okta.stack_config import talend_url
from talend_okta_sandbox.talend import run_talend
from tests.stack.harness import CANARY_TOKEN, RunStack, base_config

SANDBOX_OKTA = {"httpProxy": "http://127.0.0.1:18080"}
REAL_OKTA = {"orgName": "acme", "baseUrl": "okta.com"}
DECLARED = "https://api.eu.cloud.talend.com/scim/v2"


def test_accepted_token_passes() -> None:
    with run_talend(CANARY_TOKEN) as talend:
        require_talend_credentials(talend.scim_url, CANARY_TOKEN)


def test_rejected_token_fails_the_deployment_without_showing_it() -> None:
    with run_talend("the-right-token") as talend, pytest.raises(RuntimeError) as raised:
        require_talend_credentials(talend.scim_url, CANARY_TOKEN)
    message = str(raised.value)
    assert message.startswith("talend-credentials: ")
    assert "401" in message
    assert CANARY_TOKEN not in message


def test_hook_runs_before_the_connection_is_created_or_updated(run_stack: RunStack) -> None:
    """Bound as a before-hook, a rejected token stops the step: the connection (and the token) never reach Okta."""
    run = run_stack(base_config(groups=[{"name": "Talend Developers", "push": True}]))
    component = run.namespace["talend_app"]
    assert isinstance(component.credentials_hook, pulumi.ResourceHook)
    assert component.credentials_hook.name == "talend-credentials"
    assert run.monitor.hooks["talend-scim"] == {
        "before_create": ["talend-credentials"],
        "before_update": ["talend-credentials"],
    }
    bound = {name: hooks for name, hooks in run.monitor.hooks.items() if hooks}
    assert list(bound) == ["talend-scim"]  # on nothing else: the app, features, assignments, push groups


def test_no_hook_without_managed_provisioning(run_stack: RunStack) -> None:
    run = run_stack(base_config(provisioning={"manage": False}))
    assert run.namespace["talend_app"].credentials_hook is None
    assert not any(run.monitor.hooks.values())


def test_the_bound_hook_fails_on_a_rejected_token(
    run_stack: RunStack, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Against the offline sandbox (okta:httpProxy on loopback) the check may go to the local stand-in.
    with run_talend("the-right-token") as talend:
        monkeypatch.setenv("TALEND_SCIM_URL", talend.scim_url)
        component = run_stack(base_config(), okta_config=SANDBOX_OKTA).namespace["talend_app"]
        assert component.credentials_check_url == talend.scim_url
        assert not any("TALEND_SCIM_URL is ignored" in r.getMessage() for r in caplog.records)
        with pytest.raises(RuntimeError, match=r"^talend-credentials: .*401") as raised:
            component.credentials_hook.callback(None)
    assert CANARY_TOKEN not in str(raised.value)


@pytest.mark.parametrize(
    ("okta_config", "leftover"),
    [
        (REAL_OKTA, "http://127.0.0.1:18081/scim/v2"),  # a real org: the sandbox's variable is a leftover
        (SANDBOX_OKTA, "https://collector.example/scim/v2"),  # the sandbox, but the variable names another host
        ({}, "http://127.0.0.1:18081/scim/v2"),  # no okta org configured at all
    ],
    ids=["real-org", "sandbox-non-loopback", "no-org"],
)
def test_the_token_goes_only_to_the_declared_scim_url(
    run_stack: RunStack,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    okta_config: dict[str, str],
    leftover: str,
) -> None:
    monkeypatch.setenv("TALEND_SCIM_URL", leftover)
    component = run_stack(base_config(), okta_config=okta_config).namespace["talend_app"]
    assert component.credentials_check_url == DECLARED
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(w.startswith("TALEND_SCIM_URL is ignored: the program sends the Talend token only") for w in warnings), (
        warnings
    )
    assert not any(leftover in w for w in warnings)  # the ignored value is not echoed


def test_credentials_check_url_rules() -> None:
    local = "http://127.0.0.1:18081/scim/v2"
    assert talend_url(DECLARED, "TALEND_SCIM_URL", "http://127.0.0.1:18080", {"TALEND_SCIM_URL": local}) == local
    assert talend_url(DECLARED, "TALEND_SCIM_URL", "http://localhost:18080", {"TALEND_SCIM_URL": local}) == local
    assert talend_url(DECLARED, "TALEND_SCIM_URL", "http://127.0.0.1:18080", {}) == DECLARED
    assert talend_url(DECLARED, "TALEND_SCIM_URL", "https://acme.okta.com", {"TALEND_SCIM_URL": local}) == DECLARED
    assert (
        talend_url(DECLARED, "TALEND_SCIM_URL", "http://127.0.0.1:1", {"TALEND_SCIM_URL": "http://10.0.0.5/s"})
        == DECLARED
    )
    assert talend_url(DECLARED, "TALEND_SCIM_URL", None, {"TALEND_SCIM_URL": local}) == DECLARED


@pytest.fixture
def silent_talend() -> Iterator[str]:
    """A SCIM URL whose server accepts connections and never answers (a stalled Talend)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"http://127.0.0.1:{server.getsockname()[1]}/scim/v2"


def test_a_silent_talend_fails_the_hook_within_its_total_time(
    run_stack: RunStack, monkeypatch: pytest.MonkeyPatch, silent_talend: str
) -> None:
    """Unbounded, 4 tries of a 30 s read timeout would stall `pulumi up` for minutes."""
    monkeypatch.setattr(talend_cloud_app, "CREDENTIALS_CHECK_SECONDS", 1.0)
    monkeypatch.setenv("TALEND_SCIM_URL", silent_talend)
    component = run_stack(base_config(), okta_config=SANDBOX_OKTA).namespace["talend_app"]

    started = time.monotonic()
    with pytest.raises(RuntimeError) as raised:
        component.credentials_hook.callback(None)

    assert time.monotonic() - started < 10  # gave up at its bound, not after the retries' minutes
    assert str(raised.value) == f"talend-credentials: Talend at {silent_talend} did not answer within 1 s"
    assert CANARY_TOKEN not in str(raised.value)
