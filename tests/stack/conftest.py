"""Fixtures for the program tests: see harness.py for how the program runs under mocks."""

from __future__ import annotations

import json
import runpy
from typing import Any

import pulumi
import pytest
from pulumi.runtime import settings as runtime_settings

from tests.stack.harness import PROJECT, STACK_DIR, OktaMocks, RecordingMonitor, RunStack, StackRun

EXAMPLE_OKTA = {"orgName": "acme", "baseUrl": "okta.com"}


@pytest.fixture
def runs() -> list[StackRun]:
    """Every run of the program in a test, also those that raised (to check nothing was registered)."""
    return []


@pytest.fixture
def run_stack(runs: list[StackRun]) -> RunStack:
    """Run `stack/` with the given `talend-okta:` settings (structured ones passed as JSON, as the CLI does)."""

    def run(
        config: dict[str, Any],
        okta_config: dict[str, str] | None = None,
        okta_groups: list[tuple[str, str]] | None = None,
        mocks: OktaMocks | None = None,
    ) -> StackRun:
        runtime_settings.ROOT.set(None)  # a fresh root Stack, so exports don't carry over between tests
        mocks = mocks or OktaMocks()
        mocks.okta_groups = okta_groups
        monitor = RecordingMonitor(mocks)
        pulumi.runtime.set_mocks(mocks, project=PROJECT, stack="dev", preview=False, monitor=monitor)
        values = {
            f"{PROJECT}:{key}": value if isinstance(value, str) else json.dumps(value) for key, value in config.items()
        }
        okta = EXAMPLE_OKTA if okta_config is None else okta_config  # a stack always points its provider at an org
        values.update({f"okta:{key}": value for key, value in okta.items()})
        pulumi.runtime.set_all_config(values, secret_keys=[f"{PROJECT}:scimToken", f"{PROJECT}:talendApiToken"])
        result = StackRun(mocks, monitor)
        runs.append(result)

        @pulumi.runtime.test
        def program() -> pulumi.Output[Any]:
            result.namespace = runpy.run_path(str(STACK_DIR), run_name="__main__")
            stack_outputs = runtime_settings.get_root_resource().outputs  # type: ignore[union-attr]

            def collect(name: str, value: Any) -> pulumi.Output[None]:
                out = pulumi.Output.from_input(value)

                async def record() -> None:
                    result.outputs[name] = await out.future()
                    if await out.is_secret():
                        result.secret_outputs.add(name)

                return pulumi.Output.from_input(record())

            return pulumi.Output.all(*[collect(name, value) for name, value in stack_outputs.items()])

        program()
        return result

    return run
