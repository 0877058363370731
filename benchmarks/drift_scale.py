"""Okta requests per rate-limit bucket, 429s and wall time of the stack's Pulumi operations, by number of groups.

For each N in `--groups` (N groups, half of them pushed, one member each), against the Okta sandbox and the Talend
stand-in, with the real Pulumi CLI and Okta provider (`make engine`), in a fresh org and stack:

1. first `pulumi up`
2. a no-change `pulumi up`
3. the drift check: `pulumi preview --refresh --expect-no-changes`
4. `pulumi refresh --yes`
5. `talend-okta verify` on the stack's outputs, as the deploy workflow runs it after `pulumi up`

Each operation's Okta requests are put in Okta's buckets (talend_okta_sandbox.okta_limits.bucket_of). Per bucket the
table shows the requests and, in brackets, the most sent in any 60 seconds when that differs; then the 429s the
sandbox answered, and the seconds the operation took (the CLI's own start-up included, about 5 s here).

Rate limits: `--first-up-limits` for operation 1 and `--limits` for 2-5, each `enforce` (Okta's Enterprise plan,
the API token's default 50% share, as a real org answers) or `off` (nothing refused: the requests without waits).
The default, first up `off` and the rest `enforce`, keeps a 200-group run short while the drift check, the no-change
up and refresh meet the limits they meet in a real org.

`--latency-ms` delays every Okta response (the org is seeded without it), standing in for the network to a real org;
`--operations` runs only some of them (the first up always runs), `--repeat` each of them several times. All
stacks are deployed first, then take turns for each operation, so a busy machine slows them alike; the last lines
compare each operation's (median) seconds with those of the smallest stack:

    .venv/bin/python benchmarks/drift_scale.py --groups 10 50 100 200 --markdown benchmarks/RESULTS.md
    .venv/bin/python benchmarks/drift_scale.py --groups 1 100 --latency-ms 50 --operations "drift check" --repeat 5
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from talend_okta_sandbox.demo import talend_okta_command, talend_routes
from talend_okta_sandbox.engine import PulumiWorkspace, missing_engine
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_limits import BUCKETS, RateLimiter, RateLimits, bucket_of
from talend_okta_sandbox.serving import Latency
from talend_okta_sandbox.talend import run_talend

OKTA_TOKEN = "drift-bench-okta-token"
TALEND_TOKEN = "drift-bench-talend-token"
OPERATIONS: list[tuple[str, list[str]]] = [
    ("first up", ["up", "--yes", "--skip-preview"]),
    ("no-change up", ["up", "--yes", "--skip-preview"]),
    ("drift check", ["preview", "--refresh", "--expect-no-changes"]),
    ("refresh", ["refresh", "--yes"]),
    ("verify", []),
]
SHOWN = ["apps", "app", "groups", "group", "users", "user-get", "api", "other"]


class TimedSandbox(OktaSandbox):
    """The sandbox, noting when each request arrived and whether it got 429."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log: list[tuple[float, str, str]] = []  # (monotonic time, bucket, "429" or "")
        self._log_lock = threading.Lock()
        self.latency = Latency()  # 0 while the org is seeded

    def wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        status: list[str] = []

        def noting(line: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status.append(line.split(" ", 1)[0])
            return start_response(line, headers, *rest)

        body: list[bytes] = self.latency.wrap(super().wsgi_app)(environ, noting)
        path = environ.get("PATH_INFO") or "/"
        if path.startswith(("http://", "https://")):
            path = "/" + path.split("/", 3)[-1]
        with self._log_lock:
            self.log.append((time.monotonic(), bucket_of(environ.get("REQUEST_METHOD", "GET"), path), status[0]))
        return body


@dataclass
class Measured:
    seconds: float
    requests: Counter[str] = field(default_factory=Counter)
    peak: dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    ok: bool = True


def measure(entries: list[tuple[float, str, str]], seconds: float, ok: bool) -> Measured:
    result = Measured(seconds, Counter(bucket for _, bucket, _ in entries), ok=ok)
    result.throttled = sum(1 for *_, status in entries if status == "429")
    for bucket in result.requests:
        times = [at for at, name, _ in entries if name == bucket]
        start = 0
        best = 0
        for end, at in enumerate(times):
            while at - times[start] >= 60:
                start += 1
            best = max(best, end - start + 1)
        result.peak[bucket] = best
    return result


def stack_groups(count: int) -> list[dict[str, Any]]:
    return [{"name": f"Talend Team {i:03d}", "push": i % 2 == 0} for i in range(count)]


@contextmanager
def org(count: int) -> Iterator[tuple[TimedSandbox, str, Any]]:
    with run_talend(TALEND_TOKEN) as talend:
        sandbox = TimedSandbox(
            OKTA_TOKEN,
            scim_timeout=5.0,
            scim_routes=talend_routes(talend),
            provisioning_api="supported",
            rate_limits=RateLimits.unlimited(),
            check_contract=False,  # the benchmark measures the product, not the contract check
        )
        with sandbox.bulk():
            for group in stack_groups(count):
                group_id = sandbox.add_group(group["name"])
                slug = group["name"].lower().replace(" ", ".")
                sandbox.add_member(group_id, sandbox.add_user(f"{slug}@acme.example", f"{slug}@acme.example"))
        with sandbox.serve(auto_sync=True) as url:
            yield sandbox, url, talend


@dataclass
class Stack:
    count: int
    sandbox: TimedSandbox
    project: PulumiWorkspace
    talend: Any


@contextmanager
def deployed_stack(count: int, workdir: Path, latency: float) -> Iterator[Stack]:
    """A fresh org with `count` groups and a stack pointed at it (not deployed yet)."""
    with org(count) as (sandbox, url, talend):
        sandbox.latency.seconds = latency
        project = PulumiWorkspace(workdir / f"groups-{count}", "drift-bench")
        project.extra_env = {"TALEND_SCIM_URL": talend.scim_url, "TALEND_API_URL": talend.api_url}
        project.set_config(
            {
                "okta:orgName": "sandbox",
                "okta:baseUrl": "okta.com",
                "okta:httpProxy": url,
                "talend-okta:region": "eu",
                "talend-okta:domainName": "acme.eu.cloud.talend.com",
                "talend-okta:groups": stack_groups(count),
                "talend-okta:provisioning": {"manage": True},
            }
        )
        project.set_secret("okta:apiToken", OKTA_TOKEN)
        project.set_secret("talend-okta:scimToken", TALEND_TOKEN)
        yield Stack(count, sandbox, project, talend)


def operate(stack: Stack, name: str, args: list[str], mode: str) -> Measured:
    """One operation on the stack, measured."""
    sandbox = stack.sandbox
    sandbox.rate_limiter = RateLimiter(RateLimits() if mode == "enforce" else RateLimits.unlimited())
    time.sleep(0 if mode == "off" else 1)  # a fresh minute for every bucket
    before = len(sandbox.log)
    started = time.monotonic()
    code, output = run_verify(stack.project, stack.talend) if name == "verify" else pulumi(stack.project, args)
    result = measure(sandbox.log[before:], time.monotonic() - started, code == 0)
    if code != 0:
        print(f"  {name}: exited {code}:\n{output[-3000:]}", file=sys.stderr)
    print(f"  {stack.count} groups, {name}: {format_row(result)}", file=sys.stderr)
    return result


def run(
    counts: list[int], workdir: Path, limits: tuple[str, str], latency: float, only: list[str] | None, repeat: int
) -> list[tuple[int, str, Measured]]:
    """Every stack deployed first; then each operation on each stack in turn, `repeat` times (the stacks side by
    side, so a busy machine slows them alike); per stack and operation the run of median seconds."""
    first_up_limits, other_limits = limits
    with ExitStack() as stacks:
        running = [stacks.enter_context(deployed_stack(count, workdir, latency)) for count in counts]
        first = {stack.count: operate(stack, *OPERATIONS[0], first_up_limits) for stack in running}
        runs: dict[tuple[int, str], list[Measured]] = {}
        for _ in range(repeat):
            for name, args in OPERATIONS[1:]:
                if only is not None and name not in only:
                    continue
                for stack in running:
                    runs.setdefault((stack.count, name), []).append(operate(stack, name, args, other_limits))
    rows = [(count, OPERATIONS[0][0], result) for count, result in first.items()]
    for (count, name), results in runs.items():
        rows.append((count, name, sorted(results, key=lambda r: r.seconds)[len(results) // 2]))
    return sorted(rows, key=lambda row: row[0])


def pulumi(project: PulumiWorkspace, args: list[str]) -> tuple[int, str]:
    done = project.run(*args, check=False, timeout=3600)
    return done.code, done.output


def run_verify(project: PulumiWorkspace, talend: Any) -> tuple[int, str]:
    """`talend-okta verify --stack-outputs -`, as the deploy workflow runs it."""
    env = project.env() | {
        "OKTA_API_TOKEN": OKTA_TOKEN,
        "TALEND_SCIM_URL": talend.scim_url,
        "TALEND_SCIM_TOKEN": TALEND_TOKEN,
        "TALEND_API_URL": talend.api_url,
    }
    done = subprocess.run(
        [*talend_okta_command(), "verify", "--stack-outputs", "-", "--timeout", "600"],
        input=json.dumps(project.outputs()),
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def format_row(result: Measured) -> str:
    cells = []
    for bucket in SHOWN:
        total = result.requests.get(bucket, 0)
        peak = result.peak.get(bucket, 0)
        cells.append(f"{total}" if peak == total else f"{total} ({peak})")
    status = "" if result.ok else " **failed**"
    return " | ".join([*cells, str(result.throttled), f"{result.seconds:.1f}{status}"])


def table(
    rows: list[tuple[int, str, Measured]], first_up_limits: str, limits: str, latency_ms: float, repeat: int
) -> str:
    head = ["groups", "operation", *SHOWN, "429s", "seconds"]
    lines = [
        f"First up with limits {first_up_limits}; the other operations with limits {limits} "
        f"(enforce: Okta's Enterprise plan, token share 50%: apps {RateLimits().token_limit('apps')}/min); "
        f"{latency_ms:g} ms added to every Okta response; the median of {repeat} run(s) of each operation after the "
        "first up, the stacks taking turns.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---:" if h not in ("operation",) else "---" for h in head) + "|",
    ]
    lines += [f"| {count} | {name} | {format_row(result)} |" for count, name, result in rows]
    return "\n".join(lines + side_by_side(rows))


def side_by_side(rows: list[tuple[int, str, Measured]]) -> list[str]:
    """Each operation's seconds against the smallest stack's in this run."""
    smallest = min(count for count, _, _ in rows)
    base = {name: result.seconds for count, name, result in rows if count == smallest}
    ratios = [
        f"- {name}, {count} groups: {result.seconds / base[name]:.2f}× the time of {smallest}"
        for count, name, result in rows
        if count != smallest and name in base and name != "first up"
    ]
    return ["", *ratios] if ratios else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, nargs="+", default=[10, 50, 100, 200])
    parser.add_argument("--first-up-limits", choices=["enforce", "off"], default="off")
    parser.add_argument("--limits", choices=["enforce", "off"], default="enforce")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every Okta response")
    parser.add_argument("--operations", nargs="+", choices=[name for name, _ in OPERATIONS[1:]], help="only these")
    parser.add_argument("--repeat", type=int, default=1, help="run the operations this often (the median is shown)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/talend-okta-drift-bench"))
    parser.add_argument("--markdown", type=Path, help="append the table to this file")
    args = parser.parse_args()
    if missing := missing_engine():
        sys.exit(f"drift_scale: the engine is not built ({', '.join(missing)} missing): run `make engine` first")
    unknown = set(SHOWN) - set(BUCKETS)
    assert not unknown, unknown
    limits = (args.first_up_limits, args.limits)
    rows = run(args.groups, args.workdir, limits, args.latency_ms / 1000, args.operations, args.repeat)
    text = table(rows, args.first_up_limits, args.limits, args.latency_ms, args.repeat)
    print(text)
    if args.markdown:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        machine = f"{platform.machine()}, Python {platform.python_version()}, run {stamp}"
        with args.markdown.open("a", encoding="utf-8") as out:
            out.write(f"\n{machine}\n\n{text}\n")


if __name__ == "__main__":
    main()
