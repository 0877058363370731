"""`talend-okta explain` through the real CLI: human steps, `--json`, exit codes 0 / 1 / 2, and no token anywhere."""

from __future__ import annotations

import json
from pathlib import Path

from talend_okta_sandbox.okta_oauth import generate_key_pair
from tests.explain.conftest import OKTA_TOKEN, SCIM_TOKEN, World, run_cli

FRAGMENT = 8  # no run of 8 characters of a token may show


def assert_no_tokens(*texts: str) -> None:
    for text in texts:
        for token in (OKTA_TOKEN, SCIM_TOKEN):
            runs = {token[i : i + FRAGMENT] for i in range(len(token) - FRAGMENT + 1)}
            assert not [run for run in runs if run in text], token[:4]


def test_json_is_one_object_and_in_sync_exits_0(world: World, tmp_path: Path) -> None:
    world.person("ann@corp.example", "ann.lee@corp.example", "Talend Developers")
    world.sync()
    result = run_cli(world, "ann@corp.example", "--json", "-", tmp=tmp_path)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"person", "verdict", "fix", "expected", "steps"}
    assert (body["person"], body["verdict"], body["fix"], body["expected"]) == (
        "ann@corp.example",
        "in sync",
        None,
        True,
    )
    assert [set(step) for step in body["steps"]] == [{"name", "status", "detail"}] * 7
    assert [step["status"] for step in body["steps"]] == ["ok"] * 7
    assert result.stderr.startswith("talend-okta explain ann@corp.example: in sync")  # the steps, out of the way
    assert_no_tokens(result.stdout, result.stderr)


def test_json_to_a_file_keeps_the_steps_on_stdout(world: World, tmp_path: Path) -> None:
    """`--json FILE|-` as verify and preflight take it: the object in FILE, the human steps where they always are."""
    world.person("ann@corp.example", "ann.lee@corp.example", "Talend Developers")
    world.sync()
    report = tmp_path / "ann.json"
    result = run_cli(world, "ann@corp.example", "--json", str(report), tmp=tmp_path)
    assert result.exit_code == 0, result.output
    assert json.loads(report.read_text(encoding="utf-8"))["verdict"] == "in sync"
    assert result.stdout.startswith("talend-okta explain ann@corp.example: in sync")
    missing = run_cli(world, "ann@corp.example", "--json", str(tmp_path / "no" / "a.json"), tmp=tmp_path)
    assert (missing.exit_code, missing.stdout) == (2, "")
    assert missing.stderr == f"talend-okta: error: --json: directory {tmp_path / 'no'} does not exist\n"


def test_human_steps_and_exit_1_for_a_stranded_person(world: World, tmp_path: Path) -> None:
    bob = world.person("bob@corp.example", None, "Talend Developers")
    world.strand(bob)
    result = run_cli(world, "bob@corp.example", tmp=tmp_path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "talend-okta explain bob@corp.example: stranded: assigned before provisioning was enabled"
    assert all(len(line) <= 110 for line in lines)  # long details wrap under their step
    numbered = [line.split(":")[0] for line in lines if line[:3].strip().rstrip(".").isdigit()]
    assert numbered == [
        "  1. ✓ Okta user",
        "  2. ✓ Assignment",
        "  3. ✓ userName",
        "  4. ✗ Okta provisioning",
        "  5. ✓ Okta System Log",
        "  6. ✗ Talend",
        "  7. ✓ Roles",
    ]
    text = " ".join(line.strip() for line in lines)
    assert "fix: run `talend-okta provision --stranded` or Okta Admin Console" in text
    assert "Assignments → bob@corp.example → Provision User" in text
    assert_no_tokens(result.stdout, result.stderr)


def test_exit_2_with_one_line_when_explain_cannot_run(world: World, tmp_path: Path) -> None:
    wrong_token = "okta-wrong-canary-0a9b8c7d"
    refused = run_cli(world, "ann@corp.example", tmp=tmp_path, env={"OKTA_API_TOKEN": wrong_token})
    assert refused.exit_code == 2
    assert refused.stdout == ""
    assert refused.stderr.startswith("talend-okta: error: Okta rejected the token")
    assert len(refused.stderr.splitlines()) == 1
    assert wrong_token not in refused.stderr
    assert "Traceback" not in refused.output

    no_scim_token = run_cli(world, "ann@corp.example", tmp=tmp_path, env={"TALEND_SCIM_TOKEN": None})
    assert no_scim_token.exit_code == 2
    assert "--scim-token (TALEND_SCIM_TOKEN)" in no_scim_token.stderr

    blank = run_cli(world, "  ", tmp=tmp_path)
    assert (blank.exit_code, blank.stderr.strip()) == (
        2,
        "talend-okta: error: PERSON: give an Okta login, an email or an Okta user id",
    )


def test_several_okta_users_with_one_email_is_exit_2(world: World, tmp_path: Path) -> None:
    world.person("kim@corp.example", "kim@shared.example", "Talend Developers")
    world.person("kim2@corp.example", "kim@shared.example", "Talend Developers")
    result = run_cli(world, "kim@shared.example", "--json", "-", tmp=tmp_path)
    assert result.exit_code == 2
    body = json.loads(result.stdout)
    assert body["verdict"] == "ambiguous: 2 Okta users have the email kim@shared.example"
    assert body["expected"] is None


def test_a_token_okta_or_talend_echo_back_is_masked(world: World, tmp_path: Path) -> None:
    world.person("lea@corp.example", None, "Talend Developers")
    world.sync()
    echo = json.dumps({"errorCode": "E0000006", "errorSummary": f"denied for {OKTA_TOKEN} and {SCIM_TOKEN}"})
    json_type = {"Content-Type": "application/json"}
    world.sandbox.inject_fault("GET", r"^/api/v1/logs", 403, body=echo, headers=json_type, times=2)
    for args in (("lea@corp.example",), ("lea@corp.example", "--json", "-")):
        result = run_cli(world, *args, tmp=tmp_path)
        assert result.exit_code == 0, result.output  # the log could not be read; everything else says in sync
        assert "could not read Okta's System Log" in result.stdout
        assert "[REDACTED]" in result.stdout
        assert_no_tokens(result.stdout, result.stderr)


def test_no_such_app_or_an_unreadable_talend_is_exit_2(world: World, tmp_path: Path) -> None:
    world.person("mo@corp.example", None, "Talend Developers")
    world.sync()
    no_app = run_cli(world, "mo@corp.example", tmp=tmp_path, env={"TALEND_OKTA_APP_ID": "0oaNOSUCHAPP"})
    assert no_app.exit_code == 2
    assert no_app.stderr.strip() == (
        "talend-okta: error: Okta has no app with id 0oaNOSUCHAPP (--app-id, TALEND_OKTA_APP_ID)"
    )
    dead = run_cli(
        world, "mo@corp.example", "--json", "-", tmp=tmp_path, env={"TALEND_SCIM_URL": "http://127.0.0.1:9/scim/v2"}
    )
    assert dead.exit_code == 2
    body = json.loads(dead.stdout)
    assert body["verdict"].startswith(
        "could not read Talend: Talend at http://127.0.0.1:9/scim/v2 could not be reached"
    )
    assert body["expected"] is None
    assert [s["status"] for s in body["steps"]][:4] == ["ok", "ok", "ok", "ok"]  # every other step is still read
    assert_no_tokens(no_app.stdout, no_app.stderr, dead.stdout, dead.stderr)


def test_explain_as_a_service_app_and_a_missing_system_log_scope(world: World, tmp_path: Path) -> None:
    """Explain's least scopes read everything; without okta.logs.read the System Log step says which scope."""
    world.person("ann@corp.example", "ann.lee@corp.example", "Talend Developers")
    world.sync()
    keys = generate_key_pair()
    read = ["okta.apps.read", "okta.groups.read", "okta.users.read"]
    world.sandbox.register_service_app("0oaexplain1", keys.public_pem, [*read, "okta.logs.read"])
    env: dict[str, str | None] = {
        "OKTA_API_TOKEN": None,
        "OKTA_API_CLIENT_ID": "0oaexplain1",
        "OKTA_API_PRIVATE_KEY": keys.private_pem,
        "OKTA_API_SCOPES": ",".join([*read, "okta.logs.read"]),
    }
    full = run_cli(world, "ann@corp.example", "--json", "-", tmp=tmp_path, env=env)
    assert full.exit_code == 0, full.output
    assert [step["status"] for step in json.loads(full.stdout)["steps"]] == ["ok"] * 7

    without_log = run_cli(
        world, "ann@corp.example", "--json", "-", tmp=tmp_path, env=env | {"OKTA_API_SCOPES": ",".join(read)}
    )
    steps = {step["name"]: step for step in json.loads(without_log.stdout)["steps"]}
    log_step = next(step for name, step in steps.items() if "System Log" in name)
    assert log_step["status"] != "ok"
    assert "okta.logs.read" in log_step["detail"]
    assert world.sandbox.oauth.issued == 2  # one token per run


def test_an_okta_string_holding_terminal_controls_is_shown_escaped_and_json_keeps_it(
    world: World, tmp_path: Path
) -> None:
    """An email made to erase the line above and print "in sync" (rich's `escape()` leaves ESC alone)."""
    forged = "cy\x1b[1A\x1b[2K\x1b[32m in sync\x9b@corp.example"
    world.person("cy@corp.example", forged)
    human = run_cli(world, "cy@corp.example", tmp=tmp_path)
    assert "\x1b" not in human.output
    assert "\x9b" not in human.output
    assert "cy\\x1b[1A\\x1b[2K\\x1b[32m in sync\\x9b@corp.example" in human.stdout
    machine = run_cli(world, "cy@corp.example", "--json", "-", tmp=tmp_path)
    assert any(forged in step["detail"] for step in json.loads(machine.stdout)["steps"])


def test_me_is_refused_not_explained_as_the_token_owner_found_by_login(world: World, tmp_path: Path) -> None:
    """Okta answers `GET /api/v1/users/me` with the API token's owner: never a person the caller named."""
    for person in ("me", " ME "):
        result = run_cli(world, person, tmp=tmp_path)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr == (
            "talend-okta: error: PERSON: `me` is Okta's name for the API token's owner, not a login; give their "
            "login, email or Okta user id\n"
        )
