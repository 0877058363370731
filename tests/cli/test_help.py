"""Every command's `--help` shows switches as switches (`--force`, `--create / --no-create`), never as `<bool>`
options that seem to want a value."""

from __future__ import annotations

import importlib.metadata
import re

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from talend_okta.cli import app as talend_okta
from talend_okta.cli_io import JSON_OPTION_HELP, JSON_OPTION_METAVAR
from talend_okta.stack_state import cli as stack_state
from talend_okta_sandbox.admin import cli as sandbox_admin
from talend_okta_sandbox.demo import cli as sandbox_demo

APPS = {
    "talend-okta": talend_okta,
    "python -m talend_okta.stack_state": stack_state,
    "python -m talend_okta_sandbox.admin": sandbox_admin,
    "python -m talend_okta_sandbox.demo": sandbox_demo,
}


def commands(name: str, app: typer.Typer) -> list[tuple[str, list[str], list[list[str]]]]:
    """(app, the words before --help, each switch's spellings) for the app and each of its subcommands."""
    root = get_command(app)
    found = []
    subcommands = getattr(root, "commands", {})
    for words, command in [([], root), *(([sub], cmd) for sub, cmd in subcommands.items())]:
        switches = [[*p.opts, *p.secondary_opts] for p in command.params if getattr(p, "is_flag", False)]
        found.append((name, words, switches))
    return found


CASES = [case for name, app in APPS.items() for case in commands(name, app)]


@pytest.mark.parametrize(("name", "words", "switches"), CASES, ids=[" ".join([c[0], *c[1]]) for c in CASES])
def test_switches_show_as_switches(name: str, words: list[str], switches: list[list[str]]) -> None:
    result = CliRunner().invoke(APPS[name], [*words, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output
    for spellings in switches:  # `  --force   Overwrite…` or `  --create / --no-create   Create Users.`
        shown = " / ".join(spellings)
        assert re.search(rf"^\s+{re.escape(shown)}\s{{2,}}\S", result.output, re.MULTILINE), (shown, result.output)


def test_every_command_of_talend_okta_is_checked() -> None:
    """A new command registered in cli.py is covered without touching this test."""
    assert {tuple(c[1]) for c in CASES if c[0] == "talend-okta"} >= {("verify",), ("preflight",), ("adopt",)}


# --- Conventions every command shares (issue 27 item 5) ---------------------------------------------------------------


def test_version_prints_the_package_version() -> None:
    result = CliRunner().invoke(talend_okta, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"talend-okta {importlib.metadata.version('talend-okta')}\n"


def test_shell_completion_is_offered() -> None:
    result = CliRunner().invoke(talend_okta, ["--help"], env={"COLUMNS": "120"})
    assert "--install-completion" in result.output
    assert "--show-completion" in result.output


def test_shell_completion_script_completes_the_commands() -> None:
    """The script `--show-completion bash` prints asks the CLI itself; the CLI answers with its commands."""
    env = {"_TALEND_OKTA_COMPLETE": "complete_bash", "COMP_WORDS": "talend-okta ve", "COMP_CWORD": "1"}
    result = CliRunner().invoke(talend_okta, [], env=env, prog_name="talend-okta")
    assert result.stdout.split() == ["verify"], result.output


def test_every_json_option_takes_a_file_or_dash_and_means_the_same() -> None:
    """`--json FILE|-` everywhere: the machine-readable report to FILE, or stdout for `-` (the human one to stderr)."""
    group = get_command(talend_okta)
    found = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        for param in command.params:
            if "--json" in param.opts:
                found[name] = (param.is_flag, param.metavar, param.help)  # type: ignore[attr-defined]
    assert {"verify", "preflight", "explain"} <= found.keys()
    assert {spec[0] for spec in found.values()} == {False}  # never a switch
    assert {spec[1:] for spec in found.values()} == {(JSON_OPTION_METAVAR, JSON_OPTION_HELP)}
