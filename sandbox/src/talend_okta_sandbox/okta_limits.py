"""Okta's rate limits in the sandbox: per-endpoint buckets by plan, the API token's share of each, the headers.

Okta counts requests per minute in buckets, one per group of endpoints, with limits that depend on the org's plan
(Okta: "Management rate limits", https://developer.okta.com/docs/reference/rl-global-mgmt/). An API token may use
only a share of each bucket, 50% unless an admin changes it, 5% at least (Okta: "Token and OAuth 2.0 app rate
limits", https://developer.okta.com/docs/reference/rl2-token-oauth/; Okta support, "How to Set API Token Rate
Limits"). The sandbox has one API token, so a bucket's token ceiling is what binds. Every response carries
`X-Rate-Limit-Limit` (the ceiling that applies to the request), `X-Rate-Limit-Remaining` and `X-Rate-Limit-Reset`
(UTC epoch seconds) (Okta: "Rate limit best practices", https://developer.okta.com/docs/reference/rl-best-practices/);
a request over the ceiling gets 429 E0000047. Okta's limit on concurrent requests (75 per org) is not modelled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

Plan = Literal["integrator-free", "one-app", "enterprise", "workforce"]
PLANS: tuple[Plan, ...] = get_args(Plan)
DEFAULT_PLAN: Plan = "enterprise"
DEFAULT_TOKEN_SHARE = 50
"""Percent of each bucket an API token may use: Okta's default for a new token."""
MIN_TOKEN_SHARE = 5
"""Okta's Admin Console refuses less (support article "How to Set API Token Rate Limits")."""
WINDOW_SECONDS = 60


@dataclass(frozen=True)
class Bucket:
    """One of Okta's rate-limit buckets: what it covers and its per-minute limit on each plan (in PLANS order)."""

    endpoints: str
    limits: tuple[int, int, int, int]


# Okta, "Management rate limits" (rl-global-mgmt), columns Integrator Free Plan, One App, Enterprise, Workforce
# identity. "user-get" is not in the current table; its figures are from the page's earlier version (Enterprise
# 1,000, Workforce 2,000). "other" is Okta's "Other endpoints" page (rl-global-other-endpoints).
BUCKETS: dict[str, Bucket] = {
    "apps": Bucket("/api/v1/apps and /api/v1/apps/{id}/* (list, create, assignments, push)", (20, 100, 100, 100)),
    "app": Bucket("/api/v1/apps/{id} (get, update or delete one app)", (100, 600, 600, 500)),
    "groups": Bucket("/api/v1/groups and /api/v1/groups/{id}/* (create, list, search, members)", (100, 600, 600, 500)),
    "group": Bucket("/api/v1/groups/{id} (get, update or delete one group)", (100, 600, 600, 1000)),
    "users": Bucket("GET or POST /api/v1/users (create, list, search)", (100, 600, 600, 600)),
    "user-get": Bucket("GET /api/v1/users/{idOrLogin} (one user, /users/me too)", (100, 600, 1000, 2000)),
    "user": Bucket("POST, PUT or DELETE /api/v1/users/{id}", (100, 600, 600, 600)),
    "logs": Bucket("/api/v1/logs (System Log)", (20, 50, 50, 120)),
    "api": Bucket("any other /api/v1 endpoint", (100, 600, 600, 1200)),
    "other": Bucket("outside /api/v1 (/.well-known/..., the sandbox's console)", (1000, 3000, 6000, 10000)),
}


def bucket_of(method: str, path: str) -> str:
    """The bucket Okta counts a request in (rl-global-mgmt: the most specific endpoint that matches)."""
    parts = path.strip("/").split("/")
    if parts[:2] != ["api", "v1"] or len(parts) < 3:
        return "other"
    match parts[2:]:
        case ["apps", _]:
            return "app"
        case ["apps", *_]:
            return "apps"
        case ["groups", _]:
            return "group"
        case ["groups", *_]:
            return "groups"
        case ["users"]:
            return "users" if method in ("GET", "POST") else "api"
        case ["users", _]:
            return "user-get" if method == "GET" else "user"
        case ["logs", *_]:
            return "logs"
        case _:
            return "api"


@dataclass(frozen=True)
class RateLimits:
    """The org's plan, the API token's share of each bucket (percent), and per-bucket overrides of the plan."""

    plan: Plan = DEFAULT_PLAN
    token_share: int = DEFAULT_TOKEN_SHARE
    overrides: Mapping[str, int] = field(default_factory=dict)
    """Org-wide per-minute limit of a bucket (a key of BUCKETS), instead of the plan's."""

    def __post_init__(self) -> None:
        if self.plan not in PLANS:
            raise ValueError(f"plan {self.plan!r}: must be one of {', '.join(PLANS)}")
        if not MIN_TOKEN_SHARE <= self.token_share <= 100:
            raise ValueError(f"token share {self.token_share}: must be a percentage from {MIN_TOKEN_SHARE} to 100")
        for name, limit in self.overrides.items():
            if name not in BUCKETS:
                raise ValueError(f"rate limit bucket {name!r}: must be one of {', '.join(BUCKETS)}")
            if limit < 1:
                raise ValueError(f"rate limit of {name}: {limit}: must be at least 1 request a minute")

    @classmethod
    def unlimited(cls) -> RateLimits:
        """Every bucket far beyond what a test sends (for benchmarks of other things than rate limits)."""
        return cls(token_share=100, overrides=dict.fromkeys(BUCKETS, 1_000_000_000))

    def org_limit(self, bucket: str) -> int:
        return self.overrides.get(bucket, BUCKETS[bucket].limits[PLANS.index(self.plan)])

    def token_limit(self, bucket: str) -> int:
        """What the API token may send to the bucket in a minute: its share of the org's limit."""
        return max(1, self.org_limit(bucket) * self.token_share // 100)


def rate_limits_from_options(plan: str, token_share: int, overrides: list[str]) -> RateLimits:
    """The sandbox's `--okta-plan`, `--token-share` and `--rate-limit BUCKET=N` options; ValueError naming the
    option and what it allows."""
    if plan not in PLANS:
        raise ValueError(f"--okta-plan {plan!r}: must be one of {', '.join(PLANS)}")
    if not MIN_TOKEN_SHARE <= token_share <= 100:
        raise ValueError(f"--token-share {token_share}: must be a percentage from {MIN_TOKEN_SHARE} to 100")
    limits: dict[str, int] = {}
    for text in overrides:
        name, sep, value = (part.strip() for part in text.partition("="))
        if not sep or name not in BUCKETS or not value.isdigit() or int(value) < 1:
            raise ValueError(
                f"--rate-limit {text!r}: must be BUCKET=N, N at least 1 request a minute, BUCKET one of "
                f"{', '.join(BUCKETS)}"
            )
        limits[name] = int(value)
    return RateLimits(plan=plan, token_share=token_share, overrides=limits)


@dataclass
class _Window:
    end: int = 0
    used: int = 0


class RateLimiter:
    """Counts each request in its bucket over fixed one-minute windows; thread-safe."""

    def __init__(self, limits: RateLimits, clock: Callable[[], float] = time.time) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def take(self, method: str, path: str) -> tuple[str, bool, list[tuple[str, str]]]:
        """Count one request: (its bucket, whether it is within the token's ceiling, the X-Rate-Limit-* headers)."""
        bucket = bucket_of(method, path)
        ceiling = self.limits.token_limit(bucket)
        with self._lock:
            now = int(self._clock())
            window = self._windows.setdefault(bucket, _Window())
            if now >= window.end:
                window.end, window.used = now + WINDOW_SECONDS, 0
            window.used += 1
            allowed = window.used <= ceiling
            headers = [
                ("X-Rate-Limit-Limit", str(ceiling)),
                ("X-Rate-Limit-Remaining", str(max(0, ceiling - window.used))),
                ("X-Rate-Limit-Reset", str(window.end)),
            ]
        return bucket, allowed, headers
