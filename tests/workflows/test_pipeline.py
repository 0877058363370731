"""`ci/pipeline.sh`, the one script every CI runs, run by bash with a stand-in `pulumi` on PATH that records each call
and answers as the CLI does; `talend-okta check-plan` and `python -m talend_okta.stack_state` are the real ones, the
commands that need Okta and Talend (preflight, verify) are stand-ins that record their arguments.
(tests/engine/test_pipeline_deploy.py runs the deploy with the real Pulumi CLI against the sandbox.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).parents[2]
SCRIPT = REPO / "ci" / "pipeline.sh"
OKTA_CANARY = "pipeline-canary-okta-token-71c2a9"
TALEND_CANARY = "pipeline-canary-talend-pat-0d83f5"
APP_URN = "urn:pulumi:dev::talend-okta::talend-okta:index:TalendCloudApp$okta:app/saml:Saml::talend-app"
HARMLESS_PREVIEW = {"steps": [{"op": "same", "urn": APP_URN}]}
DELETES_THE_APP = {"steps": [{"op": "delete", "urn": APP_URN, "oldState": {"type": "okta:app/saml:Saml"}}]}

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

# Answers like the Pulumi CLI: `preview --json` prints the prepared preview and `--save-plan FILE` writes a plan;
# `up --plan FILE` fails unless FILE is a plan a preview saved; FAKE_EXIT_<COMMAND> sets a command's exit code.
FAKE_PULUMI = """
import json, os, sys
args = sys.argv[1:]
here = os.environ["FAKE_DIR"]
with open(os.path.join(here, "calls.jsonl"), "a") as log:
    log.write(json.dumps(["pulumi", *args]) + "\\n")
def value(option):
    return args[args.index(option) + 1] if option in args else None
command = " ".join(a for a in args[:2] if not a.startswith("-"))
if args[0] == "preview" and "--json" in args:
    print(open(os.path.join(here, "preview.json")).read())
    if value("--save-plan"):
        open(value("--save-plan"), "w").write(json.dumps({"plan": "saved by the preview"}))
elif args[0] == "up":
    plan = value("--plan")
    if plan is None or json.load(open(plan)) != {"plan": "saved by the preview"}:
        sys.exit("error: no plan the preview saved")
    print("Updating (dev)")
elif command.startswith("stack output"):
    print(open(os.path.join(here, "outputs.json")).read())
elif command.startswith("stack export"):
    print(open(os.path.join(here, "state.json")).read())
else:
    print(f"Previewing ({args[0]})")
sys.exit(int(os.environ.get("FAKE_EXIT_" + args[0].upper(), "0")))
"""

# The venv's talend-okta: check-plan is the real command; verify and preflight record their arguments.
FAKE_TALEND_OKTA = f"""
import json, os, sys
args = sys.argv[1:]
here = os.environ["FAKE_DIR"]
with open(os.path.join(here, "calls.jsonl"), "a") as log:
    log.write(json.dumps(["talend-okta", *args]) + "\\n")
if args[0] == "check-plan":
    os.execv({str(REPO / ".venv" / "bin" / "talend-okta")!r}, ["talend-okta", *args])
if args[0] == "preflight":
    open(args[args.index("--markdown") + 1], "w").write("## preflight\\n")
print(f"talend-okta {{args[0]}}: stand-in")
sys.exit(int(os.environ.get("FAKE_EXIT_" + args[0].upper(), "0")))
"""


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    calls: list[list[str]]
    reports: Path

    def commands(self) -> list[str]:
        """Each call as `pulumi <subcommand>` or `talend-okta <command>`."""
        return [" ".join(call[:2]) for call in self.calls]

    def call(self, start: str) -> list[str]:
        (found,) = [call for call in self.calls if " ".join(call).startswith(start)]
        return found


def script(path: Path, body: str) -> None:
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)


def run_pipeline(
    tmp_path: Path,
    *args: str,
    preview: dict[str, Any] = HARMLESS_PREVIEW,
    outputs: dict[str, Any] | None = None,
    **env: str,
) -> Run:
    bin_dir, venv_bin = tmp_path / "bin", tmp_path / "venv" / "bin"
    for folder in (bin_dir, venv_bin):
        folder.mkdir(parents=True, exist_ok=True)
    script(bin_dir / "pulumi", FAKE_PULUMI)
    script(venv_bin / "talend-okta", FAKE_TALEND_OKTA)
    python = venv_bin / "python"  # the real interpreter of this venv (a symlink would lose the venv)
    python.write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    python.chmod(0o755)
    (tmp_path / "preview.json").write_text(json.dumps(preview))
    saved = {"appId": "0oa1talend", "oktaOrgUrl": "https://acme.okta.com"} if outputs is None else outputs
    (tmp_path / "outputs.json").write_text(json.dumps(saved))
    (tmp_path / "state.json").write_text(json.dumps(FIRST_DEPLOY_STATE))
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.dev.yaml").write_text((REPO / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    environment = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "FAKE_DIR": str(tmp_path),
        "TALEND_OKTA_VENV": str(tmp_path / "venv"),
        "STACK": "dev",
        "OKTA_API_TOKEN": OKTA_CANARY,
        "TALEND_SCIM_TOKEN": TALEND_CANARY,
        **env,
    }
    done = subprocess.run(
        ["bash", str(SCRIPT), *args], cwd=project, env=environment, capture_output=True, text=True, timeout=120
    )
    log = tmp_path / "calls.jsonl"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    for text in (done.stdout, done.stderr, *(p.read_text() for p in (project / "pipeline-reports").glob("*.*"))):
        assert OKTA_CANARY not in text
        assert TALEND_CANARY not in text
    return Run(done.returncode, done.stdout, done.stderr, calls, project / "pipeline-reports")


# --- deploy --------------------------------------------------------------------------------------------------------


def test_deploy_applies_the_plan_it_checked(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, "deploy")
    assert run.code == 0, run.stdout + run.stderr
    assert run.commands() == [
        "pulumi preview",
        "talend-okta check-plan",
        "pulumi up",
        "pulumi stack",
        "pulumi stack",
        "talend-okta verify",
    ]
    preview = run.call("pulumi preview")
    saved = preview[preview.index("--save-plan") + 1]
    assert "--json" in preview
    assert run.call("talend-okta check-plan")[2] == "pipeline-reports/preview.json"  # that preview's JSON
    up = run.call("pulumi up")
    assert up[up.index("--plan") + 1] == saved  # and that preview's plan, nothing else
    for call in (preview, up):
        assert call[call.index("--policy-pack") + 1] == str(REPO / "policy")
        assert call[call.index("--stack") + 1] == "dev"
    assert "--refresh" not in preview  # a plain preview: check-plan's input (docs/pull-requests.md)
    verify = run.call("talend-okta verify")
    assert verify[verify.index("--stack-outputs") + 1] == "pipeline-reports/stack-outputs.json"
    assert "--ignore-user" not in verify
    assert "pipeline: deploy: every step passed" in run.stdout


def test_a_refused_plan_deploys_nothing(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, "deploy", preview=DELETES_THE_APP)
    assert run.code == 1
    assert run.commands() == ["pulumi preview", "talend-okta check-plan"]
    assert "talend-app" in (run.reports / "check-plan.txt").read_text()
    assert run.stdout.splitlines()[-1] == "pipeline: deploy: failed: talend-okta check-plan"


def test_allow_unassign_lets_a_refused_plan_through(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, "deploy", preview=DELETES_THE_APP, ALLOW_UNASSIGN="yes")
    assert run.code == 0, run.stdout
    assert "--allow-unassign" in run.call("talend-okta check-plan")
    assert "pulumi up" in run.commands()


def test_a_failed_preview_deploys_nothing(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, "deploy", FAKE_EXIT_PREVIEW="255")
    assert run.code == 1
    assert run.commands() == ["pulumi preview"]


def test_verify_runs_after_a_failed_up_and_the_deploy_still_fails(tmp_path: Path) -> None:
    """A first deploy to an org that refuses the provisioning API: verify lists the console steps that remain."""
    run = run_pipeline(tmp_path, "deploy", FAKE_EXIT_UP="255", TALEND_TOKEN_OWNER="svc-talend")
    assert run.code == 1
    assert run.commands()[-1] == "talend-okta verify"
    verify = run.call("talend-okta verify")
    assert verify[verify.index("--ignore-user") + 1] == "svc-talend"
    assert run.stdout.splitlines()[-1] == "pipeline: deploy: failed: pulumi up --plan"
    assert (run.reports / "verify.txt").read_text() == "talend-okta verify: stand-in\n"


def test_after_a_failed_first_deploy_verify_still_gets_what_it_needs(tmp_path: Path) -> None:
    """Pulumi saves no stack outputs when the first `pulumi up` fails (Okta refused the To App features): the app id
    comes from the state, the rest from the stack config (the real stack_state), so verify can list what remains."""
    run = run_pipeline(tmp_path, "deploy", outputs={}, FAKE_EXIT_UP="255")
    assert json.loads((run.reports / "stack-outputs.json").read_text()) == {
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
    assert run.commands()[-1] == "talend-okta verify"


def test_saved_stack_outputs_are_kept(tmp_path: Path) -> None:
    saved = {"appId": "0oa2deployed", "pushedGroups": {"Talend Developers": "00g1"}, "oktaOrgUrl": "https://x.okta.com"}
    run = run_pipeline(tmp_path, "deploy", outputs=saved)
    outputs = json.loads((run.reports / "stack-outputs.json").read_text())
    assert {key: outputs[key] for key in saved} == saved


# --- pull request --------------------------------------------------------------------------------------------------


def test_pull_request_previews_checks_the_plan_and_runs_preflight_and_never_deploys(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, "pull-request", MAX_PUSHES="25", ALLOW_MASS_DEACTIVATION="yes")
    assert run.code == 0, run.stdout + run.stderr
    assert run.commands() == [
        "pulumi preview",
        "pulumi preview",
        "talend-okta check-plan",
        "pulumi stack",
        "talend-okta preflight",
    ]
    review, plain = run.calls[0], run.calls[1]
    assert {"--diff", "--policy-pack"} <= set(review)
    assert "--json" in plain
    assert "--save-plan" not in plain
    preflight = run.call("talend-okta preflight")
    assert preflight[preflight.index("--config") + 1] == "Pulumi.dev.yaml"
    assert preflight[preflight.index("--markdown") + 1] == "pipeline-reports/preflight.md"
    assert preflight[preflight.index("--max-deactivations") + 1] == "10"
    assert {"--allow-mass-deactivation", "--max-pushes=25"} <= set(preflight)
    assert (run.reports / "preview.txt").read_text() == "Previewing (preview)\n"


def test_pull_request_goes_on_after_a_failed_step_and_fails(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, "pull-request", preview=DELETES_THE_APP, FAKE_EXIT_PREFLIGHT="1")
    assert run.code == 1
    assert run.commands()[-1] == "talend-okta preflight"
    assert (
        run.stdout.splitlines()[-1] == "pipeline: pull-request: failed: talend-okta check-plan, talend-okta preflight"
    )
    assert "--allow-mass-deactivation" not in run.call("talend-okta preflight")


# --- drift ---------------------------------------------------------------------------------------------------------


def test_drift_checks_okta_then_talend_even_when_okta_drifted(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, "drift", FAKE_EXIT_PREVIEW="7")
    assert run.code == 1
    assert run.commands() == ["pulumi preview", "pulumi stack", "talend-okta verify"]
    assert {"--refresh", "--expect-no-changes", "--diff"} <= set(run.call("pulumi preview"))
    assert run.stdout.splitlines()[-1] == (
        "pipeline: drift: failed: Okta drift: pulumi preview --refresh --expect-no-changes"
    )
    assert "up" not in [call[1] for call in run.calls]


def test_could_not_run_is_exit_2(tmp_path: Path) -> None:
    run = run_pipeline(tmp_path, "drift", FAKE_EXIT_VERIFY="2")
    assert run.code == 2


# --- bad input -----------------------------------------------------------------------------------------------------


def test_bad_usage_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for case, (args, env, message) in enumerate(
        (
            (("deploy-everything",), {}, "give one of pull-request, deploy, drift (got: deploy-everything)"),
            ((), {}, "give one of pull-request, deploy, drift (got: nothing)"),
            (("deploy",), {"STACK": ""}, "STACK is not set: the stack to work on, its settings in Pulumi.<STACK>.yaml"),
            (("deploy",), {"STACK": "prod"}, "no Pulumi.prod.yaml here: run it from the repository root (STACK=prod)"),
        )
    ):
        run = run_pipeline(tmp_path / str(case), *args, **env)
        assert (run.code, run.stdout, run.calls) == (2, "", []), args
        assert run.stderr == f"ci/pipeline.sh: error: {message}\n"
