"""The GitHub workflows: valid YAML with the triggers, jobs and steps the pull-request flow needs, secrets passed
safely and documented, and every `talend-okta` option they use known to the real CLI."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from typer.testing import CliRunner

from talend_okta import stack_state
from talend_okta.cli import app as cli_app

REPO = Path(__file__).parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
DOCS = [REPO / "README.md", REPO / "docs" / "pull-requests.md"]
PULUMI_ACTION = "pulumi/actions@"
SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
VARIABLE = re.compile(r"\bvars\.([A-Za-z_][A-Za-z0-9_]*)")


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    # YAML 1.1 reads the key `on` as the boolean True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def steps(workflow: dict[str, Any], job: str | None = None) -> list[dict[str, Any]]:
    jobs = workflow["jobs"] if job is None else {job: workflow["jobs"][job]}
    return [step for body in jobs.values() for step in body["steps"]]


def pulumi_steps(workflow: dict[str, Any], job: str | None = None) -> list[dict[str, Any]]:
    return [
        s
        for s in steps(workflow, job)
        if s.get("uses", "").startswith(PULUMI_ACTION) and s.get("with", {}).get("command")
    ]


def index_of(all_steps: list[dict[str, Any]], predicate: Any) -> int:
    found = [i for i, step in enumerate(all_steps) if predicate(step)]
    assert len(found) == 1, found
    return found[0]


def invocations(script: str) -> list[list[str]]:
    """The `talend-okta ...` command lines of a script, as words (`${VAR:+--flag}` kept as one word)."""
    found = []
    for line in re.split(r"\n|\||&&|;", script.replace("\\\n", " ")):
        if re.match(r"\s*(\S*/)?talend-okta\s", line):
            found.append(shlex.split(line.replace("${", "{")))
    return found


def runs(command: str, workflow: dict[str, Any], job: str | None = None) -> list[dict[str, Any]]:
    return [s for s in steps(workflow, job) if any(w[1] == command for w in invocations(s.get("run", "")))]


def all_workflows() -> list[tuple[str, dict[str, Any]]]:
    return [(path.name, load(path.name)) for path in sorted(WORKFLOWS.glob("*.y*ml"))]


def test_the_three_workflows_exist() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.y*ml")) == ["deploy.yml", "drift.yml", "pull-request.yml"]


# --- Pull request --------------------------------------------------------------------------------------------------


def test_pull_request_previews_with_diff_and_comments() -> None:
    workflow = load("pull-request.yml")
    assert workflow["on"]["pull_request"]["branches"] == ["main"]
    assert {"labeled", "unlabeled", "synchronize"} <= set(workflow["on"]["pull_request"]["types"])
    assert workflow["permissions"]["pull-requests"] == "write"

    (preview,) = pulumi_steps(workflow)
    options = preview["with"]
    assert options["command"] == "preview"
    assert options["diff"] is True
    assert options["comment-on-pr"] is True
    assert options["policyPacks"] == "policy"
    assert (REPO / "policy" / "PulumiPolicy.yaml").is_file()
    assert options["stack-name"] == "${{ env.STACK }}"
    assert (REPO / f"Pulumi.{workflow['env']['STACK']}.yaml").is_file()


def test_pull_request_uses_a_read_only_okta_token_and_never_the_stacks_talend_tokens() -> None:
    workflow = load("pull-request.yml")
    text = (WORKFLOWS / "pull-request.yml").read_text(encoding="utf-8")
    okta_steps = [s for s in steps(workflow) if "OKTA_API_TOKEN" in s.get("env", {})]
    assert {s.get("id") for s in okta_steps} == {"preview", "check-plan", "preflight"}
    for step in okta_steps:
        assert step["env"]["OKTA_API_TOKEN"] == "${{ secrets.OKTA_READONLY_API_TOKEN }}", step["id"]
    assert set(SECRET.findall(text)) == {
        "PULUMI_ACCESS_TOKEN",
        "PULUMI_CONFIG_PASSPHRASE",
        "OKTA_READONLY_API_TOKEN",
        "GITHUB_TOKEN",
        "TALEND_PREFLIGHT_TOKEN",  # preflight's own Talend read token (seats), never the stack's SCIM token
    }
    talend_steps = [s for s in steps(workflow) if "TALEND_PREFLIGHT_TOKEN" in json.dumps(s)]
    assert [s.get("id") for s in talend_steps] == ["preflight"]  # not the preview: its program never needs it


def test_pull_request_runs_preflight_and_posts_it() -> None:
    workflow = load("pull-request.yml")
    all_steps = steps(workflow)
    (preflight,) = runs("preflight", workflow)
    command = preflight["run"]
    assert '--config "Pulumi.$STACK.yaml"' in command
    assert "--stack-outputs stack-outputs.json" in command
    assert "--markdown preflight.md" in command
    assert "${ALLOW_MASS_DEACTIVATION:+--allow-mass-deactivation}" in command
    # Mass pushes: the limit is a repository variable; empty means no limit (the option is left out).
    assert "${MAX_PUSHES:+--max-pushes=$MAX_PUSHES}" in command
    assert preflight["env"]["MAX_PUSHES"] == "${{ vars.PREFLIGHT_MAX_PUSHES }}"
    assert preflight["env"]["TALEND_API_TOKEN"] == "${{ secrets.TALEND_PREFLIGHT_TOKEN }}"
    # The override is a deliberate, visible act: a label on the pull request.
    assert "'allow-mass-deactivation'" in preflight["env"]["ALLOW_MASS_DEACTIVATION"]
    # It runs even when the preview failed, after the stack outputs were written.
    assert preflight["if"] == "${{ !cancelled() }}"
    outputs = index_of(all_steps, lambda s: "pulumi stack output" in s.get("run", ""))
    assert outputs < all_steps.index(preflight)
    comment = index_of(all_steps, lambda s: str(s.get("uses", "")).startswith("marocchino/sticky-pull-request-comment"))
    assert all_steps[comment]["with"]["path"] == "preflight.md"
    assert all_steps.index(preflight) < comment


def test_pull_request_checks_the_plan_after_the_preview_and_a_label_allows_it() -> None:
    workflow = load("pull-request.yml")
    all_steps = steps(workflow)
    (check,) = runs("check-plan", workflow)
    assert 'pulumi preview --stack "$STACK" --json > plan.json' in check["run"]
    assert "check-plan plan.json ${ALLOW_UNASSIGN:+--allow-unassign}" in check["run"]
    assert "set -o pipefail" in check["run"]  # `| tee` must not hide a refusal
    assert "'allow-unassign'" in check["env"]["ALLOW_UNASSIGN"]
    (preview,) = pulumi_steps(workflow)  # logs the CLI in to the backend
    assert all_steps.index(preview) < all_steps.index(check)


# --- Deploy --------------------------------------------------------------------------------------------------------


def test_deploy_checks_the_plan_before_pulumi_up() -> None:
    """A plan that unassigns people the config does not say never reaches `pulumi up` (no `if:` lets it go on)."""
    workflow = load("deploy.yml")
    all_steps = steps(workflow)
    (check,) = runs("check-plan", workflow)
    (up,) = pulumi_steps(workflow)
    assert all_steps.index(check) < all_steps.index(up)
    assert "if" not in check
    assert "if" not in up
    assert "continue-on-error" not in check
    assert "set -o pipefail" in check["run"]
    assert 'pulumi login ${PULUMI_BACKEND_URL:+"$PULUMI_BACKEND_URL"}' in check["run"]
    assert 'pulumi preview --stack "$STACK" --json > plan.json' in check["run"]
    # Only a deliberate run by hand deploys such a plan.
    assert workflow["on"]["workflow_dispatch"]["inputs"]["allow-unassign"]["default"] is False
    assert check["env"]["ALLOW_UNASSIGN"] == "${{ inputs.allow-unassign && 'yes' || '' }}"
    install = index_of(
        all_steps, lambda s: s.get("uses", "").startswith(PULUMI_ACTION) and "with" in s and "command" not in s["with"]
    )
    assert install < all_steps.index(check)


def test_push_to_main_deploys_then_verifies() -> None:
    workflow = load("deploy.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    all_steps = steps(workflow)

    (up,) = pulumi_steps(workflow)
    assert up["with"]["command"] == "up"
    assert up["with"]["policyPacks"] == "policy"
    (verify,) = runs("verify", workflow)
    assert all_steps.index(up) < all_steps.index(verify)
    assert "--stack-outputs stack-outputs.json" in verify["run"]
    assert "set -o pipefail" in verify["run"]  # `| tee` must not hide a failing verify
    # Verify runs even when `pulumi up` failed (a first deploy to an org that refuses the provisioning API), so its
    # report lists what remains; the failed `pulumi up` step still fails the job.
    outputs = index_of(all_steps, lambda s: "pulumi stack output" in s.get("run", ""))
    assert all_steps[outputs]["if"] == verify["if"] == "${{ !cancelled() }}"
    assert "continue-on-error" not in up
    assert all_steps.index(up) < outputs < all_steps.index(verify)


def test_verify_ignores_the_token_owner_from_a_repository_variable() -> None:
    """The Talend token's owner is active in Talend without an Okta assignment: without this, verify never passes."""
    for name, job in (("deploy.yml", "deploy"), ("drift.yml", "talend-drift")):
        (verify,) = runs("verify", load(name), job)
        assert verify["env"]["TALEND_TOKEN_OWNER"] == "${{ vars.TALEND_TOKEN_OWNER }}", name
        (words,) = invocations(verify["run"])
        assert "{TALEND_TOKEN_OWNER:+--ignore-user" in words, name  # no empty --ignore-user when unset
        assert "$TALEND_TOKEN_OWNER}" in words, name


# --- Drift ---------------------------------------------------------------------------------------------------------


def test_schedule_checks_okta_drift_with_expect_no_changes() -> None:
    workflow = load("drift.yml")
    (schedule,) = workflow["on"]["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert "workflow_dispatch" in workflow["on"]

    (drift,) = pulumi_steps(workflow, "okta-drift")
    assert drift["with"]["command"] == "preview"
    assert drift["with"]["refresh"] is True
    assert drift["with"]["expect-no-changes"] is True
    summary = steps(workflow, "okta-drift")[-1]
    assert summary["if"] == "${{ failure() && steps.okta.outcome == 'failure' }}"
    assert drift["id"] == "okta"
    assert "$GITHUB_STEP_SUMMARY" in summary["run"]


def test_schedule_checks_talend_drift_with_verify() -> None:
    workflow = load("drift.yml")
    (verify,) = runs("verify", workflow, "talend-drift")
    assert "--stack-outputs stack-outputs.json" in verify["run"]
    summary = steps(workflow, "talend-drift")[-1]
    assert "cat verify.txt" in summary["run"]
    assert "$GITHUB_STEP_SUMMARY" in summary["run"]
    assert summary["env"]["OUTCOME"] == f"${{{{ steps.{verify['id']}.outcome }}}}"


# --- Every workflow ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_secrets_go_through_env_and_are_never_echoed(name: str, workflow: dict[str, Any]) -> None:
    for step in steps(workflow):
        script = step.get("run", "")
        # Scripts read only environment variables: no expression is pasted into shell text (no injection, no echo).
        assert "${{" not in script, (name, step.get("name"))
        secret_env = {key for key, value in step.get("env", {}).items() if SECRET.search(str(value))}
        for key in secret_env:
            assert not re.search(rf"\${{?{key}\b", script), f"{name}: step {step.get('name')!r} uses ${key} in run"
        for key, value in step.get("with", {}).items():
            if SECRET.search(str(value)):
                assert key == "github-token", (name, key)  # the only secret an action takes as an input
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    for body in workflow["jobs"].values():
        assert not any(SECRET.search(str(value)) for value in body.get("env", {}).values())  # not job-wide
    assert not SECRET.search(str(workflow.get("env", {})))
    assert "set -x" not in text


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_every_secret_and_variable_is_documented(name: str, workflow: dict[str, Any]) -> None:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    docs = "\n".join(path.read_text(encoding="utf-8") for path in DOCS if path.exists())
    names = set(SECRET.findall(text)) | set(VARIABLE.findall(text))
    assert names
    undocumented = sorted(n for n in names if f"`{n}`" not in docs)
    assert undocumented == [], f"{name}: document these in docs/pull-requests.md"


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_actions_are_pinned_to_commits_and_setup_is_the_makefile(name: str, workflow: dict[str, Any]) -> None:
    # A tag can be moved to other code; a full commit SHA cannot. The version it is stays readable in a comment.
    for step in steps(workflow):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    uses_lines = [line for line in (WORKFLOWS / name).read_text(encoding="utf-8").splitlines() if "uses:" in line]
    assert uses_lines
    for line in uses_lines:
        assert re.search(r"uses: \S+@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line
    assert any(step.get("run") == "make install" for step in steps(workflow))
    assert re.search(r"^install:", (REPO / "Makefile").read_text(), re.MULTILINE)
    for body in workflow["jobs"].values():
        assert body["runs-on"] == "ubuntu-latest"
        assert body["timeout-minutes"] <= 60


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_talend_okta_options_exist_in_the_cli(name: str, workflow: dict[str, Any]) -> None:
    """Every `talend-okta <command> --option` a workflow runs is an option of the real command."""
    group = typer.main.get_command(cli_app)
    commands = group.commands  # type: ignore[attr-defined]
    used = 0
    for step in steps(workflow):
        for words in invocations(step.get("run", "")):
            command = commands[words[1]]
            known = {opt for param in command.params for opt in param.opts}
            for word in words[2:]:
                option = word.split("=", 1)[0]
                if option.startswith("--"):
                    assert option in known, f"{name}: talend-okta {words[1]} has no option {option}"
                    used += 1
                elif word.startswith("{") and ":+--" in word:  # ${FLAG:+--option}
                    assert word.split(":+", 1)[1].rstrip("}").split("=", 1)[0] in known
                    used += 1
    assert used > 0


# --- The deploy's stack outputs after a failed first `pulumi up` -----------------------------------------------------

FIRST_DEPLOY_STATE = {
    "version": 3,
    "deployment": {
        "resources": [
            {"urn": "urn:pulumi:dev::talend-okta::pulumi:pulumi:Stack::talend-okta-dev", "type": "pulumi:pulumi:Stack"},
            {
                "urn": "urn:pulumi:dev::talend-okta::pulumi:providers:okta::default_7_0_1",
                "type": "pulumi:providers:okta",
            },
            {
                "urn": "urn:pulumi:dev::talend-okta::talend-okta:index:TalendCloudApp$okta:app/saml:Saml::talend-app",
                "type": "okta:app/saml:Saml",
                "id": "0oa1talend",
                "custom": True,
            },
        ]
    },
}


def run_outputs_step(tmp_path: Path, saved_outputs: dict[str, Any]) -> dict[str, Any]:
    """The deploy workflow's "Stack outputs" script, run by bash with a stand-in `pulumi` on PATH."""
    (step,) = [s for s in steps(load("deploy.yml")) if s.get("name") == "Stack outputs"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "outputs.json").write_text(json.dumps(saved_outputs))
    (tmp_path / "state.json").write_text(json.dumps(FIRST_DEPLOY_STATE))
    fake = bin_dir / "pulumi"
    fake.write_text(
        "#!/bin/sh\n"
        f'case "$2" in output) cat {tmp_path}/outputs.json ;; export) cat {tmp_path}/state.json ;; *) exit 9 ;; esac\n'
    )
    fake.chmod(0o755)
    venv_python = tmp_path / ".venv" / "bin" / "python"  # the workflow's `make install` venv: this one
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    venv_python.chmod(0o755)
    (tmp_path / "Pulumi.dev.yaml").write_text((REPO / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "STACK": "dev", "HOME": str(tmp_path)}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads((tmp_path / "stack-outputs.json").read_text())
    return result


def test_after_a_failed_first_deploy_verify_still_gets_what_it_needs(tmp_path: Path) -> None:
    """Pulumi saves no stack outputs when the first `pulumi up` fails (Okta refused the To App features): the app id
    comes from the state, the rest from the stack config, so verify can list what remains."""
    outputs = run_outputs_step(tmp_path, {})

    assert outputs == {
        "appId": "0oa1talend",
        "appLabel": "Talend Cloud",
        "scimBaseUrl": "https://api.eu.cloud.talend.com/scim/v2",
        "provisioning": {
            "manage": True,
            "createUsers": True,
            "updateUserAttributes": True,
            "deactivateUsers": True,
            "assignBeforeProvisioning": False,
        },
        "roleMappings": {"Talend Developers": ["Integration Developer", "Operator"]},  # so verify checks them too
        "oktaOrgUrl": "https://acme.okta.com",
    }


def test_saved_stack_outputs_are_kept(tmp_path: Path) -> None:
    saved = {"appId": "0oa2deployed", "pushedGroups": {"Talend Developers": "00g1"}, "oktaOrgUrl": "https://x.okta.com"}
    outputs = run_outputs_step(tmp_path, saved)
    assert {key: outputs[key] for key in saved} == saved


def test_stack_state_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """`python -m talend_okta.stack_state` (its typer app, in-process; the script step above runs it for real)."""
    outputs = tmp_path / "stack-outputs.json"
    outputs.write_text("{}")
    options = ["--config", str(REPO / "Pulumi.dev.yaml"), "--outputs", str(outputs)]
    not_json = CliRunner().invoke(stack_state.cli, options, input="<html>")
    options[1] = str(tmp_path / "missing.yaml")
    no_config = CliRunner().invoke(stack_state.cli, options, input=json.dumps(FIRST_DEPLOY_STATE))
    for done in (not_json, no_config):
        assert done.exit_code == 2
        assert done.stderr.startswith("talend_okta.stack_state: error: ")
        assert done.stderr.count("\n") == 1
    assert "cannot read the stack config file" in no_config.stderr
    assert outputs.read_text() == "{}"  # nothing half-done
