"""The sandbox's rate limits: Okta's per-endpoint buckets, the API token's share of each, and the 429 answer."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx
import pytest

from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_limits import RateLimiter, RateLimits, bucket_of, rate_limits_from_options
from tests.sandbox.conftest import API_TOKEN
from tests.sandbox.test_demo import demo_command, demo_env, exported, serving


@contextmanager
def served(limits: RateLimits | None = None) -> Iterator[tuple[OktaSandbox, httpx.Client]]:
    sandbox = OktaSandbox(API_TOKEN, rate_limits=limits)
    with (
        sandbox.serve() as base_url,
        httpx.Client(base_url=base_url, headers={"Authorization": f"SSWS {API_TOKEN}"}, timeout=5.0) as client,
    ):
        yield sandbox, client


def statuses(client: httpx.Client, path: str, times: int) -> list[int]:
    return [client.get(path).status_code for _ in range(times)]


@pytest.mark.parametrize(
    ("method", "path", "bucket"),
    [
        ("GET", "/api/v1/apps", "apps"),
        ("POST", "/api/v1/apps", "apps"),
        ("GET", "/api/v1/apps/0oa1", "app"),
        ("PUT", "/api/v1/apps/0oa1", "app"),
        ("GET", "/api/v1/apps/0oa1/groups", "apps"),
        ("PUT", "/api/v1/apps/0oa1/groups/00g1", "apps"),
        ("GET", "/api/v1/apps/0oa1/group-push/mappings/gPm1", "apps"),
        ("GET", "/api/v1/apps/0oa1/sso/saml/metadata", "apps"),
        ("GET", "/api/v1/groups", "groups"),
        ("GET", "/api/v1/groups/00g1/users", "groups"),
        ("GET", "/api/v1/groups/00g1", "group"),
        ("GET", "/api/v1/users", "users"),
        ("POST", "/api/v1/users", "users"),
        ("GET", "/api/v1/users/me", "user-get"),
        ("POST", "/api/v1/users/00u1", "user"),
        ("GET", "/api/v1/users/00u1/groups", "api"),
        ("GET", "/api/v1/logs", "logs"),
        ("GET", "/api/v1/meta/schemas/user/default", "api"),
        ("GET", "/.well-known/okta-organization", "other"),
    ],
)
def test_each_request_counts_in_the_bucket_okta_documents(method: str, path: str, bucket: str) -> None:
    assert bucket_of(method, path) == bucket


def test_the_token_gets_half_the_apps_bucket_then_429_like_okta() -> None:
    """Enterprise plan (the default): /api/v1/apps* is 100 a minute, the API token's default share 50%."""
    with served() as (sandbox, okta):
        app_id = sandbox.add_saml_app("Talend Cloud")
        assert statuses(okta, f"/api/v1/apps/{app_id}/groups", 50) == [200] * 50
        before = time.time()
        refused = okta.get(f"/api/v1/apps/{app_id}/users")
        assert refused.status_code == 429
        assert refused.json()["errorCode"] == "E0000047"
        assert refused.json()["errorSummary"] == "API call exceeded rate limit due to too many requests."
        assert (refused.headers["X-Rate-Limit-Limit"], refused.headers["X-Rate-Limit-Remaining"]) == ("50", "0")
        # The provider waits X-Rate-Limit-Reset - Date + 1 seconds (okta-sdk-golang Get429BackoffTime).
        wait = int(refused.headers["X-Rate-Limit-Reset"]) - parsedate_to_datetime(refused.headers["Date"]).timestamp()
        assert 0 < wait <= 61
        assert int(refused.headers["X-Rate-Limit-Reset"]) >= int(before)
        # Other buckets are counted apart: one app by id (600), groups (600), users (600) still answer.
        one_app = okta.get(f"/api/v1/apps/{app_id}")
        assert (one_app.status_code, one_app.headers["X-Rate-Limit-Limit"]) == (200, "300")
        groups = okta.get("/api/v1/groups")
        assert (groups.status_code, groups.headers["X-Rate-Limit-Remaining"]) == (200, "299")
        assert okta.get("/api/v1/users").status_code == 200
    assert sandbox.throttled == [("GET", f"/api/v1/apps/{app_id}/users")]


def test_the_plan_the_share_and_each_bucket_can_be_set() -> None:
    free = RateLimits(plan="integrator-free", token_share=100, overrides={"groups": 4})
    with served(free) as (sandbox, okta):
        app_id = sandbox.add_saml_app("Talend Cloud")
        assert statuses(okta, f"/api/v1/apps/{app_id}/features", 21) == [200] * 20 + [429]
        assert statuses(okta, "/api/v1/groups", 5) == [200] * 4 + [429]
        logs = okta.get("/api/v1/logs")
        assert logs.headers["X-Rate-Limit-Limit"] == "20"
    assert len(sandbox.throttled) == 2


def test_a_bucket_opens_again_when_its_minute_is_over() -> None:
    now = [1_000_000.0]
    limiter = RateLimiter(RateLimits(overrides={"logs": 4}), clock=lambda: now[0])
    taken = [limiter.take("GET", "/api/v1/logs") for _ in range(3)]
    assert [allowed for _, allowed, _ in taken] == [True, True, False]
    assert dict(taken[-1][2]) == {
        "X-Rate-Limit-Limit": "2",
        "X-Rate-Limit-Remaining": "0",
        "X-Rate-Limit-Reset": "1000060",
    }
    now[0] += 59
    assert limiter.take("GET", "/api/v1/logs")[1] is False
    now[0] += 1
    bucket, allowed, headers = limiter.take("GET", "/api/v1/logs")
    assert (bucket, allowed, dict(headers)["X-Rate-Limit-Reset"]) == ("logs", True, "1000120")


@pytest.mark.parametrize(
    ("plan", "share", "overrides", "message"),
    [
        ("premium", 50, [], "--okta-plan 'premium': must be one of integrator-free, one-app, enterprise, workforce"),
        ("enterprise", 4, [], "--token-share 4: must be a percentage from 5 to 100"),
        ("enterprise", 101, [], "--token-share 101: must be a percentage from 5 to 100"),
        ("enterprise", 50, ["apps"], "--rate-limit 'apps': must be BUCKET=N"),
        ("enterprise", 50, ["appz=5"], "--rate-limit 'appz=5': must be BUCKET=N"),
        ("enterprise", 50, ["apps=0"], "--rate-limit 'apps=0': must be BUCKET=N"),
        ("enterprise", 50, ["apps=-3"], "--rate-limit 'apps=-3': must be BUCKET=N"),
    ],
)
def test_bad_options_name_the_option(plan: str, share: int, overrides: list[str], message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")) as caught:
        rate_limits_from_options(plan, share, overrides)
    assert "\n" not in str(caught.value)


def test_a_bad_option_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = subprocess.run(
        demo_command("--serve", "--workdir", str(tmp_path), "--token-share", "0"),
        env=demo_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["sandbox: error: --token-share 0: must be a percentage from 5 to 100"]
    assert not (tmp_path / "okta-sandbox.json").exists()


def test_make_sandbox_enforces_the_plan_it_is_given(tmp_path: Path) -> None:
    options = ["--okta-plan", "integrator-free", "--token-share", "100", "--rate-limit", "groups=3"]
    with serving(tmp_path, options) as (_, printed, _):
        exports = exported(printed)
        said = "Rate limits: Okta's integrator-free plan, the API token may use 100% of each bucket"
        assert any(line.startswith(said) for line in printed)
        headers = {"Authorization": f"SSWS {exports['OKTA_API_TOKEN']}"}
        with httpx.Client(base_url=exports["OKTA_ORG_URL"], headers=headers, timeout=5) as okta:
            assert statuses(okta, "/api/v1/groups", 4) == [200, 200, 200, 429]
            assert okta.get("/api/v1/apps").headers["X-Rate-Limit-Limit"] == "20"
