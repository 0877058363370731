"""`python -m talend_okta.assignments_upgrade`: the `pulumi state remove` command for the per-group resources."""

from __future__ import annotations

import json
import subprocess
import sys

COMPONENT = "urn:pulumi:dev::talend-okta::talend-okta:index:TalendCloudApp"
ASSIGN = f"{COMPONENT}$okta:app/groupAssignment:GroupAssignment::talend-assign-Talend Developers"
PUSH = f"{COMPONENT}$okta:index/pushGroup:PushGroup::talend-push-Talend Developers"
APP = f"{COMPONENT}$okta:app/saml:Saml::talend-app"
ELSEWHERE = "urn:pulumi:dev::talend-okta::okta:app/groupAssignment:GroupAssignment::someone-elses"


def upgrade(stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "talend_okta.assignments_upgrade"], input=stdin, capture_output=True, text=True
    )


def export(*urns: str) -> str:
    types = {ASSIGN: "okta:app/groupAssignment:GroupAssignment", PUSH: "okta:index/pushGroup:PushGroup"}
    resources = [{"urn": urn, "type": types.get(urn, urn.split("::")[-2].split("$")[-1])} for urn in urns]
    return json.dumps({"version": 3, "deployment": {"resources": resources}})


def test_prints_one_command_removing_only_the_components_per_group_resources() -> None:
    done = upgrade(export(APP, ASSIGN, PUSH, ELSEWHERE))
    assert done.returncode == 0
    assert done.stdout == f"pulumi state remove --yes '{ASSIGN}' '{PUSH}'\n"


def test_an_upgraded_stack_has_nothing_to_remove() -> None:
    done = upgrade(export(APP))
    assert (done.returncode, done.stdout.startswith("# nothing to remove")) == (0, True)


def test_not_a_stack_export_is_one_line_and_exit_2() -> None:
    done = upgrade("[1, 2]")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "assignments_upgrade: error: stdin is not a stack export (pulumi stack export | …)"
    ]
