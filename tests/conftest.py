"""Fixtures every test area shares."""

from __future__ import annotations

import functools

import pytest

from talend_okta import http


@pytest.fixture
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients keep their retries but skip the waits between them: for tests of what happens once the retries are
    spent. The waits themselves (doubling backoff, Retry-After) are checked with an injected sleep in
    tests/verify/test_clients.py and tests/verify/test_verify.py."""
    monkeypatch.setattr(http, "RetryPolicy", functools.partial(http.RetryPolicy, backoff=0.0, max_backoff=0.0))
