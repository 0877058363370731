"""`talend-okta review` end to end: the sandbox's Okta (assignments, users, System Log sign-ins) and the Talend
stand-in (users, roles), read through the real CLI."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.review.conftest import OKTA_TOKEN, SCIM_TOKEN, World, run_review

ALL_FLAGS = "orphan, okta-inactive, direct, unused, stranded, push-failed, role-outside-mapping"


@pytest.fixture
def people(world: World) -> World:
    """One person per flag (and one with none), as an org drifts after months of use."""
    world.sandbox.set_user_provisioning(world.app_id, create=True, update_profile=True, deactivate=False)
    ann = world.person("ann@corp.example", None, "Talend Developers")  # signs in, roles as mapped: no flag
    world.person("bob@corp.example", None, "Talend Operators")  # never signs in
    carl = world.person("carl@corp.example")  # assigned by hand
    world.sandbox.assign_user(world.app_id, carl)
    eve = world.person("eve@corp.example", None, "Talend Developers")  # leaves: deactivated in Okta
    hal = world.person("hal@corp.example", None, "Talend Developers")  # given a role by hand in Talend
    world.sync()
    fay = world.person("fay@corp.example", None, "Talend Guests")
    world.strand(fay)
    for user_id, user_name, groups in ((ann, "ann", ["Talend Developers"]), (hal, "hal", ["Talend Developers"])):
        world.sandbox.sign_in(world.app_id, user_id)
        assert world.talend.accounts is not None
        world.talend.accounts.sign_in(user_name, groups)
    world.talend.accounts.sign_in("bob", ["Talend Operators"])
    world.talend.account.set_roles("hal", ["Integration Developer", "Security Administrator"])
    world.sandbox.sign_in(world.app_id, carl)
    world.sandbox.sign_in(world.app_id, eve)
    deactivated = httpx.post(
        f"{world.okta_url}/api/v1/users/{eve}/lifecycle/deactivate", headers={"Authorization": f"SSWS {OKTA_TOKEN}"}
    )
    assert deactivated.status_code == 200
    world.sync()
    gil = world.person("gil@corp.example", None, "Talend Guests")  # Okta's push fails
    world.sandbox.set_sync_state(world.app_id, gil, "ERROR", "SCIM 500")
    with world.scim() as scim:  # created in Talend by hand: Okta never knew her
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "dora", "active": True}
        assert scim.post("/Users", json=body).status_code == 201
    return world


def _report(result_stdout: str) -> dict[str, object]:
    report = json.loads(result_stdout)
    assert isinstance(report, dict)
    return report


def _by_name(report: dict[str, object]) -> dict[str, dict[str, object]]:
    people = report["people"]
    assert isinstance(people, list)
    return {str(p["userName"]): p for p in people}


def test_every_flag_on_the_person_it_describes(people: World, tmp_path: Path) -> None:
    result = run_review(people, "--format", "json", "--output", "-", tmp=tmp_path)
    assert result.exit_code == 0, result.output
    report = _report(result.stdout)
    rows = _by_name(report)
    assert {name: row["flags"] for name, row in rows.items()} == {
        "ann": [],
        "bob": ["unused"],
        "carl": ["direct"],
        "dora": ["orphan", "unused"],
        "eve": ["orphan", "okta-inactive"],
        "fay": ["stranded"],
        "gil": ["push-failed"],
        "hal": ["role-outside-mapping"],
    }
    assert report["summary"] == {
        "orphan": 2,
        "okta-inactive": 1,
        "direct": 1,
        "unused": 2,
        "stranded": 1,
        "push-failed": 1,
        "role-outside-mapping": 1,
    }
    ann, eve, hal = rows["ann"], rows["eve"], rows["hal"]
    assert ann["oktaLogin"] == "ann@corp.example"
    assert ann["oktaStatus"] == "ACTIVE"
    assert ann["assignment"] == {"scope": "group", "groups": ["Talend Developers"]}
    assert ann["talendActive"] is True
    assert ann["roles"] == [{"role": "Integration Developer", "grantedBy": ["Talend Developers"]}]
    assert isinstance(ann["lastSignIn"], str)
    assert datetime.now(UTC) - datetime.fromisoformat(ann["lastSignIn"]) < timedelta(minutes=1)
    assert (eve["oktaStatus"], eve["assignment"]) == ("DEPROVISIONED", {"scope": "none", "groups": []})
    assert rows["carl"]["assignment"] == {"scope": "direct", "groups": []}
    assert rows["dora"]["oktaLogin"] is None
    assert rows["bob"]["lastSignIn"] is None
    assert rows["fay"]["talendActive"] is False
    assert {"role": "Security Administrator", "grantedBy": []} in hal["roles"]
    assert report["appId"] == people.app_id
    assert report["org"] == people.okta_url
    assert set(report) == {"generatedAt", "window", "org", "appId", "tenant", "people", "summary", "sha256"}
    # The terminal summary (on stderr, the report being on stdout) explains each flag in one line.
    assert "eve: okta-inactive: Okta user is DEPROVISIONED, still active in Talend" in result.stderr
    assert "dora: orphan: active in Talend, not assigned to the app in Okta" in result.stderr
    for secret in (OKTA_TOKEN, SCIM_TOKEN, OKTA_TOKEN[:8], SCIM_TOKEN[-8:]):
        assert secret not in result.output


def test_the_documented_sha256_check_holds_and_catches_a_change(people: World, tmp_path: Path) -> None:
    report_file = tmp_path / "review.json"
    result = run_review(people, "--format", "json", "--output", str(report_file), tmp=tmp_path)
    assert result.exit_code == 0, result.output
    docs = (Path(__file__).parents[2] / "docs" / "review.md").read_text(encoding="utf-8")
    command = next(line for line in docs.splitlines() if line.startswith("python3 -c "))
    script = command.removeprefix("python3 -c ").rsplit(" ", 1)[0].strip("'")

    def check(path: Path) -> str:
        done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=False)
        return done.stdout.strip()

    assert check(report_file) == "OK"
    tampered = json.loads(report_file.read_text(encoding="utf-8"))
    flagged = next(p for p in tampered["people"] if p["flags"])
    flagged["flags"] = []  # someone hides a flag
    report_file.write_text(json.dumps(tampered, indent=2), encoding="utf-8")
    assert check(report_file) == "MISMATCH"


def test_the_documented_jq_check_gives_the_same_sha256(people: World, tmp_path: Path) -> None:
    with people.scim() as scim:  # a name beyond ASCII: both must hash its UTF-8, not a \u escape
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "zoë", "active": True}
        assert scim.post("/Users", json=body).status_code == 201
    report_file = tmp_path / "review.json"
    assert run_review(people, "--output", str(report_file), tmp=tmp_path).exit_code == 0
    people_json = subprocess.run(["jq", "-cjS", ".people", str(report_file)], capture_output=True, check=True).stdout
    digest = subprocess.run(["sha256sum"], input=people_json, capture_output=True, check=True).stdout.split()[0]
    assert digest.decode() == json.loads(report_file.read_text(encoding="utf-8"))["sha256"]


def test_fail_on_exits_1_when_someone_carries_the_flag(people: World, tmp_path: Path) -> None:
    assert run_review(people, "--fail-on", "orphan", tmp=tmp_path).exit_code == 1
    assert run_review(people, "--fail-on", "direct,stranded", tmp=tmp_path).exit_code == 1
    assert run_review(people, "--fail-on", "push-failed", "--fail-on", "unused", tmp=tmp_path).exit_code == 1


def test_fail_on_exits_0_when_nobody_does(world: World, tmp_path: Path) -> None:
    ann = world.person("ann@corp.example", None, "Talend Developers")
    world.sync()
    world.sandbox.sign_in(world.app_id, ann)
    result = run_review(world, "--fail-on", ",".join(ALL_FLAGS.split(", ")), tmp=tmp_path)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "orphan,leaver"], f"--fail-on leaver: must be among {ALL_FLAGS}"),
        (["--since", "91"], "--since 91: must be 1 to 90 days"),
        (["--since", "0"], "--since 0: must be 1 to 90 days"),
        (["--since", "30", "--unused-days", "45"], "--unused-days 45: must be 1 to --since (30) days"),
        (["--format", "xml"], "--format xml: must be one of json, csv, markdown"),
        (["--output", "/no/such/dir/review.json"], "--output: directory /no/such/dir does not exist"),
    ],
)
def test_bad_option_is_one_line_and_exit_2(world: World, tmp_path: Path, args: list[str], message: str) -> None:
    result = run_review(world, *args, tmp=tmp_path)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]
    assert "Traceback" not in result.output


def test_csv_and_markdown_reports(people: World, tmp_path: Path) -> None:
    csv_file, md_file = tmp_path / "review.csv", tmp_path / "review.md"
    assert run_review(people, "--format", "csv", "--output", str(csv_file), tmp=tmp_path).exit_code == 0
    rows = {row["userName"]: row for row in csv.DictReader(io.StringIO(csv_file.read_text(encoding="utf-8")))}
    assert rows["eve"]["flags"] == "orphan, okta-inactive"
    assert rows["eve"]["assignment"] == "not assigned"
    assert rows["hal"]["roles"] == "Integration Developer (Talend Developers); Security Administrator (no mapped group)"
    assert rows["carl"]["assignment"] == "direct"
    assert rows["bob"]["lastSignIn"] == "none"
    assert run_review(people, "--format", "markdown", "--output", str(md_file), tmp=tmp_path).exit_code == 0
    markdown = md_file.read_text(encoding="utf-8")
    assert "| orphan | 2 |" in markdown
    assert (
        "- **eve**: orphan: active in Talend, not assigned to the app in Okta; okta-inactive: Okta user is " in markdown
    )
    json_file = tmp_path / "review.json"
    assert run_review(people, "--output", str(json_file), tmp=tmp_path).exit_code == 0  # JSON by default
    assert json.loads(json_file.read_text(encoding="utf-8"))["sha256"] in markdown


def test_since_and_unused_days_judge_the_last_sign_in(world: World, tmp_path: Path) -> None:
    ann = world.person("ann@corp.example", None, "Talend Developers")
    bob = world.person("bob@corp.example", None, "Talend Developers")
    world.sync()
    now = datetime.now(UTC)
    world.sandbox.sign_in(world.app_id, ann, at=now - timedelta(days=70))
    world.sandbox.sign_in(world.app_id, ann, at=now - timedelta(days=20))  # the last one counts
    world.sandbox.sign_in(world.app_id, bob, at=now - timedelta(days=70))

    def flags(*args: str) -> dict[str, tuple[object, object]]:
        result = run_review(world, "--format", "json", *args, tmp=tmp_path)
        assert result.exit_code == 0, result.output
        return {name: (row["lastSignIn"], row["flags"]) for name, row in _by_name(_report(result.stdout)).items()}

    found = flags()
    assert found["ann"][1] == []
    assert str(found["ann"][0]).startswith((now - timedelta(days=20)).strftime("%Y-%m-%d"))
    assert found["bob"][1] == ["unused"]
    assert found["bob"][0] is not None
    assert flags("--unused-days", "10")["ann"][1] == ["unused"]
    assert flags("--unused-days", "75")["bob"][1] == []
    assert flags("--since", "30")["bob"] == (None, ["unused"])  # outside the window: never, as far as it knows


def test_the_sign_ins_are_one_system_log_query(people: World, tmp_path: Path) -> None:
    before = len(people.sandbox.requests)
    assert run_review(people, tmp=tmp_path).exit_code == 0
    logs = [path for _, path in people.sandbox.requests[before:] if path.startswith("/api/v1/logs")]
    assert len(logs) == 1
    query = httpx.URL(logs[0]).params
    assert query["filter"] == f'eventType eq "user.authentication.sso" and target.id eq "{people.app_id}"'
    assert query["limit"] == "1000"
    since, until = (datetime.fromisoformat(query[name]) for name in ("since", "until"))
    assert timedelta(days=89, hours=23) < until - since <= timedelta(days=90, seconds=1)


def test_okta_refusing_the_token_is_exit_2_without_the_token(world: World, tmp_path: Path) -> None:
    wrong = "00QwrongTokenValue123456"
    result = run_review(world, tmp=tmp_path, env={"OKTA_API_TOKEN": wrong})
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert wrong not in result.output
    assert wrong[:8] not in result.output


def test_a_talend_user_name_holding_terminal_controls_is_shown_escaped(world: World, tmp_path: Path) -> None:
    """A userName made to erase the line above on the terminal: the summary escapes it (terminal.human_console)."""
    forged = "mal\x1b[1A\x1b[2Kin sync\x9b"
    with world.scim() as scim:
        body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": forged, "active": True}
        assert scim.post("/Users", json=body).status_code == 201
    result = run_review(world, tmp=tmp_path)
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "\x9b" not in result.output
    assert "mal\\x1b[1A\\x1b[2Kin sync\\x9b: orphan" in result.stdout


def test_a_mapped_group_the_app_does_not_assign_explains_its_role(world: World, tmp_path: Path) -> None:
    """A role mapping may name an Okta group that is not assigned to the app: review finds it by exact name (one
    search, as the program finds groups) and credits its members' role to it; a mapping naming no group is a note."""
    admins = world.sandbox.add_group("Talend Admins")
    ann = world.person("ann@corp.example", None, "Talend Developers")
    world.sandbox.add_member(admins, ann)
    world.sync()
    assert world.talend.account is not None
    world.talend.account.set_roles("ann", ["Integration Developer", "Security Administrator"])
    world.outputs["roleMappings"] = {
        **world.outputs["roleMappings"],
        "Talend Admins": ["Security Administrator"],
        "Talend Ghosts": ["Operator"],
    }
    result = run_review(world, "--format", "json", "--output", "-", tmp=tmp_path)
    assert result.exit_code == 0, result.output
    ann_row = _by_name(_report(result.stdout))["ann"]
    assert "role-outside-mapping" not in ann_row["flags"]
    assert {"role": "Security Administrator", "grantedBy": ["Talend Admins"]} in ann_row["roles"]
    assert "note: no Okta group is named 'Talend Ghosts' (a role mapping's customer role)" in result.stderr
