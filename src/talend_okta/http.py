"""One retrying JSON-over-HTTPS helper, shared by the Okta and the Talend SCIM clients.

What it retries, and how long it waits, is all here:
- 5xx answers, timeouts and transport errors: `RetryPolicy.attempts` tries, with doubling backoff.
- 429: waits for the time the server names (`Retry-After`, or the reset of Okta's `X-Rate-Limit-Reset` / Talend's
  `X-RateLimit-Reset`, epoch seconds read against the response's `Date`), capped, at most
  `RetryPolicy.rate_limit_waits` times. Requests sent meanwhile from other threads (concurrent pages) wait for the
  same moment.
- A success that says no requests are left (`X-Rate-Limit-Remaining: 0`, Talend's `X-RateLimit-Remaining: 0`)
  holds the next request until the window resets, instead of spending it on a 429.
- A `Deadline` shared by the clients of one operation bounds it all: each request's timeout is at most the time
  left, and a wait that would end past the deadline fails at once, saying what it would have waited for. Waits are
  told to `notify` (the role-mapping resource shows them in `pulumi up`).
Every error is an `ApiError` whose message is one line with the secrets already masked (masked first, then
shortened, so a cut never leaves part of a token). Any httpx failure becomes one: nothing else escapes.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn, Self, TypedDict, TypeVar
from urllib.parse import urlsplit

import httpx
import pydantic

from talend_okta.redact import Redactor

Sleep = Callable[[float], None]
Notify = Callable[[str], None]
ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)
T = TypeVar("T")


class ApiError(Exception):
    """A call to Okta or Talend failed; `str(error)` is one redacted line."""

    def __init__(self, message: str, service: str = "") -> None:
        super().__init__(message)
        self.service = service  # "Okta" or "Talend"


class ApiUnreachable(ApiError):
    """No usable HTTP answer, even after retries: connection refused, DNS, TLS, timeout, a protocol error, a body
    that cannot be decoded (a false Content-Encoding), a URL httpx refuses. The caller cannot run."""


class DeadlineExceeded(ApiUnreachable):
    """The operation's deadline came first; the message says what it was waiting for."""


class ApiStatusError(ApiError):
    """The server answered with an error status (after any retries)."""

    def __init__(self, message: str, service: str, status: int, code: str | None = None) -> None:
        super().__init__(message, service)
        self.status = status
        self.code = code  # Okta errorCode (E0000011, …) or SCIM scimType, when the body has one


class ApiAuthError(ApiStatusError):
    """401 or 403: the token is wrong, expired or lacks rights."""


class ScopeMissing(ApiAuthError):
    """403 insufficient_scope: a service app's token lacks a scope; the message names it."""


class ApiBodyError(ApiError):
    """A 2xx answer whose body is not JSON or not the expected shape."""


class SigningAuth(httpx.Auth):
    """Auth that signs each request itself (an Okta service app) and tells `redactor` every secret it holds."""

    def share_secrets(self, redactor: Redactor) -> None:
        raise NotImplementedError


class InputError(ValueError):
    """A setting is unusable; the message names the setting and what is allowed."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try before giving up on one request."""

    attempts: int = 4  # tries for 5xx, timeouts and transport errors
    backoff: float = 0.5  # seconds before the 2nd try; doubles per try
    max_backoff: float = 8.0
    rate_limit_waits: int = 6  # 429s tolerated per request
    max_rate_limit_wait: float = 60.0  # Okta's limits reset each minute


@dataclass
class Deadline:
    """The moment a whole operation (a verify pass, a role-mapping update) must be done by. Share one among the
    clients of the operation: every request and every wait of each stops there.

    `Deadline(60)` starts now; `deadline.left()` is the time left in seconds."""

    seconds: float
    clock: Callable[[], float] = time.monotonic
    at: float = field(init=False)

    def __post_init__(self) -> None:
        self.at = self.clock() + self.seconds

    def left(self) -> float:
        return self.at - self.clock()


class ClientOptions(TypedDict, total=False):
    """The keywords the Okta, Talend SCIM and Talend API clients take alike: a command run passes one set to all of
    its clients (`OktaClient(url, token, **options)`)."""

    timeout: float  # seconds per request
    retry: RetryPolicy | None
    sleep: Sleep
    transport: httpx.BaseTransport | None
    redactor: Redactor | None
    deadline: Deadline | None
    notify: Notify | None


def _ignore(_message: str) -> None:
    """The default `notify`: waits are not shown."""


LOOPBACK_NAMES = frozenset({"localhost"})
MAX_MESSAGE = 300  # characters of a server's error text shown in one message
DEFAULT_PORTS = {"https": 443, "http": 80}


def check_base_url(url: str, setting: str) -> str:
    """`url` without a trailing slash; https only, except http to a loopback host (local stand-ins)."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        raise InputError(f"{setting}: must be an https:// URL (got {url!r})")
    if parts.scheme.lower() == "http" and not is_loopback(parts.hostname):
        raise InputError(f"{setting}: plain http:// is only allowed for loopback hosts; use https:// (got {url!r})")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise InputError(f"{setting}: must be a plain base URL without query, fragment or credentials")
    try:  # what httpx would refuse only when sending
        _ = parts.port
        httpx.URL(url.strip())
        parts.hostname.encode("idna")
    except (ValueError, httpx.InvalidURL) as err:
        raise InputError(f"{setting}: not a valid URL: {err} (got {url!r})") from None
    return url.strip().rstrip("/")


def origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) as URLs compare: case-insensitive scheme and host, the default port made explicit."""
    parsed = httpx.URL(url) if isinstance(url, str) else url
    scheme = parsed.scheme.lower()
    return scheme, parsed.host.lower().rstrip("."), parsed.port or DEFAULT_PORTS.get(scheme)


def same_origin(a: str | httpx.URL, b: str | httpx.URL) -> bool:
    """Do `a` and `b` name the same server? (`https://Acme.okta.com` = `https://acme.okta.com:443`.)"""
    try:
        return origin(a) == origin(b)
    except httpx.InvalidURL:
        return False


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """An http(s) URL on this machine (the offline sandbox)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and is_loopback(parts.hostname or "")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The verifying TLS context every client in this process shares (httpx's default: certifi's CAs, or
    SSL_CERT_FILE / SSL_CERT_DIR). Building one reads the whole CA bundle, about 50 ms of CPU, and httpx builds one
    per client unless given one."""
    return httpx.create_ssl_context()


class JsonApi:
    """A small httpx client for one API: base URL, auth header, timeouts, retries, JSON decoding.

    The token goes into the `Authorization` header and into the redactor in one place, so no client can send a
    token it does not also mask; a `SigningAuth` hands its secrets to the redactor here too."""

    def __init__(
        self,
        service: str,
        base_url: str,
        auth: tuple[str, str] | SigningAuth,
        headers: Mapping[str, str] | None = None,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        transport: httpx.BaseTransport | None = None,
        redactor: Redactor | None = None,
        deadline: Deadline | None = None,
        notify: Notify | None = None,
    ) -> None:
        self.service = service  # "Okta" or "Talend", for messages
        self.base_url = base_url.rstrip("/")
        self.redact = redactor or Redactor()
        if isinstance(auth, tuple):  # ("SSWS", Okta API token) or ("Bearer", Talend token)
            scheme, token = auth
            self.redact.add(token)
            auth_header, signer = {"Authorization": f"{scheme} {token}"}, None
        else:  # an Okta service app signs each request itself
            auth.share_secrets(self.redact)
            auth_header, signer = {}, auth
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.timeout = timeout
        self.deadline = deadline
        self.notify = notify or _ignore
        self.requests = 0  # HTTP requests sent, retries included (benchmarks report it)
        self._lock = threading.Lock()  # pages may be read from several threads
        self._paused_until = 0.0  # time.monotonic() before which no request is sent (a 429 asked us to wait)
        self._pause_reason = "its rate limit"
        self._client = httpx.Client(
            headers={
                "Accept": "application/json",
                "User-Agent": "talend-okta",
                **(headers or {}),
                **auth_header,
            },
            auth=signer,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,  # a redirect must not carry the token to another host
            transport=transport,
            verify=tls_context(),
        )

    def close(self) -> None:
        self._client.close()

    def get_json(self, url: str, params: Mapping[str, str | int] | None = None) -> tuple[Any, httpx.Response]:
        """GET `url` (absolute, or a path under the base URL) and decode its JSON body."""
        response = self.get(url, params)
        try:
            return response.json(), response
        except ValueError:
            self._not_json(response)

    def get(self, url: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        """GET with retries; returns a 2xx response or raises an `ApiError`."""
        return self.send("GET", url, params)

    def post_json(self, url: str, body: Any) -> httpx.Response:
        """POST a JSON body with the same retries as GET: only for idempotent calls (a full replace)."""
        return self.send("POST", url, json_body=body)

    def send(
        self, method: str, url: str, params: Mapping[str, str | int] | None = None, *, json_body: Any = None
    ) -> httpx.Response:
        """One request with retries; returns a 2xx response or raises an `ApiError`."""
        full_url = url if url.startswith(("https://", "http://")) else self.base_url + url
        what = f"{method} {urlsplit(full_url).path}"
        tries = rate_limit_waits = 0
        paused = False  # this request waited out a 429 itself: no second wait for the same pause
        while True:
            tries += 1
            if not paused:
                self._wait_for_rate_limit(what)
            paused = False
            timeout = self._request_timeout(what)
            try:
                with self._lock:
                    self.requests += 1
                response = self._client.request(method, full_url, params=params, json=json_body, timeout=timeout)
            except httpx.TransportError as err:
                if isinstance(err, httpx.TimeoutException) and self._deadline_left() <= 0:
                    self._fail(
                        DeadlineExceeded, f"did not answer {what} before the {self._deadline_seconds()} deadline"
                    )
                if tries < self.retry.attempts:
                    self._wait(self._backoff(tries), f"{what} again after {type(err).__name__}", what)
                    continue
                kind = (
                    "timed out" if isinstance(err, httpx.TimeoutException) else f"failed ({type(err).__name__}: {err})"
                )
                self._fail(ApiUnreachable, f"at {self.base_url} could not be reached: request {kind}, {tries} tries")
            except httpx.DecodingError as err:  # e.g. Content-Encoding: gzip on a body that is not
                self._fail(ApiUnreachable, f"answered {what} with a body that could not be decoded ({err})")
            except (httpx.HTTPError, httpx.InvalidURL, UnicodeError) as err:
                self._fail(ApiUnreachable, f"at {self.base_url} could not be asked: {type(err).__name__}: {err}")
            if response.is_success:
                self._note_remaining(response)
                return response
            if response.status_code == 429 and rate_limit_waits < self.retry.rate_limit_waits:
                rate_limit_waits += 1
                wait = rate_limit_wait(response, time.time())
                asked = self._backoff(tries) if wait is None else wait
                why = f"its rate limit ({rate_limit_reason(response)})"
                self._pause(min(self.retry.max_rate_limit_wait, asked), why, what, asked)
                paused = True
                continue
            if response.status_code >= 500 and tries < self.retry.attempts:
                self._wait(self._backoff(tries), f"{what} again after {response.status_code}", what)
                continue
            self._raise_for_status(response, tries)

    def _request_timeout(self, what: str) -> float:
        """The configured timeout, or less: a request never outlives the deadline."""
        left = self._deadline_left()
        if left <= 0:
            self._fail(DeadlineExceeded, f"was not asked {what}: the {self._deadline_seconds()} deadline passed")
        return min(self.timeout, left)

    def _deadline_left(self) -> float:
        return self.deadline.left() if self.deadline else float("inf")

    def _deadline_seconds(self) -> str:
        return f"{self.deadline.seconds:g} s" if self.deadline else "no"

    def _wait(self, seconds: float, why: str, what: str, asked: float | None = None) -> None:
        """Sleep `seconds`, or fail now when the wait the server `asked` for would end at or past the deadline;
        says what it waits for."""
        if seconds <= 0:
            return
        left = self._deadline_left()
        needed = max(seconds, asked or 0.0)
        if needed >= left:
            self._fail(
                DeadlineExceeded,
                f"{what}: waiting {needed:g} s for {why} would pass the {self._deadline_seconds()} deadline "
                f"({max(0.0, left):.0f} s left)",
            )
        self.notify(self.redact(f"{self.service}: waiting {seconds:.0f} s for {why} before {what}"))
        self.sleep(seconds)

    def _note_remaining(self, response: httpx.Response) -> None:
        """A success that leaves no request in the window holds the next request until the reset."""
        headers = response.headers
        remaining = headers.get("x-rate-limit-remaining") or headers.get("x-ratelimit-remaining")
        if remaining is None or remaining.strip() != "0":
            return
        wait = reset_wait(headers, time.time())
        if wait:
            with self._lock:
                self._paused_until = max(
                    self._paused_until, time.monotonic() + min(wait, self.retry.max_rate_limit_wait)
                )
                self._pause_reason = f"its rate limit ({rate_limit_reason(response)}, 0 requests left)"

    def _pause(self, seconds: float, why: str, what: str, asked: float) -> None:
        """Wait `seconds`, and hold every other request of this client until then too."""
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            self._pause_reason = why
        self._wait(seconds, why, what, asked)

    def _wait_for_rate_limit(self, what: str) -> None:
        with self._lock:
            left, why = self._paused_until - time.monotonic(), self._pause_reason
        if left > 0:
            self._wait(left, why, what)

    def _backoff(self, tries: int) -> float:
        return float(min(self.retry.max_backoff, self.retry.backoff * 2 ** (tries - 1)))

    def _raise_for_status(self, response: httpx.Response, tries: int) -> NoReturn:
        code, summary = error_summary(response)
        status = response.status_code
        reason = self._shorten(f"{status} {response.reason_phrase}")
        text = f"answered {self._what(response)} with {reason}"
        if code or summary:
            text += ": " + self._shorten(" ".join(part for part in (code, summary) if part))
        if response.is_redirect:
            where = self._shorten(response.headers.get("location", "elsewhere"))
            text += f", a redirect to {where}: not followed (it would carry the token); check the URL"
        if status >= 500 or status == 429:
            text += f" ({tries} tries)"
        challenge = www_authenticate(response)
        if challenge.get("error") == "insufficient_scope":  # RFC 6750 §3.1; Okta names the scope it wanted
            scope = challenge.get("scope") or "a scope this call needs"
            text += (
                f"; the token lacks {scope}: grant it to the service app and add it to okta:scopes (OKTA_API_SCOPES)"
            )
        error_type = ApiAuthError if status in (401, 403) else ApiStatusError
        if challenge.get("error") == "insufficient_scope":
            error_type = ScopeMissing
        raise error_type(self.redact(f"{self.service} {text}"), self.service, status, code and self.redact(code))

    def _shorten(self, text: str) -> str:
        """A server's text as one line: masked first, then cut (a cut token would escape the mask)."""
        line = " ".join(self.redact(text).split())
        return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1] + "…"

    def _what(self, response: httpx.Response) -> str:
        return f"{response.request.method} {response.request.url.path}"

    def _fail(self, error_type: type[ApiError], text: str) -> NoReturn:
        raise error_type(self.redact(f"{self.service} {text}"), self.service) from None

    def _not_json(self, response: httpx.Response) -> NoReturn:
        content_type = response.headers.get("content-type", "none")
        self._fail(ApiBodyError, f"answered {self._what(response)} with a body that is not JSON ({content_type})")

    def _unexpected(self, response: httpx.Response, err: pydantic.ValidationError) -> NoReturn:
        self._fail(ApiBodyError, f"answered {self._what(response)} with an unexpected body: {_first_error(err)}")

    def parse(self, model: type[ModelT], data: Any, response: httpx.Response) -> ModelT:
        """Validate one JSON object into `model`, or raise `ApiBodyError` naming the first bad field."""
        try:
            return model.model_validate(data)
        except pydantic.ValidationError as err:
            self._unexpected(response, err)

    def parse_body(self, adapter: pydantic.TypeAdapter[T], response: httpx.Response) -> T:
        """Decode and validate the body in one pass from bytes (faster and leaner than decoding, then validating)."""
        try:
            return adapter.validate_json(response.content)
        except pydantic.ValidationError as err:
            if err.errors(include_url=False, include_input=False)[0]["type"] == "json_invalid":
                self._not_json(response)
            self._unexpected(response, err)


class ApiClient:
    """What the Okta and Talend clients share: one `JsonApi`, closed when the `with` block ends."""

    _api: JsonApi

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._api.close()

    @property
    def requests(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._api.requests

    def use_deadline(self, deadline: Deadline | None) -> None:
        """Bound this client's requests and waits by `deadline` from now on (None: by their own timeouts only)."""
        self._api.deadline = deadline


def _first_error(err: pydantic.ValidationError) -> str:
    first = err.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


def error_summary(response: httpx.Response) -> tuple[str | None, str | None]:
    """(code, summary) from an Okta (`errorCode`/`errorSummary`) or SCIM (`scimType`/`detail`) error body, or a
    plain-text body as the summary. Whole and unmasked: the caller masks, then shortens."""
    if response.headers.get("content-type", "").startswith("text/plain"):
        return None, response.text.strip() or None
    try:
        body = response.json()
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    fields = {key.lower(): value for key, value in body.items()}  # SCIM attribute names are case-insensitive
    code = fields.get("errorcode") or fields.get("scimtype")
    summary = fields.get("errorsummary") or fields.get("detail")
    return (str(code) if code else None), (str(summary) if summary else None)


def www_authenticate(response: httpx.Response) -> dict[str, str]:
    """The parameters of a `WWW-Authenticate` challenge: `error`, `error_description`, `scope`, …"""
    header = response.headers.get("www-authenticate", "")
    _scheme, _, rest = header.partition(" ")
    params: dict[str, str] = {}
    for part in _split_params(rest):
        name, _, value = part.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    return params


def _split_params(text: str) -> list[str]:
    """Comma-separated auth params, commas inside quotes kept."""
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [part for part in (*parts, current) if part.strip()]


def rate_limit_wait(response: httpx.Response, now: float) -> float | None:
    """Seconds a 429 asks us to wait, or None when it does not say.

    `Retry-After` (seconds or an HTTP date) wins; otherwise the reset of the rate-limit window (`reset_wait`).
    """
    if retry_after := response.headers.get("retry-after"):
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return _seconds_until(retry_after, now)
    return reset_wait(response.headers, now)


def reset_wait(headers: httpx.Headers, now: float) -> float | None:
    """Seconds until the rate-limit window resets, or None when the headers do not say.

    Okta's `X-Rate-Limit-Reset` and Talend's `X-RateLimit-Reset` (Talend's API reference: "check X-RateLimit-Limit,
    X-RateLimit-Remaining, X-RateLimit-Reset") are the epoch second the window resets, read against the server's
    own `Date` so clock skew does not matter; +1 s as Okta's SDK does. A small number is a delay in seconds.
    """
    reset = headers.get("x-rate-limit-reset") or headers.get("x-ratelimit-reset")
    if not reset:
        return None
    try:
        reset_at = float(reset)
    except ValueError:
        return None
    if reset_at < 1_000_000_000:  # a delay rather than an epoch second
        return max(0.0, reset_at)
    server_now = _epoch(headers.get("date")) or now
    return max(0.0, reset_at - server_now + 1)


def rate_limit_reason(response: httpx.Response) -> str:
    """The header a rate-limit wait comes from, for messages: `Retry-After: 3600`."""
    for name in ("Retry-After", "X-Rate-Limit-Reset", "X-RateLimit-Reset"):
        if value := response.headers.get(name):
            return f"{name}: {value[:40]}"
    return f"{response.status_code} without a reset time"


def _seconds_until(http_date: str, now: float) -> float | None:
    at = _epoch(http_date)
    return None if at is None else max(0.0, at - now)


def _epoch(http_date: str | None) -> float | None:
    if not http_date:
        return None
    try:
        return parsedate_to_datetime(http_date).timestamp()
    except (TypeError, ValueError):
        return None
