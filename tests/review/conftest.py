"""A deployed Talend app in the Okta sandbox with the Talend stand-in, peopled for an access review: the world of
explain's tests (tests/explain/conftest.py), and the review run through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import Result

from tests.cli_runner import talend_okta
from tests.conftest import TARGET_VARIABLES
from tests.explain.conftest import OKTA_TOKEN, SCIM_TOKEN, World, world

__all__ = ["OKTA_TOKEN", "SCIM_TOKEN", "World", "run_review", "world"]


def run_review(world: World, *args: str, tmp: Path, env: dict[str, str | None] | None = None) -> Result:
    """`talend-okta review ARGS`: Okta, the app and Talend's SCIM URL from the stack outputs; tokens from the
    environment."""
    outputs = tmp / "stack-outputs.json"
    outputs.write_text(json.dumps({**world.outputs, "scimBaseUrl": world.talend.scim_url}), encoding="utf-8")
    environment: dict[str, str | None] = dict.fromkeys(TARGET_VARIABLES)
    environment.update(OKTA_API_TOKEN=OKTA_TOKEN, TALEND_SCIM_TOKEN=SCIM_TOKEN, TALEND_API_URL=world.talend.api_url)
    environment.update(env or {})
    return talend_okta(["review", *args, "--stack-outputs", str(outputs)], env=environment)
