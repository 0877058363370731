"""The engine as the project installs and runs it, without building it: `make engine`'s message on a clone with no
../shared beside it (how users get the repository), the dynamic-provider host it installs, and where a workspace
finds the Okta plugin."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from talend_okta_sandbox import engine

REPO = Path(__file__).resolve().parents[2]


def test_the_message_without_shared_fits_in_120_columns_and_says_what_to_run(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    (clone / "tools").mkdir(parents=True)
    shutil.copy(REPO / "tools" / "build-engine.sh", clone / "tools" / "build-engine.sh")
    shutil.copy(REPO / "pyproject.toml", clone / "pyproject.toml")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"), "LANG": os.environ.get("LANG", "C.UTF-8")}
    run = subprocess.run(
        ["bash", str(clone / "tools" / "build-engine.sh")], env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1
    lines = run.stderr.splitlines()
    assert lines, run.stdout
    assert max(len(line) for line in lines) <= 120, lines
    assert lines[0].startswith("engine: ../shared/engine-src is absent")
    assert any("pulumi plugin install resource okta " in line and "make engine" in line for line in lines)


# The two ways Pulumi's pulumi-resource-pulumi-python starts the provider (pulumi sdk/python/dist), in brief.
DYNAMIC_HOST = """#!/bin/sh
if [ -n "${PULUMI_RUNTIME_VIRTUALENV:-}" ] ; then
        "$PULUMI_RUNTIME_VIRTUALENV/bin/python" -u -m pulumi.dynamic $@
else
    "${PULUMI_PYTHON_CMD:-python3}" -u -m pulumi.dynamic $@
fi
"""


def test_the_dynamic_provider_is_the_process_the_engine_stops(tmp_path: Path) -> None:
    """The engine stops a provider by killing the process it started: that must be python itself, or the provider
    outlives `pulumi up` and `make sandbox`."""
    source = tmp_path / "pulumi-resource-pulumi-python"
    source.write_text(DYNAMIC_HOST, encoding="utf-8")
    host = tmp_path / "bin" / "pulumi-resource-pulumi-python"
    host.parent.mkdir()
    subprocess.run([str(REPO / "tools" / "exec-dynamic-host.sh"), str(source), str(host)], check=True, timeout=30)
    python = tmp_path / "python3"  # stands in for python: says its process id, then serves until stopped
    python.write_text('#!/bin/sh\necho "$$"\nexec sleep 30\n', encoding="utf-8")
    python.chmod(0o755)
    for env in ({"PULUMI_PYTHON_CMD": str(python)}, {"PULUMI_RUNTIME_VIRTUALENV": str(tmp_path / "venv")}):
        if "PULUMI_RUNTIME_VIRTUALENV" in env:
            (tmp_path / "venv" / "bin").mkdir(parents=True)
            shutil.copy(python, tmp_path / "venv" / "bin" / "python")
        process = subprocess.Popen([str(host)], env={"PATH": "/usr/bin:/bin", **env}, stdout=subprocess.PIPE, text=True)
        try:
            assert process.stdout is not None
            assert int(process.stdout.readline()) == process.pid
        finally:
            process.kill()
            process.wait(timeout=10)


def test_the_okta_plugin_is_in_the_plugin_folder_not_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PATH the CLI warns "using pulumi-resource-okta from $PATH" on every run; from PULUMI_HOME's plugin folder,
    at the version the pulumi-okta SDK asks for, it loads it without a word."""
    built = tmp_path / "built"
    built.mkdir()
    for name in engine.ENGINE_PROGRAMS:
        (built / name).write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setattr(engine, "ENGINE_BIN", built)
    bin_dir, home = engine.install_engine(tmp_path / "workspace")
    on_path = {path.name for path in bin_dir.iterdir()}
    assert on_path == set(engine.ENGINE_PROGRAMS) - {"pulumi-resource-okta"}
    version = importlib.metadata.version("pulumi-okta")
    plugin = home / "plugins" / f"resource-okta-v{version}" / "pulumi-resource-okta"
    assert plugin.resolve() == built / "pulumi-resource-okta"
    assert engine.install_engine(tmp_path / "workspace") == (bin_dir, home)  # again: same links, no error
