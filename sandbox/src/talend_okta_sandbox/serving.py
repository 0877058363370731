"""Serve a WSGI app on loopback in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Iterator
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
