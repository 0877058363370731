"""`ci/pipeline.sh deploy` with the real Pulumi CLI against the sandbox, as the deploy workflow runs it: the Okta token
only in `OKTA_API_TOKEN` (never in the stack config), one preview saved as a plan, check-plan on it, `pulumi up
--plan` of that plan, verify. And the plan is binding: an `up --plan` after the config changed refuses what the
checked plan did not contain."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.engine.harness import PulumiProject
from tests.engine.test_deploy import GROUPS, OKTA_TOKEN, TALEND_TOKEN, Org, configure, org

__all__ = ["org"]  # the fixture, shared with test_deploy

REPO = Path(__file__).parents[2]


def configure_without_okta_token(project: PulumiProject, org: Org) -> None:
    """The example stack pointed at the sandbox, the Okta token kept out of the stack config (docs/ci.md)."""
    configure(project, org)
    project.run("config", "rm", "okta:apiToken")
    project.extra_env |= {"OKTA_API_TOKEN": OKTA_TOKEN}


def run_pipeline(project: PulumiProject, org: Org, mode: str) -> subprocess.CompletedProcess[str]:
    env = project.env() | {
        "STACK": "sandbox",
        "TALEND_SCIM_TOKEN": TALEND_TOKEN,
        "TALEND_SCIM_URL": org.talend.scim_url,
        "TALEND_API_URL": org.talend.api_url,
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
    }
    return subprocess.run(
        ["bash", str(REPO / "ci" / "pipeline.sh"), mode],
        cwd=project.project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_pipeline_deploys_the_checked_plan_and_verifies(project: PulumiProject, org: Org) -> None:
    configure_without_okta_token(project, org)
    assert "okta:apiToken" not in project.stack_file.read_text()

    done = run_pipeline(project, org, "deploy")

    assert done.returncode == 0, done.stdout + done.stderr
    reports = project.project / "pipeline-reports"
    assert json.loads((reports / "saved-plan.json").read_text())  # the plan `up --plan` applied
    assert "talend-okta check-plan: OK" in (reports / "check-plan.txt").read_text()
    (app,) = org.talend_apps()
    assert {g["id"] for g in org.get(f"/api/v1/apps/{app['id']}/groups")} == {org.group_ids[g["name"]] for g in GROUPS}
    assert "✓ user-sync" in (reports / "verify.txt").read_text()
    assert done.stdout.splitlines()[-1] == "pipeline: deploy: every step passed"
    for text in (done.stdout, done.stderr, *(path.read_text() for path in reports.iterdir())):
        assert OKTA_TOKEN not in text
        assert TALEND_TOKEN not in text

    drift = run_pipeline(project, org, "drift")  # nothing changed by hand: both sides in sync
    assert drift.returncode == 0, drift.stdout + drift.stderr


def test_up_with_the_checked_plan_refuses_what_the_plan_did_not_contain(project: PulumiProject, org: Org) -> None:
    """What check-plan read is what `pulumi up --plan` may do: a group dropped from the config after the preview (a
    change nobody checked) stops the update before Okta is touched."""
    configure_without_okta_token(project, org)
    project.run("up", "--yes", "--skip-preview")
    (app,) = org.talend_apps()
    assigned = {g["id"] for g in org.get(f"/api/v1/apps/{app['id']}/groups")}
    plan = project.root / "saved-plan.json"
    project.run("preview", "--save-plan", str(plan))  # checked: nothing to change

    project.set_config({"talend-okta:groups": GROUPS[:1]})  # then, unchecked: one group less
    up = project.run("up", "--yes", "--skip-preview", "--plan", str(plan), check=False)

    assert up.code != 0, up.output
    assert "error: resource violates plan: properties changed" in up.output, up.output
    assert {g["id"] for g in org.get(f"/api/v1/apps/{app['id']}/groups")} == assigned  # nobody unassigned
