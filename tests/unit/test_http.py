"""What every client shares (talend_okta.http.JsonApi), over an `httpx.MockTransport`: answers that cannot be used
are one `ApiError` line naming the service and the request, whichever command asked. The commands' own mapping to
exit code 2 is checked once per command (tests/verify/test_transport.py,
tests/preflight/test_preflight_transport.py)."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest

from talend_okta.http import ApiError, ApiStatusError, ApiUnreachable, JsonApi, RetryPolicy, tls_context

TOKEN = "canary-http-token-5f2a9c"
GZIP_LIE = {"Content-Type": "application/json", "Content-Encoding": "gzip"}  # the body is plain JSON


def api(answer: tuple[int, dict[str, str], bytes], waits: list[float] | None = None) -> JsonApi:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status, headers, body = answer
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))

    client = JsonApi(
        "Okta",
        "https://acme.okta.com",
        ("SSWS", TOKEN),
        transport=httpx.MockTransport(handler),
        sleep=(waits if waits is not None else []).append,
        retry=RetryPolicy(),
    )
    client.seen = seen  # type: ignore[attr-defined]
    return client


@pytest.mark.parametrize(
    ("answer", "error", "message"),
    [
        (
            (200, GZIP_LIE, b'{"id": "x"}'),
            ApiUnreachable,
            "Okta answered GET /api/v1/groups with a body that could not be decoded",
        ),
        (
            (302, {"Location": "https://login.example/"}, b""),
            ApiStatusError,
            "a redirect to https://login.example/: not followed (it would carry the token); check the URL",
        ),
        (
            (503, {"Content-Type": "text/plain"}, f"down, token {TOKEN}".encode()),
            ApiStatusError,
            "Okta answered GET /api/v1/groups with 503 Service Unavailable: (4 tries)",
        ),
    ],
    ids=["gzip-lie", "redirect", "5xx"],
)
def test_unusable_answers_are_one_line(
    answer: tuple[int, dict[str, str], bytes], error: type[ApiError], message: str
) -> None:
    client = api(answer)
    with pytest.raises(error) as raised:
        client.get_json("/api/v1/groups")
    text = str(raised.value)
    assert message.removesuffix(": (4 tries)") in text
    assert "\n" not in text
    assert TOKEN not in text
    assert len(client.seen) == (4 if answer[0] == 503 else 1)  # type: ignore[attr-defined]


def test_the_token_goes_in_one_header_and_nowhere_else() -> None:
    client = api((200, {"Content-Type": "application/json"}, b"[]"))
    client.get_json("/api/v1/groups", {"q": "x"})
    (request,) = client.seen  # type: ignore[attr-defined]
    assert request.headers["Authorization"] == f"SSWS {TOKEN}"
    assert TOKEN not in str(request.url)


def test_clients_share_one_verifying_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a TLS context reads the whole CA bundle (about 50 ms of CPU); a process builds one, however many
    clients it makes, and every client verifies certificates with it."""
    built: list[ssl.SSLContext] = []
    real = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(real(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(ssl, "create_default_context", counted)
    tls_context.cache_clear()
    clients = [JsonApi("Okta", "https://acme.okta.com", ("SSWS", TOKEN)) for _ in range(3)]
    for client in clients:
        client.close()
    assert len(built) == 1
    assert built[0].verify_mode == ssl.CERT_REQUIRED
    assert built[0].check_hostname
