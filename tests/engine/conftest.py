"""The engine tier needs `make engine`: a missing CLI or language host is a failure, never a skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from talend_okta_sandbox.engine import ENGINE_BIN, missing_engine
from tests.engine.harness import PulumiProject


@pytest.fixture(scope="session", autouse=True)
def engine_built() -> None:
    if missing := missing_engine():
        pytest.fail(f"the engine is not built ({', '.join(missing)} missing from {ENGINE_BIN}): run `make engine`")


@pytest.fixture
def project(tmp_path: Path) -> PulumiProject:
    return PulumiProject(tmp_path)
