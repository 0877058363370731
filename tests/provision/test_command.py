"""`talend-okta provision --stranded` as a person runs it, against the sandbox: the list, --dry-run, the question,
refusals by name, exit codes, and verify passing afterwards; tokens never shown."""

from __future__ import annotations

import json

from typer.testing import Result

from tests.cli_runner import talend_okta
from tests.conftest import sandbox_client
from tests.provision.conftest import OKTA_TOKEN, SCIM_TOKEN, World


def env(world: World) -> dict[str, str]:
    return {
        "OKTA_ORG_URL": world.okta_url,
        "OKTA_API_TOKEN": OKTA_TOKEN,
        "TALEND_OKTA_APP_ID": world.app_id,
        "TALEND_SCIM_URL": world.talend.scim_url,
        "TALEND_SCIM_TOKEN": SCIM_TOKEN,
    }


def provision(world: World, *args: str, input_text: str | None = None, extra: dict[str, str] | None = None) -> Result:
    result = talend_okta(["provision", *args], env=env(world) | (extra or {}), input=input_text)
    assert OKTA_TOKEN not in result.output + result.stderr
    assert SCIM_TOKEN not in result.output + result.stderr
    return result


def verify(world: World) -> Result:
    return talend_okta(["verify", "--timeout", "10", "--poll-interval", "0.05"], env=env(world))


def test_dry_run_lists_and_changes_nothing(world: World) -> None:
    before = {name: world.app_user(name) for name in world.people}
    run = provision(world, "--stranded", "--dry-run")
    assert run.exit_code == 0, run.output
    assert f"App {world.app_id}: 3 people stranded" in run.stdout
    assert "  assigned directly, to assign again (1): cy" in run.stdout
    assert "  group Talend Users, to assign again (2): ann, bob" in run.stdout
    assert "Dry run: nothing changed (3 people would be assigned again)." in run.stdout
    assert {name: world.app_user(name) for name in world.people} == before


def test_yes_provisions_them_and_verify_passes_afterwards(world: World) -> None:
    told = verify(world)
    assert told.exit_code == 1
    assert "stranded: assigned before Okta's provisioning was on" in told.stdout

    run = provision(world, "--stranded", "--yes")
    world.sandbox.sync()

    assert run.exit_code == 0, run.output
    assert "  being pushed (3): ann, bob, cy" in run.stdout
    assert "s: 0 pushed, 3 being pushed, 0 still stranded, 0 without access. Then: talend-okta verify" in run.stdout
    assert world.talend_users() == {"ann": True, "bob": True, "cy": True, "dan": True}
    passed = verify(world)
    assert passed.exit_code == 0, passed.stdout
    again = provision(world, "--stranded", "--yes")
    assert (again.exit_code, again.stdout.strip()) == (
        0,
        f"App {world.app_id}: nobody is stranded (every assigned person is provisioned or on the way).",
    )


def test_without_yes_it_asks(world: World) -> None:
    declined = provision(world, "--stranded", input_text="n\n")
    assert declined.exit_code == 1
    assert "Assign 3 people again so that Okta provisions them? [y/N]" in declined.stdout
    assert "Nothing changed." in declined.stdout
    assert world.app_user("ann")["syncState"] == "DISABLED"
    accepted = provision(world, "--stranded", input_text="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert world.app_user("ann")["status"] == "STAGED"  # Okta pushes her next


def test_someone_talend_holds_is_refused_by_name_and_the_run_fails(world: World) -> None:
    with sandbox_client(base_url=world.talend.scim_url, headers={"Authorization": f"Bearer {SCIM_TOKEN}"}) as scim:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob", "active": True}
        assert scim.post("/Users", json=body).status_code == 201
    run = provision(world, "--stranded", "--yes")
    world.sandbox.sync()
    assert run.exit_code == 1
    assert "  refused: bob (Talend already holds an active user 'bob'; Okta would link to that user" in run.stdout
    assert (
        "  in the Admin Console: ann (group Talend Users: Talend already holds an active user 'bob'): Okta Admin "
        "Console → Applications → Applications → Talend Cloud → Assignments → ann@acme.example → Provision User"
    ) in run.stdout
    assert "0 pushed, 1 being pushed, 0 still stranded, 0 without access" in run.stdout
    assert world.app_user("bob")["syncState"] == "DISABLED"  # untouched
    assert world.talend_users() == {"bob": True, "cy": True, "dan": True}


def test_someone_left_without_access_is_said_first_and_the_run_fails(world: World) -> None:
    world.sandbox.inject_fault("POST", rf"/apps/{world.app_id}/users$", 503, times=50)
    run = provision(world, "--stranded", "--yes")
    assert run.exit_code == 1
    first = run.stdout.split("\n")[next(i for i, line in enumerate(run.stdout.split("\n")) if "WITHOUT" in line)]
    assert first == "NOW WITHOUT ACCESS: cy (provision cy failed part way)"
    assert run.stdout.index("NOW WITHOUT ACCESS: cy") < run.stdout.index("provision cy failed:")
    assert "  restore: Okta Admin Console → Applications → Applications → Talend Cloud → Assignments" in run.stdout
    assert "1 without access" in run.stdout


def test_stack_outputs_on_stdin(world: World) -> None:
    outputs = json.dumps({"oktaOrgUrl": world.okta_url, "appId": world.app_id, "scimBaseUrl": world.talend.scim_url})
    bare = {"OKTA_ORG_URL": "", "TALEND_OKTA_APP_ID": "", "TALEND_SCIM_URL": ""}
    asks = provision(world, "--stranded", "--stack-outputs", "-", input_text=outputs, extra=bare)
    assert asks.exit_code == 2
    assert asks.stderr == (
        "talend-okta: error: --yes: with --stack-outputs - the outputs come on stdin, so there is no one to ask\n"
    )
    done = provision(world, "--stranded", "--yes", "--stack-outputs", "-", input_text=outputs, extra=bare)
    assert done.exit_code == 0, done.output
    assert "3 being pushed" in done.stdout


def test_could_not_run_is_one_line_and_exit_2(world: World) -> None:
    wrong = "okta-wrong-canary-prov-0a1b"
    runs = {
        "no --stranded": provision(world, "--yes"),
        "bad token": provision(world, "--stranded", "--yes", extra={"OKTA_API_TOKEN": wrong}),
        "no app": provision(world, "--stranded", "--yes", extra={"TALEND_OKTA_APP_ID": ""}),
        "no scim token": provision(world, "--stranded", "--yes", extra={"TALEND_SCIM_TOKEN": ""}),
    }
    world.sandbox.set_user_provisioning(world.app_id, create=False, update_profile=True, deactivate=True)
    runs["create off"] = provision(world, "--stranded", "--yes")
    for why, run in runs.items():
        assert run.exit_code == 2, (why, run.output)
        assert run.stderr.count("\n") == 1, (why, run.stderr)
        assert run.stderr.startswith("talend-okta: error: "), why
        assert wrong not in run.output + run.stderr
    assert "--stranded: say whom to provision" in runs["no --stranded"].stderr
    assert "401" in runs["bad token"].stderr
    assert "missing --app-id (TALEND_OKTA_APP_ID)" in runs["no app"].stderr
    assert "missing --scim-token (TALEND_SCIM_TOKEN)" in runs["no scim token"].stderr
    assert "To App → Create Users" in runs["create off"].stderr
    assert world.app_user("ann")["syncState"] == "DISABLED"  # nothing changed by any of them
