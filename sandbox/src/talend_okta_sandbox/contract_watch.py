"""Every exchange a stand-in serves, checked against its vendor's definition (contract), violations kept.

`checked(app, definition)` wraps a WSGI app: each request and the answer to it are checked, and violations go to the
process-wide `WATCH`, which the test suite empties after each test (a violation fails the test that caused it), the
demo reads at its end, and `make sandbox` logs as they come. A test that sends a bad request on purpose takes the
violation it expects from `WATCH.take()` and asserts it.

Not checked: paths under `unchecked` prefixes (the sandbox's admin-console routes are not the vendor's API) and the
answer of a fault a test injected (the environ carries `FAULT_KEY`): the test wrote that answer, not the sandbox.
"""

from __future__ import annotations

import atexit
import io
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from talend_okta_sandbox.contract import Definition, Violation
from talend_okta_sandbox.okta_http import MAX_BODY

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
FAULT_KEY = "talend_okta_sandbox.injected_fault"
STATS_ENV = "TALEND_OKTA_CONTRACT_STATS"
"""A file each process appends its counts to at exit (one JSON line): exchanges checked, operations covered."""
_log = logging.getLogger(__name__)


class Watch:
    """What the stand-ins of this process have checked, and the violations not yet taken. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._violations: list[Violation] = []
        self.exchanges = 0
        self.operations: Counter[str] = Counter()

    def record(self, api: str, operation: str, violations: list[Violation]) -> None:
        with self._lock:
            self.exchanges += 1
            self.operations[f"{api} {operation}"] += 1
            self._violations.extend(violations)
        for violation in violations:
            _log.warning("contract violation: %s", violation)

    def take(self) -> list[Violation]:
        """The violations recorded since the last take, in order; the watch forgets them."""
        with self._lock:
            taken, self._violations = self._violations, []
        return taken


WATCH = Watch()


def _write_stats() -> None:
    target = os.environ.get(STATS_ENV)
    if target and WATCH.exchanges:
        line = {"pid": os.getpid(), "exchanges": WATCH.exchanges, "operations": dict(WATCH.operations)}
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")


atexit.register(_write_stats)


def checked(app: WsgiApp, definition: Callable[[], Definition], *, unchecked: tuple[str, ...] = ()) -> WsgiApp:
    """`app`, with each exchange checked against `definition()` (loaded at the first request)."""

    def serve(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        # A client sent through a proxy (the Okta provider's okta:httpProxy) names the whole URL in the request line.
        target = path.split("://", 1)[-1].partition("/")[2] if "://" in path else path.lstrip("/")
        if ("/" + target).startswith(unchecked):
            return app(environ, start_response)
        length_text = str(environ.get("CONTENT_LENGTH") or "0").strip()
        if not length_text.isdigit() or int(length_text) > MAX_BODY:
            return app(environ, start_response)  # the app refuses it before any route, as the vendor does
        length = int(length_text)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        answered: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answered["status"], answered["headers"] = status, headers
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        chunks = app(environ, capture)
        payload = b"".join(chunks)
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        status = None if environ.get(FAULT_KEY) else int(str(answered.get("status", "500")).split()[0])
        content_type = next((v for k, v in answered.get("headers", []) if k.lower() == "content-type"), "")
        spec = definition()
        operation, violations = spec.check(
            environ.get("REQUEST_METHOD", "GET").upper(),
            "/" + target,
            environ.get("QUERY_STRING", ""),
            body,
            status,
            payload,
            content_type,
        )
        WATCH.record(spec.api, operation, violations)
        return [payload]

    return serve
