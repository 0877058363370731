"""`talend-okta` in-process, as its console script runs it."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import typer.main
import typer.testing
from typer.testing import CliRunner, Result

from talend_okta.cli import app

# Typer rebuilds the click command from the functions' signatures on every invoke (tens of milliseconds); the app
# does not change during a test run, so build it once.
typer.testing._get_command = functools.cache(typer.main.get_command)


def talend_okta(args: Sequence[str], **kwargs: Any) -> Result:
    """`talend-okta <args>`; keywords as `CliRunner.invoke` takes them (env, input, catch_exceptions)."""
    return CliRunner().invoke(app, list(args), **kwargs)
