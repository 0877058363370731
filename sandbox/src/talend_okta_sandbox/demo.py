"""`make demo` and `make sandbox`: the whole flow offline, against the Okta sandbox and the Talend SCIM stand-in.

The demo (`python -m talend_okta_sandbox.demo`) tells the story a real org goes through, in numbered steps: start
both servers, seed an Okta org, run `talend-okta preflight` on a stack config (it catches an Email-prefix collision),
deploy the Talend app over the Okta API as the Pulumi component does, with one group mapped to Talend roles (Okta
refuses the custom SAML app's To App features and push group, as it does for such apps), run `talend-okta verify`
(it lists the admin-console steps that remain), do those steps as an admin would
(`python -m talend_okta_sandbox.admin`), deploy again, let Okta provision, run verify (it passes), deactivate a
person by hand in Talend and show verify catching the drift, then change a role mapping by hand and show verify
catching that. Exit 0 when every step behaved as expected, 1 (naming the step) when one did not. The `talend-okta`
and admin commands run as subprocesses, exactly as a person would run them.

`--serve` (`make sandbox`) starts both servers on fixed ports with the same org, prints the variables that point
`pulumi` and `talend-okta` at them, and waits for Ctrl-C (or SIGTERM). `--provisioning-api supported` makes the
sandbox honour the connection and features APIs for custom apps (the optimistic path); `refused` is the default.
`--okta-plan`, `--token-share` and `--rate-limit BUCKET=N` set the sandbox's rate limits (okta_limits).
"""

from __future__ import annotations

import errno
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import yaml
from rich.console import Console
from rich.table import Table
from rich.text import Text

from talend_okta.definition import REGIONS, email_prefix, scim_base_url
from talend_okta.redact import Redactor
from talend_okta.settings import NAMESPACE, StackSettings, load_settings, namespace_keys
from talend_okta.terminal import printable
from talend_okta_sandbox import contract
from talend_okta_sandbox.contract_watch import WATCH
from talend_okta_sandbox.deploy import DeployError, OktaAdmin, deploy
from talend_okta_sandbox.engine import (
    ENGINE_BIN,
    REPO,
    PulumiWorkspace,
    Result,
    install_engine,
    missing_engine,
)
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_limits import (
    BUCKETS,
    DEFAULT_PLAN,
    DEFAULT_TOKEN_SHARE,
    MIN_TOKEN_SHARE,
    PLANS,
    RateLimits,
    rate_limits_from_options,
)
from talend_okta_sandbox.okta_oauth import generate_key_pair
from talend_okta_sandbox.okta_routes import ProvisioningApi
from talend_okta_sandbox.talend import RunningTalend, run_talend

DEVELOPERS, OPERATORS, CONTRACTORS = "Talend Developers", "Talend Operators", "Contractors"
GROUPS: list[dict[str, Any]] = [
    {"name": DEVELOPERS, "push": True, "priority": 1, "talendRoles": ["Integration Developer", "Pipelines Designer"]},
    {"name": OPERATORS, "push": False, "priority": 2},
    {"name": CONTRACTORS, "push": False, "priority": 3},
]
DRIFTER = "ann.lee"  # the person an admin deactivates by hand in Talend (step 6)
HAND_MADE_ROLES = ["Integration Developer", "Security Administrator"]  # what an admin maps DEVELOPERS to by hand
COLLISION = "jdoe"  # jdoe@acme.example and jdoe@partner.example: one Talend userName
TOKEN_OWNER = "eve.moss"  # owns the demo's Talend token: an operator, a Security Administrator given by hand
STUDIO_SEATS = 40  # the demo tenant's Studio seats (the refused change sees fewer)

# Fixed tokens for `--serve`, which people type into their shell: local-only, they guard nothing else.
SERVE_OKTA_TOKEN = "sandbox-okta-token"
SERVE_TALEND_TOKEN = "sandbox-talend-token"
SERVE_OKTA_PORT, SERVE_TALEND_PORT = 18080, 18081
SERVICE_APP_ID = "0oasandboxservice01"
SERVICE_APP_SCOPES = ("okta.apps.manage", "okta.groups.manage", "okta.users.read", "okta.logs.read")
"""The service app `--serve` registers: the least scopes of every talend-okta command and the program
(docs/deploying.md, "Okta credentials")."""

SCIM_TIMEOUT = 5.0  # seconds per SCIM call the sandbox makes while provisioning
WIDTH = 120  # the demo's lines fit this many columns (fewer on a narrower terminal)
PIPE = "  │ "  # before each line a command prints
SYNC_WAIT = 30.0  # seconds to wait for provisioning to finish


@dataclass(frozen=True)
class Person:
    """An Okta user of the seeded org. `email` None: a user without an email (Okta can't compute a userName)."""

    login: str
    email: str | None
    first_name: str
    last_name: str
    groups: tuple[str, ...]


def _acme(user: str, first: str, last: str, *groups: str) -> Person:
    return Person(f"{user}@acme.example", f"{user}@acme.example", first, last, groups)


ORG: tuple[Person, ...] = (
    _acme("ann.lee", "Ann", "Lee", DEVELOPERS),
    _acme("bob.ray", "Bob", "Ray", DEVELOPERS),
    _acme("jdoe", "John", "Doe", DEVELOPERS),
    _acme("chen.wu", "Chen", "Wu", DEVELOPERS, OPERATORS),
    _acme("dana.kim", "Dana", "Kim", DEVELOPERS),
    _acme("eve.moss", "Eve", "Moss", OPERATORS),
    _acme("farid.haddad", "Farid", "Haddad", OPERATORS),
    _acme("gita.rao", "Gita", "Rao", OPERATORS),
    Person("jdoe@partner.example", "jdoe@partner.example", "Jane", "Doe", (CONTRACTORS,)),
    Person("hal.berg@partner.example", "hal.berg@partner.example", "Hal", "Berg", (CONTRACTORS,)),
    Person("ivy.nash@partner.example", "ivy.nash@partner.example", "Ivy", "Nash", (CONTRACTORS,)),
    Person("kai.tan@partner.example", None, "Kai", "Tan", (CONTRACTORS,)),
    _acme("lena.park", "Lena", "Park"),  # in no group: never gets a Talend account
)
NEW_HIRE = _acme("nina.berg", "Nina", "Berg", DEVELOPERS)  # joins after the deploy, while Okta holds a bad token


class Surprise(Exception):
    """A step did not behave as the demo expects; the message says how (the demo adds which step)."""


# --- building blocks ---------------------------------------------------------------------------------------------


def talend_routes(talend: RunningTalend) -> dict[str, str]:
    """The stack declares Talend's real SCIM host; the sandbox provisions to the stand-in instead."""
    return {scim_base_url(region): talend.scim_url for region in REGIONS}


def seed_org(sandbox: OktaSandbox) -> dict[str, str]:
    """Create the demo's groups and people in the Okta sandbox; returns group name → id."""
    with sandbox.bulk():
        group_ids = {group["name"]: sandbox.add_group(group["name"]) for group in GROUPS}
        for person in ORG:
            user_id = sandbox.add_user(person.login, person.email, person.first_name, person.last_name)
            for group in person.groups:
                sandbox.add_member(group_ids[group], user_id)
    return group_ids


def stack_config(okta_url: str, groups: list[dict[str, Any]], *, manage: bool = True) -> dict[str, Any]:
    """A `Pulumi.<stack>.yaml` for the sandbox. The SCIM token is a secret: it never goes in this file."""
    return {
        "config": {
            "okta:httpProxy": okta_url,
            f"{NAMESPACE}:region": "eu",
            f"{NAMESPACE}:domainName": "acme.eu.cloud.talend.com",
            f"{NAMESPACE}:appLabel": "Talend Cloud",
            f"{NAMESPACE}:groups": groups,
            f"{NAMESPACE}:provisioning": {
                "manage": manage,
                "createUsers": True,
                "updateUserAttributes": True,
                "deactivateUsers": True,
            },
        }
    }


def write_stack_config(path: Path, config: dict[str, Any]) -> None:
    header = "# Written by the talend-okta demo: a stack config pointing at the local Okta sandbox.\n"
    path.write_text(header + yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def settings_from(config: dict[str, Any], scim_token: str) -> StackSettings:
    """The stack settings the Pulumi program would read from this config, with the secret set aside."""
    return load_settings({**namespace_keys(config["config"]), "scimToken": scim_token})


def cli_environment(okta_token: str, scim_token: str) -> dict[str, str]:
    """The demo's environment for `talend-okta`: tokens in variables, nothing inherited that points elsewhere."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OKTA_", "TALEND_"))}
    env.update(
        OKTA_API_TOKEN=okta_token,
        TALEND_SCIM_TOKEN=scim_token,
        NO_PROXY="127.0.0.1,localhost",
    )
    return env


def talend_okta_command() -> list[str]:
    """The installed `talend-okta` script next to this Python; the same entry point through Python otherwise."""
    script = Path(sys.executable).with_name("talend-okta")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from talend_okta.cli import app; app()"]


ADMIN = "python -m talend_okta_sandbox.admin"  # the admin-console actions, as docs/sandbox.md shows them


def scim_client(talend: RunningTalend, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=talend.scim_url,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"},
        timeout=10.0,
        trust_env=False,
    )


def assigned_people(okta_url: str, okta_token: str, app_id: str) -> int:
    """How many people Okta has assigned to the app (its app users), read as an admin would."""
    headers = {"Authorization": f"SSWS {okta_token}"}
    with httpx.Client(base_url=okta_url, headers=headers, timeout=10.0, trust_env=False) as okta:
        response = okta.get(f"/api/v1/apps/{app_id}/users", params={"limit": 500})
        response.raise_for_status()
        return len(response.json())


def talend_users(scim: httpx.Client) -> dict[str, bool]:
    """Talend's SCIM users: userName → active."""
    response = scim.get("/Users", params={"count": 1000})
    response.raise_for_status()
    return {user["userName"]: bool(user.get("active")) for user in response.json().get("Resources", [])}


def deactivate_in_talend(scim: httpx.Client, user_name: str) -> None:
    """What an admin does in Talend Management Console: switch a user to inactive (SCIM PATCH active=false)."""
    found = scim.get("/Users", params={"filter": f'userName eq "{user_name}"'})
    found.raise_for_status()
    users = found.json().get("Resources", [])
    if not users:
        raise Surprise(f"Talend has no user {user_name!r} to deactivate")
    patch = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": False}],
    }
    scim.patch(f"/Users/{users[0]['id']}", json=patch).raise_for_status()


# --- the story ---------------------------------------------------------------------------------------------------


class Story:
    """Numbered steps on the console; `expect` raises `Surprise`, and the command line names the current step."""

    def __init__(self, console: Console, redact: Redactor) -> None:
        self.console = console
        self.redact = redact
        self.number = 0
        self.title = ""

    def step(self, title: str) -> None:
        self.number += 1
        self.title = title
        heading = f"{self.number}. {title}"  # whole, never cut to fit a rule
        self.console.print()
        self.console.print(Text(heading, style="bold"))
        self.console.print(Text("─" * min(len(heading), self.console.width), style="dim"))

    def say(self, text: str) -> None:
        self.console.print(self.redact(text))

    def expect(self, condition: bool, what: str) -> None:
        if not condition:
            raise Surprise(what)

    def run(
        self,
        args: list[str],
        env: dict[str, str],
        *,
        admin: bool = False,
        shown_env: str = "",
        brief: bool = False,
    ) -> tuple[int, str]:
        """Run `talend-okta <args>` (with `admin`: the sandbox's admin command), stream its output indented, return
        (exit code, output). `shown_env`: a variable the run changes, shown before the command (so two runs that
        differ by it do not look alike). `brief`: a command run before: show its first line and its problems and
        warnings only, not its tables again (the output returned is whole)."""
        shown, command = (
            (ADMIN, [sys.executable, "-m", "talend_okta_sandbox.admin"])
            if admin
            else (
                "talend-okta",
                talend_okta_command(),
            )
        )
        for part in command_lines(["$", *shown_env.split(), *shown.split(), *args], self.console.width):
            self.console.print(Text(part, style="bold cyan"), no_wrap=True)
        lines: list[str] = []
        width = self.console.width - len(PIPE)
        with subprocess.Popen(
            [*command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**env, "COLUMNS": str(width)},  # its tables fit; its long lines are wrapped below
            text=True,
            encoding="utf-8",
        ) as process:
            assert process.stdout is not None
            for line in process.stdout:
                line = printable(self.redact(line.rstrip("\n")))  # pulumi's lines quote Okta's answers too
                lines.append(line)
                if brief and len(lines) > 1 and not line.startswith(BRIEF_LINES):
                    continue
                for part in wrapped(line, width):
                    self.console.print(Text(PIPE + part), no_wrap=True)
            code = process.wait()
        if brief and (hidden := sum(1 for n, line in enumerate(lines) if n and not line.startswith(BRIEF_LINES))):
            self.console.print(Text(f"{PIPE}… and {hidden} lines of tables, as shown before", style="dim"))
        self.console.print(Text(f"  └ exit code {code}", style="dim"))
        return code, "\n".join(lines)


BRIEF_LINES = ("problem:", "warning:")  # what a brief run shows after its first line


def command_lines(words: list[str], width: int) -> list[str]:
    """A shell command in lines of at most `width`, continued with ` \\` so it still pastes as one command."""
    lines = [words[0]]
    for word in words[1:]:
        if len(lines[-1]) + 1 + len(word) + 2 > width:
            lines[-1] += " \\"
            lines.append("    " + word)
        else:
            lines[-1] += " " + word
    return lines


def wrapped(line: str, width: int) -> list[str]:
    """A long line in parts of at most `width`, continued under its own text (a list under its check stays there)."""
    if len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    return textwrap.wrap(line, width, subsequent_indent=indent, break_on_hyphens=False) or [line]


@dataclass
class Deployment:
    """What a deploy left: the app, the stack outputs (no secrets), and the resources Okta refused."""

    app_id: str
    outputs: dict[str, Any]
    failed: list[str]


class ApiDeploy:
    """Deploy over the Okta API call for call as the stack's resources do (no engine needed)."""

    name = "over the Okta API, as `pulumi up` would (sandbox/deploy.py)"

    def __init__(self, story: Story, okta_url: str, okta_token: str, talend: RunningTalend, talend_token: str) -> None:
        self._story, self._okta_url, self._okta_token = story, okta_url, okta_token
        self._talend, self._talend_token = talend, talend_token
        self._app_id: str | None = None

    def __call__(self, config: dict[str, Any]) -> Deployment:
        settings = settings_from(config, self._talend_token)
        with OktaAdmin(self._okta_url, self._okta_token, log=lambda line: self._story.say(f"  {line}")) as okta:
            try:
                deployed = deploy(
                    okta,
                    settings,
                    scim_base_url=self._talend.scim_url,
                    talend_api_url=self._talend.api_url,
                    app_id=self._app_id,
                )
            except DeployError as err:
                raise Surprise(str(err)) from None
        self._app_id = deployed.app_id
        return Deployment(deployed.app_id, deployed.stack_outputs, deployed.failed)


SUMMARY_LINE = re.compile(r"^\s+[+~-] \d+ ")  # `    + 6 created`, `    ~ 1 to update`


class PulumiDeploy:
    """`pulumi up` with the engine `make engine` built and the Okta provider plugin, in a workspace in workdir."""

    name = "with the real `pulumi up` (make engine)"

    def __init__(self, story: Story, workdir: Path, okta_token: str, talend: RunningTalend, talend_token: str) -> None:
        self._story = story
        self._workspace = PulumiWorkspace(workdir / "pulumi", passphrase=secrets.token_urlsafe(16))
        # The program sends tokens to the stand-in only because okta:httpProxy is loopback too.
        self._workspace.extra_env = {"TALEND_SCIM_URL": talend.scim_url, "TALEND_API_URL": talend.api_url}
        self._workspace.set_secret("okta:apiToken", okta_token)
        self._workspace.set_secret(f"{NAMESPACE}:scimToken", talend_token)

    def __call__(self, config: dict[str, Any]) -> Deployment:
        self._workspace.set_config({"okta:orgName": "sandbox", "okta:baseUrl": "okta.com", **config["config"]})
        result = self.show("up", "--yes", "--skip-preview")
        outputs = self._workspace.outputs()
        return Deployment(str(outputs.get("appId", "")), outputs, result.failed_resources())

    def show(self, *args: str) -> Result:
        """Run `pulumi ARGS` and show its summary lines (changes, failures, errors), as a person would read them."""
        self._story.console.print(Text(f"$ pulumi {' '.join(args)}", style="bold cyan"))
        result = self._workspace.run(*args, check=False, timeout=600)
        for line in result.output.splitlines():
            if "**" in line or line.startswith("Resources:") or SUMMARY_LINE.match(line) or "error:" in line:
                self._story.console.print(Text(f"  │ {self._story.redact(line)}"))
        self._story.console.print(Text(f"  └ exit code {result.code}", style="dim"))
        return result


def choose_deploy(
    story: Story, workdir: Path, okta_token: str, talend: RunningTalend, talend_token: str, okta_url: str
) -> ApiDeploy | PulumiDeploy:
    """The real `pulumi up` when `make engine` built the engine (`make demo` builds it wherever Go is); else say why,
    in one line, and deploy over Okta's REST API as the program would."""
    if missing := missing_engine():
        story.say(
            f"Deploying over the Okta API instead of `pulumi up`: the engine is not built ({len(missing)} of its "
            "programs missing; `make engine` says why and what to install)."
        )
        return ApiDeploy(story, okta_url, okta_token, talend, talend_token)
    return PulumiDeploy(story, workdir, okta_token, talend, talend_token)


def explain_new_hire(
    story: Story,
    sandbox: OktaSandbox,
    group_ids: dict[str, str],
    enable_scim: list[str],
    admin_env: dict[str, str],
    env: dict[str, str],
    outputs_file: Path,
) -> None:
    """A wrong Talend token in Okta fails a new hire's push; `explain` quotes Okta's error, the admin fixes it."""
    hire = NEW_HIRE
    story.say("An admin pastes an expired Talend token into Okta's provisioning settings; then a new hire joins.")
    expired = {**admin_env, "TALEND_SCIM_TOKEN": f"expired-{secrets.token_hex(8)}"}
    code, _ = story.run(["enable-scim", *enable_scim], expired, admin=True, shown_env="TALEND_SCIM_TOKEN=<expired>")
    story.expect(code == 0, f"saving the provisioning settings should succeed, got exit code {code}")
    user_id = sandbox.add_user(hire.login, hire.email, hire.first_name, hire.last_name)
    for group in hire.groups:
        sandbox.add_member(group_ids[group], user_id)
    story.expect(sandbox.wait_for_sync(SYNC_WAIT), f"provisioning still running after {SYNC_WAIT:.0f} s")
    explain = ["explain", hire.login, "--stack-outputs", str(outputs_file)]
    code, output = story.run(explain, env)
    story.expect(code == 1, f"explain should find the failed push with exit code 1, got {code}")
    story.expect("Okta push failed: GET /Users: HTTP 401" in output, "explain did not quote Okta's push error")
    story.say("The admin saves the right token and retries the push (Okta Admin Console → Dashboard → Tasks → Retry).")
    code, _ = story.run(
        ["enable-scim", *enable_scim], admin_env, admin=True, shown_env="TALEND_SCIM_TOKEN=<the tenant's token>"
    )
    story.expect(code == 0, f"saving the provisioning settings should succeed, got exit code {code}")
    sandbox.sync(retry_errors=True)
    story.say("Okta pushed the new hire again with the right token.")
    code, output = story.run(explain, env)
    story.expect(code == 0, f"explain should find the new hire in sync after the fix, got exit code {code}")
    story.expect(f"talend-okta explain {hire.login}: in sync" in output, "explain did not say in sync")


def review_access(
    story: Story,
    sandbox: OktaSandbox,
    talend: RunningTalend,
    scim: httpx.Client,
    app_id: str,
    admin_env: dict[str, str],
    env: dict[str, str],
    outputs_file: Path,
) -> None:
    """Months go by: people sign in, one never does, an admin assigns someone by hand and creates a Talend user by
    hand, a leaver is suspended in Okta. `review` shows each in one line."""
    ids = {str(u["profile"]["login"]): str(u["id"]) for u in okta_users(admin_env)}
    leaver, idle, direct, orphan = "farid.haddad", "gita.rao", "lena.park", "tmp.admin"
    sandbox.assign_user(app_id, ids[f"{direct}@acme.example"])  # by hand, in the Okta Admin Console
    story.expect(sandbox.wait_for_sync(SYNC_WAIT), f"provisioning still running after {SYNC_WAIT:.0f} s")
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": orphan, "active": True}
    scim.post("/Users", json=body).raise_for_status()  # by hand, in Talend Management Console
    story.say(
        f"An admin assigns {direct} to the app by hand in Okta and creates {orphan!r} by hand in Talend. People "
        f"sign in to Talend through Okta, one of them like this; {idle} never does."
    )
    code, _ = story.run(["sign-in", "--app-id", app_id, "--user", "bob.ray@acme.example"], admin_env, admin=True)
    story.expect(code == 0, f"signing bob.ray in should succeed, got exit code {code}")
    for login, user_id in ids.items():
        if sandbox.app_user(app_id, user_id) is not None and not login.startswith(("bob.ray@", f"{idle}@")):
            sandbox.sign_in(app_id, user_id)
    story.say(f"{leaver} leaves: HR suspends his Okta account, pending offboarding.")
    suspended = httpx.post(
        f"{admin_env['OKTA_ORG_URL']}/api/v1/users/{ids[f'{leaver}@acme.example']}/lifecycle/suspend",
        headers={"Authorization": f"SSWS {admin_env['OKTA_API_TOKEN']}"},
        timeout=10.0,
        trust_env=False,
    )
    suspended.raise_for_status()
    review = ["review", "--stack-outputs", str(outputs_file), "--fail-on", "orphan,okta-inactive"]
    code, output = story.run(review, env)
    story.expect(code == 1, f"review --fail-on should exit 1 on the orphan and the leaver, got {code}")
    text = output.replace("\n  │ ", " ")
    for wanted in (
        f"{orphan}: orphan: active in Talend, not assigned to the app in Okta",
        f"{leaver}: okta-inactive: Okta user is SUSPENDED, still active in Talend",
        f"{idle}: unused: holds a Talend seat, never signed in through Okta in the window",
        f"{direct}: direct: assigned to the app individually, not through a group the stack declares",
    ):
        story.expect(wanted in text, f"review did not say {wanted!r}")
    story.say(
        "[bold green]review found them:[/] the orphan, the leaver, the unused seat and the direct assignment (and "
        f"{TOKEN_OWNER}'s Security Administrator role, given by hand), each in one line; `--format json` writes the "
        "report for the audit ticket, with its sha256 (docs/review.md)."
    )


def okta_users(admin_env: dict[str, str]) -> list[dict[str, Any]]:
    """The org's users, read as an admin would."""
    headers = {"Authorization": f"SSWS {admin_env['OKTA_API_TOKEN']}"}
    with httpx.Client(base_url=admin_env["OKTA_ORG_URL"], headers=headers, timeout=10.0, trust_env=False) as okta:
        response = okta.get("/api/v1/users", params={"limit": 200})
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found


def run_demo(
    story: Story, workdir: Path, okta_token: str, talend_token: str, rate_limits: RateLimits | None = None
) -> None:
    """The demo, step by step; raises `Surprise` when something does not behave as expected."""
    console = story.console
    state_file = workdir / "okta-demo.json"
    config_file = workdir / "Pulumi.demo.yaml"
    outputs_file = workdir / "stack-outputs.json"
    env = cli_environment(okta_token, talend_token)

    with ExitStack() as servers:
        story.step("Start the Talend SCIM stand-in and the Okta sandbox")
        workdir.mkdir(parents=True, exist_ok=True)
        state_file.unlink(missing_ok=True)  # a fresh org every run
        talend = servers.enter_context(run_talend(talend_token))
        routes = talend_routes(talend)
        sandbox = OktaSandbox(
            okta_token,
            state_file=state_file,
            scim_timeout=SCIM_TIMEOUT,
            scim_routes=routes,
            rate_limits=rate_limits,
        )
        okta_url = servers.enter_context(sandbox.serve(auto_sync=True))
        scim = servers.enter_context(scim_client(talend, talend_token))
        story.say(f"Okta sandbox:        {okta_url}  (state in {state_file})")
        story.say(f"Talend SCIM API:     {talend.scim_url}")
        story.say(f"Talend role API:     {talend.api_url}/security/role-mappings")
        story.say(
            "Tokens:              random for this run, passed to talend-okta in environment variables (not shown)"
        )
        env.update(TALEND_API_URL=talend.api_url, TALEND_API_TOKEN=talend_token, TALEND_SCIM_URL=talend.scim_url)
        deploy_stack = choose_deploy(story, workdir, okta_token, talend, talend_token, okta_url)
        story.say(f"Deploys run {deploy_stack.name}.")

        story.step("Seed the Okta org")
        group_ids = seed_org(sandbox)
        table = Table("Okta user", "Talend userName", "groups", title="People in Okta", title_justify="left")
        for person in ORG:
            user_name = email_prefix(person.email) if person.email else "(no email)"
            table.add_row(person.login, user_name, ", ".join(person.groups) or "-")
        console.print(table)
        story.say(
            f"Under Okta's Email-prefix rule both {COLLISION}@acme.example and {COLLISION}@partner.example would be "
            f"Talend user {COLLISION!r}; kai.tan has no email at all."
        )

        story.step("Preflight the stack config")
        config = stack_config(okta_url, GROUPS)
        write_stack_config(config_file, config)
        outputs_file.write_text(json.dumps({"oktaOrgUrl": okta_url}), encoding="utf-8")  # not deployed yet
        story.say(f"{config_file} assigns {', '.join(g['name'] for g in GROUPS)} to the Talend app.")
        preflight = ["preflight", "--config", str(config_file), "--stack-outputs", str(outputs_file)]
        code, output = story.run(preflight, env)
        story.expect(code == 1, f"preflight should block the collision with exit code 1, got {code}")
        story.expect(COLLISION in output and "collision" in output, f"preflight did not report {COLLISION!r}")
        story.say(
            f"Preflight blocked it: {CONTRACTORS} would bring a second {COLLISION!r} into Talend. "
            f"The change is fixed by leaving {CONTRACTORS} out of the config."
        )
        config = stack_config(okta_url, [g for g in GROUPS if g["name"] != CONTRACTORS])
        write_stack_config(config_file, config)
        story.say(f"Changed: {config_file} no longer lists {CONTRACTORS}.")
        code, output = story.run(preflight, env)
        story.expect(code == 0, f"preflight should pass without {CONTRACTORS}, got exit code {code}")
        expected = {email_prefix(p.email) for p in ORG if p.email and {DEVELOPERS, OPERATORS} & set(p.groups)}
        story.expect(
            f"Will be created in Talend ({len(expected)})" in output, f"preflight should create {len(expected)}"
        )
        developers = sum(DEVELOPERS in p.groups for p in ORG)
        story.expect(
            f"Talend roles at next SSO sign-in ({developers} people)" in output,
            f"preflight should show the {developers} {DEVELOPERS} gaining their Talend roles",
        )

        capacity_refusals(story, talend, talend_token, config, config_file, preflight, env)

        story.step("Deploy (`pulumi up`, first run): Okta refuses what it does not offer a custom SAML app")
        deployed = deploy_stack(config)
        outputs_file.write_text(json.dumps(deployed.outputs, indent=2), encoding="utf-8")
        story.say(f"App {deployed.app_id}; stack outputs (no secrets) in {outputs_file}.")
        for failure in deployed.failed:
            story.say(f"  [red]✗[/] {failure}")
        # The API deploy tries each; `pulumi up` stops at the first refusal (the push group, or the features) and
        # does not create what depends on them: the group assignments.
        refused = ("Features", "PushGroup", "GroupAssignment")
        story.expect(
            bool(deployed.failed) and all(any(kind in f for kind in refused) for f in deployed.failed),
            f"Okta should refuse the To App features or push group of a custom SAML app, refused {deployed.failed}",
        )
        assigned = assigned_people(okta_url, okta_token, deployed.app_id)
        story.expect(assigned == 0, f"nobody should be assigned before Okta provisions the app, {assigned} are")
        story.say(
            "`pulumi up` ends with these errors: Okta documents its provisioning APIs only for some catalog apps, so "
            "the connection is ignored and the To App features and the push group are refused. The group "
            "assignments wait for Okta to create users: Okta never provisions people assigned before that, so "
            "nobody is assigned yet and nobody is stranded. The deploy pipeline runs verify anyway, to say what "
            "remains."
        )

        story.step("Verify lists the steps an admin does by hand")
        verify = ["verify", "--stack-outputs", str(outputs_file), "--timeout", "0"]
        code, output = story.run(verify, env)
        story.expect(code == 1, f"verify should fail before provisioning is enabled, got exit code {code}")
        for wanted in (
            "General → App Settings → Edit: Provisioning = SCIM",
            f"SCIM connector base URL = {deployed.outputs['scimBaseUrl']}",
            "To App → Edit: enable Create Users, enable Update User Attributes, enable Deactivate Users",
            "set talend-okta:provisioning.manage to false",
            "could not read the app's group push mappings",
        ):
            story.expect(wanted in output.replace("\n  │ ", " "), f"verify did not list {wanted!r}")

        story.step("The admin does them in the Okta Admin Console")
        app = ["--app-id", deployed.app_id]
        admin_env = {**env, "OKTA_ORG_URL": okta_url}  # the Talend token goes in TALEND_SCIM_TOKEN, as for verify
        base_url = str(deployed.outputs["scimBaseUrl"])  # the sandbox routes Talend's real host to the stand-in
        code, _ = story.run(["enable-scim", *app, "--base-url", base_url], admin_env, admin=True)
        story.expect(code == 0, f"enabling SCIM should succeed, got exit code {code}")
        code, _ = story.run(["to-app", *app], admin_env, admin=True)
        story.expect(code == 0, f"saving To App should succeed, got exit code {code}")
        config = stack_config(okta_url, [g for g in GROUPS if g["name"] != CONTRACTORS], manage=False)
        write_stack_config(config_file, config)
        story.say(
            f"And, as verify said, {config_file} now has provisioning.manage: false: the admin console holds the "
            "provisioning settings, verify keeps checking them."
        )

        story.step("Deploy again (`pulumi up`, second run), let Okta provision, then verify")
        settings = settings_from(config, talend_token)
        deployed = deploy_stack(config)
        outputs_file.write_text(json.dumps(deployed.outputs, indent=2), encoding="utf-8")
        story.expect(deployed.failed == [], f"the second deploy should succeed, failed: {deployed.failed}")
        story.expect(sandbox.wait_for_sync(SYNC_WAIT), f"provisioning still running after {SYNC_WAIT:.0f} s")
        users = talend_users(scim)
        story.say(f"Talend now holds {len(users)} users: {', '.join(sorted(users))}.")
        story.expect(
            set(users) == expected and all(users.values()),
            f"Talend should hold {sorted(expected)} active, holds {users}",
        )
        verify = ["verify", "--stack-outputs", str(outputs_file), "--timeout", "30"]
        code, output = story.run(verify, env)
        story.expect(code == 0, f"verify should pass after the admin's steps, got exit code {code}")

        story.step("A new hire is not in Talend: explain says why, then the same person in sync")
        explain_new_hire(story, sandbox, group_ids, [*app, "--base-url", base_url], admin_env, env, outputs_file)

        story.step("Change Talend by hand, and verify again")
        story.say(f"An admin deactivates {DRIFTER!r} in Talend Management Console (SCIM PATCH active=false).")
        deactivate_in_talend(scim, DRIFTER)
        verify = ["verify", "--stack-outputs", str(outputs_file), "--timeout", "0"]
        code, output = story.run(verify, env)
        story.expect(code == 1, f"verify should fail on the drift with exit code 1, got {code}")
        story.expect(
            f"deactivated there by hand (Okta does not push them again) (1): {DRIFTER}" in output,
            f"verify did not name {DRIFTER!r} as inactive",
        )
        story.say(f"[bold green]verify caught the drift:[/] {DRIFTER} is assigned in Okta but inactive in Talend.")

        story.step("Change a role mapping by hand in Talend, and verify again")
        story.say(
            f"An admin maps {DEVELOPERS} to {', '.join(HAND_MADE_ROLES)} in Talend Management Console "
            f"(the stack declares {', '.join(settings.role_mappings[DEVELOPERS])})."
        )
        talend.roles.set_mapping(DEVELOPERS, HAND_MADE_ROLES)
        code, output = story.run(verify, env)
        story.expect(code == 1, f"verify should fail on the changed mapping with exit code 1, got {code}")
        caught = f"'{DEVELOPERS}' maps to {', '.join(HAND_MADE_ROLES)} in Talend"
        story.expect("✗ role-mapping:" in output and caught in output, "verify did not report the changed mapping")
        story.say(
            "[bold green]verify caught it.[/] The stack's role mappings are authoritative: `pulumi preview --refresh` "
            "shows the change as drift and the next `pulumi up` puts the declared mapping back. People get their "
            "roles at their next sign-in through SSO."
        )
        if isinstance(deploy_stack, PulumiDeploy):
            story.step("The drift check sees it, and `pulumi up` puts the declared mapping back")
            drift = deploy_stack.show("preview", "--refresh", "--expect-no-changes")
            story.expect(drift.code != 0, "`pulumi preview --refresh --expect-no-changes` should fail on the drift")
            story.expect("talend-role-mappings" in drift.output, "the drift check did not name the role mappings")
            story.expect(deploy_stack.show("up", "--refresh", "--yes").code == 0, "`pulumi up` should repair it")
            story.expect(
                talend.roles.snapshot() == {DEVELOPERS: settings.role_mappings[DEVELOPERS]},
                f"Talend should map {DEVELOPERS} as declared again, maps {talend.roles.snapshot()}",
            )
            story.say(f"[bold green]Repaired:[/] Talend maps {DEVELOPERS} as the stack declares.")

        story.step("The access review: who can reach Talend, why, and who never signs in")
        review_access(story, sandbox, talend, scim, deployed.app_id, admin_env, env, outputs_file)

        story.step("Stop the servers")
    story.say("Both servers stopped. [bold green]Every step behaved as expected.[/]")


def capacity_refusals(
    story: Story,
    talend: RunningTalend,
    talend_token: str,
    config: dict[str, Any],
    config_file: Path,
    preflight: list[str],
    env: dict[str, str],
) -> None:
    """Preflight refuses a change Talend cannot hold (seats) and one that locks out the token's owner; then the
    config is put back as it was. Nothing is deployed."""
    story.step("Preflight knows what Talend can hold: seats and the token's owner")
    developers = sorted(p.email for p in ORG if p.email and DEVELOPERS in p.groups)
    talend.account.owners[talend_token] = TOKEN_OWNER  # Talend's /account/me names them
    talend.account.set_roles(TOKEN_OWNER, ["Security Administrator"])  # given by hand in TMC
    talend.account.seats.update({"Studio": len(developers) - 1, "Management Console": 10})
    story.say(
        f"The tenant's license has {len(developers) - 1} Studio seats; {DEVELOPERS} has {len(developers)} people."
    )
    code, output = story.run(preflight, env, brief=True)
    story.expect(code == 1, f"preflight should refuse the change for seats with exit code 1, got {code}")
    wanted = f"Studio would need {len(developers)} of {len(developers) - 1} seats"
    story.expect(wanted in output, f"preflight did not say {wanted!r}")
    story.say(f"[bold]Refused before anything is deployed:[/] {wanted}.")
    talend.account.seats["Studio"] = STUDIO_SEATS
    story.say(f"Changed: the tenant buys more; its license now has {STUDIO_SEATS} Studio seats.")

    owner = next(p for p in developers if p.startswith("chen."))
    with_owner = json.loads(json.dumps(config))
    with_owner["config"][f"{NAMESPACE}:talendTokenOwner"] = owner
    write_stack_config(config_file, with_owner)
    story.say(f"Changed: the config says the Talend token belongs to {owner}, a member of {DEVELOPERS}.")
    code, output = story.run(preflight, env, brief=True)
    story.expect(code == 1, f"preflight should refuse locking out the token owner with exit code 1, got {code}")
    story.expect(f"token owner: at their next SSO sign-in {owner} gets" in output, "preflight did not name the owner")
    story.say(
        f"[bold]Refused:[/] at their next SSO sign-in {owner} would get {DEVELOPERS}' roles, which replace the "
        "Security Administrator role their token needs (Users - Manage)."
    )
    with_owner["config"][f"{NAMESPACE}:talendTokenOwner"] = f"{TOKEN_OWNER}@acme.example"
    write_stack_config(config_file, with_owner)
    story.say(f"Changed: the config names the token's real owner, {TOKEN_OWNER}@acme.example, a Talend-local admin.")
    code, output = story.run(preflight, env, brief=True)
    story.expect(code == 0, f"preflight should pass with the real owner, {TOKEN_OWNER}, got exit code {code}")
    write_stack_config(config_file, config)


# --- make sandbox ------------------------------------------------------------------------------------------------


@contextmanager
def stop_signals() -> Iterator[threading.Event]:
    """An event set by Ctrl-C or SIGTERM, with the previous handlers restored afterwards."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class PortInUse(Exception):
    """A port `make sandbox` wants is taken (often by another `make sandbox`); nothing was started or changed."""

    def __init__(self, port: int, what: str) -> None:
        super().__init__(f"port {port} ({what}) is in use")
        self.port = port


def check_free(port: int, what: str) -> None:
    """Raise `PortInUse` when `port` is taken on loopback: checked before the sandbox touches any of its files."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind: a listener still clashes
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                raise PortInUse(port, what) from None
            raise


def serve_sandbox(
    console: Console,
    workdir: Path,
    okta_token: str,
    talend_token: str,
    okta_port: int,
    talend_port: int,
    provisioning_api: ProvisioningApi = "refused",
    state_dir: Path | None = None,
    rate_limits: RateLimits | None = None,
) -> None:
    """Both servers with the demo's org, until Ctrl-C or SIGTERM; prints how to point pulumi and talend-okta.

    `state_dir`: keep the Okta org there across restarts (a Pulumi state made against it stays valid); otherwise
    each start is a fresh org (and a fresh Pulumi state) in `workdir`, in a folder of its own per Okta port, so a
    second sandbox on other ports leaves the first one's files alone."""
    check_free(okta_port, "Okta sandbox")
    check_free(talend_port, "Talend stand-in")
    kept = state_dir is not None
    folder = (state_dir or workdir / f"serve-{okta_port}").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    state_file = folder / "okta-sandbox.json"
    pulumi_state = folder / "pulumi-state"
    if not kept:  # a fresh org: a Pulumi state made against the last one names objects that no longer exist
        state_file.unlink(missing_ok=True)
        shutil.rmtree(pulumi_state, ignore_errors=True)
    with stop_signals() as stop, ExitStack() as servers:
        talend = servers.enter_context(run_talend(talend_token, port=talend_port))
        routes = talend_routes(talend)
        sandbox = OktaSandbox(
            okta_token,
            state_file=state_file,
            scim_timeout=SCIM_TIMEOUT,
            scim_routes=routes,
            provisioning_api=provisioning_api,
            rate_limits=rate_limits,
        )
        resumed = sandbox.has_state()
        okta_url = servers.enter_context(sandbox.serve(port=okta_port, auto_sync=True))
        if resumed:
            sandbox.reprovision()  # the Talend stand-in starts empty: Okta pushes everyone again
        else:
            seed_org(sandbox)
        key_file = register_service_app(sandbox, folder)

        def out(line: str = "") -> None:
            console.print(line, markup=False, highlight=False, soft_wrap=True)

        missing = missing_engine()  # what the printed pulumi commands need from `make engine`
        if missing:  # first, in one line: the pulumi commands below cannot run yet
            out(
                f"Not built yet: {', '.join(missing)} in {ENGINE_BIN}: run `make engine` for the pulumi commands below."
            )
        how = "kept across restarts" if kept else "fresh each start; --state-dir DIR keeps it"
        out(f"Okta sandbox at {okta_url} (state in {state_file}, {how}{', resumed' if resumed else ''})")
        out(f"Talend SCIM stand-in at {talend.scim_url}")
        out(rate_limits_line(sandbox.rate_limiter.limits))
        out(f"Seeded: {len(ORG)} people in {', '.join(g['name'] for g in GROUPS)} (one {COLLISION!r} collision).")
        out("Okta's SCIM calls to https://api.<region>.cloud.talend.com/scim/v2 go to the stand-in.")
        out("The tokens below are fixed and local-only: they open nothing but these two servers.")
        out()
        out("# talend-okta (verify, preflight) and the admin commands, from the project's virtualenv:")
        out(f"export PATH={Path(sys.executable).parent}:$PATH")
        out(f"export OKTA_ORG_URL={okta_url}")
        out(f"export OKTA_API_TOKEN={okta_token}")
        out(f"export TALEND_SCIM_URL={talend.scim_url}")
        out(f"export TALEND_SCIM_TOKEN={talend_token}")
        out(f"export TALEND_API_URL={talend.api_url}")
        out()
        out("# (TALEND_API_URL: Talend's role-mapping API, for verify and for the program's role mappings)")
        out()
        out("# Or sign in as an OAuth 2.0 service app instead of the API token (private_key_jwt and DPoP, as Okta")
        out("# recommends for automation); its key pair is new each start, the public key registered with the org:")
        out("unset OKTA_API_TOKEN")
        out(f"export OKTA_API_CLIENT_ID={SERVICE_APP_ID}")
        out(f'export OKTA_API_PRIVATE_KEY="$(cat {key_file})"')
        out(f"export OKTA_API_SCOPES={','.join(SERVICE_APP_SCOPES)}")
        out()
        refused = provisioning_api == "refused"
        # What to expect, before the commands: with the API refused the first `pulumi up` stops by design.
        if refused:
            out("Provisioning API: refused (as Okta treats a custom SAML app): expect the first `pulumi up` below to")
            out("stop at the To App features by design; then do the admin-console actions printed after the")
            out("commands, and run `pulumi up` again: it assigns the groups and Okta provisions everyone.")
        else:
            out("Provisioning API: supported (the optimistic path): Okta honours the connection and features APIs,")
            out("so the first `pulumi up` below deploys everything and verify finds everyone in sync.")
        out()
        out("# pulumi, from the repository (a local state; the provider reads OKTA_API_TOKEN from the environment):")
        if missing:
            out("# needs `make engine` first (see the first line)")
        engine_bin, pulumi_home = install_engine(folder / "engine")  # the Okta plugin not on PATH: no warning
        out(f"export PATH={engine_bin}:$PATH PULUMI_HOME={pulumi_home}   # the engine `make engine` builds")
        out(f"cd {REPO}")
        out(f"export PULUMI_BACKEND_URL=file://{pulumi_state}")
        out("export PULUMI_CONFIG_PASSPHRASE=sandbox PULUMI_SKIP_UPDATE_CHECK=true   # local-only, offline")
        out(f"mkdir -p {pulumi_state}")
        out("test -f Pulumi.sandbox.yaml || cp Pulumi.dev.yaml Pulumi.sandbox.yaml   # git ignores it")
        out("pulumi stack select --create sandbox")
        out(f"pulumi config set okta:httpProxy {okta_url}")
        out(f"pulumi config set --secret talend-okta:scimToken {talend_token}")
        # --refresh: the Talend stand-in starts empty, so a resumed org's role mappings must be read, not assumed.
        if refused:
            out("# expect the first run to fail at talend-to-app (Okta refuses the To App features): by design")
        out("pulumi preview --diff && pulumi up --refresh --yes")
        out("export TALEND_OKTA_APP_ID=$(pulumi stack output appId)   # for verify and the admin commands below")
        if refused:
            out("# expect verify to fail until the admin-console actions below are done; it lists them")
        out("talend-okta verify --stack-outputs <(pulumi stack output --json --show-secrets)")
        out()
        if refused:
            out("# the admin-console actions (then `pulumi up --yes` and verify again):")
            out(f"{ADMIN} enable-scim --app-id $TALEND_OKTA_APP_ID --base-url https://api.eu.cloud.talend.com/scim/v2")
            out(f"{ADMIN} to-app --app-id $TALEND_OKTA_APP_ID   # --no-create, --no-update, --no-deactivate")
            out()
        out("Serving until Ctrl-C.")
        while not stop.wait(0.2):
            pass
    out("Sandbox stopped.")


def register_service_app(sandbox: OktaSandbox, folder: Path) -> Path:
    """A fresh key pair for the sandbox's service app: the public key registered with the org (DPoP required, as
    Okta creates new service apps), the private key written to `folder` for OKTA_API_PRIVATE_KEY (owner-only)."""
    keys = generate_key_pair()
    sandbox.register_service_app(SERVICE_APP_ID, keys.public_pem, SERVICE_APP_SCOPES)
    key_file = folder / "service-app.pem"
    key_file.unlink(missing_ok=True)
    key_file.touch(mode=0o600)
    key_file.write_text(keys.private_pem)
    return key_file


def rate_limits_line(limits: RateLimits) -> str:
    """What the sandbox enforces, in one line: the plan, the token's share, and the token's ceiling per bucket."""
    ceilings = ", ".join(f"{name} {limits.token_limit(name)}" for name in BUCKETS)
    return (
        f"Rate limits: Okta's {limits.plan} plan, the API token may use {limits.token_share}% of each bucket "
        f"(requests a minute: {ceilings})"
    )


# --- command line ------------------------------------------------------------------------------------------------


class ProvisioningApiChoice(StrEnum):
    """--provisioning-api: how the sandbox treats a custom SAML app's connection and features APIs."""

    REFUSED = "refused"
    SUPPORTED = "supported"


cli = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)


@cli.command()
def main(
    serve: Annotated[
        bool, typer.Option("--serve", help="Leave both servers running (make sandbox) instead of running the demo.")
    ] = False,
    provisioning_api: Annotated[
        ProvisioningApiChoice,
        typer.Option(
            "--provisioning-api",
            help="With --serve: how Okta treats a custom SAML app's connection and features APIs: refused (as Okta "
            "documents; an admin enables SCIM with `python -m talend_okta_sandbox.admin`) or supported.",
        ),
    ] = ProvisioningApiChoice.REFUSED,
    okta_port: Annotated[
        int | None,
        typer.Option(
            min=0, max=65535, help=f"Okta sandbox port (default: any free port; {SERVE_OKTA_PORT} with --serve)."
        ),
    ] = None,
    talend_port: Annotated[
        int | None,
        typer.Option(
            min=0, max=65535, help=f"Talend stand-in port (default: any free port; {SERVE_TALEND_PORT} with --serve)."
        ),
    ] = None,
    workdir: Annotated[Path, typer.Option(help="Where the sandbox keeps its state and the demo's files.")] = Path(
        ".sandbox"
    ),
    state_dir: Annotated[
        Path | None,
        typer.Option(
            help="With --serve: keep the Okta org in this folder across restarts, so a Pulumi state made against "
            "the sandbox stays valid (the Talend stand-in starts empty; Okta pushes everyone again).",
        ),
    ] = None,
    okta_token: Annotated[
        str | None,
        typer.Option(
            envvar="TALEND_OKTA_SANDBOX_OKTA_TOKEN",
            help=f"The sandbox's Okta API token (default: random per demo run; {SERVE_OKTA_TOKEN} with --serve).",
            show_default=False,
        ),
    ] = None,
    talend_token: Annotated[
        str | None,
        typer.Option(
            envvar="TALEND_OKTA_SANDBOX_TALEND_TOKEN",
            help=f"The Talend stand-in's token (default: random per demo run; {SERVE_TALEND_TOKEN} with --serve).",
            show_default=False,
        ),
    ] = None,
    okta_plan: Annotated[
        str,
        typer.Option(help=f"The Okta plan whose rate limits the sandbox enforces: {', '.join(PLANS)}."),
    ] = DEFAULT_PLAN,
    token_share: Annotated[
        int,
        typer.Option(help=f"Percent of each rate-limit bucket the API token may use ({MIN_TOKEN_SHARE}-100)."),
    ] = DEFAULT_TOKEN_SHARE,
    rate_limit: Annotated[
        list[str] | None,
        typer.Option(
            metavar="BUCKET=N",
            help=f"The org's limit of a bucket in requests a minute, instead of the plan's (repeatable); buckets: "
            f"{', '.join(BUCKETS)}.",
        ),
    ] = None,
) -> None:
    """The offline demo of talend-okta (make demo), or the local sandbox for pulumi and talend-okta (make sandbox)."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # a reader of the pipe sees each line at once
    console = Console(highlight=False, width=min(WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns))
    try:
        limits = rate_limits_from_options(okta_plan, token_share, rate_limit or [])
    except ValueError as err:
        typer.echo(f"sandbox: error: {err}", err=True)
        raise typer.Exit(2) from None
    try:  # every exchange is checked against the vendors' definitions: they must be there (contract_watch)
        contract.okta(), contract.talend()
    except contract.SpecsMissing as missing:
        typer.echo(f"sandbox: error: {missing}", err=True)
        raise typer.Exit(2) from None
    if serve:
        try:
            serve_sandbox(
                console,
                workdir,
                okta_token or SERVE_OKTA_TOKEN,
                talend_token or SERVE_TALEND_TOKEN,
                SERVE_OKTA_PORT if okta_port is None else okta_port,
                SERVE_TALEND_PORT if talend_port is None else talend_port,
                "supported" if provisioning_api is ProvisioningApiChoice.SUPPORTED else "refused",
                state_dir,
                limits,
            )
        except PortInUse as err:
            other = f"OKTA_PORT={err.port + 10} TALEND_PORT={err.port + 11}"
            typer.echo(
                f"sandbox: error: {err}, perhaps by another `make sandbox`; choose other ports: make sandbox {other} "
                "(--okta-port, --talend-port); nothing was changed",
                err=True,
            )
            raise typer.Exit(2) from None
        except OSError as err:
            typer.echo(f"sandbox: error: cannot start: {err.strerror or err}", err=True)
            raise typer.Exit(2) from None
        return

    okta_secret = okta_token or secrets.token_urlsafe(24)
    talend_secret = talend_token or secrets.token_urlsafe(24)
    story = Story(console, Redactor([okta_secret, talend_secret]))
    try:
        run_demo(story, workdir, okta_secret, talend_secret, limits)
    except KeyboardInterrupt:
        console.print(Text("demo interrupted; servers stopped", style="bold red"))
        raise typer.Exit(130) from None
    except Exception as err:  # a surprise, a bug or an environment problem: one line naming the step, no token
        why = str(err) if isinstance(err, Surprise) else f"{type(err).__name__}: {err}"
        line = f"demo failed: step {story.number} ({story.title}) surprised: {why}"
        console.print(Text(story.redact(line), style="bold red"))
        raise typer.Exit(1) from None
    # Every exchange with the stand-ins was checked against Okta's and Talend's definitions (contract_watch).
    if violations := WATCH.take():
        console.print(
            Text(f"demo failed: {len(violations)} exchanges broke the vendor's API definition:", style="bold red")
        )
        for violation in dict.fromkeys(map(str, violations)):
            console.print(Text(story.redact(f"  {violation}"), style="red"))
        raise typer.Exit(1)


if __name__ == "__main__":
    cli()
