"""Fixtures every test area shares."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import pytest

from talend_okta import http
from talend_okta.http import tls_context
from talend_okta_sandbox import contract
from talend_okta_sandbox.contract_watch import WATCH
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.talend import RunningTalend, run_talend

# The variables `talend-okta` reads its targets and tokens from: tests unset them all, then set their own.
TARGET_VARIABLES = (
    "OKTA_ORG_URL",
    "OKTA_API_TOKEN",
    "OKTA_API_CLIENT_ID",
    "OKTA_API_PRIVATE_KEY",
    "OKTA_API_PRIVATE_KEY_ID",
    "OKTA_API_SCOPES",
    "TALEND_OKTA_APP_ID",
    "TALEND_SCIM_URL",
    "TALEND_SCIM_TOKEN",
    "TALEND_API_URL",
    "TALEND_API_TOKEN",
)


def sandbox_client(**options: Any) -> httpx.Client:
    """An httpx client for a stand-in on loopback (options as httpx.Client takes them). It shares the product's TLS
    context: httpx builds one per client otherwise, reading the whole CA bundle (50 ms) each time."""
    return httpx.Client(**({"timeout": 5.0, "verify": tls_context()} | options))


@pytest.fixture(scope="session", autouse=True)
def api_definitions() -> None:
    """Every exchange with a stand-in is checked against the vendor's published definition (contract_watch): the
    definitions must be there, a missing folder is one line and a failure, never a skip."""
    try:
        contract.okta(), contract.talend()
    except contract.SpecsMissing as missing:
        problem = str(missing)
    else:
        return
    pytest.fail(problem, pytrace=False)


@pytest.fixture(autouse=True)
def contract_kept() -> Iterator[None]:
    """A violation of Okta's or Talend's definition fails the test whose exchange caused it (operation, field, rule
    named). A test that breaks a rule on purpose takes its violations with `WATCH.take()` and asserts them."""
    WATCH.take()
    yield
    if violations := WATCH.take():
        pytest.fail("exchanges broke the vendor's API definition:\n" + "\n".join(map(str, violations)), pytrace=False)


def contract_violations() -> list[str]:
    """The rules of the vendors' definitions broken since the last call, as `operation field: keyword` (list indices
    folded): for a test that sends a request the definition refuses on purpose, to assert exactly those."""
    return sorted({f"{v.key[0]} {v.key[1]}: {v.key[2]}" for v in WATCH.take()})


def vendor_transport(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    """`httpx.MockTransport(handler)`, with each request the product sends checked against Okta's definition (paths
    under /api/ and /.well-known/) or Talend's (every other path): a request either vendor would refuse fails the
    test even where no stand-in runs (contract_watch)."""

    def checked(request: httpx.Request) -> httpx.Response:
        okta = request.url.path.startswith(("/api/", "/.well-known/"))
        definition = contract.okta() if okta else contract.talend()
        method, path, query = request.method, request.url.path, request.url.query.decode()
        operation, violations = definition.check(method, path, query, request.read(), None)
        WATCH.record(definition.api, operation, violations)
        return handler(request)

    return httpx.MockTransport(checked)


@pytest.fixture
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients keep their retries but skip the waits between them: for tests of what happens once the retries are
    spent. The waits themselves (doubling backoff, Retry-After) are checked with an injected sleep in
    tests/verify/test_clients.py and tests/verify/test_verify.py."""
    monkeypatch.setattr(http, "RetryPolicy", functools.partial(http.RetryPolicy, backoff=0.0, max_backoff=0.0))


@dataclass(frozen=True)
class Served:
    """The Okta sandbox and the Talend stand-in, both on loopback, for one test."""

    okta: OktaSandbox
    okta_url: str
    talend: RunningTalend


class ServeSandbox(Protocol):
    def __call__(
        self, okta_token: str, talend_token: str, *, talend: Mapping[str, Any] | None = None, **okta: Any
    ) -> Served: ...


@pytest.fixture
def serve_sandbox() -> Iterator[ServeSandbox]:
    """The one way end-to-end tests start the sandbox: `serve_sandbox(okta_token, talend_token, talend={run_talend
    options}, **OktaSandbox options)`. Each test gets its own org and Talend tenant (starting both takes
    milliseconds), stopped when it ends; the worlds of verify, explain, provision, preflight and adopt seed them."""
    with contextlib.ExitStack() as running:

        def serve(
            okta_token: str, talend_token: str, *, talend: Mapping[str, Any] | None = None, **okta: Any
        ) -> Served:
            stand_in = running.enter_context(run_talend(talend_token, **(talend or {})))
            sandbox = OktaSandbox(okta_token, **({"scim_timeout": 5.0} | okta))
            return Served(sandbox, running.enter_context(sandbox.serve()), stand_in)

        yield serve


# The longest tests (minutes under the real engine, tens of seconds for the demo in a subprocess) run first, so that
# when the suite is spread over the cores (make test: pytest-xdist) no core is left with one of them at the end.
LONG_RUNNING = ("tests/engine/", "tests/sandbox/test_demo.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(LONG_RUNNING))  # stable: the rest keep their order
