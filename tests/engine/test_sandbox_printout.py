"""`make sandbox`'s printed commands, pasted into a fresh shell, deploy with the real `pulumi up` and verify passes:
on a fresh org, and twice with `STATE_DIR` (`--state-dir`), where the second run finds the stack already there."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

from talend_okta_sandbox.engine import REPO

TALEND_OKTA_BLOCK = "# talend-okta (verify, preflight) and the admin commands, from the project's virtualenv:"
PULUMI_BLOCK = "# pulumi, from the repository (a local state; the provider reads OKTA_API_TOKEN from the environment):"


def free_ports() -> tuple[int, int]:
    with socket.socket() as okta, socket.socket() as talend:
        okta.bind(("127.0.0.1", 0))
        talend.bind(("127.0.0.1", 0))
        return okta.getsockname()[1], talend.getsockname()[1]


def printed_by_make_sandbox(
    workdir: Path, ports: tuple[int, int], extra: list[str]
) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "talend_okta_sandbox.demo", "--serve", "--provisioning-api", "supported"),
            *("--okta-port", str(ports[0]), "--talend-port", str(ports[1]), "--workdir", str(workdir)),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    printed: list[str] = []
    for line in process.stdout:
        printed.append(line.rstrip("\n"))
        if printed[-1] == "Serving until Ctrl-C.":
            return process, printed
    raise AssertionError("\n".join(printed))


def block(printed: list[str], title: str) -> list[str]:
    start = printed.index(title) + 1
    return [line for line in printed[start : printed.index("", start)] if not line.startswith("#")]


def test_the_printed_commands_deploy_and_verify_twice(tmp_path: Path) -> None:
    # The printout cds to the repository; this copy keeps the test's Pulumi.sandbox.yaml out of the checkout.
    project = tmp_path / "repo"
    project.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        shutil.copy(REPO / name, project / name)
    for name in ("stack", "policy", ".venv"):
        (project / name).symlink_to(REPO / name, target_is_directory=True)
    ports = free_ports()
    kept = ["--state-dir", str(tmp_path / "kept")]
    for run, extra in enumerate(([], kept, kept), start=1):
        process, printed = printed_by_make_sandbox(tmp_path / "sandbox", ports, extra)
        try:
            assert not printed[0].startswith("Not built yet"), printed[0]
            lines = [*block(printed, TALEND_OKTA_BLOCK), *block(printed, PULUMI_BLOCK)]
            lines = [f"cd {project}" if line == f"cd {REPO}" else line for line in lines]
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", "\n".join(lines)],
                cwd=tmp_path,
                env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "NO_PROXY": "127.0.0.1"},
                capture_output=True,
                text=True,
                timeout=900,
            )
            output = done.stdout + done.stderr
            assert done.returncode == 0, f"run {run}:\n{output}"
            assert "talend-okta verify: in sync" in output, f"run {run}:\n{output}"
            assert "Traceback" not in output
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
