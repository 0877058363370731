"""`make engine` on a clone with no ../shared beside it (how users get the repository) and no Pulumi installed:
`make demo` goes on without the engine after a message that fits in 120 columns, like the rest of the demo."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

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
