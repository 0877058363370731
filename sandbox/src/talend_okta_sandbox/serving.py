"""Serve a WSGI app on loopback in a background thread, with a network's latency when asked (benchmarks)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

LOOPBACK = "127.0.0.1"


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Keep test and demo output clean: no access log."""


@contextmanager
def serve_wsgi(app: Any, host: str = LOOPBACK, port: int = 0) -> Iterator[str]:
    """Run `app` until the block ends; yields its base URL `http://host:port`."""
    server = make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
    # A short poll interval: shutdown() waits for it (half of it on average), and tests start and stop hundreds.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name=f"wsgi-{server.server_port}", daemon=True
    )
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Latency:
    """A delay added to every response of the apps it wraps; `seconds` may change while they serve (benchmarks seed
    an org at 0, then time at a network's latency)."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds

    def wrap(self, app: Callable[..., Any]) -> Callable[..., Any]:
        def delayed(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            if self.seconds:
                time.sleep(self.seconds)  # a threaded server: other requests go on meanwhile, as over a network
            return app(environ, start_response)

        return delayed
