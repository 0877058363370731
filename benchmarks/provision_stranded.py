"""How long `talend-okta provision --stranded` takes for 1,000 stranded people of mixed scopes, with Okta's rate
limits on and 50 ms per response.

The Okta sandbox (its own process, auto-sync on, like Okta's background pushes) holds an app whose groups of 50
people each, and `--direct` people assigned directly, were assigned before provisioning was switched on: all are
stranded. The sandbox enforces Okta's rate limits (Enterprise plan, the token's 50% share: 50 requests a minute to
`/api/v1/apps/{id}/*`, talend_okta_sandbox.okta_limits). The Talend stand-in runs in another process. Both answer
every request after `--latency-ms`. The command runs as a person runs it (`talend-okta provision --stranded --yes`,
a subprocess); timed: the command itself, then until Talend holds all N (the sandbox's pushes, not the command's
work). Reported: the 429s the sandbox answered (the pacing's target: none).

Usage:  .venv/bin/python benchmarks/provision_stranded.py [--people 1000] [--direct 50] [--latency-ms 50]
        [--markdown FILE]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import httpx

OKTA_TOKEN = "bench-okta-token-provision-01"
SCIM_TOKEN = "bench-scim-token-provision-01"


def _serve_talend(latency: float, ready: Connection, stop: Event) -> None:
    from scim2_server.memory import InMemoryStorage

    from talend_okta_sandbox.serving import Latency, serve_wsgi
    from talend_okta_sandbox.talend import build_talend_app

    with serve_wsgi(Latency(latency).wrap(build_talend_app(SCIM_TOKEN, InMemoryStorage()))) as base_url:
        ready.send(f"{base_url}/scim/v2")
        stop.wait()


GROUP_SIZE = 50


def _serve_okta(people: int, direct: int, scim_url: str, latency: float, ready: Connection, stop: Event) -> None:
    from talend_okta_sandbox.okta import OktaSandbox
    from talend_okta_sandbox.serving import Latency

    # Okta's rate limits: Enterprise plan, the token's 50%
    okta = OktaSandbox(OKTA_TOKEN, scim_timeout=30.0, check_contract=False)
    with okta.bulk():
        app_id = okta.add_saml_app("Talend Cloud", connection_api=False)
        group_id = ""
        for number in range(people):  # SSO only: provisioning is not on yet
            email = f"user{number:06d}@example.com"
            user_id = okta.add_user(email, email, "User", str(number))
            if number < direct:
                okta.assign_user(app_id, user_id)
                continue
            if (number - direct) % GROUP_SIZE == 0:
                group_id = okta.add_group(f"Talend Users {(number - direct) // GROUP_SIZE + 1:02d}")
                okta.assign_group(app_id, group_id)
            okta.add_member(group_id, user_id)
        okta.set_connection(app_id, scim_url, SCIM_TOKEN)  # the admin switches SCIM on: all of them stranded
        okta.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    with okta.serve(auto_sync=True, wrap=Latency(latency).wrap) as base_url:  # Okta's background pushes on
        ready.send((base_url, app_id))
        stop.wait()
        ready.send(len(okta.throttled))


def talend_count(scim_url: str) -> int:
    with httpx.Client(base_url=scim_url, headers={"Authorization": f"Bearer {SCIM_TOKEN}"}, timeout=30) as scim:
        return int(scim.get("/Users", params={"count": 1}).json()["totalResults"])


def run(people: int, direct: int, latency_ms: float) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    stop = context.Event()
    talend_end, talend_ready = context.Pipe()
    talend = context.Process(target=_serve_talend, args=(latency_ms / 1000, talend_ready, stop), daemon=True)
    talend.start()
    scim_url = talend_end.recv()
    okta_end, okta_ready = context.Pipe()
    okta = context.Process(
        target=_serve_okta, args=(people, direct, scim_url, latency_ms / 1000, okta_ready, stop), daemon=True
    )
    okta.start()
    okta_url, app_id = okta_end.recv()
    env = {
        **os.environ,
        "OKTA_ORG_URL": okta_url,
        "OKTA_API_TOKEN": OKTA_TOKEN,
        "TALEND_OKTA_APP_ID": app_id,
        "TALEND_SCIM_URL": scim_url,
        "TALEND_SCIM_TOKEN": SCIM_TOKEN,
    }
    command = [str(Path(sys.executable).with_name("talend-okta")), "provision", "--stranded", "--yes"]
    try:
        before = talend_count(scim_url)
        started = time.monotonic()
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=1800, check=False)
        command_seconds = time.monotonic() - started
        if finished.returncode != 0:
            raise SystemExit(f"provision exited {finished.returncode}:\n{finished.stdout}\n{finished.stderr}")
        while talend_count(scim_url) < people and time.monotonic() - started < 600:
            time.sleep(0.5)
        arrived_seconds = time.monotonic() - started
        in_talend = talend_count(scim_url)
        stop.set()
        throttled = okta_end.recv()
        return {
            "people": people,
            "direct": direct,
            "groups": -(-(people - direct) // GROUP_SIZE),
            "throttled": throttled,
            "latency_ms": latency_ms,
            "talend_before": before,
            "command_seconds": round(command_seconds, 1),
            "all_in_talend_seconds": round(arrived_seconds, 1),
            "in_talend": in_talend,
            "summary": finished.stdout.strip().splitlines()[-1],
        }
    finally:
        stop.set()
        for process in (okta, talend):
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()


def markdown(result: dict[str, Any]) -> str:
    met = "**met**" if result["throttled"] == 0 else "**missed**"
    return "\n".join(
        [
            "",
            "## provision --stranded: 1,000 stranded people of mixed scopes, Okta's rate limits on (issues 16, 25)",
            "",
            f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
            f"{result['latency_ms']:.0f} ms added to every Okta and Talend response; the sandbox enforces Okta's rate "
            "limits (Enterprise plan, the token's 50%: 50 requests a minute to `/api/v1/apps/{id}/*`).",
            "",
            "```",
            f".venv/bin/python benchmarks/provision_stranded.py --people {result['people']} --direct "
            f"{result['direct']} --latency-ms {result['latency_ms']:.0f}",
            "```",
            "",
            "| stranded people | directly | groups of 50 | command (s) | all in Talend (s) | in Talend after | "
            "429s answered | target: no 429 |",
            "|---:|---:|---:|---:|---:|---:|---:|---|",
            f"| {result['people']:,} | {result['direct']} | {result['groups']} | {result['command_seconds']} | "
            f"{result['all_in_talend_seconds']} | {result['in_talend']:,} | {result['throttled']} | {met} |",
            "",
            f"The command's last line: `{result['summary']}`",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--direct", type=int, default=50, help="people assigned directly; the rest through groups")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--markdown", type=Path)
    args = parser.parse_args()
    result = run(args.people, args.direct, args.latency_ms)
    print(result)
    if args.markdown:
        with args.markdown.open("a") as out:
            out.write(markdown(result))


if __name__ == "__main__":
    main()
