"""The GitHub workflows and the GitLab example in docs/ci.md: valid YAML with the triggers and jobs each flow needs,
each running `ci/pipeline.sh` (tests/workflows/test_pipeline.py runs the script itself), the admin tokens only
where `main` deploys, secrets passed safely and documented, and every `talend-okta` option the script uses known
to the real CLI."""

from __future__ import annotations

import json
import os
import re
import shlex
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
PIPELINE = REPO / "ci" / "pipeline.sh"
CI_DOC = REPO / "docs" / "ci.md"
DOCS = [REPO / "README.md", REPO / "docs" / "pull-requests.md", CI_DOC]
PULUMI_ACTION = "pulumi/actions@"
SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
VARIABLE = re.compile(r"\bvars\.([A-Za-z_][A-Za-z0-9_]*)")
ADMIN_ENVIRONMENT = "okta-admin"
ADMIN_SECRETS = {"OKTA_API_TOKEN", "TALEND_SCIM_TOKEN", "TALEND_API_TOKEN"}  # change Okta, or read all of Talend
MODES = {"pull-request.yml": "pull-request", "deploy.yml": "deploy", "drift.yml": "drift"}


def load(name: str) -> dict[str, Any]:
    document = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    # YAML 1.1 reads the key `on` as the boolean True.
    document["on"] = document.pop(True, document.get("on"))
    return document


def steps(workflow: dict[str, Any], job: str | None = None) -> list[dict[str, Any]]:
    jobs = workflow["jobs"] if job is None else {job: workflow["jobs"][job]}
    return [step for body in jobs.values() for step in body["steps"]]


def index_of(all_steps: list[dict[str, Any]], predicate: Any) -> int:
    found = [i for i, step in enumerate(all_steps) if predicate(step)]
    assert len(found) == 1, found
    return found[0]


def invocations(script: str) -> list[list[str]]:
    """The `talend-okta ...` command lines of a script, as words (`${VAR:+--flag}` kept as one word)."""
    found = []
    for line in re.split(r"\n|\||&&|;", re.sub(r"\\\n\s*", " ", script)):
        if re.match(r"\s*(\S*/)?talend-okta\s", line):
            found.append(shlex.split(line.replace("${", "{")))
    return found


def pipeline_step(workflow: dict[str, Any]) -> dict[str, Any]:
    (step,) = [s for s in steps(workflow) if "ci/pipeline.sh" in s.get("run", "")]
    return step


def all_workflows() -> list[tuple[str, dict[str, Any]]]:
    return [(path.name, load(path.name)) for path in sorted(WORKFLOWS.glob("*.y*ml"))]


def test_the_three_workflows_exist() -> None:
    assert sorted(p.name for p in WORKFLOWS.glob("*.y*ml")) == sorted(MODES)


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_each_workflow_runs_its_steps_through_the_pipeline_script(name: str, workflow: dict[str, Any]) -> None:
    """The steps live in ci/pipeline.sh, which any CI calls the same way; a workflow installs, calls, reports."""
    assert os.access(PIPELINE, os.X_OK)
    all_steps = steps(workflow)
    pipeline = pipeline_step(workflow)
    assert pipeline["run"] == f"ci/pipeline.sh {MODES[name]}"
    assert "if" not in pipeline
    assert "continue-on-error" not in pipeline
    install = index_of(all_steps, lambda s: s.get("run") == "make install")
    cli = index_of(all_steps, lambda s: s.get("uses", "").startswith(PULUMI_ACTION))
    assert "command" not in all_steps[cli]["with"]  # the action only installs the CLI; the script runs it
    assert install < all_steps.index(pipeline)
    assert cli < all_steps.index(pipeline)
    for step in all_steps:  # no step runs pulumi or talend-okta beside the script
        commands = re.findall(r"^\s*(?:\S*/)?(pulumi|talend-okta)\s", step.get("run", ""), re.MULTILINE)
        assert commands == [], step.get("name")
    assert pipeline["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"
    assert workflow["env"]["STACK"] == "dev"
    assert (REPO / f"Pulumi.{workflow['env']['STACK']}.yaml").is_file()


# --- Pull request --------------------------------------------------------------------------------------------------


def test_pull_request_posts_the_preview_and_the_preflight_report() -> None:
    workflow = load("pull-request.yml")
    assert workflow["on"]["pull_request"]["branches"] == ["main"]
    assert {"labeled", "unlabeled", "synchronize"} <= set(workflow["on"]["pull_request"]["types"])
    assert workflow["permissions"]["pull-requests"] == "write"
    all_steps = steps(workflow)
    comments = [s for s in all_steps if str(s.get("uses", "")).startswith("marocchino/sticky-pull-request-comment")]
    assert [c["with"]["path"] for c in comments] == ["pipeline-reports/preview.md", "pipeline-reports/preflight.md"]
    for comment in comments:  # also when the pipeline failed: the report says why
        assert comment["if"].startswith("${{ !cancelled() && hashFiles('pipeline-reports/")
        assert all_steps.index(pipeline_step(workflow)) < all_steps.index(comment)


def test_pull_request_overrides_are_labels() -> None:
    """An override is a deliberate, visible act: a label on the pull request, passed to the script as a variable."""
    env = pipeline_step(load("pull-request.yml"))["env"]
    assert "'allow-mass-deactivation'" in env["ALLOW_MASS_DEACTIVATION"]
    assert "'allow-unassign'" in env["ALLOW_UNASSIGN"]
    assert env["MAX_PUSHES"] == "${{ vars.PREFLIGHT_MAX_PUSHES }}"
    assert env["MAX_DEACTIVATIONS"] == "${{ vars.PREFLIGHT_MAX_DEACTIVATIONS }}"


def test_pull_request_uses_a_read_only_okta_token_and_never_the_stacks_talend_tokens() -> None:
    workflow = load("pull-request.yml")
    text = (WORKFLOWS / "pull-request.yml").read_text(encoding="utf-8")
    env = pipeline_step(workflow)["env"]
    assert env["OKTA_API_TOKEN"] == "${{ secrets.OKTA_READONLY_API_TOKEN }}"
    assert env["TALEND_API_TOKEN"] == "${{ secrets.TALEND_PREFLIGHT_TOKEN }}"  # preflight's own read token
    assert "TALEND_SCIM_TOKEN" not in env
    assert set(SECRET.findall(text)) == {
        "PULUMI_ACCESS_TOKEN",
        "PULUMI_CONFIG_PASSPHRASE",
        "OKTA_READONLY_API_TOKEN",
        "TALEND_PREFLIGHT_TOKEN",
    }


# --- The admin tokens: only `main`, only in the okta-admin environment ---------------------------------------------


@pytest.mark.parametrize(("name", "workflow"), all_workflows())
def test_admin_tokens_only_in_the_environment_only_main_may_use(name: str, workflow: dict[str, Any]) -> None:
    """Repository secrets reach every workflow, a pull request's own edited copy included; an environment's secrets
    reach only jobs that name the environment, and its deployment branch rule (docs/pull-requests.md) admits only
    `main`. So the admin tokens live there, and every job that names it also checks the branch itself."""
    for job_name, job in workflow["jobs"].items():
        used = set(SECRET.findall(json.dumps(job)))
        if used & ADMIN_SECRETS:
            assert job.get("environment") == ADMIN_ENVIRONMENT, (name, job_name)
        if job.get("environment") is not None:
            assert job["if"] == "${{ github.ref == 'refs/heads/main' }}", (name, job_name)
            assert "pull_request" not in workflow["on"], name
            assert "pull_request_target" not in workflow["on"], name
    if "pull_request" in workflow["on"]:
        assert not any("environment" in job for job in workflow["jobs"].values())
        assert not set(SECRET.findall((WORKFLOWS / name).read_text(encoding="utf-8"))) & ADMIN_SECRETS


def test_no_workflow_runs_pull_request_target() -> None:
    """`pull_request_target` runs with the base repository's secrets on a pull request: never here."""
    for name, workflow in all_workflows():
        assert "pull_request_target" not in workflow["on"], name


# --- Deploy --------------------------------------------------------------------------------------------------------


def test_push_to_main_deploys_in_the_admin_environment() -> None:
    workflow = load("deploy.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["concurrency"]["cancel-in-progress"] is False
    (job,) = workflow["jobs"].values()
    assert job["environment"] == ADMIN_ENVIRONMENT
    env = pipeline_step(workflow)["env"]
    assert {key: env[key] for key in ADMIN_SECRETS} == {key: f"${{{{ secrets.{key} }}}}" for key in ADMIN_SECRETS}
    # Only a deliberate run by hand deploys a plan that unassigns people the config does not say.
    assert workflow["on"]["workflow_dispatch"]["inputs"]["allow-unassign"]["default"] is False
    assert env["ALLOW_UNASSIGN"] == "${{ inputs.allow-unassign && 'yes' || '' }}"


def test_verify_ignores_the_token_owner_from_a_repository_variable() -> None:
    """The Talend token's owner is active in Talend without an Okta assignment: without this, verify never passes."""
    for name in ("deploy.yml", "drift.yml"):
        assert pipeline_step(load(name))["env"]["TALEND_TOKEN_OWNER"] == "${{ vars.TALEND_TOKEN_OWNER }}", name
    (words,) = [w for w in invocations(PIPELINE.read_text(encoding="utf-8")) if w[1] == "verify"]
    assert "{TALEND_TOKEN_OWNER:+--ignore-user" in words  # no empty --ignore-user when unset
    assert "$TALEND_TOKEN_OWNER}" in words


# --- Drift ---------------------------------------------------------------------------------------------------------


def test_schedule_checks_drift_and_summarizes_it() -> None:
    workflow = load("drift.yml")
    (schedule,) = workflow["on"]["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["concurrency"]["group"] == load("deploy.yml")["concurrency"]["group"]  # never mid-deploy
    summary = steps(workflow)[-1]
    assert summary["if"] == "${{ !cancelled() }}"
    assert summary["env"]["OUTCOME"] == f"${{{{ steps.{pipeline_step(workflow)['id']}.outcome }}}}"
    assert "$GITHUB_STEP_SUMMARY" in summary["run"]


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
            assert not SECRET.search(str(value)), (name, key)  # no action takes a secret as an input
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    for body in workflow["jobs"].values():
        assert not any(SECRET.search(str(value)) for value in body.get("env", {}).values())  # not job-wide
    assert not SECRET.search(str(workflow.get("env", {})))
    assert "set -x" not in text
    assert "set -x" not in PIPELINE.read_text(encoding="utf-8")


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


def test_talend_okta_options_the_pipeline_uses_exist_in_the_cli() -> None:
    """Every `talend-okta <command> --option` ci/pipeline.sh runs is an option of the real command."""
    group = typer.main.get_command(cli_app)
    commands = group.commands  # type: ignore[attr-defined]
    found = invocations(PIPELINE.read_text(encoding="utf-8"))
    assert sorted(words[1] for words in found) == ["check-plan", "preflight", "verify"]
    used = 0
    for words in found:
        command = commands[words[1]]
        known = {opt for param in command.params for opt in param.opts}
        for word in words[2:]:
            option = word.split("=", 1)[0]
            if option.startswith("--"):
                assert option in known, f"talend-okta {words[1]} has no option {option}"
                used += 1
            elif word.startswith("{") and ":+--" in word:  # ${FLAG:+--option}
                assert word.split(":+", 1)[1].rstrip("}").split("=", 1)[0] in known
                used += 1
    assert used >= 8


# --- The GitLab CI example in docs/ci.md ---------------------------------------------------------------------------


def gitlab_example() -> dict[str, Any]:
    """The ```yaml block of docs/ci.md that starts with `# .gitlab-ci.yml`."""
    blocks = re.findall(r"```yaml\n(# \.gitlab-ci\.yml\n.*?)```", CI_DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) == 1
    document = yaml.safe_load(blocks[0])
    assert isinstance(document, dict)
    return document


def gitlab_jobs(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in document.items() if isinstance(body, dict) and "script" in body}


def test_gitlab_example_calls_the_pipeline_like_the_workflows() -> None:
    document = gitlab_example()
    jobs = gitlab_jobs(document)
    calls = {}
    for name, job in jobs.items():
        script = [line for line in job["script"] if "ci/pipeline.sh" in line]
        assert len(script) == 1, name
        calls[name] = script[0].split("ci/pipeline.sh ", 1)[1]
        assert job["stage"] in document["stages"]
        setup = job["script"][: job["script"].index(script[0])]
        assert "make install" in setup, name
    assert sorted(calls.values()) == sorted(MODES.values())
    assert document["variables"]["STACK"] == "dev"


def test_gitlab_example_deploys_only_from_the_default_branch_in_a_protected_environment() -> None:
    jobs = gitlab_jobs(gitlab_example())
    by_mode = {
        next(line for line in job["script"] if "ci/pipeline.sh" in line).split()[-1]: job for job in jobs.values()
    }
    review = by_mode["pull-request"]
    assert review["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert "environment" not in review
    assert review["variables"]["OKTA_API_TOKEN"] == "$OKTA_READONLY_API_TOKEN"  # read-only, as in GitHub
    deploy, drift = by_mode["deploy"], by_mode["drift"]
    assert deploy["rules"] == [{"if": '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"'}]
    assert drift["rules"] == [{"if": '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "schedule"'}]
    for job in (deploy, drift):
        # The admin tokens are protected variables scoped to this environment: only protected branches see them.
        assert job["environment"]["name"] == ADMIN_ENVIRONMENT
        assert job["resource_group"] == "stack-dev"  # one at a time, never cancelled halfway
    assert deploy["environment"]["action"] == "start"
    assert drift["environment"]["action"] == "verify"
    text = CI_DOC.read_text(encoding="utf-8")
    for variable in sorted(ADMIN_SECRETS):
        assert f"`{variable}`" in text


# --- python -m talend_okta.stack_state (the deploy's outputs after a failed first `pulumi up`) -----------------------


def test_stack_state_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """`python -m talend_okta.stack_state` (its typer app, in-process; tests/workflows/test_pipeline.py runs it
    for real)."""
    outputs = tmp_path / "stack-outputs.json"
    outputs.write_text("{}")
    options = ["--config", str(REPO / "Pulumi.dev.yaml"), "--outputs", str(outputs)]
    not_json = CliRunner().invoke(stack_state.cli, options, input="<html>")
    options[1] = str(tmp_path / "missing.yaml")
    no_config = CliRunner().invoke(
        stack_state.cli, options, input=json.dumps({"version": 3, "deployment": {"resources": []}})
    )
    for done in (not_json, no_config):
        assert done.exit_code == 2
        assert done.stderr.startswith("talend_okta.stack_state: error: ")
        assert done.stderr.count("\n") == 1
    assert "cannot read the stack config file" in no_config.stderr
    assert outputs.read_text() == "{}"  # nothing half-done
