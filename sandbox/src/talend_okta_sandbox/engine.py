"""The real Pulumi CLI (`make engine`) running the real `stack/` program against the sandbox.

A `PulumiWorkspace` is a throwaway copy of the project: `Pulumi.yaml` plus links to `stack/` and `policy/`, a local
file backend, the passphrase secrets provider and its own `PULUMI_HOME`, so nothing touches the user's Pulumi setup
and nothing is fetched from the network (automatic plugin acquisition is off: the CLI runs the Okta plugin `make
engine` put next to it). `make demo` deploys with it; the engine test tier runs every scenario through it.
"""

from __future__ import annotations

import importlib.metadata
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
OKTA_PLUGIN = "pulumi-resource-okta"


def install_engine(root: Path) -> tuple[Path, Path]:
    """The engine's programs for one workspace: (a folder for PATH, a PULUMI_HOME). Every program is linked into
    the folder but the Okta plugin, which goes into PULUMI_HOME's plugin folder: the CLI warns "using
    pulumi-resource-okta from $PATH" on every run for a provider it finds on PATH, and says nothing for one in its
    plugin folder (pulumi sdk/go/common/workspace/plugins.go, `GetPluginPath`). The plugin's version there is the
    one the pulumi-okta SDK asks for (tests/engine checks the plugin is that version)."""
    bin_dir, home = root / "bin", root / "home"
    plugin = home / "plugins" / f"resource-okta-v{importlib.metadata.version('pulumi-okta')}"
    for folder in (bin_dir, plugin):
        folder.mkdir(parents=True, exist_ok=True)
    links = {bin_dir / name: ENGINE_BIN / name for name in ENGINE_PROGRAMS if name != OKTA_PLUGIN}
    links[plugin / OKTA_PLUGIN] = ENGINE_BIN / OKTA_PLUGIN
    for link, target in links.items():
        link.unlink(missing_ok=True)
        link.symlink_to(target)
    return bin_dir, home


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
    bin: Path = field(init=False)  # the engine's programs, for PATH (`install_engine`)
    home: Path = field(init=False)  # PULUMI_HOME, with the Okta plugin

    def __post_init__(self) -> None:
        self.root = self.root.resolve()  # the CLI runs in the project folder: every path it is given is absolute
        if self.root.exists():
            shutil.rmtree(self.root)
        for folder in ("project", "state"):
            (self.root / folder).mkdir(parents=True)
        self.bin, self.home = install_engine(self.root)
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
        # The engine's programs first: the CLI finds its language host there (the Okta plugin in PULUMI_HOME).
        path = os.pathsep.join([str(self.bin), os.environ.get("PATH", "")])
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "OKTA_", "TALEND_"))}
        return (
            keep
            | {
                "PATH": path,
                "PULUMI_HOME": str(self.home),
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
