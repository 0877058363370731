"""The real Pulumi CLI and Python language host (`make engine`) running the real `stack/` against the sandbox.

Each `PulumiProject` is a throwaway copy of the project: `Pulumi.yaml` plus links to `stack/` and `policy/`, a local
file backend, the passphrase secrets provider and its own `PULUMI_HOME`, so nothing touches the user's Pulumi
setup and nothing is fetched from the network (automatic plugin acquisition is off).
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

REPO = Path(__file__).parents[2]
ENGINE_BIN = Path(os.environ.get("TALEND_OKTA_ENGINE_BIN", REPO / ".tools" / "bin"))
VENV_BIN = REPO / ".venv" / "bin"
PASSPHRASE = "engine-tier-passphrase"
STACK = "engine"
# Why the Okta provider plugin can be missing: see README, "Engine".
NO_OKTA_PLUGIN = (
    "no pulumi-resource-okta plugin: the Go module proxy refuses github.com/pulumi/pulumi-okta/provider/v6 and "
    "github.com/okta/terraform-provider-okta, so `make engine` cannot build it; put one in "
    f"{ENGINE_BIN} (or set TALEND_OKTA_ENGINE_BIN) to run these scenarios"
)


def okta_plugin() -> Path | None:
    """The Okta provider plugin the tier runs with, if one is there."""
    candidate = ENGINE_BIN / "pulumi-resource-okta"
    return candidate if candidate.is_file() else None


@dataclass
class Result:
    """One CLI run: exit code and what it printed (both streams, merged in order)."""

    code: int
    output: str

    def json(self) -> Any:
        return json.loads(self.output)


@dataclass
class PulumiProject:
    """A copy of the project in `root`, with one stack named `engine` and its config."""

    root: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    """Variables the program itself reads (e.g. TALEND_SCIM_URL for the sandbox's Talend)."""

    def __post_init__(self) -> None:
        (self.root / "project").mkdir(parents=True)
        (self.root / "state").mkdir()
        (self.root / "home").mkdir()
        shutil.copy(REPO / "Pulumi.yaml", self.project / "Pulumi.yaml")
        for name in ("stack", "policy"):
            (self.project / name).symlink_to(REPO / name, target_is_directory=True)
        # Pulumi.yaml names `.venv`, relative to the project: the repo's own, which `make install` built.
        (self.project / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
        self.run("stack", "init", STACK)

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def stack_file(self) -> Path:
        return self.project / f"Pulumi.{STACK}.yaml"

    def env(self) -> dict[str, str]:
        # The language host (v3.79) does not read Pulumi.yaml's `virtualenv` option from this CLI, so the
        # virtualenv's python comes first on PATH; the engine's binaries (and the Okta plugin) next.
        path = os.pathsep.join([str(ENGINE_BIN), str(VENV_BIN), os.environ.get("PATH", "")])
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "OKTA_", "TALEND_"))}
        return (
            keep
            | {
                "PATH": path,
                "PULUMI_HOME": str(self.root / "home"),
                "PULUMI_BACKEND_URL": f"file://{self.root / 'state'}",
                "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
                "PULUMI_SKIP_UPDATE_CHECK": "true",
                "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
                "PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK": "true",
                "NO_COLOR": "1",
            }
            | self.extra_env
        )

    def run(self, *args: str, check: bool = True, timeout: float = 300) -> Result:
        """`pulumi ARGS` in the project, non-interactive; `check` fails the test on a non-zero exit."""
        done = subprocess.run(
            [str(ENGINE_BIN / "pulumi"), *args, "--non-interactive"],
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
            raise AssertionError(f"pulumi {' '.join(args)} exited {result.code}:\n{result.output}")
        return result

    def set_config(self, values: dict[str, Any]) -> None:
        """Write plain config (keys with namespaces) into the stack file, keeping what `pulumi config` wrote."""
        document = yaml.safe_load(self.stack_file.read_text()) if self.stack_file.exists() else None
        document = document or {}
        document.setdefault("config", {}).update(values)
        self.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))

    def set_secret(self, key: str, value: str) -> None:
        self.run("config", "set", "--secret", key, value)

    def outputs(self) -> dict[str, Any]:
        result: dict[str, Any] = self.run("stack", "output", "--json", "--show-secrets").json()
        return result
