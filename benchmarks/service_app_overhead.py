"""What signing in as an Okta OAuth 2.0 service app (private_key_jwt, DPoP) costs against an API token (SSWS).

The Okta sandbox on loopback, no rate limits, one group read over and over: per call, an API token sends a header;
a service app signs a DPoP proof (ES256) that the sandbox verifies. Once per run the service app fetches its token:
three token requests (plain, with a proof, with Okta's nonce), each with an RS256 client assertion. Both the first
call (token included) and the calls after it are reported, median of `--runs`.

Usage:  .venv/bin/python benchmarks/service_app_overhead.py [--calls 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from pydantic import SecretStr

from talend_okta import okta_auth
from talend_okta.okta_api import OktaClient
from talend_okta.okta_auth import ServiceApp
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_limits import RateLimits
from talend_okta_sandbox.okta_oauth import generate_key_pair

TOKEN = "bench-okta-token-0123456789"
SCOPES = ("okta.apps.read", "okta.groups.read")


def per_call(client: OktaClient, group_id: str, calls: int) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        client.get_group(group_id)
    return (time.perf_counter() - started) / calls * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sandbox = OktaSandbox(TOKEN, rate_limits=RateLimits.unlimited())
    keys = generate_key_pair()
    sandbox.register_service_app("0oabench", keys.public_pem, SCOPES)
    group_id = sandbox.add_group("Devs")
    first, ssws, dpop = [], [], []
    with sandbox.serve() as url:
        for _ in range(args.runs):
            with OktaClient(url, TOKEN) as client:
                client.get_group(group_id)
                ssws.append(per_call(client, group_id, args.calls))
            okta_auth._SESSIONS.clear()  # a new run: a new token
            with OktaClient(url, ServiceApp("0oabench", SecretStr(keys.private_pem), None, SCOPES)) as client:
                started = time.perf_counter()
                client.get_group(group_id)
                first.append((time.perf_counter() - started) * 1000)
                dpop.append(per_call(client, group_id, args.calls))
    print("| way in | first call (ms) | each call after (ms) |")
    print("|---|---|---|")
    print(f"| API token (SSWS) | — | {statistics.median(ssws):.2f} |")
    print(f"| service app (DPoP) | {statistics.median(first):.1f} (3 token requests) | {statistics.median(dpop):.2f} |")
    print(f"\nissued tokens: {sandbox.oauth.issued} for {args.runs} runs")


if __name__ == "__main__":
    main()
