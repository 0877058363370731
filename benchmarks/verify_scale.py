"""How `talend-okta verify` scales: 10,000 and 50,000 assigned users against the local Okta and Talend stand-ins.

Ways to answer "is every assigned user active in Talend?" are timed, each in a fresh Python process so its peak
memory (ru_maxrss) is its own, not the servers':
- verify:  `talend_okta.verify.polling.verify(...)`, one pass (`timeout=0`), all four checks; SCIM pages 4 at a
           time once totalResults is known.
- verify-sequential: the same with one SCIM page at a time (`PollSettings(scim_concurrency=1)`).
- fetch:   only fetching the list pages verify needs (Okta app users by 500, SCIM users by 1,000 or the server's
           cap), one after the other, no models: sequential paging, the floor a one-page-at-a-time reader meets.
- naive:   Okta's app users by page, then one `GET /Users?filter=userName eq "…"` per user. With more users than
           `--naive-sample`, the first sample is timed and the rest extrapolated (marked ~).
The Okta sandbox and the Talend stand-in each run in their own process, seeded directly, so the machine's two cores
are shared by servers and client as they would be by two services. The Talend stand-in is scim2-server, or with
`--page-cap N` a lean SCIM list server that serves pre-serialised users, at most N per page (scim2-server spends
about 1 ms of CPU per listed user, which no client can page around). `--latency-ms` adds a delay to every
response of both servers, to model a network between verify and the APIs.

Usage:  .venv/bin/python benchmarks/verify_scale.py [--users 10000 50000] [--latency-ms 0] [--naive-sample 10000]
            [--page-cap 100] [--ways verify fetch naive] [--markdown FILE]   (appends a results section to FILE)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

OKTA_TOKEN = "bench-okta-token-0123456789"
SCIM_TOKEN = "bench-scim-token-0123456789"
GROUP = "Talend Users"


# --- the two servers, each in its own process --------------------------------------------------------------------


def _serve_talend(users: int, latency: float, ready: Connection, stop: Event) -> None:
    from scim2_models import Email, Name, User
    from scim2_server.memory import InMemoryStorage
    from scim2_server.utils import load_default_provider

    from talend_okta_sandbox.serving import Latency, serve_wsgi
    from talend_okta_sandbox.talend import build_talend_app

    storage = InMemoryStorage()
    user_type = next(rt for rt in load_default_provider().resource_types if rt.name == "User")
    for number in range(users):  # as Okta's provisioning would have left them
        storage.create(
            user_type,
            User(
                user_name=f"user{number:06d}",
                active=True,
                display_name=f"User {number}",
                name=Name(given_name="User", family_name=str(number)),
                emails=[Email(value=f"user{number:06d}@example.com", primary=True, type=Email.Type.work)],
                external_id=f"00u{number:017d}",
            ),
        )
    with serve_wsgi(Latency(latency).wrap(build_talend_app(SCIM_TOKEN, storage))) as base_url:
        ready.send(f"{base_url}/scim/v2")
        stop.wait()


def _serve_okta(users: int, scim_url: str, latency: float, ready: Connection, stop: Event) -> None:
    from talend_okta_sandbox.okta import OktaSandbox
    from talend_okta_sandbox.okta_limits import RateLimits
    from talend_okta_sandbox.serving import Latency, serve_wsgi

    okta = OktaSandbox(OKTA_TOKEN, rate_limits=RateLimits.unlimited(), check_contract=False)
    with okta.bulk():
        app_id = okta.add_saml_app("Talend Cloud")
        okta.set_connection(app_id, scim_url, SCIM_TOKEN)  # no sync(): Talend is seeded directly
        okta.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
        group_id = okta.add_group(GROUP)
        okta.assign_group(app_id, group_id)
        for number in range(users):
            email = f"user{number:06d}@example.com"
            okta.add_member(group_id, okta.add_user(email, email, "User", str(number)))
    with serve_wsgi(Latency(latency).wrap(okta.wsgi_app)) as base_url:
        ready.send((base_url, app_id))
        stop.wait()


def _serve_paged_talend(users: int, latency: float, cap: int, ready: Connection, stop: Event) -> None:
    """A lean SCIM server: /Users by startIndex/count, at most `cap` per page, from pre-serialised users."""
    from urllib.parse import parse_qs

    from talend_okta_sandbox.serving import Latency, serve_wsgi

    resources = [
        json.dumps(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "id": f"{number:032x}",
                "userName": f"user{number:06d}",
                "active": True,
                "displayName": f"User {number}",
                "name": {"givenName": "User", "familyName": str(number)},
                "emails": [{"value": f"user{number:06d}@example.com", "primary": True, "type": "work"}],
                "externalId": f"00u{number:017d}",
                "meta": {"resourceType": "User", "location": f"/scim/v2/Users/{number:032x}"},
            }
        ).encode()
        for number in range(users)
    ]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {SCIM_TOKEN}":
            start_response("401 Unauthorized", [("Content-Length", "0")])
            return [b""]
        query = {key: values[0] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        listed = resources if environ.get("PATH_INFO", "").endswith("/Users") else []
        start = max(1, int(query.get("startIndex", "1")))
        page = listed[start - 1 : start - 1 + min(cap, int(query.get("count", str(cap))))]
        head = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": len(listed),
            "startIndex": start,
            "itemsPerPage": len(page),
        }
        body = json.dumps(head).encode()[:-1] + b', "Resources": [' + b",".join(page) + b"]}"
        start_response("200 OK", [("Content-Type", "application/scim+json"), ("Content-Length", str(len(body)))])
        return [body]

    with serve_wsgi(Latency(latency).wrap(app)) as base_url:
        ready.send(f"{base_url}/scim/v2")
        stop.wait()


@contextmanager
def servers(users: int, latency: float, page_cap: int = 0) -> Iterator[dict[str, str]]:
    """Both stand-ins, seeded with `users` users; yields the environment verify reads."""
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    talend_end, talend_ready = context.Pipe()
    if page_cap:
        talend = context.Process(
            target=_serve_paged_talend, args=(users, latency, page_cap, talend_ready, stop), daemon=True
        )
    else:
        talend = context.Process(target=_serve_talend, args=(users, latency, talend_ready, stop), daemon=True)
    talend.start()
    scim_url = talend_end.recv()
    okta_end, okta_ready = context.Pipe()
    okta = context.Process(target=_serve_okta, args=(users, scim_url, latency, okta_ready, stop), daemon=True)
    okta.start()
    okta_url, app_id = okta_end.recv()
    try:
        yield {
            "OKTA_ORG_URL": okta_url,
            "OKTA_API_TOKEN": OKTA_TOKEN,
            "TALEND_OKTA_APP_ID": app_id,
            "TALEND_SCIM_URL": scim_url,
            "TALEND_SCIM_TOKEN": SCIM_TOKEN,
        }
    finally:
        stop.set()
        for process in (okta, talend):
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()


# --- the three ways, each run in a child process -----------------------------------------------------------------


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def run_verify(scim_concurrency: int = 4) -> dict[str, Any]:
    from pydantic import SecretStr

    from talend_okta.target import ConnectionSettings
    from talend_okta.verify.inputs import PollSettings
    from talend_okta.verify.polling import verify

    settings = ConnectionSettings(
        okta_url=os.environ["OKTA_ORG_URL"],
        okta_token=SecretStr(os.environ["OKTA_API_TOKEN"]),
        app_id=os.environ["TALEND_OKTA_APP_ID"],
        scim_url=os.environ["TALEND_SCIM_URL"],
        scim_token=SecretStr(os.environ["TALEND_SCIM_TOKEN"]),
    )
    baseline = _peak_mb()
    started = time.perf_counter()
    report = verify(settings, poll=PollSettings(timeout=0, request_timeout=120, scim_concurrency=scim_concurrency))
    seconds = time.perf_counter() - started
    assert report.ok, report.model_dump_json(indent=2)[:2000]
    return {
        "seconds": seconds,
        "requests": sum(report.requests.values()),
        "talend_requests": report.requests["talend"],
        "peak_mb": _peak_mb(),
        "baseline_mb": baseline,
        "in_sync": report.users.in_sync,
    }


def _okta_pages(client: Any) -> tuple[list[str], int]:
    """Every app username, by Okta's pages of 500; and the number of requests."""
    url: str | None = f"{os.environ['OKTA_ORG_URL']}/api/v1/apps/{os.environ['TALEND_OKTA_APP_ID']}/users?limit=500"
    names: list[str] = []
    requests = 0
    while url:
        response = client.get(url)
        response.raise_for_status()
        requests += 1
        names.extend(user["credentials"]["userName"] for user in response.json())
        url = response.links.get("next", {}).get("url")
    return names, requests


def run_fetch() -> dict[str, Any]:
    import httpx

    headers = {"Authorization": f"SSWS {OKTA_TOKEN}"}
    started = time.perf_counter()
    requests = 0
    with httpx.Client(headers=headers, timeout=120) as okta:
        url: str | None = f"{os.environ['OKTA_ORG_URL']}/api/v1/apps/{os.environ['TALEND_OKTA_APP_ID']}/users?limit=500"
        while url:
            response = okta.get(url)
            response.raise_for_status()
            requests += 1
            url = response.links.get("next", {}).get("url")
    talend_requests = 0
    with httpx.Client(headers={"Authorization": f"Bearer {SCIM_TOKEN}"}, timeout=120) as talend:
        start, total = 1, 1
        while start <= total:
            params: dict[str, Any] = {"startIndex": start, "count": 1000, "attributes": "userName,active"}
            response = talend.get(f"{os.environ['TALEND_SCIM_URL']}/Users", params=params)
            response.raise_for_status()
            talend_requests += 1
            page = response.json()
            total = page["totalResults"]
            start += len(page["Resources"]) or total + 1
    return {
        "seconds": time.perf_counter() - started,
        "requests": requests + talend_requests,
        "talend_requests": talend_requests,
        "peak_mb": _peak_mb(),
    }


def run_naive(sample: int) -> dict[str, Any]:
    import httpx

    started = time.perf_counter()
    with httpx.Client(headers={"Authorization": f"SSWS {OKTA_TOKEN}"}, timeout=120) as okta:
        names, requests = _okta_pages(okta)
    okta_seconds = time.perf_counter() - started
    looked_up = names[:sample]
    lookups_started = time.perf_counter()
    missing = 0
    with httpx.Client(headers={"Authorization": f"Bearer {SCIM_TOKEN}"}, timeout=120) as talend:
        for name in looked_up:
            response = talend.get(f"{os.environ['TALEND_SCIM_URL']}/Users", params={"filter": f'userName eq "{name}"'})
            response.raise_for_status()
            found = response.json()["Resources"]
            missing += not (found and found[0].get("active"))
    per_lookup = (time.perf_counter() - lookups_started) / max(1, len(looked_up))
    assert missing == 0
    return {
        "seconds": okta_seconds + per_lookup * len(names),
        "requests": requests + len(names),
        "peak_mb": _peak_mb(),
        "measured_lookups": len(looked_up),
        "extrapolated": len(looked_up) < len(names),
    }


def child(mode: str, env: dict[str, str], sample: int) -> dict[str, Any]:
    """Run one way in a fresh interpreter; returns what it measured."""
    command = [sys.executable, __file__, "--child", mode, "--naive-sample", str(sample)]
    done = subprocess.run(command, env=os.environ | env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --- the report --------------------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as info:
        memory_kb = next(int(line.split()[1]) for line in info if line.startswith("MemTotal"))
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024 / 1024:.1f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


WAYS = ("verify", "verify-sequential", "fetch", "naive")


def measure(users: int, latency_ms: float, sample: int, page_cap: int, ways: list[str]) -> dict[str, Any]:
    print(f"seeding {users} users (latency {latency_ms:g} ms, page cap {page_cap})…", file=sys.stderr, flush=True)
    seeding = time.perf_counter()
    with servers(users, latency_ms / 1000, page_cap) as env:
        print(f"  seeded in {time.perf_counter() - seeding:.0f} s", file=sys.stderr, flush=True)
        results = {}
        for mode in ways:
            results[mode] = child(mode, env, sample)
            print(f"  {mode}: {results[mode]}", file=sys.stderr, flush=True)
    return {"users": users, "latency_ms": latency_ms, "page_cap": page_cap, **results}


def paging_markdown(rows: list[dict[str, Any]]) -> str:
    """The table for concurrent SCIM pages: verify against sequential paging, in the same run."""
    lines = [
        "| users | way | Talend requests (bound) | requests | seconds | peak RSS (MB) | verify vs fetch "
        "(sequential paging) | verify vs verify-sequential |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        bound = -(-row["users"] // row["page_cap"]) + 10  # ceil(N / cap) + 10
        for way in (way for way in WAYS if way in row):
            result = row[way]
            ratios = ["", ""]
            if way == "verify":
                ratios = [
                    f"**{row[other]['seconds'] / result['seconds']:.1f}× faster**" if other in row else ""
                    for other in ("fetch", "verify-sequential")
                ]
            lines.append(
                f"| {row['users']:,} | {way} | {result['talend_requests']:,} ({bound:,}) | {result['requests']:,} | "
                f"{result['seconds']:.1f} | {result['peak_mb']:.0f} | {ratios[0]} | {ratios[1]} |"
            )
    return "\n".join(lines)


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| users | network delay | way | requests | seconds | peak RSS (MB) | vs naive | vs fetch only |",
        "|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        verify, fetch, naive = row["verify"], row["fetch"], row["naive"]
        for way in ("verify", "fetch", "naive"):
            result = row[way]
            approx = "~" if result.get("extrapolated") else ""
            lines.append(
                f"| {row['users']:,} | {row['latency_ms']:g} ms | {way} | {approx}{result['requests']:,} | "
                f"{approx}{result['seconds']:.1f} | {result['peak_mb']:.0f} | "
                + (
                    f"{naive['seconds'] / verify['seconds']:.1f}× faster | "
                    f"{verify['seconds'] / fetch['seconds']:.2f}× |"
                    if way == "verify"
                    else " | |"
                )
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--naive-sample", type=int, default=10_000, help="timed lookups; the rest extrapolated")
    parser.add_argument("--page-cap", type=int, default=0, help="lean SCIM server, at most N users per page")
    parser.add_argument("--ways", nargs="+", choices=WAYS, default=["verify", "fetch", "naive"])
    parser.add_argument("--markdown", type=Path, help="append the results table to this file")
    parser.add_argument("--child", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        ways: dict[str, Callable[[], dict[str, Any]]] = {
            "verify": run_verify,
            "verify-sequential": lambda: run_verify(scim_concurrency=1),
            "fetch": run_fetch,
            "naive": lambda: run_naive(args.naive_sample),
        }
        print(json.dumps(ways[args.child]()))
        return

    rows = [measure(users, args.latency_ms, args.naive_sample, args.page_cap, args.ways) for users in args.users]
    table = paging_markdown(rows) if args.page_cap else markdown(rows)
    print(table)
    print(json.dumps(rows))
    if args.markdown:
        with args.markdown.open("a", encoding="utf-8") as out:
            out.write(f"\n{machine()}; {time.strftime('%Y-%m-%d')}\n\n{table}\n")


if __name__ == "__main__":
    main()
