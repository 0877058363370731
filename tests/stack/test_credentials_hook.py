"""The credentials check that `pulumi up` runs after the SCIM connection changes (hooks never run under mocks,
so the hook's function is called directly, against a real SCIM server on loopback)."""

from __future__ import annotations

import pulumi
import pytest

from talend_cloud_app import require_talend_credentials
from talend_okta.sandbox.talend import run_talend
from tests.stack.harness import CANARY_TOKEN, RunStack, base_config


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


def test_hook_is_bound_only_when_provisioning_is_managed(run_stack: RunStack) -> None:
    managed = run_stack(base_config()).namespace["talend_app"]
    assert isinstance(managed.credentials_hook, pulumi.ResourceHook)
    assert managed.credentials_hook.name == "talend-credentials"
    unmanaged = run_stack(base_config(provisioning={"manage": False})).namespace["talend_app"]
    assert unmanaged.credentials_hook is None


def test_check_goes_where_verify_goes(run_stack: RunStack, monkeypatch: pytest.MonkeyPatch) -> None:
    # Against the offline sandbox the connection names Talend's real host; the check must reach the stand-in.
    with run_talend("the-right-token") as talend:
        monkeypatch.setenv("TALEND_SCIM_URL", talend.scim_url)
        component = run_stack(base_config()).namespace["talend_app"]
        with pytest.raises(RuntimeError, match=r"^talend-credentials: .*401") as raised:
            component.credentials_hook.callback(None)
    assert CANARY_TOKEN not in str(raised.value)
