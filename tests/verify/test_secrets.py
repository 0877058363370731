"""No token fragments anywhere: servers that quote a token deep inside long error bodies, in JSON or in plain text,
or quote only part of it. No run of 8 characters of either token may reach output, reports or exceptions."""

from __future__ import annotations

import json

import pytest

from talend_okta.credentials import CREDENTIALS, check_talend_credentials
from talend_okta.http import ApiError
from talend_okta.redact import Redactor
from talend_okta.verify.inputs import PollSettings
from talend_okta.verify.polling import VerifyAborted, verify
from tests.verify.conftest import OKTA_TOKEN, SCIM_TOKEN, World, assert_no_secrets, token_fragments

SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
# Where the token starts in the body: around the 150-, 200- and 300-character marks, where error text gets cut.
OFFSETS = [150, 185, 195, 290]


def prose(length: int) -> str:
    """Ordinary error-message text of exactly `length` characters."""
    text = "The upstream identity service could not complete the request because the credentials were refused; "
    return (text * (length // len(text) + 1))[:length]


def quoting(token: str, offset: int) -> str:
    return f"{prose(offset)}{token} (request id 4f1c)"


def test_redactor_masks_any_run_of_eight_characters_of_a_secret() -> None:
    secret = "talend-canary-3c2b1a0f9e8d7c6b"
    redact = Redactor([secret])

    for text in (
        f"cut: {secret[:8]}",
        f"middle {secret[9:21]} of it",
        f"tail {secret[-8:]}",
        f"two {secret[:10]} and {secret[15:]}",
        f"url-encoded {secret[:6]}%2D{secret[7:15]}",  # quote() leaves '-' alone; a server may still encode it
    ):
        masked = redact(text)
        assert not any(fragment in masked for fragment in token_fragments(secret)), masked
        assert "[REDACTED]" in masked
    assert redact(f"only seven {secret[3:10]} chars") == f"only seven {secret[3:10]} chars"


@pytest.mark.parametrize("offset", OFFSETS)
def test_okta_json_error_quoting_the_token_late_in_a_long_summary(world: World, offset: int) -> None:
    body = json.dumps({"errorCode": "E0000001", "errorSummary": quoting(OKTA_TOKEN, offset), "errorId": "x"})
    world.okta.inject_fault("GET", r"/apps/", 400, body=body)

    run = world.run()

    assert run.exit_code == 2
    assert "E0000001 The upstream identity service" in run.stderr
    assert_no_secrets(run.stdout, run.stderr)


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("content_type", ["application/scim+json", "text/plain"])
def test_talend_error_quoting_the_token_late_in_a_long_body(world: World, offset: int, content_type: str) -> None:
    if content_type == "text/plain":
        body = quoting(SCIM_TOKEN, offset).encode()
    else:
        body = json.dumps({"schemas": [SCIM_ERROR], "status": "400", "detail": quoting(SCIM_TOKEN, offset)}).encode()
    world.talend_faults.add(r"/Users$", 400, body, {"Content-Type": content_type})

    run = world.run()

    assert run.exit_code == 1
    detail = run.check(CREDENTIALS)["detail"]
    assert "400 Fault: The upstream identity service could not complete" in detail  # the body is shown…
    assert_no_secrets(run.stdout, run.stderr, run.output)  # …but no part of the token


def test_partial_token_quoted_by_a_server(world: World) -> None:
    half = SCIM_TOKEN[: len(SCIM_TOKEN) // 2]
    body = json.dumps({"schemas": [SCIM_ERROR], "status": "401", "detail": f"unknown token {half}…"}).encode()
    world.talend_faults.add(r"/Users$", 401, body, {"Content-Type": "application/scim+json"})

    run = world.run()

    assert run.exit_code == 1
    assert "unknown token [REDACTED]" in run.check(CREDENTIALS)["detail"]
    assert_no_secrets(run.output)


def test_exceptions_carry_no_fragment(world: World) -> None:
    body = json.dumps({"errorCode": "E0000009", "errorSummary": quoting(OKTA_TOKEN + " " + SCIM_TOKEN, 185)})
    world.okta.inject_fault("GET", r"/users/me$", 500, body=body, times=10)

    with pytest.raises(VerifyAborted) as caught:
        verify(world.settings(), poll=PollSettings(timeout=0), sleep=lambda seconds: None)

    assert_no_secrets(str(caught.value), repr(caught.value))
    assert caught.value.__cause__ is None


def test_credentials_check_for_the_hook_carries_no_fragment(world: World) -> None:
    body = json.dumps({"schemas": [SCIM_ERROR], "status": "401", "detail": quoting(SCIM_TOKEN, 190)}).encode()
    world.talend_faults.add(r"/Users$", 401, body, {"Content-Type": "application/scim+json"})

    result = check_talend_credentials(world.scim_url, SCIM_TOKEN, timeout=5)

    assert result.ok is False
    assert "401 Fault" in result.detail
    assert_no_secrets(result.detail)


def test_api_errors_are_redacted_before_they_are_cut(world: World) -> None:
    from tests.verify.test_clients import talend_client

    body = json.dumps({"schemas": [SCIM_ERROR], "status": "403", "detail": quoting(SCIM_TOKEN, 600)}).encode()
    world.talend_faults.add(r"/Users$", 403, body, {"Content-Type": "application/scim+json"})

    with talend_client(world) as talend, pytest.raises(ApiError) as caught:
        talend.check_credentials()

    message = str(caught.value)
    assert len(message) < 400  # a long body is shortened…
    assert message.endswith("…")
    assert_no_secrets(message)
