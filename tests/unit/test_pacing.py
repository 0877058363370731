"""Writes paced by Okta's X-Rate-Limit-Remaining (talend_okta.pacing): 16 workers against a small budget get no 429."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from talend_okta.pacing import PacedTransport, bucket_key

WORKERS = 16


class OneSecondWindows:
    """An Okta-like limiter on one-second windows: `limit` requests each, Okta's headers, 429 E0000047 beyond."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.window, self.used, self.refused = 0, 0, 0
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            window = int(time.time())
            if window != self.window:
                self.window, self.used = window, 0
            self.used += 1
            left = self.limit - self.used
            self.refused += left < 0
        time.sleep(0.02)  # the answer takes a while: other workers send meanwhile
        headers = {"X-Rate-Limit-Remaining": str(max(0, left)), "X-Rate-Limit-Reset": str(window + 1)}
        if left < 0:
            return httpx.Response(429, headers=headers, json={"errorCode": "E0000047"})
        return httpx.Response(200, headers=headers, json={})


def send_all(transport: httpx.BaseTransport, count: int) -> list[int]:
    start = threading.Barrier(WORKERS)

    def one(number: int) -> int:
        if number < WORKERS:
            start.wait()
        return client.delete(f"/api/v1/apps/0oa1/users/00u{number}").status_code

    with (
        httpx.Client(base_url="https://acme.okta.com", transport=transport) as client,
        ThreadPoolExecutor(WORKERS) as pool,
    ):
        return list(pool.map(one, range(count)))


def test_sixteen_workers_without_pacing_end_in_429s() -> None:
    limiter = OneSecondWindows(limit=6)
    statuses = send_all(httpx.MockTransport(limiter), WORKERS)
    assert 429 in statuses


def test_sixteen_workers_paced_by_the_remaining_count_get_no_429() -> None:
    limiter = OneSecondWindows(limit=6)
    paced = PacedTransport(httpx.MockTransport(limiter))
    statuses = send_all(paced, 20)
    assert statuses == [200] * 20
    assert limiter.refused == 0
    assert paced.waited > 0


def test_buckets_are_told_apart_as_okta_counts_them() -> None:
    assert bucket_key("DELETE", "/api/v1/apps/0oa1/users/00u1") == bucket_key("PUT", "/api/v1/apps/0oa1/groups/00g1")
    assert bucket_key("GET", "/api/v1/apps/0oa1") != bucket_key("GET", "/api/v1/apps/0oa1/users")
    assert bucket_key("GET", "/api/v1/users/00u1") != bucket_key("POST", "/api/v1/users/00u1")
