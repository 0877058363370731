"""The real Pulumi CLI (`make engine`) running the real `stack/` program against the sandbox.

A `PulumiWorkspace` is a throwaway copy of the project: `Pulumi.yaml` plus links to `stack/` and `policy/`, a local
file backend, the passphrase secrets provider and its own `PULUMI_HOME`, so nothing touches the user's Pulumi setup
and nothing is fetched from the network (automatic plugin acquisition is off: the CLI runs the Okta plugin `make
engine` put next to it). `make demo` deploys with it; the engine test tier runs every scenario through it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[3]
ENGINE_BIN = Path(os.environ.get("TALEND_OKTA_ENGINE_BIN", REPO / ".tools" / "bin"))
ENGINE_PROGRAMS = (
    "pulumi",
    "pulumi-language-python",
    "pulumi-language-python-exec",
    "pulumi-resource-pulumi-python",
    "pulumi-resource-okta",
)
STACK = "sandbox"


def missing_engine() -> list[str]:
    """What `make engine` should have put in ENGINE_BIN and did not (the CLI, the Okta plugin, the Python host)."""
    return [name for name in ENGINE_PROGRAMS if not (ENGINE_BIN / name).is_file()]


@dataclass
class Result:
    """One CLI run: exit code and what it printed (both streams, merged in order)."""

    code: int
    output: str

    def json(self) -> Any:
        return json.loads(self.output)

    def failed_resources(self) -> list[str]:
        """`<type> <name>` of each resource whose step failed, as `pulumi up` reports them."""
        failed = []
        for line in self.output.splitlines():
            if "**creating failed**" in line or "**updating failed**" in line or "**deleting failed**" in line:
                words = line.lstrip(" +~-").split("**")[0].split()
                if words and words[0] != "pulumi:pulumi:Stack":
                    failed.append(" ".join(words))
        return failed


@dataclass
class PulumiWorkspace:
    """A copy of the project in `root` with one stack, its local state, and the variables the program reads."""

    root: Path
    passphrase: str
    extra_env: dict[str, str] = field(default_factory=dict)
    """Variables the program itself reads (TALEND_SCIM_URL, TALEND_API_URL for the sandbox's Talend)."""

    def __post_init__(self) -> None:
        self.root = self.root.resolve()  # the CLI runs in the project folder: every path it is given is absolute
        if self.root.exists():
            shutil.rmtree(self.root)
        for folder in ("project", "state", "home"):
            (self.root / folder).mkdir(parents=True)
        shutil.copy(REPO / "Pulumi.yaml", self.project / "Pulumi.yaml")
        for name in ("stack", "policy", ".venv"):
            (self.project / name).symlink_to(REPO / name, target_is_directory=True)
        self.run("stack", "init", STACK)

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def stack_file(self) -> Path:
        return self.project / f"Pulumi.{STACK}.yaml"

    def env(self) -> dict[str, str]:
        # The engine's binaries first: the CLI finds its language host and the Okta plugin on PATH.
        path = os.pathsep.join([str(ENGINE_BIN), os.environ.get("PATH", "")])
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "OKTA_", "TALEND_"))}
        return (
            keep
            | {
                "PATH": path,
                "PULUMI_HOME": str(self.root / "home"),
                "PULUMI_BACKEND_URL": f"file://{self.root / 'state'}",
                "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "NO_PROXY": "127.0.0.1,localhost",
                "NO_COLOR": "1",
            }
            | self.extra_env
        )

    def run(self, *args: str, check: bool = True, timeout: float = 300, stdin: str | None = None) -> Result:
        """`pulumi ARGS` in the project, non-interactive; `check` raises on a non-zero exit."""
        done = subprocess.run(
            [str(ENGINE_BIN / "pulumi"), *args, "--non-interactive"],
            input=stdin,
            cwd=self.project,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
        result = Result(done.returncode, done.stdout)
        if check and result.code != 0:
            raise RuntimeError(f"pulumi {' '.join(args)} exited {result.code}:\n{result.output}")
        return result

    def set_config(self, values: dict[str, Any]) -> None:
        """Write plain config (namespaced keys) into the stack file, keeping what `pulumi config` wrote."""
        document = yaml.safe_load(self.stack_file.read_text()) if self.stack_file.exists() else None
        document = document or {}
        document.setdefault("config", {}).update(values)
        self.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))

    def set_secret(self, key: str, value: str) -> None:
        # On stdin, not the command line: arguments show in process lists and in `run`'s error message.
        self.run("config", "set", "--secret", key, stdin=value)

    def outputs(self) -> dict[str, Any]:
        result: dict[str, Any] = self.run("stack", "output", "--json", "--show-secrets").json()
        return result
