"""The credentials hook's message (what `pulumi up` prints when Talend refuses the token) holds no part of the
token, even when Talend quotes it deep inside a long error body."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from talend_cloud_app import require_talend_credentials
from talend_okta_sandbox.serving import serve_wsgi
from tests.stack.harness import CANARY_TOKEN


def quoting_the_token(content_type: str) -> Callable[..., Iterable[bytes]]:
    """A Talend that refuses every token, quoting it after 190 characters of explanation."""
    text = ("The personal access token was refused by the identity service for this tenant. " * 3)[:190]
    detail = f"{text}{CANARY_TOKEN} (request 4f1c)"
    if content_type == "text/plain":
        body = detail.encode()
    else:
        body = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "detail": detail}).encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("401 Unauthorized", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
        return [body]

    return app


@pytest.mark.parametrize("content_type", ["application/scim+json", "text/plain"])
def test_hook_message_holds_no_fragment_of_the_token(content_type: str) -> None:
    with serve_wsgi(quoting_the_token(content_type)) as base, pytest.raises(RuntimeError) as raised:
        require_talend_credentials(f"{base}/scim/v2", CANARY_TOKEN)

    message = str(raised.value)
    assert message.startswith("talend-credentials: Talend answered GET /scim/v2/Users with 401 Unauthorized: The ")
    fragments = {CANARY_TOKEN[i : i + 8] for i in range(len(CANARY_TOKEN) - 7)}
    assert not [fragment for fragment in fragments if fragment in message], message
