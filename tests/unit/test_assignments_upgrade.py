"""`python -m talend_okta.assignments_upgrade`: the `pulumi state remove` command for the per-group resources.
Its `main` runs in-process (stdin and stdout replaced); one test runs the module as docs/rate-limits.md prints it."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from talend_okta import assignments_upgrade

COMPONENT = "urn:pulumi:dev::talend-okta::talend-okta:index:TalendCloudApp"
ASSIGN = f"{COMPONENT}$okta:app/groupAssignment:GroupAssignment::talend-assign-Talend Developers"
PUSH = f"{COMPONENT}$okta:index/pushGroup:PushGroup::talend-push-Talend Developers"
APP = f"{COMPONENT}$okta:app/saml:Saml::talend-app"
ELSEWHERE = "urn:pulumi:dev::talend-okta::okta:app/groupAssignment:GroupAssignment::someone-elses"


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def upgrade(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[[str], Done]:
    def run(stdin: str) -> Done:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            assignments_upgrade.main()
            code = 0
        except SystemExit as stopped:
            code = int(stopped.code or 0)
        out, err = capsys.readouterr()
        return Done(code, out, err)

    return run


def export(*urns: str) -> str:
    types = {ASSIGN: "okta:app/groupAssignment:GroupAssignment", PUSH: "okta:index/pushGroup:PushGroup"}
    resources = [{"urn": urn, "type": types.get(urn, urn.split("::")[-2].split("$")[-1])} for urn in urns]
    return json.dumps({"version": 3, "deployment": {"resources": resources}})


def test_prints_one_command_removing_only_the_components_per_group_resources(upgrade: Callable[[str], Done]) -> None:
    done = upgrade(export(APP, ASSIGN, PUSH, ELSEWHERE))
    assert done.returncode == 0
    assert done.stdout == f"pulumi state remove --yes '{ASSIGN}' '{PUSH}'\n"


def test_an_upgraded_stack_has_nothing_to_remove(upgrade: Callable[[str], Done]) -> None:
    done = upgrade(export(APP))
    assert (done.returncode, done.stdout.startswith("# nothing to remove")) == (0, True)


def test_not_a_stack_export_is_one_line_and_exit_2(upgrade: Callable[[str], Done]) -> None:
    done = upgrade("[1, 2]")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "assignments_upgrade: error: stdin is not a stack export (pulumi stack export | …)"
    ]


def test_the_module_runs_as_the_docs_print_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "talend_okta.assignments_upgrade"],
        input=export(ASSIGN),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, f"pulumi state remove --yes '{ASSIGN}'\n")
