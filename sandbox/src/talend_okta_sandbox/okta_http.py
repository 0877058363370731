"""HTTP plumbing for the Okta sandbox: requests, responses, Okta errors, paging, filters, faults."""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from talend_okta_sandbox import okta_json

JSON = dict[str, Any]

_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class OktaError(Exception):
    """An error answered the way Okta answers it: a status code and an Okta error body."""

    def __init__(self, status: int, code: str, summary: str, causes: list[str] | None = None) -> None:
        super().__init__(summary)
        self.status, self.code, self.summary, self.causes = status, code, summary, causes or []


def not_found(what: str) -> OktaError:
    return OktaError(404, "E0000007", f"Not found: Resource not found: {what}")


def invalid(*causes: str) -> OktaError:
    return OktaError(400, "E0000001", "Api validation failed: " + ", ".join(causes), list(causes))


def invalid_token() -> OktaError:
    return OktaError(401, "E0000011", "Invalid token provided")


def rate_limited() -> OktaError:
    return OktaError(429, "E0000047", "API call exceeded rate limit due to too many requests.")


def default_error(status: int) -> OktaError:
    """The body Okta sends for a status, used for injected faults that don't bring their own body."""
    known = {
        400: ("E0000001", "Api validation failed"),
        401: ("E0000011", "Invalid token provided"),
        403: ("E0000006", "You do not have permission to perform the requested action"),
        404: ("E0000007", "Not found: Resource not found"),
        405: ("E0000022", "The endpoint does not support the provided HTTP method"),
        429: ("E0000047", "API call exceeded rate limit due to too many requests."),
    }
    code, summary = known.get(status, ("E0000009", "Internal Server Error"))
    return OktaError(status, code, summary)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    raw_query: str
    headers: dict[str, str]
    body: bytes
    base_url: str
    """Where the client addressed the request (Host, or an absolute-form request line): response bodies use it."""
    server_url: str
    """The sandbox's own address: `Link` headers use it, so a forged Host cannot steer a client's next request (and
    its token) elsewhere. Okta's links always name the org's own URL (okta-recordings: every `Link` header)."""

    @property
    def target(self) -> str:
        """Path and query, as logged in `OktaSandbox.requests`."""
        return f"{self.path}?{self.raw_query}" if self.raw_query else self.path

    def json(self) -> JSON:
        """The JSON object in the body; `{}` for an empty body. Okta answers E0000003 to anything else."""
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise OktaError(400, "E0000003", "The request body was not well-formed.") from exc
        if not isinstance(value, dict):
            raise OktaError(400, "E0000003", "The request body was not well-formed.")
        return value


@dataclass
class Response:
    status: int = 200
    body: Any = None
    """JSON-able value, raw bytes, or None for no body."""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json"

    @classmethod
    def from_error(cls, err: OktaError) -> Response:
        return cls(err.status, okta_json.error(err.code, err.summary, err.causes))

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


_CONTENT_LENGTH = re.compile(r"[0-9]{1,12}")
MAX_BODY = 10 * 1024 * 1024  # bytes; Okta's own limits are far lower, the sandbox only needs a bound


def parse_request(environ: dict[str, Any], server_url: str) -> Request:
    """Build a Request from a WSGI environ, accepting absolute-form request lines (`GET http://host/path`).

    A Content-Length that is not a plain number (RFC 9110 §8.6: 1*DIGIT) is refused with an Okta 400 before any
    route runs, as Okta's front end refuses it before its API does.
    """
    path = environ.get("PATH_INFO") or "/"
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
    if path.startswith(("http://", "https://")):
        # A proxy-style request (okta:httpProxy): the request line holds the whole URL.
        parts = urlsplit(path)
        host, path = parts.netloc or host, parts.path or "/"
    raw_query = environ.get("QUERY_STRING", "")
    length = _content_length(str(environ.get("CONTENT_LENGTH") or "0"))
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    headers = {
        key[5:].replace("_", "-").title(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    return Request(
        method=environ.get("REQUEST_METHOD", "GET").upper(),
        path=path,
        query=dict(parse_qsl(raw_query, keep_blank_values=True)),
        raw_query=raw_query,
        headers=headers,
        body=body,
        base_url=f"http://{host}",
        server_url=server_url,
    )


def _content_length(text: str) -> int:
    if not _CONTENT_LENGTH.fullmatch(text.strip()) or int(text) > MAX_BODY:
        raise OktaError(400, "E0000003", "The request body was not well-formed.")
    return int(text)


def finish(
    response: Response, start_response: Callable[..., Any], extra_headers: Sequence[tuple[str, str]]
) -> list[bytes]:
    payload = response.encoded()
    own = {name.lower() for name, _ in response.headers}
    defaults = [("Date", formatdate(usegmt=True)), *extra_headers]
    headers = [(name, value) for name, value in defaults if name.lower() not in own] + response.headers
    names = {name.lower() for name, _ in headers}
    if payload and "content-type" not in names:
        headers.append(("Content-Type", response.content_type))
    headers.append(("Content-Length", str(len(payload))))
    start_response(f"{response.status} {_REASONS.get(response.status, 'Status')}", headers)
    return [payload]


# --- paging ---------------------------------------------------------------------------------------------------


def limit_param(request: Request, default: int, maximum: int) -> int:
    raw = request.query.get("limit", "")
    try:
        value = int(raw) if raw else default
    except ValueError as exc:
        raise invalid("limit: must be a number") from exc
    if value < 1:
        raise invalid("limit: must be at least 1")
    return min(value, maximum)


def page(sorted_ids: Sequence[str], after: str, limit: int) -> tuple[Sequence[str], str | None]:
    """One page of ids after the cursor (the last id of the previous page), and the cursor of the next page."""
    start = bisect_right(sorted_ids, after) if after else 0
    chunk = sorted_ids[start : start + limit]
    more = start + limit < len(sorted_ids)
    return chunk, (chunk[-1] if more and chunk else None)


def link_headers(request: Request, limit: int, next_after: str | None) -> list[tuple[str, str]]:
    """Okta's paging headers: one `Link` header per relation (the Go SDK reads them one by one)."""
    query = {key: value for key, value in request.query.items() if key not in ("after", "limit")}
    self_query = urlencode(
        {**query, "limit": limit} | ({"after": request.query["after"]} if request.query.get("after") else {})
    )
    here = f"{request.server_url}{quote(request.path)}"
    links = [("Link", f'<{here}?{self_query}>; rel="self"')]
    if next_after is not None:
        next_query = urlencode({**query, "after": next_after, "limit": limit})
        links.append(("Link", f'<{here}?{next_query}>; rel="next"'))
    return links


# --- search and filter expressions ---------------------------------------------------------------------------

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()"]+))')
Predicate = Callable[[Callable[[str], Any]], bool]
Tokens = list[tuple[str, str]]  # (kind, text): "(", ")", "str" or "word"


def parse_expression(text: str) -> Predicate:
    """Okta's `filter`/`search` expressions (`profile.login eq "a@b.c" and status eq "ACTIVE"`) as a predicate.

    Supports eq, ne, sw, ew, co, gt, ge, lt, le, pr, `and`, `or` and parentheses; the predicate takes a getter
    that reads an attribute path of the object being tested. A multi-valued attribute (the System Log's
    `target.id`) matches when any of its values does, so `target.id eq "<user>" and target.id eq "<app>"` finds
    events naming both (Okta, "System Log query": events published for a target user and application).
    """
    tokens: Tokens = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            if text[pos:].strip():
                raise OktaError(400, "E0000031", "Invalid search criteria.")
            break
        pos = match.end()
        lpar, rpar, string, word = match.groups()
        if lpar:
            tokens.append(("(", "("))
        elif rpar:
            tokens.append((")", ")"))
        elif string is not None:
            tokens.append(("str", string.replace('\\"', '"')))
        elif word is not None:
            tokens.append(("word", word))
    predicate, rest = _parse_or(tokens)
    if rest:
        raise OktaError(400, "E0000031", "Invalid search criteria.")
    return predicate


def _parse_or(tokens: Tokens) -> tuple[Predicate, Tokens]:
    return _parse_chain(tokens, "or", _parse_and, lambda a, b: lambda get: a(get) or b(get))


def _parse_and(tokens: Tokens) -> tuple[Predicate, Tokens]:
    return _parse_chain(tokens, "and", _parse_term, lambda a, b: lambda get: a(get) and b(get))


def _parse_chain(
    tokens: Tokens,
    word: str,
    operand: Callable[[Tokens], tuple[Predicate, Tokens]],
    combine: Callable[[Predicate, Predicate], Predicate],
) -> tuple[Predicate, Tokens]:
    """`operand (word operand)*`, combined left to right."""
    left, tokens = operand(tokens)
    while tokens and tokens[0] == ("word", word):
        right, tokens = operand(tokens[1:])
        left = combine(left, right)
    return left, tokens


def _parse_term(tokens: Tokens) -> tuple[Predicate, Tokens]:
    bad = OktaError(400, "E0000031", "Invalid search criteria.")
    if not tokens:
        raise bad
    if tokens[0][0] == "(":
        inner, rest = _parse_or(tokens[1:])
        if not rest or rest[0][0] != ")":
            raise bad
        return inner, rest[1:]
    if len(tokens) < 2 or tokens[0][0] != "word":
        raise bad
    attr, op = tokens[0][1], tokens[1][1].lower()
    if op == "pr":
        return (lambda get: _any(lambda v: v not in (None, ""), get(attr))), tokens[2:]
    if len(tokens) < 3 or op not in _OPS:
        raise bad
    kind, raw = tokens[2]
    value: Any = raw
    if kind == "word":
        value = {"true": True, "false": False, "null": None}.get(raw, raw)
    compare = _OPS[op]
    return (lambda get: _any(lambda v: compare(v, value), get(attr))), tokens[3:]


def _any(test: Callable[[Any], bool], value: Any) -> bool:
    """`test` of a value, or of any value of a multi-valued attribute (a list)."""
    return any(test(v) for v in value) if isinstance(value, list) else test(value)


def _text(value: Any) -> str:
    return "" if value is None else str(value).lower()


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: _text(a) == _text(b) if isinstance(b, str) else a == b,
    "ne": lambda a, b: _text(a) != _text(b) if isinstance(b, str) else a != b,
    "sw": lambda a, b: _text(a).startswith(_text(b)),
    "ew": lambda a, b: _text(a).endswith(_text(b)),
    "co": lambda a, b: _text(b) in _text(a),
    "gt": lambda a, b: a is not None and str(a) > str(b),
    "ge": lambda a, b: a is not None and str(a) >= str(b),
    "lt": lambda a, b: a is not None and str(a) < str(b),
    "le": lambda a, b: a is not None and str(a) <= str(b),
}


def getter(obj: JSON) -> Callable[[str], Any]:
    """Read a dotted attribute path (`profile.login`) of a JSON object; through a list (`target.id`), the list of
    what each element holds."""

    def step(value: Any, part: str) -> Any:
        if isinstance(value, list):
            return [step(item, part) for item in value]
        return value.get(part) if isinstance(value, dict) else None

    def get(path: str) -> Any:
        value: Any = obj
        for part in path.split("."):
            value = step(value, part)
        return value

    return get


def starts_with_any(values: Iterable[Any], prefix: str) -> bool:
    """Okta's `q=` matching: a case-insensitive prefix match on any of a few fields."""
    lowered = prefix.lower()
    return any(isinstance(value, str) and value.lower().startswith(lowered) for value in values)


# --- faults ---------------------------------------------------------------------------------------------------


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: str | bytes | None
    headers: dict[str, str]
    times: int

    def matches(self, request: Request) -> bool:
        return self.times > 0 and self.method in ("*", request.method) and bool(self.pattern.search(request.path))

    def response(self) -> Response:
        response = (
            Response.from_error(default_error(self.status)) if self.body is None else Response(self.status, self.body)
        )
        response.headers = list(self.headers.items())
        return response
