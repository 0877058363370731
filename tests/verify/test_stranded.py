"""user-sync tells apart why assigned people are missing in Talend: stranded (assigned before provisioning was
enabled: Okta never pushes them), still being pushed, push failed, and missing for no reason Okta shows."""

from __future__ import annotations

import time

from talend_okta.verify.report import USER_SYNC
from tests.verify.conftest import SCIM_TOKEN, World

STRANDED_FIX = "fix: `talend-okta provision --stranded`, or Okta → the app → Assignments → Provision User"


def strand(world: World, *names: str) -> list[str]:
    """People assigned while the app's provisioning was off, which an admin then switched on."""
    world.okta.set_connection(world.app_id, world.scim_url, SCIM_TOKEN, enabled=False)
    ids = [world.person(name) for name in names]
    world.okta.set_connection(world.app_id, world.scim_url, SCIM_TOKEN, enabled=True)
    return ids


def test_each_reason_has_its_line_count_people_and_fix(world: World) -> None:
    strand(world, "sam", "sue")
    world.person("dan")  # pushed, then removed in Talend by hand
    failed = world.person("fay")
    world.okta.sync()
    world.delete_talend_user("dan")
    world.okta.set_sync_state(world.app_id, failed, "ERROR", "Conflict", status="STAGED", external_id="")
    world.delete_talend_user("fay")
    world.person("pia")  # assigned now: Okta has not pushed her yet (no sync)

    run = world.run(timeout="0")

    assert run.exit_code == 1
    assert run.report is not None
    users = run.report["users"]
    assert users["missing"] == ["dan", "fay", "pia", "sam", "sue"]
    assert (users["stranded"], users["pushing"]) == (["sam", "sue"], ["pia"])
    assert (users["push_failed"], users["unexplained"]) == (["fay"], ["dan"])
    detail = run.check(USER_SYNC)["detail"]
    assert (
        "5 missing in Talend (2 stranded: assigned before provisioning was enabled, Okta never pushes them, "
        "1 still being pushed by Okta, 1 Okta's push failed, 1 for no reason Okta shows)"
    ) in detail
    lines = run.stdout.splitlines()
    stranded = next(i for i, line in enumerate(lines) if "stranded: assigned before Okta's provisioning" in line)
    assert lines[stranded].endswith("(2): sam, sue")
    assert lines[stranded + 1].strip() == STRANDED_FIX
    assert "    still being pushed by Okta (1): pia" in run.stdout
    assert "    Okta's push failed (syncState ERROR) (1): fay" in run.stdout
    assert "    missing in Talend for no reason Okta shows (1): dan" in run.stdout
    assert "Okta syncState ERROR (1)" not in run.stdout  # fay is listed once, under her reason


def test_stranded_people_fail_at_once_even_with_a_timeout(world: World) -> None:
    strand(world, "sam")
    world.person("alice")
    world.okta.sync()

    started = time.monotonic()
    run = world.run(timeout="60")

    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["rounds"] == 1  # waiting cannot help: no second look
    assert time.monotonic() - started < 20
    assert run.report["users"]["stranded"] == ["sam"]
    assert run.report["users"]["in_sync"] == 1


def test_people_still_being_pushed_are_waited_for(world: World) -> None:
    world.person("pia")
    run = world.run(timeout="1.5")  # room for a second pass on a busy machine
    assert run.exit_code == 1
    assert run.report is not None
    assert run.report["rounds"] > 1  # Okta is working on it: verify looked again
    assert run.report["users"]["pushing"] == ["pia"]
    assert run.report["users"]["stranded"] == []
