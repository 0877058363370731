"""`talend-okta verify` against the Okta sandbox and the Talend SCIM stand-in, scenario by scenario."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from email.utils import formatdate
from pathlib import Path

import pytest
from scim2_models import UniquenessException

from talend_okta.credentials import CREDENTIALS
from talend_okta.http import RetryPolicy
from talend_okta.user_names import user_name_key
from talend_okta.verify.inputs import PollSettings
from talend_okta.verify.polling import VerifyAborted, verify
from talend_okta.verify.report import GROUP_SYNC, PROVISIONING, USER_SYNC
from tests.verify.conftest import APP_LABEL, OKTA_TOKEN, SCIM_TOKEN, World, assert_no_secrets

NO_WAIT = RetryPolicy(backoff=0.0, max_backoff=0.0)


def test_all_in_sync(world: World) -> None:
    for name in ("alice", "bob", "carol"):
        world.person(name)
    dave = world.okta.add_user("dave@example.com", "dave@example.com", "Dave", "Direct")
    world.okta.assign_user(world.app_id, dave)  # assigned directly, not through the group
    world.okta.sync()

    run = world.run()

    assert run.exit_code == 0, run.stdout + run.stderr
    assert run.report is not None
    assert run.report["ok"] is True
    assert [c["name"] for c in run.report["checks"]] == [CREDENTIALS, PROVISIONING, USER_SYNC, GROUP_SYNC]
    assert all(c["ok"] for c in run.report["checks"])
    assert run.report["users"] == {
        "expected": 4,
        "in_sync": 4,
        "missing": [],
        "stranded": [],
        "pushing": [],
        "push_failed": [],
        "push_failure_reasons": {},
        "push_log_error": None,
        "unexplained": [],
        "inactive": [],
        "unexpected_active": [],
        "collisions": [],
        "sync_errors": [],
        "ignored": [],
    }
    assert "talend-okta verify: in sync (1 round, " in run.stdout  # not "1 pass": that reads as one check
    assert run.report["rounds"] == 1


def test_waits_while_okta_provisions(world: World) -> None:
    world.person("alice")
    world.person("bob")
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # Okta finishes its pushes while verify waits
        waits.append(seconds)
        world.okta.sync()

    report = verify(world.settings(), poll=PollSettings(timeout=60, interval=2), sleep=sleep)

    assert report.ok
    assert report.rounds == 2
    assert waits == [2]
    assert report.users.in_sync == 2


def test_missing_user_fails_after_polling_until_timeout(world: World) -> None:
    world.person("alice")
    world.person("bob")
    world.okta.sync()
    world.delete_talend_user("bob")

    run = world.run(timeout="2")  # rounds in 2 s; --timeout holds inside a round too

    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["users"]["missing"] == ["bob"]
    assert run.report["users"]["in_sync"] == 1
    assert run.report["rounds"] > 1  # missing users may still be on their way: it looked again
    check = run.check(USER_SYNC)
    assert check["ok"] is False
    assert "1 missing in Talend" in check["detail"]
    lines = run.stdout.splitlines()
    user_sync = next(n for n, line in enumerate(lines) if "✗ user-sync:" in line)
    # under its own check, not under the last one; Okta says it pushed bob, so no reason Okta shows
    assert lines[user_sync + 1] == "    missing in Talend for no reason Okta shows (1): bob"


def test_an_assigned_person_deactivated_in_talend_fails_at_once_with_the_fix(world: World) -> None:
    """Okta pushed alice and holds her as provisioned; someone deactivated her in Talend by hand. Okta never pushes
    her again on its own, so waiting (--timeout) cannot help: verify fails in its first round, naming the fix."""
    world.person("alice")
    world.okta.sync()
    world.set_talend_active("alice", False)

    run = world.run(timeout="300")

    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["users"]["inactive"] == ["alice"]
    assert run.report["users"]["in_sync"] == 0
    assert run.report["rounds"] == 1
    lines = run.stdout.splitlines()
    listed = lines.index("    inactive in Talend, deactivated there by hand (Okta does not push them again) (1): alice")
    assert lines[listed + 1].startswith("      fix: Talend Management Console → Users & Security → Users → each person")


def test_checks_that_did_not_run_are_counted_apart(world: World) -> None:
    """Talend refuses the SCIM token: credentials fails, user-sync and group-sync are not run, not failed."""
    world.person("alice")
    world.okta.sync()
    run = world.run(env={"TALEND_SCIM_TOKEN": "not-the-token"})
    assert run.exit_code == 1
    assert run.stdout.splitlines()[0].startswith("talend-okta verify: 1 check failed, 2 not run, 1 passed (1 round, ")
    assert "  – user-sync: not checked: Talend refused the token" in run.stdout
    assert [(c["name"], c["ran"]) for c in run.report["checks"]] == [  # type: ignore[index]
        ("talend-credentials", True),
        ("okta-provisioning", True),
        ("user-sync", False),
        ("group-sync", False),
    ]


def test_orphan_still_active_and_ignore_user(world: World) -> None:
    world.person("alice")
    world.okta.sync()
    world.talend_user("ghost")  # invited by hand, never assigned in Okta
    world.talend_user("gone", active=False)  # deactivated: fine

    run = world.run()
    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["users"]["unexpected_active"] == ["ghost"]

    ignored = world.run("--ignore-user", "GHOST")
    assert ignored.exit_code == 0
    assert ignored.report is not None
    assert ignored.report["users"]["ignored"] == ["ghost"]


def test_unassigned_user_deactivated_by_okta_passes(world: World) -> None:
    alice = world.person("alice")
    world.person("bob")
    world.okta.sync()
    world.okta.remove_member(world.group_id, alice)  # Okta deactivates alice in Talend
    world.okta.sync()

    run = world.run()

    assert run.exit_code == 0, run.stdout
    assert run.report is not None
    assert run.report["users"]["expected"] == 1


def test_unassigned_user_left_active_is_reported(world: World) -> None:
    alice = world.person("alice")
    world.okta.sync()
    world.okta.remove_member(world.group_id, alice)  # not synced: Talend still has alice active

    run = world.run()

    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["users"]["unexpected_active"] == ["alice"]


def test_collision(world: World) -> None:
    world.person("jdoe", "a.example.com")
    world.person("jdoe", "b.example.com")
    world.person("JSmith", "a.example.com")
    world.person("jsmith", "b.example.com")
    world.okta.sync()

    run = world.run(timeout="30")

    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["users"]["collisions"] == [["jdoe", "jdoe"], ["JSmith", "jsmith"]]
    assert run.report["rounds"] == 1  # waiting does not resolve a collision
    assert "2 app usernames shared by several Okta users" in run.check(USER_SYNC)["detail"]


def test_sync_state_error(world: World) -> None:
    alice = world.person("alice")
    world.okta.sync()
    world.okta.set_sync_state(world.app_id, alice, "ERROR", "Conflict")

    run = world.run(timeout="30")

    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["users"]["sync_errors"] == ["alice"]
    assert run.report["rounds"] == 1


def test_bad_talend_token(world: World) -> None:
    world.person("alice")
    world.okta.sync()

    run = world.run(env={"TALEND_SCIM_TOKEN": "not-the-right-token"})

    assert run.exit_code == 1
    check = run.check(CREDENTIALS)
    assert check["ok"] is False
    assert "401" in check["detail"]
    assert "Authorization failure" in check["detail"]
    assert run.check(USER_SYNC)["detail"] == "not checked: Talend refused the token"
    assert world.talend_faults.requests[-1] == "/scim/v2/Users?startIndex=1&count=2"  # Okta's Test API Credentials
    assert "not-the-right-token" not in run.output


def test_bad_okta_token(world: World) -> None:
    run = world.run(env={"OKTA_API_TOKEN": "okta-wrong-token-123"})

    assert run.exit_code == 2
    assert run.report is None
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "Okta rejected the token" in run.stderr
    assert "E0000011" in run.stderr
    assert "Traceback" not in run.stderr
    assert "okta-wrong-token-123" not in run.stderr


def test_okta_429_then_success(world: World) -> None:
    world.person("alice")
    world.okta.sync()
    now = int(time.time())
    world.okta.inject_fault(
        "GET",
        r"/apps/[^/]+/users$",
        429,
        headers={"Date": formatdate(now, usegmt=True), "X-Rate-Limit-Reset": str(now)},
    )

    started = time.monotonic()
    run = world.run()

    assert run.exit_code == 0, run.stderr
    assert time.monotonic() - started >= 1.0  # waited reset - Date + 1 s
    app_user_reads = [path for method, path in world.okta.requests if "/users?" in path and "/apps/" in path]
    assert len(app_user_reads) == 2


def test_flapping_5xx_on_both_sides(world: World) -> None:
    world.person("alice")
    world.okta.sync()
    world.okta.inject_fault("GET", r"/apps/[^/]+/users$", 503, times=2)
    world.talend_faults.add(r"/Users$", 502, b"<html>Bad gateway</html>", {"Content-Type": "text/html"}, times=3)
    waits: list[float] = []

    report = verify(world.settings(), poll=PollSettings(timeout=0), retry=RetryPolicy(), sleep=waits.append)

    assert report.ok, report.model_dump_json()
    assert sorted(waits) == [0.5, 0.5, 1.0, 1.0, 2.0]  # doubling backoff: Okta twice, Talend three times


def test_persistent_5xx_could_not_run(world: World) -> None:
    echo = json.dumps({"errorCode": "E0000009", "errorSummary": f"upstream said {OKTA_TOKEN}"})
    world.okta.inject_fault("GET", r"/apps/[^/]+/users$", 500, body=echo, times=10)

    with pytest.raises(VerifyAborted) as caught:
        verify(world.settings(), poll=PollSettings(timeout=0), retry=NO_WAIT, sleep=lambda s: None)

    message = str(caught.value)
    assert "Okta answered GET /api/v1/apps/" in message
    assert "500" in message
    assert "4 tries" in message
    assert "upstream said [REDACTED]" in message
    assert_no_secrets(message)


def test_garbage_body_from_okta(world: World) -> None:
    world.person("alice")
    world.okta.inject_fault(
        "GET", r"/apps/[^/]+/users$", 200, body="<html>maintenance</html>", headers={"Content-Type": "text/html"}
    )

    run = world.run()

    assert run.exit_code == 2
    assert "body that is not JSON (text/html)" in run.stderr
    assert "/users" in run.stderr


def test_malformed_okta_json(world: World) -> None:
    world.okta.inject_fault("GET", r"/apps/[^/]+/users$", 200, body='[{"scope": "USER"}]')

    run = world.run()

    assert run.exit_code == 2
    assert "unexpected body: 0.id: Field required" in run.stderr


def test_garbage_body_from_talend(world: World) -> None:
    world.talend_faults.add(r"/Users$", 200, b"not json at all", {"Content-Type": "text/plain"})

    run = world.run()

    assert run.exit_code == 1
    assert "not JSON (text/plain)" in run.check(CREDENTIALS)["detail"]


def test_more_than_1000_users_page_on_both_sides(world: World) -> None:
    count = 1203
    with world.okta.bulk():
        for number in range(count):
            world.person(f"user{number:04d}")
    for number in range(count):  # Talend as provisioning would have left it, without 2,400 SCIM calls
        world.talend_user(f"user{number:04d}", active=number != 1100)
    world.talend_user("orphan")

    run = world.run()

    assert run.exit_code == 1
    assert run.report is not None
    users = run.report["users"]
    assert (users["expected"], users["in_sync"]) == (count, count - 1)
    assert users["inactive"] == ["user1100"]
    assert users["unexpected_active"] == ["orphan"]
    app_user_pages = [p for m, p in world.okta.requests if m == "GET" and "/apps/" in p and "/users?" in p]
    assert len(app_user_pages) == 3
    assert all("limit=500" in p for p in app_user_pages)
    scim_pages = [p for p in world.talend_faults.requests if p.startswith("/scim/v2/Users?") and "count=1000" in p]
    assert [p.split("startIndex=")[1].split("&")[0] for p in scim_pages] == ["1", "1001"]


@pytest.mark.parametrize("bare", [{"provisioning": False}, {"connection_api": False}], ids=str)
def test_connection_unknown_lists_admin_console_steps(world: World, bare: dict[str, bool]) -> None:
    bare_app = world.okta.add_saml_app("Talend Sandbox", **bare)  # nobody switched SCIM on: no features
    world.okta.assign_group(bare_app, world.group_id)

    run = world.run(env={"TALEND_OKTA_APP_ID": bare_app}, timeout="30")

    assert run.exit_code == 1
    check = run.check(PROVISIONING)
    assert check["ok"] is False
    assert "provisioning is not enabled for the app (connection UNKNOWN)" in check["detail"]
    steps = check["steps"]
    assert len(steps) == 3
    assert steps[0].endswith("Talend Sandbox → General → App Settings → Edit: Provisioning = SCIM; Save")
    assert f"SCIM connector base URL = {world.scim_url}" in steps[1]
    assert steps[2].endswith(
        "Provisioning → To App → Edit: enable Create Users, enable Update User Attributes, "
        "enable Deactivate Users; Save"
    )
    assert "still to do by hand:" in run.stdout
    assert "1. Okta Admin Console → Applications → Applications → Talend Sandbox" in run.stdout
    assert run.report is not None
    assert run.report["rounds"] == 1  # a configuration gap does not fix itself: no waiting


def app_configured_by_hand(world: World, *, deactivate: bool = True) -> str:
    """A custom SAML app whose SCIM an admin set up in the console; Okta's connection API reports UNKNOWN for it."""
    app_id = world.okta.add_saml_app("Talend By Hand", connection_api=False)
    world.okta.set_connection(app_id, world.scim_url, SCIM_TOKEN)
    world.okta.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=deactivate)
    group_id = world.okta.add_group("Talend By Hand Users")
    world.okta.assign_group(app_id, group_id)
    world.person("alice", group=group_id)
    world.person("bob", group=group_id)
    world.okta.sync()
    return app_id


def test_app_configured_by_hand_passes_from_its_features(world: World) -> None:
    app_id = app_configured_by_hand(world)

    run = world.run(env={"TALEND_OKTA_APP_ID": app_id})

    assert run.exit_code == 0, run.stdout + run.stderr
    check = run.check(PROVISIONING)
    assert check["ok"] is True
    assert check["detail"] == (
        "provisioning enabled in the admin console (Okta's connection API reports UNKNOWN for this app: base URL "
        "not readable; talend-credentials and user-sync prove the path); To App (from the app's features): "
        "Create Users, Update User Attributes, Deactivate Users; usernames = Email prefix"
    )
    assert check["steps"] == []
    assert run.check(USER_SYNC)["detail"] == "2/2 assigned users active in Talend"
    assert ("GET", f"/api/v1/apps/{app_id}/features/USER_PROVISIONING") in world.okta.requests  # asked first


def test_app_configured_by_hand_without_deactivate_users_fails_with_the_to_app_step(world: World) -> None:
    app_id = app_configured_by_hand(world, deactivate=False)

    run = world.run(env={"TALEND_OKTA_APP_ID": app_id}, timeout="30")

    assert run.exit_code == 1
    check = run.check(PROVISIONING)
    assert check["ok"] is False
    assert check["detail"] == "To App (from the app's features): Deactivate Users is off"
    assert check["steps"] == [
        "Okta Admin Console → Applications → Applications → Talend By Hand → Provisioning → To App → Edit: "
        "enable Deactivate Users; Save"
    ]
    assert run.report is not None
    assert run.report["rounds"] == 1  # a configuration gap does not fix itself


def test_to_app_switches_base_url_and_username_template(world: World) -> None:
    other = world.okta.add_saml_app("Talend Other", user_name_template="${source.login}")
    world.okta.set_connection(other, "http://127.0.0.1:9/scim/v2", SCIM_TOKEN)
    world.okta.set_user_provisioning(other, create=False, update_profile=True, deactivate=True)

    run = world.run(env={"TALEND_OKTA_APP_ID": other})

    check = run.check(PROVISIONING)
    assert check["ok"] is False
    assert f"the SCIM base URL is http://127.0.0.1:9/scim/v2, expected {world.scim_url}" in check["detail"]
    assert "To App: Create Users is off" in check["detail"]
    assert "the username template is ${source.login}, expected Email prefix" in check["detail"]
    assert [step.split(" → ")[4] for step in check["steps"]] == ["Provisioning", "Provisioning", "Sign On"]
    assert "To App → Edit: enable Create Users; Save" in check["steps"][1]


def test_pushed_group_in_sync_then_member_missing(world: World) -> None:
    developers = world.okta.add_group("Talend Developers")
    alice, bob = world.person("alice"), world.person("bob")
    world.okta.add_member(developers, alice)
    world.okta.add_member(developers, bob)
    world.okta.push_group(world.app_id, developers)
    world.okta.sync()

    run = world.run()
    assert run.exit_code == 0, run.stdout
    assert run.report is not None
    assert run.report["groups"] == [
        {
            "name": "Talend Developers",
            "ok": True,
            "in_talend": True,
            "expected_members": 2,
            "missing_members": [],
            "unexpected_members": [],
        }
    ]

    carol = world.person("carol")
    world.okta.add_member(developers, carol)
    world.talend_user("carol")  # carol exists in Talend, but the membership was not pushed yet

    run = world.run()
    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["groups"][0]["missing_members"] == ["carol"]
    assert "Talend Developers: 1 member missing, 0 unexpected in Talend" in run.check(GROUP_SYNC)["detail"]


def test_pushed_group_missing_in_talend_and_extra_member(world: World) -> None:
    developers, testers = world.okta.add_group("Talend Developers"), world.okta.add_group("Talend Testers")
    alice, bob = world.person("alice"), world.person("bob")
    for user in (alice, bob):
        world.okta.add_member(developers, user)
    world.okta.push_group(world.app_id, developers)
    world.okta.sync()
    world.okta.remove_member(developers, bob)  # not pushed yet: bob is still a member in Talend
    world.okta.add_member(testers, alice)
    world.okta.push_group(world.app_id, testers)  # not pushed yet: the group is not in Talend

    run = world.run(timeout="2")

    assert run.exit_code == 1
    assert run.report is not None
    by_name = {group["name"]: group for group in run.report["groups"]}
    assert by_name["Talend Developers"]["unexpected_members"] == ["bob"]
    assert (by_name["Talend Testers"]["in_talend"], by_name["Talend Testers"]["missing_members"]) == (False, ["alice"])
    assert run.check(GROUP_SYNC)["detail"] == (
        "Talend Developers: 0 members missing, 1 unexpected in Talend; Talend Testers: missing in Talend"
    )
    assert run.report["rounds"] > 1  # pushes may still be on their way

    world.okta.sync()
    assert world.run().exit_code == 0


def test_stack_outputs_from_stdin(world: World) -> None:
    world.person("alice")
    world.okta.sync()
    not_pushed = world.okta.add_group("Talend Operators")
    outputs = {
        "appId": world.app_id,
        "appLabel": APP_LABEL,
        "oktaOrgUrl": world.okta_url,
        "scimBaseUrl": world.scim_url,
        "provisioning": {"manage": True, "createUsers": True, "updateUserAttributes": False, "deactivateUsers": True},
        "pushedGroups": {"Talend Operators": not_pushed},
        "ssoUrl": "https://iam.eu.cloud.talend.com/oidc/ssologin",
    }
    env = {"OKTA_ORG_URL": "", "TALEND_OKTA_APP_ID": "", "TALEND_SCIM_URL": ""}

    run = world.run("--stack-outputs", "-", env=env, input_text=json.dumps(outputs))

    assert run.exit_code == 1
    provisioning = run.check(PROVISIONING)
    assert "To App: Update User Attributes is on" in provisioning["detail"]
    assert provisioning["steps"][0].endswith("To App → Edit: disable Update User Attributes; Save")
    groups = run.check(GROUP_SYNC)
    assert groups["detail"] == "Talend Operators: not pushed by Okta"
    assert "Push Groups → Find groups by name: Talend Operators" in groups["steps"][0]
    assert run.check(USER_SYNC)["ok"] is True


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {"OKTA_ORG_URL": "http://acme.okta.com"}, "--okta-url (OKTA_ORG_URL): plain http:// is only allowed"),
        ((), {"TALEND_SCIM_URL": "ftp://x"}, "--scim-url (TALEND_SCIM_URL): must be an https:// URL"),
        ((), {"TALEND_OKTA_APP_ID": ""}, "missing --app-id (TALEND_OKTA_APP_ID)"),
        ((), {"TALEND_OKTA_APP_ID": "0oa/../x"}, "--app-id: an Okta app id is letters and digits"),
        (
            ("--stack-outputs", "/nonexistent/outputs.json"),
            {},
            "--stack-outputs: cannot read /nonexistent/outputs.json",
        ),
        (("--json", "/nonexistent/dir/report.json"), {}, "--json: directory /nonexistent/dir does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    world: World, args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    run = world.run(*args, env=env)

    assert run.exit_code == 2
    assert message in run.stderr
    assert run.stderr.count("\n") == 1
    assert world.okta.requests == []  # nothing half-done


def test_negative_timeout_is_refused(world: World) -> None:
    run = world.run(timeout="-1")
    assert run.exit_code == 2
    assert "--timeout" in run.stderr


def test_unreachable_host_could_not_run(world: World) -> None:
    settings = world.settings(okta_url="http://127.0.0.1:9")

    with pytest.raises(VerifyAborted, match=r"Okta at http://127.0.0.1:9 could not be reached: .*, 4 tries"):
        verify(settings, poll=PollSettings(timeout=0, request_timeout=2), retry=NO_WAIT)


def test_report_json_to_stdout_keeps_stdout_machine_readable(world: World) -> None:
    world.person("alice")
    world.okta.sync()

    run = world.run("--json", "-")

    assert run.exit_code == 0
    report = json.loads(run.stdout)
    assert report["ok"] is True
    assert "in sync" in run.stderr  # the human report moved to stderr


def test_canary_tokens_never_appear(world: World) -> None:
    world.person("alice")
    world.okta.sync()
    runs = [
        world.run(),
        world.run(env={"OKTA_API_TOKEN": OKTA_TOKEN + "x"}),  # bad Okta token: the canary is a prefix of it
        world.run(env={"TALEND_SCIM_TOKEN": SCIM_TOKEN + "x"}),  # bad Talend token
        world.run(env={"OKTA_ORG_URL": f"http://{OKTA_TOKEN}.example"}),  # a token pasted into the wrong option
    ]
    echo = json.dumps({"errorCode": "E0000001", "errorSummary": f"echo {OKTA_TOKEN} {SCIM_TOKEN}"})
    world.okta.inject_fault("GET", r"/apps/", 400, body=echo)  # an error body that quotes both tokens
    runs.append(world.run())
    for run in runs:
        assert_no_secrets(run.stdout, run.stderr, json.dumps(run.report))
    assert [run.exit_code for run in runs] == [0, 2, 1, 2, 2]


def test_console_script_in_a_subprocess(world: World) -> None:
    world.person("alice")
    world.okta.sync()
    script = Path(sys.executable).parent / "talend-okta"
    env = os.environ | {
        "OKTA_ORG_URL": world.okta_url,
        "OKTA_API_TOKEN": OKTA_TOKEN,
        "TALEND_OKTA_APP_ID": world.app_id,
        "TALEND_SCIM_URL": world.scim_url,
        "TALEND_SCIM_TOKEN": SCIM_TOKEN,
        "TTY_COMPATIBLE": "1",  # rich treats stderr as a terminal: the progress display runs
    }

    passed = subprocess.run(
        [script, "verify", "--timeout", "0", "--json", "-"], env=env, capture_output=True, text=True, timeout=60
    )
    refused = subprocess.run(
        [script, "verify", "--timeout", "0"],
        env=env | {"OKTA_API_TOKEN": "okta-not-valid-0000"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert passed.returncode == 0, passed.stderr
    assert json.loads(passed.stdout)["users"]["in_sync"] == 1
    assert "talend-okta verify: reading" in passed.stderr or "talend-okta verify: round 1" in passed.stderr
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert (
        refused.stderr.strip()
        .splitlines()[-1]
        .endswith(  # after the spinner's control codes
            "talend-okta: error: Okta rejected the token: Okta answered GET /api/v1/users/me with 401 Unauthorized: "
            "E0000011 Invalid token provided; check --okta-token (OKTA_API_TOKEN), an Okta API token"
        )
    )
    assert "Traceback" not in refused.stderr
    assert_no_secrets(passed.stdout, passed.stderr, refused.stdout, refused.stderr)


def test_connection_checked_against_the_stack_url_while_talend_is_read_elsewhere(world: World) -> None:
    # After `pulumi up` against the offline sandbox, Okta's connection holds Talend's real host while verify
    # reads the local stand-in: the connection is compared with what the stack declared (scimBaseUrl).
    declared = "https://api.eu.cloud.talend.com/scim/v2"
    world.okta.set_connection(world.app_id, declared, SCIM_TOKEN)
    outputs = {"appId": world.app_id, "scimBaseUrl": declared}

    run = world.run("--stack-outputs", "-", input_text=json.dumps(outputs))

    assert run.check(PROVISIONING)["ok"] is True, run.check(PROVISIONING)
    wrong = world.run("--stack-outputs", "-", input_text=json.dumps({**outputs, "scimBaseUrl": world.scim_url}))
    assert wrong.check(PROVISIONING)["detail"] == f"the SCIM base URL is {declared}, expected {world.scim_url}"


def outputs_with_switches(world: World, **switches: bool) -> str:
    provisioning = {"manage": True, "createUsers": True, "updateUserAttributes": True, "deactivateUsers": True}
    return json.dumps({"appId": world.app_id, "scimBaseUrl": world.scim_url, "provisioning": provisioning | switches})


def test_deactivate_users_off_lists_people_left_active_without_failing(world: World) -> None:
    world.okta.set_user_provisioning(world.app_id, create=True, update_profile=True, deactivate=False)
    alice = world.person("alice")
    world.person("bob")
    world.okta.sync()
    world.okta.remove_member(world.group_id, alice)  # Deactivate Users is off: Okta leaves alice active in Talend
    world.okta.sync()

    run = world.run("--stack-outputs", "-", input_text=outputs_with_switches(world, deactivateUsers=False))

    assert run.exit_code == 0, run.stdout
    assert run.report is not None
    assert run.report["users"]["unexpected_active"] == ["alice"]  # still listed
    assert run.check(USER_SYNC)["detail"] == (
        "1/1 assigned users active in Talend; 1 active in Talend but not assigned "
        "(deactivateUsers is off: Okta leaves them active)"
    )
    assert "active in Talend but not assigned in Okta (1): alice" in run.stdout
    # With the switch on, the same Talend is a failure.
    world.okta.set_user_provisioning(world.app_id, create=True, update_profile=True, deactivate=True)
    strict = world.run("--stack-outputs", "-", input_text=outputs_with_switches(world))
    assert strict.exit_code == 1
    assert "1 active in Talend but not assigned" in strict.check(USER_SYNC)["detail"]


def test_create_users_off_lists_assigned_people_missing_without_failing(world: World) -> None:
    world.okta.set_user_provisioning(world.app_id, create=False, update_profile=True, deactivate=True)
    world.talend_user("alice")  # invited in Talend by hand; Okta links and updates her
    world.person("alice")
    world.person("bob")  # Create Users is off: Okta never creates bob
    world.okta.sync()

    run = world.run("--stack-outputs", "-", input_text=outputs_with_switches(world, createUsers=False), timeout="30")

    assert run.exit_code == 0, run.stdout
    assert run.report is not None
    assert run.report["users"]["missing"] == ["bob"]
    assert run.report["rounds"] == 1  # nothing to wait for
    assert run.check(USER_SYNC)["detail"] == (
        "1/2 assigned users active in Talend; 1 missing in Talend (createUsers is off: Okta does not create them)"
    )
    assert "missing in Talend for no reason Okta shows (1): bob" in run.stdout  # Okta says it pushed bob


@pytest.mark.parametrize("status", ["INACTIVE", "DEPROVISIONED"])
def test_ended_app_users_okta_still_lists_are_not_expected_in_talend(world: World, status: str) -> None:
    """Okta may keep listing an ended assignment (status INACTIVE or DEPROVISIONED): not expected in Talend."""
    alice = world.person("alice")
    world.person("bob")
    world.okta.sync()
    world.okta.set_sync_state(world.app_id, alice, "SYNCHRONIZED", status=status)
    world.set_talend_active("alice", False)  # Okta deactivated her in Talend

    run = world.run()

    assert run.exit_code == 0, run.stdout
    assert run.report is not None
    assert (run.report["users"]["expected"], run.report["users"]["inactive"]) == (1, [])
    listed = [p for m, p in world.okta.requests if m == "GET" and p.startswith(f"/api/v1/apps/{world.app_id}/users")]
    assert listed  # she was in the list Okta returned, and verify skipped her
    assert world.okta.app_user(world.app_id, alice)["status"] == status  # type: ignore[index]


def test_push_mappings_are_not_read_when_the_stack_pushes_no_group(world: World) -> None:
    world.person("alice")
    world.okta.sync()
    outputs = {"appId": world.app_id, "scimBaseUrl": world.scim_url, "pushedGroups": {}}

    run = world.run("--stack-outputs", "-", input_text=json.dumps(outputs))

    assert run.exit_code == 0, run.stdout
    assert run.check(GROUP_SYNC)["detail"] == "no groups are pushed"
    assert not any("group-push" in path for _, path in world.okta.requests)


@pytest.mark.parametrize(
    ("status", "code", "step"),
    [
        (400, "E0000001", "Run the deploy (`pulumi up`) again: the stack then pushes Talend Developers"),
        (403, "E0000006", "Push Groups: check that Talend Developers are pushed and active"),
    ],
)
def test_an_error_reading_push_mappings_fails_group_sync_only(world: World, status: int, code: str, step: str) -> None:
    developers = world.okta.add_group("Talend Developers")
    world.okta.add_member(developers, world.person("alice"))
    world.okta.sync()
    summary = (
        "Provisioning is not enabled for the app instance." if code == "E0000001" else "You do not have permission"
    )
    body = json.dumps({"errorCode": code, "errorSummary": summary, "errorCauses": []})
    world.okta.inject_fault("GET", r"/group-push/mappings$", status, body=body, times=100)
    outputs = {"appId": world.app_id, "scimBaseUrl": world.scim_url, "pushedGroups": {"Talend Developers": developers}}

    run = world.run("--stack-outputs", "-", input_text=json.dumps(outputs), timeout="30")

    assert run.exit_code == 1, run.stderr  # not "could not run": the other checks report
    assert run.report is not None
    assert run.report["rounds"] == 1  # a refusal does not fix itself
    assert [c["ok"] for c in run.report["checks"]] == [True, True, True, False]
    check = run.check(GROUP_SYNC)
    assert check["detail"].startswith("could not read the app's group push mappings (")
    assert f"{status}" in check["detail"]
    assert code in check["detail"]
    assert check["steps"][-1].endswith(step)
    assert "still to do by hand:" in run.stdout
    assert "✓ user-sync: 1/1 assigned users active in Talend" in run.stdout


@pytest.mark.parametrize("manage", [True, False])
def test_where_okta_ignores_the_provisioning_api_verify_says_to_stop_managing_it(world: World, manage: bool) -> None:
    app_id = app_configured_by_hand(world)
    provisioning = {"manage": manage, "createUsers": True, "updateUserAttributes": True, "deactivateUsers": True}
    outputs = {
        "appId": app_id,
        "appLabel": "Talend By Hand",
        "scimBaseUrl": world.scim_url,
        "provisioning": provisioning,
    }

    run = world.run("--stack-outputs", "-", input_text=json.dumps(outputs), env={"TALEND_OKTA_APP_ID": app_id})

    assert run.exit_code == 0, run.stdout
    check = run.check(PROVISIONING)
    assert check["ok"] is True
    stop_managing = [step for step in check["steps"] if "set talend-okta:provisioning.manage to false" in step]
    assert len(stop_managing) == (1 if manage else 0)


# --- userNames compare as Talend compares them (issue 18 item 9) -------------------------------------------------


def test_a_username_that_only_casefolds_to_a_talend_user_is_missing(world: World) -> None:
    """`straße` and `strasse` are two users to Talend (caseExact false is lowercase, not Unicode case folding):
    verify must not count Talend's `strasse` as Okta's `straße`."""
    world.person("straße", "corp.example")
    world.talend_user("strasse")  # someone else, invited by hand

    run = world.run()

    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["users"]["missing"] == ["straße"]
    assert run.report["users"]["unexpected_active"] == ["strasse"]


def test_usernames_differing_in_case_are_one_talend_user(world: World) -> None:
    world.person("JDoe", "corp.example")
    world.talend_user("jdoe")

    run = world.run()

    assert run.report is not None
    assert run.report["users"]["missing"] == []
    assert run.report["users"]["in_sync"] == 1


@pytest.mark.parametrize(
    ("first", "second", "same"),
    [("JDoe", "jdoe", True), ("ÄRGER", "ärger", True), ("straße", "strasse", False), ("ﬀ", "ff", False)],
)
def test_user_name_key_agrees_with_the_talend_stand_in(world: World, first: str, second: str, same: bool) -> None:
    """The stand-in refuses a second user whose userName Talend holds as the same (409 uniqueness)."""
    world.talend_user(first)
    if same:
        with pytest.raises(UniquenessException):
            world.talend_user(second)
    else:
        world.talend_user(second)
    assert (user_name_key(first) == user_name_key(second)) is same


# --- --timeout holds inside a pass (issue 18 item 4) -------------------------------------------------------------


def slow_talend_after(world: World, calls: int, seconds: float) -> None:
    """From the `calls`-th SCIM /Users request on, Talend takes `seconds` to answer each."""
    inner, seen = world.talend_faults.app, []

    def slow(environ: dict[str, object], start_response: object) -> object:
        if str(environ.get("PATH_INFO", "")).endswith("/Users"):
            seen.append(1)
            if len(seen) >= calls:
                time.sleep(seconds)
        return inner(environ, start_response)  # type: ignore[operator]

    world.talend_faults.app = slow


def test_timeout_holds_inside_the_first_pass(world: World) -> None:
    world.person("alice")
    slow_talend_after(world, 1, 8)
    started = time.monotonic()

    run = world.run(timeout="1")

    assert time.monotonic() - started < 5
    assert run.exit_code == 2
    assert "Talend did not answer GET /scim/v2/Users before the 1 s deadline" in run.stderr
    assert "Traceback" not in run.stderr


def test_timeout_inside_a_later_pass_answers_with_the_last_whole_pass(world: World) -> None:
    world.person("alice")  # never provisioned: each pass fails and is not settled, so verify looks again
    slow_talend_after(world, 3, 8)  # the credentials check and pass 1 read users quickly; pass 2 hangs
    started = time.monotonic()

    run = world.run(timeout="2")

    assert time.monotonic() - started < 6
    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["rounds"] == 2  # the second was cut short: its checks are the first's
    assert run.report["users"]["missing"] == ["alice"]
