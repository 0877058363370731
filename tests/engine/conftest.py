"""The engine tier needs `make engine`: a missing CLI or language host is a failure, never a skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engine.harness import ENGINE_BIN, PulumiProject


@pytest.fixture(scope="session", autouse=True)
def engine_built() -> None:
    missing = [
        name
        for name in (
            "pulumi",
            "pulumi-language-python",
            "pulumi-language-python-exec",
            "pulumi-resource-pulumi-python",
        )
        if not (ENGINE_BIN / name).is_file()
    ]
    if missing:
        pytest.fail(f"the engine is not built ({', '.join(missing)} missing from {ENGINE_BIN}): run `make engine`")


@pytest.fixture
def project(tmp_path: Path) -> PulumiProject:
    return PulumiProject(tmp_path)
