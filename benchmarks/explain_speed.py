"""How fast `talend-okta explain` answers, with 50 ms per response, and how many requests it makes.

Target (issue 17): at most 15 requests for a person in up to 5 groups, under 2 s with 50 ms per response, whatever
the size of the org or the tenant (explain never lists all users).

The Okta sandbox and the Talend stand-in are served on loopback with a delay added to every response (0 while the
org is seeded and the app deployed, `--latency-ms` while explain is timed). The app is deployed as the stack
declares it (three assigned groups, two with Talend roles). Each person explained is in 5 groups (the 3 assigned
ones and 2 others); `--others` people more sit in the same groups and in Talend. Cases: in sync (found by login),
in sync found by email (the longest path: the login lookup misses first), stranded, push failed (Okta's error
quoted from the System Log). Each case runs `--runs` times; the median and the slowest are reported.

Usage:  .venv/bin/python benchmarks/explain_speed.py [--others 0 5000] [--latency-ms 50] [--runs 5] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from talend_okta.explain.command import explain_person
from talend_okta.settings import load_settings
from talend_okta.target import ConnectionSettings
from talend_okta_sandbox.deploy import OktaAdmin, deploy
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.serving import Latency, serve_wsgi
from talend_okta_sandbox.talend import TENANT, build_talend_app

OKTA_TOKEN = "bench-okta-token-0123456789"
SCIM_TOKEN = "bench-scim-token-abcdefghij"
ASSIGNED = {
    "Talend Developers": {"priority": 1, "talendRoles": ["Integration Developer"]},
    "Talend Operators": {"priority": 2, "talendRoles": ["Operator"]},
    "Talend Guests": {"priority": 3},
}
OTHER_GROUPS = ("Corp Everyone", "Corp Engineering")


@contextmanager
def world(others: int, latency: Latency) -> Iterator[tuple[ConnectionSettings, OktaSandbox, str, str]]:
    sandbox = OktaSandbox(OKTA_TOKEN, scim_timeout=10.0, provisioning_api="supported", check_contract=False)
    groups = {name: sandbox.add_group(name) for name in (*ASSIGNED, *OTHER_GROUPS)}
    with ExitStack() as stack:
        talend_url = stack.enter_context(serve_wsgi(latency.wrap(build_talend_app(SCIM_TOKEN))))
        okta_url = stack.enter_context(serve_wsgi(latency.wrap(sandbox.wsgi_app)))
        scim_url = f"{talend_url}/{TENANT}/v2"
        settings = load_settings(
            {
                "region": "eu",
                "domainName": "acme.eu.cloud.talend.com",
                "scimToken": SCIM_TOKEN,
                "groups": [{"name": name, **extra} for name, extra in ASSIGNED.items()],
            }
        )
        with OktaAdmin(okta_url, OKTA_TOKEN) as admin:
            deployed = deploy(admin, settings, scim_base_url=scim_url, talend_api_url=talend_url)
        with sandbox.bulk():
            for number in range(others):
                user = sandbox.add_user(f"other{number:06d}@corp.example", f"other{number:06d}@corp.example")
                sandbox.add_member(groups["Talend Developers"], user)
                sandbox.add_member(groups["Corp Everyone"], user)
        sandbox.sync()
        yield (
            ConnectionSettings(
                okta_url=okta_url,
                okta_token=SecretStr(OKTA_TOKEN),
                app_id=deployed.app_id,
                scim_url=scim_url,
                scim_token=SecretStr(SCIM_TOKEN),
                talend_api_url=talend_url,
                talend_api_token=SecretStr(SCIM_TOKEN),
                assigned_groups=deployed.assigned_groups,
                role_mappings=deployed.stack_outputs["roleMappings"],
            ),
            sandbox,
            deployed.app_id,
            scim_url,
        )


def person(sandbox: OktaSandbox, login: str, email: str) -> str:
    user_id = sandbox.add_user(login, email, "Bench", "Person")
    for group_id in (sandbox_group(sandbox, name) for name in (*ASSIGNED, *OTHER_GROUPS)):
        sandbox.add_member(group_id, user_id)
    return user_id


def sandbox_group(sandbox: OktaSandbox, name: str) -> str:
    org = sandbox._org  # seeding only: the sandbox's own group index
    return next(group.id for group in org.state.groups.values() if group.profile.get("name") == name)


def run(others: int, latency_ms: float, runs: int) -> list[dict[str, Any]]:
    latency = Latency()
    rows = []
    with world(others, latency) as (settings, sandbox, app_id, scim_url):
        person(sandbox, "ann@corp.example", "ann.lee@corp.example")
        sandbox.sync()
        sandbox.set_connection(app_id, scim_url, "a-token-talend-refuses")
        person(sandbox, "cleo@corp.example", "cleo@corp.example")
        sandbox.sync()
        stranded = person(sandbox, "bob@corp.example", "bob@corp.example")
        sandbox.set_sync_state(app_id, stranded, "DISABLED", status="ACTIVE")
        with sandbox._org.lock:  # built directly: an app user assigned before provisioning was enabled
            sandbox._org.user_queue.pop(f"{app_id}/{stranded}", None)
        cases = {
            "in sync (by login)": "ann@corp.example",
            "in sync (by email)": "ann.lee@corp.example",
            "stranded": "bob@corp.example",
            "push failed": "cleo@corp.example",
        }
        latency.seconds = latency_ms / 1000
        for case, who in cases.items():
            times, requests, verdict = [], 0, ""
            for _ in range(runs):
                explained = explain_person(who, settings)
                times.append(explained.seconds)
                requests = sum(explained.requests.values())
                verdict = explained.explanation.verdict
            rows.append(
                {
                    "others": others,
                    "case": case,
                    "verdict": verdict.split(":")[0],
                    "requests": requests,
                    "median": statistics.median(times),
                    "max": max(times),
                }
            )
            print(rows[-1], flush=True)
    return rows


def markdown(rows: list[dict[str, Any]], latency_ms: float, runs: int, command: str) -> str:
    lines = [
        "",
        "## explain: one person, end to end (issue 17)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python {platform.python_version()}, "
        f"{latency_ms:g} ms added to every response of both stand-ins, {runs} runs per case:",
        "",
        "```",
        command,
        "```",
        "",
        "| others in org and tenant | case | verdict | requests | median (s) | slowest (s) |",
        "|---:|---|---|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['others']:,} | {row['case']} | {row['verdict']} | {row['requests']} | "
            f"{row['median']:.2f} | {row['max']:.2f} |"
        )
    worst_requests = max(row["requests"] for row in rows)
    worst_time = max(row["max"] for row in rows)
    lines += [
        "",
        "| target | result |",
        "|---|---|",
        f"| at most 15 requests for a person in 5 groups | **{'met' if worst_requests <= 15 else 'missed'}**: "
        f"{worst_requests} at most |",
        f"| under 2 s with {latency_ms:g} ms per response | **{'met' if worst_time < 2 else 'missed'}**: "
        f"{worst_time:.2f} s slowest |",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--others", type=int, nargs="+", default=[0, 5000])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    rows = [row for others in args.others for row in run(others, args.latency_ms, args.runs)]
    if args.markdown:
        command = (
            f".venv/bin/python benchmarks/explain_speed.py --others {' '.join(map(str, args.others))} "
            f"--latency-ms {args.latency_ms:g} --runs {args.runs} --markdown {args.markdown}"
        )
        with args.markdown.open("a", encoding="utf-8") as out:
            out.write(markdown(rows, args.latency_ms, args.runs, command))


if __name__ == "__main__":
    main()
