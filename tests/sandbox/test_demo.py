"""`make demo` and `make sandbox`, run as people run them: `python -m talend_okta_sandbox.demo` in a subprocess.

Each subprocess costs seconds (imports, then servers), so the tests that only read and add to a running `make
sandbox` share one per module (per pytest-xdist worker: `served`); the tests whose point is starting or stopping
one start their own.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE
from talend_okta_sandbox import demo

OKTA_CANARY = "okta-demo-canary-6e1f0b"
TALEND_CANARY = "talend-demo-canary-c94a27"


def demo_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "talend_okta_sandbox.demo", *args]


def demo_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OKTA_", "TALEND_"))}
    env.update(TALEND_OKTA_SANDBOX_OKTA_TOKEN=OKTA_CANARY, TALEND_OKTA_SANDBOX_TALEND_TOKEN=TALEND_CANARY)
    # The demo fits the terminal up to 120 columns; the assertions read the 120-column layout whatever runs them
    # (a pytest-xdist worker's terminal is 80 columns).
    env["COLUMNS"] = "120"
    return env


def run_the_demo(workdir: Path, env: dict[str, str], timeout: float) -> str:
    """`make demo` in a subprocess; asserts it exited 0 and returns everything it printed."""
    done = subprocess.run(
        demo_command("--workdir", str(workdir)), env=env, capture_output=True, text=True, timeout=timeout
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def test_the_demo_runs_end_to_end_and_catches_the_drift(tmp_path: Path) -> None:
    """Without the engine (a machine without Go): one line says why, and the demo deploys over the Okta API as the
    stack's resources do."""
    workdir = tmp_path / "sandbox"
    no_engine = tmp_path / "no-engine"
    no_engine.mkdir()
    output = run_the_demo(workdir, demo_env() | {"TALEND_OKTA_ENGINE_BIN": str(no_engine)}, timeout=120)
    # Fits 120 columns; a long line is continued under its own text, read here as one line.
    too_long = [line for line in output.splitlines() if len(line) > 120]
    assert too_long == []
    flat = re.sub(r" *\n(?: *│)? *", " ", output)
    assert (
        "Deploying over the Okta API instead of `pulumi up`: the engine is not built (5 of its programs missing; "
        "`make engine` says why and what to install)."
    ) in flat
    assert "4. Preflight knows what Talend can hold: seats and the token's owner\n" in output
    assert "5. Deploy (`pulumi up`, first run): Okta refuses what it does not offer a custom SAML app\n" in output
    # Preflight blocked the Email-prefix collision, then passed without Contractors.
    assert "preflight BLOCKED" in output
    assert "problem: userName 'jdoe' would be shared by jdoe@acme.example, jdoe@partner.example" in output
    assert "preflight OK: 8 created, 0 deactivated" in output
    # kai.tan has no email: listed apart, not counted as created; one collision, in words.
    assert "preflight BLOCKED: 11 created, 0 deactivated, 0 unchanged, 1 userName collision, 1 without email" in output
    # Before anything is deployed, preflight refused a change for seats and one locking out the token's owner.
    assert "problem: seats: Studio would need 5 of 4 seats (0 used now, +5 added, -0 freed)" in output
    assert "problem: token owner: at their next SSO sign-in chen.wu@acme.example gets Integration Developer" in output
    # The deploy went over the Okta API, and Okta refused what it does not offer a custom SAML app.
    assert "POST /api/v1/apps?activate=true → 200" in output
    assert "connections/default/lifecycle/activate → 204" in output
    assert "✗ okta.app.Features: PUT /api/v1/apps/" in output
    assert "✗ okta.PushGroup Talend Developers: POST /api/v1/apps/" in output
    # verify listed the admin-console steps, the admin did them with the sandbox's admin command, verify passed.
    assert "✗ okta-provisioning: provisioning is not enabled for the app (connection UNKNOWN)" in output
    assert "still to do by hand:" in output
    assert "General → App Settings → Edit: Provisioning = SCIM; Save" in flat
    assert "4. In the stack config set talend-okta:provisioning.manage to false: `pulumi config set --path" in output
    assert "✗ group-sync: could not read the app's group push mappings" in output
    assert "$ python -m talend_okta_sandbox.admin enable-scim --app-id " in output
    assert "$ python -m talend_okta_sandbox.admin to-app --app-id " in output
    assert "✓ okta-provisioning: provisioning enabled in the admin console" in output
    assert "✓ group-sync: 1 pushed group in sync" in output
    # verify's report: in sync, then the hand-made change caught.
    assert "talend-okta verify: in sync" in output
    assert "✓ user-sync: 8/8 assigned users active in Talend" in output
    # explain: the new hire's push failed on an expired token (Okta's error quoted); after the fix, in sync.
    assert "talend-okta explain nina.berg@acme.example: Okta push failed: GET /Users: HTTP 401" in output
    assert "talend-okta explain nina.berg@acme.example: in sync" in output
    # Before the admin's steps nobody is assigned (Okta would never provision them): nobody stranded.
    assert "user-sync: 0/0 assigned users active in Talend" in output
    assert "nobody is assigned yet and nobody is stranded" in " ".join(output.split())
    # A list sits under its own check, not under the last one.
    assert (
        "│   ✗ user-sync: 8/9 assigned users active in Talend; 1 inactive in Talend\n"
        "  │     inactive in Talend, deactivated there by hand (Okta does not push them again) (1): ann.lee"
    ) in output
    assert "talend-okta verify: in sync (1 round, " in output
    assert "verify caught the drift" in output
    # Roles: preflight shows who gains which Talend role, verify checks the mapping, then catches one changed by hand.
    assert "Talend roles at next SSO sign-in (5 people)" in output
    assert "POST http://127.0.0.1:" in output
    assert "✓ role-mapping: Talend maps 1 customer role as declared" in output
    assert (
        "✗ role-mapping: 'Talend Developers' maps to Integration Developer, Security Administrator in Talend, "
        "declared: Integration Developer, Pipelines Designer"
    ) in flat
    assert "Every step behaved as expected." in output
    # Each step told once, and what changed said: preflight's tables twice (blocked, then passing), not five times;
    # the seat limit raised in words; the expired-token run and its fix are two different commands.
    assert output.count("Will be created in Talend (") == 2
    assert output.count("… and ") >= 3  # the brief re-runs of preflight
    assert "Changed: the tenant buys more; its license now has 40 Studio seats." in output
    assert "$ TALEND_SCIM_TOKEN=<expired> python -m talend_okta_sandbox.admin enable-scim" in output
    assert "$ TALEND_SCIM_TOKEN=<the tenant's token> python -m talend_okta_sandbox.admin enable-scim" in flat
    # Neither token anywhere: not in the output, not in the files left behind (state, config, stack outputs).
    for token in (OKTA_CANARY, TALEND_CANARY):
        assert token not in output
        for path in workdir.iterdir():
            assert token not in path.read_text(encoding="utf-8"), path.name
    assert {p.name for p in workdir.iterdir()} >= {"okta-demo.json", "Pulumi.demo.yaml", "stack-outputs.json"}


def test_a_step_that_cannot_run_is_named_and_exits_1(tmp_path: Path) -> None:
    """In-process (the demo's entry function; the subprocess is the point of the test above): an exception that
    escaped would be `result.exception` instead of the exit, and a traceback in the output."""
    not_a_directory = tmp_path / "taken"
    not_a_directory.write_text("a file where the demo wants its directory\n")
    done = CliRunner().invoke(demo.cli, ["--workdir", str(not_a_directory)], env=demo_env())
    assert isinstance(done.exception, SystemExit), done.exception
    assert done.exit_code == 1
    assert "demo failed: step 1 (Start the Talend SCIM stand-in and the Okta sandbox) surprised:" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


Served = tuple[subprocess.Popen[str], list[str], queue.Queue[str]]


def exported(printed: list[str]) -> dict[str, str]:
    """The `export NAME=value` lines `make sandbox` printed."""
    return dict(line.removeprefix("export ").split("=", 1) for line in printed if line.startswith("export "))


@pytest.fixture(scope="module")
def no_engine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty engine folder: `make sandbox` on a machine where `make engine` has not run."""
    return tmp_path_factory.mktemp("no-engine")


@dataclass(frozen=True)
class Shared:
    """The module's `make sandbox`: what it printed until it served, and its org and Talend as seeded (read before
    any test adds to them, so the test about them holds whichever test a pytest-xdist worker ran first)."""

    printed: list[str]
    groups: set[str]  # Okta group names
    talend_users: int
    role_mappings: list[object]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, no_engine: Path) -> Iterator[Shared]:
    """One `make sandbox` (default options, no engine built) on free ports for the module. Tests add their own apps
    to its org; none stops it."""
    with serving(tmp_path_factory.mktemp("served"), [], env={"TALEND_OKTA_ENGINE_BIN": str(no_engine)}) as running:
        printed = running[1]
        exports = exported(printed)
        okta, talend = okta_auth(exports), {"Authorization": f"Bearer {exports['TALEND_SCIM_TOKEN']}"}
        groups = httpx.get(f"{exports['OKTA_ORG_URL']}/api/v1/groups", headers=okta, timeout=5).json()
        users = httpx.get(f"{exports['TALEND_SCIM_URL']}/Users", headers=talend, timeout=5).json()
        mappings = httpx.get(f"{exports['TALEND_API_URL']}/security/role-mappings", headers=talend, timeout=5)
        yield Shared(printed, {g["profile"]["name"] for g in groups}, users["totalResults"], mappings.json())


@contextmanager
def serving(tmp_path: Path, extra: list[str], env: dict[str, str] | None = None) -> Iterator[Served]:
    """`make sandbox` on free ports (or those `extra` names: the last --okta-port wins), until the block ends."""
    process = subprocess.Popen(
        demo_command("--serve", "--okta-port", "0", "--talend-port", "0", "--workdir", str(tmp_path), *extra),
        env={k: v for k, v in demo_env().items() if not k.startswith("TALEND_OKTA_SANDBOX_")} | (env or {}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put("<EOF>")

    threading.Thread(target=read, daemon=True).start()
    printed: list[str] = []
    try:
        while not printed or printed[-1] != "Serving until Ctrl-C.":
            line = lines.get(timeout=30)
            assert line != "<EOF>", "\n".join(printed)
            printed.append(line)
        yield process, printed, lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_serve_prints_the_environment_and_serves_with_it(served: Shared) -> None:
    """The printed environment, and the org and Talend as seeded. (SIGTERM: the --state-dir test below.)"""
    printed = served.printed
    exports = exported(printed)
    talend_okta = {"OKTA_ORG_URL", "OKTA_API_TOKEN", "TALEND_SCIM_URL", "TALEND_SCIM_TOKEN", "TALEND_API_URL"}
    service_app = {"OKTA_API_CLIENT_ID", "OKTA_API_PRIVATE_KEY", "OKTA_API_SCOPES"}
    assert set(exports) - {"PATH", "TALEND_OKTA_APP_ID"} == talend_okta | service_app | {
        "PULUMI_BACKEND_URL",
        "PULUMI_CONFIG_PASSPHRASE",
    }
    assert "pulumi stack select --create sandbox" in printed  # runs as printed when the stack exists, too
    # The stack file the printed commands create in the repository is one git ignores.
    created = {name for line in printed for name in re.findall(r"Pulumi\.\w+\.yaml", line)} - {"Pulumi.dev.yaml"}
    assert created == {"Pulumi.sandbox.yaml"}
    ignored = subprocess.run(["git", "check-ignore", *created], cwd=Path(__file__).parents[2], capture_output=True)
    assert ignored.returncode == 0, ignored.stderr
    assert (exports["OKTA_API_TOKEN"], exports["TALEND_SCIM_TOKEN"]) == ("sandbox-okta-token", "sandbox-talend-token")
    assert f"pulumi config set okta:httpProxy {exports['OKTA_ORG_URL']}" in printed
    assert "pulumi config set --secret talend-okta:scimToken sandbox-talend-token" in printed

    okta = {"Authorization": f"SSWS {exports['OKTA_API_TOKEN']}"}
    me = httpx.get(f"{exports['OKTA_ORG_URL']}/api/v1/users/me", headers=okta, timeout=5)
    assert me.status_code == 200
    assert httpx.get(f"{exports['OKTA_ORG_URL']}/api/v1/users/me", timeout=5).status_code == 401
    assert served.groups == {"Talend Developers", "Talend Operators", "Contractors"}
    assert served.talend_users == 0
    assert served.role_mappings == []


OPERATORS_IN_TALEND = {"chen.wu", "eve.moss", "farid.haddad", "gita.rao"}


def deploy_operators(exports: dict[str, str]) -> str:
    """What `pulumi up` against `make sandbox --provisioning-api supported` does, over the API: an Email-prefix app
    whose connection names Talend's real host (routed to the stand-in), Create Users on, Talend Operators assigned.
    Returns the app id."""
    headers = {"Authorization": f"SSWS {exports['OKTA_API_TOKEN']}"}
    with httpx.Client(base_url=exports["OKTA_ORG_URL"], headers=headers, timeout=5) as okta:
        email_prefix = {"userNameTemplate": {"template": EMAIL_PREFIX_TEMPLATE, "type": "BUILT_IN"}}
        body = {"label": "Talend Cloud", "signOnMode": "SAML_2_0", "credentials": email_prefix}
        app_id = str(okta.post("/api/v1/apps", params={"activate": "true"}, json=body).json()["id"])
        connection = {
            "baseUrl": "https://api.eu.cloud.talend.com/scim/v2",
            "profile": {"authScheme": "TOKEN", "token": exports["TALEND_SCIM_TOKEN"]},
        }
        assert okta.post(f"/api/v1/apps/{app_id}/connections/default", json=connection).status_code == 200
        assert okta.post(f"/api/v1/apps/{app_id}/connections/default/lifecycle/activate").status_code == 204
        switches = {"create": {"lifecycleCreate": {"status": "ENABLED"}}}
        assert okta.put(f"/api/v1/apps/{app_id}/features/USER_PROVISIONING", json=switches).status_code == 200
        group = okta.get("/api/v1/groups", params={"q": "Talend Operators"}).json()[0]
        assert okta.put(f"/api/v1/apps/{app_id}/groups/{group['id']}", json={}).status_code == 200
    return app_id


def talend_user_names(exports: dict[str, str], wanted: set[str]) -> set[str]:
    """Talend's userNames once they are `wanted` (the sandbox provisions in the background, as Okta does), or
    what Talend holds after 10 s."""
    headers = {"Authorization": f"Bearer {exports['TALEND_SCIM_TOKEN']}"}
    names: set[str] = set()
    for _ in range(100):
        users = httpx.get(f"{exports['TALEND_SCIM_URL']}/Users", params={"count": 100}, headers=headers, timeout=5)
        names = {u["userName"] for u in users.json().get("Resources", [])}
        if names == wanted:
            break
        threading.Event().wait(0.1)
    return names


def test_serve_provisions_apps_declared_with_talends_real_scim_url_and_keeps_the_org_with_a_state_dir(
    tmp_path: Path,
) -> None:
    """`--provisioning-api supported`: the connection names api.eu.cloud.talend.com, and Okta honours it.
    `--state-dir`: a Pulumi state made against the sandbox stays valid when `make sandbox` restarts (on SIGTERM,
    exit 0); the in-memory Talend stand-in starts empty and Okta pushes the assigned people again."""
    options = ["--state-dir", str(tmp_path / "kept"), "--provisioning-api", "supported"]
    with serving(tmp_path, options) as (process, printed, later):
        exports = exported(printed)
        app_id = deploy_operators(exports)
        assert talend_user_names(exports, OPERATORS_IN_TALEND) == OPERATORS_IN_TALEND
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert later.get(timeout=5) == "Sandbox stopped."

    with serving(tmp_path, options) as (_, printed, _):
        assert any("kept across restarts, resumed" in line for line in printed)
        exports = exported(printed)
        headers = {"Authorization": f"SSWS {exports['OKTA_API_TOKEN']}"}
        apps = httpx.get(f"{exports['OKTA_ORG_URL']}/api/v1/apps", headers=headers, timeout=5).json()
        assert [a["id"] for a in apps] == [app_id]
        groups = httpx.get(f"{exports['OKTA_ORG_URL']}/api/v1/groups", headers=headers, timeout=5).json()
        assert len(groups) == 3  # not seeded a second time
        assert talend_user_names(exports, OPERATORS_IN_TALEND) == OPERATORS_IN_TALEND  # pushed again


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for taken in sockets:
        taken.bind(("127.0.0.1", 0))
    ports = [taken.getsockname()[1] for taken in sockets]
    for taken in sockets:
        taken.close()
    return ports


def test_a_second_sandbox_on_the_same_ports_names_the_port_and_leaves_the_first_alone(tmp_path: Path) -> None:
    """The port clash says which port and how to choose others; the running sandbox keeps its files, and one
    started on the ports it suggests (same folder) leaves them alone too."""
    okta_port, talend_port, other_okta, other_talend = free_ports(4)
    ports = ["--okta-port", str(okta_port), "--talend-port", str(talend_port)]
    with serving(tmp_path, ports) as (_, printed, _):
        state_file = tmp_path / f"serve-{okta_port}" / "okta-sandbox.json"
        kept = state_file.read_bytes()
        second = subprocess.run(
            demo_command("--serve", *ports, "--workdir", str(tmp_path)),
            env=demo_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert second.stderr.splitlines() == [
            f"sandbox: error: port {okta_port} (Okta sandbox) is in use, perhaps by another `make sandbox`; choose "
            f"other ports: make sandbox OKTA_PORT={okta_port + 10} TALEND_PORT={okta_port + 11} (--okta-port, "
            "--talend-port); nothing was changed"
        ]
        assert state_file.read_bytes() == kept
        with serving(tmp_path, ["--okta-port", str(other_okta), "--talend-port", str(other_talend)]):
            assert state_file.read_bytes() == kept
        exports = exported(printed)
        me = httpx.get(f"{exports['OKTA_ORG_URL']}/api/v1/users/me", headers=okta_auth(exports), timeout=5)
        assert me.status_code == 200  # the first one still serves


def test_make_sandbox_passes_the_ports_through() -> None:
    done = subprocess.run(
        ["make", "-n", "sandbox", "OKTA_PORT=18090", "TALEND_PORT=18091", "STATE_DIR=kept"],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert not [line for line in lines if line.rstrip().endswith("\\") or not line.strip()]  # no stray `\` line
    (command,) = [line for line in lines if "-m talend_okta_sandbox.demo" in line]
    assert command.endswith(
        "-m talend_okta_sandbox.demo --serve --okta-port 18090 --talend-port 18091 --state-dir kept"
    )


def okta_auth(exports: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"SSWS {exports['OKTA_API_TOKEN']}"}


def test_the_printed_commands_run_as_printed_outside_the_virtualenv(served: Shared, tmp_path: Path) -> None:
    """A fresh shell (no virtualenv on PATH, another folder): the printed exports and admin commands run."""
    printed = served.printed
    exports = exported(printed)
    with httpx.Client(base_url=exports["OKTA_ORG_URL"], headers=okta_auth(exports), timeout=5) as okta:
        body = {"label": "Talend Cloud", "signOnMode": "SAML_2_0"}
        app_id = okta.post("/api/v1/apps", params={"activate": "true"}, json=body).json()["id"]
    first = printed.index("# talend-okta (verify, preflight) and the admin commands, from the project's virtualenv:")
    block = printed[first + 1 : printed.index("", first)]
    admin = [line for line in printed if line.startswith("python -m talend_okta_sandbox.admin ")]
    assert block[0].startswith("export PATH=")
    assert len(admin) == 2
    script = "\n".join(
        [*block, f"export TALEND_OKTA_APP_ID={app_id}  # what pulumi stack output prints", *admin, "talend-okta --help"]
    )
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "NO_PROXY": "127.0.0.1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Provisioning = SCIM" in done.stdout
    assert "To App saved" in done.stdout
    assert "Usage: talend-okta" in done.stdout


def test_serve_prints_a_service_app_way_in_that_signs_in_with_dpop(served: Shared, tmp_path: Path) -> None:
    """The second way in: the printed service-app block, run in a shell, reads the org with an OAuth token."""
    printed = served.printed
    first = printed.index("unset OKTA_API_TOKEN")
    block = printed[first : printed.index("", first)]
    exports = exported(printed)
    read = (
        "import os; from talend_okta.okta_auth import okta_credentials; from talend_okta.okta_api import OktaClient; "
        "app = okta_credentials({}, os.environ); okta = OktaClient(os.environ['OKTA_ORG_URL'], app); "
        "print(type(app).__name__, okta.find_group('Talend Developers').profile.name)"
    )
    script = "\n".join([f"export OKTA_ORG_URL={exports['OKTA_ORG_URL']}", *block, f'{sys.executable} -c "{read}"'])
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == "ServiceApp Talend Developers"
    key_file = Path(re.findall(r"cat ([^)]+)\)", exports["OKTA_API_PRIVATE_KEY"])[0])
    assert key_file.stat().st_mode & 0o077 == 0  # owner-only
    assert "PRIVATE KEY" not in "\n".join(printed)


def test_without_the_engine_the_printout_says_first_what_is_missing(served: Shared, no_engine: Path) -> None:
    printed = served.printed
    assert printed[0] == (
        "Not built yet: pulumi, pulumi-language-python, pulumi-language-python-exec, "
        f"pulumi-resource-pulumi-python, pulumi-resource-okta in {no_engine}: run `make engine` for the pulumi "
        "commands below."
    )
    assert "Traceback" not in "\n".join(printed)


def test_serve_refuses_the_provisioning_api_by_default_and_the_admin_command_enables_scim(
    served: Shared,
) -> None:
    """The path a real org takes: the API's connection is ignored, features refused; the admin enables SCIM."""
    printed = served.printed
    exports = exported(printed)
    assert any(line.startswith("Provisioning API: refused") for line in printed)
    # what to expect comes before the command it is about: the first `pulumi up` stops by design
    first_up = printed.index("pulumi preview --diff && pulumi up --refresh --yes")
    said = next(n for n, line in enumerate(printed) if "expect the first `pulumi up` below to" in line)
    assert said < first_up
    assert printed[first_up - 1].startswith("# expect the first run to fail at talend-to-app")
    assert any(line.startswith("python -m talend_okta_sandbox.admin enable-scim --app-id") for line in printed)
    okta = httpx.Client(
        base_url=exports["OKTA_ORG_URL"], headers={"Authorization": f"SSWS {exports['OKTA_API_TOKEN']}"}
    )
    with okta:
        email_prefix = {"userNameTemplate": {"template": EMAIL_PREFIX_TEMPLATE, "type": "BUILT_IN"}}
        body = {"label": "Talend Cloud", "signOnMode": "SAML_2_0", "credentials": email_prefix}
        app = okta.post("/api/v1/apps", params={"activate": "true"}, json=body).json()
        connection = {
            "baseUrl": "https://api.eu.cloud.talend.com/scim/v2",
            "profile": {"authScheme": "TOKEN", "token": exports["TALEND_SCIM_TOKEN"]},
        }
        assert okta.post(f"/api/v1/apps/{app['id']}/connections/default", json=connection).json()["status"] == "UNKNOWN"
        switches = {"create": {"lifecycleCreate": {"status": "ENABLED"}}}
        refused = okta.put(f"/api/v1/apps/{app['id']}/features/USER_PROVISIONING", json=switches)
        assert (refused.status_code, refused.json()["errorCode"]) == (400, "E0000001")
        env = demo_env() | {
            "OKTA_ORG_URL": exports["OKTA_ORG_URL"],
            "OKTA_API_TOKEN": exports["OKTA_API_TOKEN"],
            "TALEND_SCIM_TOKEN": exports["TALEND_SCIM_TOKEN"],
        }
        admin = [sys.executable, "-m", "talend_okta_sandbox.admin"]
        for args in (["enable-scim", "--base-url", "https://api.eu.cloud.talend.com/scim/v2"], ["to-app"]):
            done = subprocess.run([*admin, *args, "--app-id", app["id"]], env=env, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
            assert exports["TALEND_SCIM_TOKEN"] not in done.stdout + done.stderr
        features = okta.get(f"/api/v1/apps/{app['id']}").json()["features"]
        assert {"SCIM_PROVISIONING", "PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "PUSH_USER_DEACTIVATION"} <= set(
            features
        )
        # Assigned once Okta provisions the app (as the stack does): people assigned before would be stranded.
        group = okta.get("/api/v1/groups", params={"q": "Talend Operators"}).json()[0]
        assert okta.put(f"/api/v1/apps/{app['id']}/groups/{group['id']}", json={}).status_code == 200

    talend = httpx.Client(
        base_url=exports["TALEND_SCIM_URL"], headers={"Authorization": f"Bearer {exports['TALEND_SCIM_TOKEN']}"}
    )
    with talend:
        wanted = {"chen.wu", "eve.moss", "farid.haddad", "gita.rao"}
        for _ in range(100):  # routed from Talend's real host to the stand-in, in the background
            names = {u["userName"] for u in talend.get("/Users", params={"count": 100}).json().get("Resources", [])}
            if names == wanted:
                break
            threading.Event().wait(0.1)
        assert names == wanted
