"""verify --capacity against the Okta sandbox and the Talend stand-in: the seats and token-owner checks, their
verdicts and the admin's fix, over HTTP."""

from __future__ import annotations

from talend_okta_sandbox.talend_account import TalendAccount, TalendAccountRoutes
from talend_okta_sandbox.talend_roles import TalendRoleRoutes
from tests.verify.conftest import SCIM_TOKEN, World, assert_no_secrets


def account(world: World) -> TalendAccount:
    routes = world.talend_faults.app
    assert isinstance(routes, TalendRoleRoutes)
    assert isinstance(routes.scim_app, TalendAccountRoutes)
    return routes.scim_app.account


def test_capacity_checks_pass_within_the_license_with_an_admin_owning_the_token(world: World) -> None:
    world.person("alice")
    world.okta.sync()
    talend = account(world)
    talend.owners[SCIM_TOKEN] = "alice"
    talend.set_roles("alice", ["Security Administrator"])
    run = world.run("--capacity")
    assert run.exit_code == 0, run.output
    assert run.check("seats")["ok"]
    owner = run.check("token-owner")
    assert owner["ok"]
    assert owner["detail"].startswith("the Talend token belongs to alice@example.com, active, with TMC_USER_MANAGEMENT")
    assert_no_secrets(run.output)


def test_an_owner_okta_does_not_know_cannot_pass(world: World) -> None:
    """A Talend-local admin owns the token: no Okta user has their email, so verify cannot tell whether Okta would
    deactivate them."""
    world.person("alice")
    world.okta.sync()
    run = world.run("--capacity")
    assert run.exit_code == 1, run.output
    owner = run.check("token-owner")
    assert owner["ok"] is False
    assert owner["detail"].startswith("cannot tell whether Okta deactivates admin: no Okta user has their email")


def test_without_capacity_the_checks_do_not_run(world: World) -> None:
    run = world.run()
    assert {c["name"] for c in run.report["checks"]} & {"seats", "token-owner"} == set()  # type: ignore[index]


def test_an_application_over_its_seats_fails_with_the_fix(world: World) -> None:
    for name in ("alice", "bob"):
        world.person(name)
    world.okta.sync()
    talend = account(world)
    talend.seats["Studio"] = 1
    for name in ("alice", "bob"):
        talend.set_roles(name, ["Integration Developer"])
    run = world.run("--capacity")
    assert run.exit_code == 1
    seats = run.check("seats")
    assert (seats["ok"], seats["detail"]) == (False, "Studio uses 2 of 1 seats")
    assert seats["steps"][0].endswith("or ask your Talend account manager for 1 more Studio seats")


def test_an_owner_okta_no_longer_assigns_fails(world: World) -> None:
    user_id = world.person("carol")
    world.okta.sync()  # carol is provisioned to Talend
    talend = account(world)
    talend.owners[SCIM_TOKEN] = "carol"
    talend.set_roles("carol", ["Security Administrator"])
    world.okta.remove_member(world.group_id, user_id)  # unassigned; Okta has not deactivated her in Talend yet
    run = world.run("--capacity")
    assert run.exit_code == 1
    owner = run.check("token-owner")
    assert (
        owner["detail"]
        == "carol@example.com is an Okta user no longer assigned to Talend Cloud: Okta deactivates them in Talend"
    )
    assert owner["steps"] == [
        "Okta Admin Console → Applications → Talend Cloud → Assignments: assign carol@example.com (or their group)"
    ]


def test_an_owner_without_users_manage_fails(world: World) -> None:
    world.person("dave")
    world.okta.sync()
    talend = account(world)
    talend.owners[SCIM_TOKEN] = "dave"
    talend.set_roles("dave", ["Operator"])
    owner = world.run("--capacity").check("token-owner")
    assert owner["ok"] is False
    assert owner["detail"] == "dave@example.com lacks Users - Manage (TMC_USER_MANAGEMENT)"
