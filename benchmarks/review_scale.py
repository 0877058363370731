"""How `talend-okta review` scales: 10,000 people and 200,000 sign-ins, 50 ms per response, within Okta's limits.

Target (issue 28): the sign-ins come from ONE paged System Log query over the window (not a query per person), read
page by page keeping only each person's last sign-in; the run stays within the API token's default share of Okta's
rate-limit buckets (50% of the Enterprise plan's: System Log 25 a minute, users 300, apps 50, groups 300), so no
request gets a 429.

The Okta sandbox (Okta's rate limits enforced, `okta_limits`) and the Talend stand-in are served on loopback in this
process, seeded directly, with `--latency-ms` added to every response; `talend-okta review` runs as people run it,
in its own process, so its wall time and peak memory (ru_maxrss) are its own. People: 60% assigned through Talend
Developers, 35% through Talend Operators, 4% directly, 1% only in Talend (half of them deactivated in Okta); Talend
holds them all with the roles their group maps to. Sign-ins: `--events` spread over the last 89 days, over the
assigned people.

Usage:  .venv/bin/python benchmarks/review_scale.py [--people 10000] [--events 200000] [--latency-ms 50]
            [--markdown FILE]   (appends a results section to FILE)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scim2_models import User
from scim2_server.utils import load_default_provider

from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_limits import BUCKETS, RateLimits, bucket_of
from talend_okta_sandbox.serving import Latency, serve_wsgi
from talend_okta_sandbox.talend import TENANT, build_talend_app
from talend_okta_sandbox.talend_account import TalendAccount
from talend_okta_sandbox.talend_roles import TalendRoles

OKTA_TOKEN = "bench-okta-token-0123456789"
SCIM_TOKEN = "bench-scim-token-abcdefghij"
DEVELOPERS, OPERATORS = "Talend Developers", "Talend Operators"
MAPPINGS = {DEVELOPERS: ["Integration Developer"], OPERATORS: ["Operator"]}


class Counting:
    """Counts the requests an app serves (the Talend stand-in's)."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.requests = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.requests += 1
        return self.app(environ, start_response)


@contextmanager
def world(people: int, events: int, latency: Latency) -> Iterator[tuple[dict[str, str], OktaSandbox, Counting]]:
    rng = random.Random(28)
    okta = OktaSandbox(OKTA_TOKEN, rate_limits=RateLimits(), log_cap=events + 1000, check_contract=False)
    roles, account = TalendRoles(), TalendAccount()
    for name, mapped in MAPPINGS.items():
        roles.set_mapping(name, mapped)
    talend_app = build_talend_app(SCIM_TOKEN, roles=roles, account=account)
    storage = talend_app.scim_app.storage  # type: ignore[attr-defined]
    user_type = next(rt for rt in load_default_provider().resource_types if rt.name == "User")
    assigned: list[str] = []
    talend_only: list[str] = []  # in Talend, not assigned in Okta: half of them have left (deactivated in Okta)
    with okta.bulk():
        app_id = okta.add_saml_app("Talend Cloud")
        groups = {name: okta.add_group(name) for name in MAPPINGS}
        for group_id in groups.values():
            okta.assign_group(app_id, group_id)
        for number in range(people):
            login = f"user{number:06d}@corp.example"
            user_id = okta.add_user(login, login, "User", str(number))
            share = number / people
            group = DEVELOPERS if share < 0.60 else OPERATORS if share < 0.95 else None
            if group is not None:
                okta.add_member(groups[group], user_id)
            elif share < 0.99:
                okta.assign_user(app_id, user_id)
            (assigned if share < 0.99 else talend_only).append(user_id)
            user_name = f"user{number:06d}"
            storage.create(user_type, User(user_name=user_name, active=True, external_id=user_id))
            account.set_roles(user_name, MAPPINGS.get(group or "", []))
        with okta._org.lock:  # seeding only: Okta's deactivation, without its HTTP round trip
            for user_id in talend_only[::2]:
                okta._org.set_user_status(okta._org.user(user_id), "DEPROVISIONED")
        start = datetime.now(UTC) - timedelta(days=89)
        step = timedelta(days=89) / max(events, 1)
        for number in range(events):
            okta.sign_in(app_id, rng.choice(assigned), at=start + step * number)
    with ExitStack() as stack:
        counted = Counting(talend_app)
        talend_url = stack.enter_context(serve_wsgi(latency.wrap(counted)))
        okta_url = stack.enter_context(serve_wsgi(latency.wrap(okta.wsgi_app)))
        okta._base_url = okta_url  # its next links (`serve()` sets it; here the app is served with a latency)
        env = {
            "OKTA_ORG_URL": okta_url,
            "OKTA_API_TOKEN": OKTA_TOKEN,
            "TALEND_OKTA_APP_ID": app_id,
            "TALEND_SCIM_URL": f"{talend_url}/{TENANT}/v2",
            "TALEND_SCIM_TOKEN": SCIM_TOKEN,
        }
        yield env, okta, counted


def review(env: dict[str, str]) -> tuple[float, float, dict[str, Any], str]:
    """`talend-okta review --format json` in its own process: (wall seconds, its peak RSS in MB, the report,
    stderr). The peak is the process's VmHWM, read while it runs: `ru_maxrss` of a child would count this
    process's memory too (Linux keeps the high-water mark across the fork and exec)."""
    command = [str(Path(sys.executable).with_name("talend-okta")), "review", "--format", "json", "--output", "-"]
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=err, text=True)
        peak_kb = 0
        while process.poll() is None:
            peak_kb = max(peak_kb, _high_water_kb(process.pid))
            time.sleep(0.1)
        wall = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"review exited {process.returncode}: {stderr.strip()}")
    return wall, peak_kb / 1024, json.loads(stdout), stderr


def _high_water_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            return next((int(line.split()[1]) for line in status if line.startswith("VmHWM:")), 0)
    except (FileNotFoundError, ProcessLookupError):
        return 0


def measure(people: int, events: int, latency_ms: float) -> dict[str, Any]:
    latency = Latency()
    seeding = time.monotonic()
    with world(people, events, latency) as (env, okta, talend):
        seeded = time.monotonic() - seeding
        print(f"seeded {people} people and {events} sign-ins in {seeded:.0f} s", flush=True)
        latency.seconds = latency_ms / 1000
        wall, peak, report, stderr = review(env)
        per_bucket = Counter(bucket_of(method, path.split("?")[0]) for method, path in okta.requests)
        logs = [path for _, path in okta.requests if path.startswith("/api/v1/logs")]
        row = {
            "people": people,
            "events": events,
            "latency_ms": latency_ms,
            "wall_s": round(wall, 1),
            "peak_mb": round(peak),
            "okta_requests": dict(per_bucket),
            "talend_requests": talend.requests,
            "throttled": len(okta.throttled),
            "log_queries": sum("after=" not in path for path in logs),
            "rows": len(report["people"]),
            "summary": report["summary"],
            "with_sign_in": sum(p["lastSignIn"] is not None for p in report["people"]),
            "token_limits": {bucket: okta.rate_limiter.limits.token_limit(bucket) for bucket in per_bucket},
        }
        print(json.dumps(row), flush=True)
        print(stderr.splitlines()[0], flush=True)
        return row


def markdown(row: dict[str, Any], command: str) -> str:
    minutes = row["wall_s"] / 60
    lines = [
        "",
        "## review: 10,000 people, 200,000 sign-ins (issue 28)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python {platform.python_version()}, 2 cores "
        f"shared with other work; {row['latency_ms']:g} ms added to every response of both stand-ins; the Okta "
        "sandbox enforcing Okta's Enterprise rate limits with the API token's default 50% share:",
        "",
        "```",
        command,
        "```",
        "",
        f"{row['people']:,} people ({row['rows']:,} rows in the report), {row['events']:,} sign-in events over 89 "
        f"days ({row['with_sign_in']:,} people with a last sign-in): **{row['wall_s']:.0f} s** "
        f"({minutes:.1f} min) wall, **{row['peak_mb']} MB** peak memory (the review's process: its VmHWM), "
        f"**{row['throttled']} requests answered 429**.",
        "",
        "| Okta bucket | requests | the token's share a minute |",
        "|---|---:|---:|",
        *(
            f"| {bucket} ({BUCKETS[bucket].endpoints}) | {count} | {row['token_limits'][bucket]} |"
            for bucket, count in sorted(row["okta_requests"].items())
        ),
        f"| Talend (SCIM users, role mappings) | {row['talend_requests']} | |",
        "",
        f"The sign-ins are {row['log_queries']} System Log query, {row['okta_requests'].get('logs', 0)} pages of "
        "1,000 events read one at a time (the last sign-in per person kept, the page dropped). The logs bucket "
        "sets the pace: when a minute's share is spent (`X-Rate-Limit-Remaining: 0`) review waits for the reset "
        "instead of drawing a 429, so the wall time is about the pages over the share a minute; the other reads "
        "(app users with their Okta users embedded, group members, Talend's users with their roles) run meanwhile "
        f"in their own threads. Flags found: {', '.join(f'{k} {v}' for k, v in row['summary'].items())}.",
        "",
    ]
    return "\n".join(line if line.startswith(("|", "`", "#")) else textwrap.fill(line, 120) for line in lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--markdown", type=Path, help="append a results section to this file")
    args = parser.parse_args()
    row = measure(args.people, args.events, args.latency_ms)
    if args.markdown:
        command = " ".join(["benchmarks/review_scale.py", *sys.argv[1:]])
        with args.markdown.open("a", encoding="utf-8") as file:
            file.write(markdown(row, command))


if __name__ == "__main__":
    main()
