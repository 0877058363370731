"""The pure planning of seats, the token owner's lockout and mass pushes: numbers, refusals and warnings."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from talend_okta.capacity import (
    MANAGEMENT_CONSOLE,
    STUDIO,
    AppProfile,
    Identity,
    RoleChange,
    application_of,
    plan_pushes,
    plan_seats,
    plan_token_owner,
    role_applications,
    role_changes,
)
from talend_okta.talend_api import Seat


def seat(application: str, used: int, limit: int) -> Seat:
    return Seat(application=application, current_users=used, max_users=limit)


def change(who: str, before: set[str], after: set[str]) -> RoleChange:
    return RoleChange(who=who, user_name=who.split("@")[0], before=frozenset(before), after=frozenset(after))


def gains(count: int, role: str) -> list[RoleChange]:
    return [change(f"dev{i}@acme.com", set(), {role}) for i in range(count)]


# --- a role's application ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "permissions", "expected"),
    [
        ("Integration Developer", None, {STUDIO}),
        ("Pipelines Designer", None, {STUDIO}),  # Pipeline Designer seats are Studio seats
        ("Operator", None, {MANAGEMENT_CONSOLE}),
        ("Security Administrator", None, set()),  # documented: consumes no seat
        ("Engine users", frozenset({"TMC_ENGINE_USE"}), set()),  # Engines - Use consumes no seat
        ("Release managers", frozenset({"TMC_PROMOTION_EXECUTION"}), {MANAGEMENT_CONSOLE}),
        ("Preparers", frozenset({"TDP_BASIC"}), {"Data Preparation"}),
    ],
)
def test_a_roles_application(role: str, permissions: frozenset[str] | None, expected: set[str]) -> None:
    assert role_applications(role, permissions) == expected


def test_application_names_as_talend_may_spell_them() -> None:
    assert application_of("Talend  Studio") == STUDIO
    assert application_of("TMC") == MANAGEMENT_CONSOLE
    assert application_of("Data Inventory") is None


# --- seats -------------------------------------------------------------------------------------------------------


def test_a_group_larger_than_the_free_seats_is_refused_with_the_numbers() -> None:
    plan = plan_seats([seat("Studio", 260, 300)], gains(45, "Integration Developer"), catalog=None)
    (line,) = plan.lines
    assert (line.used, line.adds, line.frees, line.after, line.limit, line.status) == (260, 45, 0, 305, 300, "over")
    assert plan.problems == [
        "seats: Studio would need 305 of 300 seats (260 used now, +45 added, -0 freed): free seats in Talend "
        "(remove roles from people who no longer need Studio) or buy more before merging"
    ]


def test_exactly_the_limit_warns_and_one_more_fails() -> None:
    at_limit = plan_seats([seat("Studio", 255, 300)], gains(45, "Integration Developer"), catalog=None)
    assert at_limit.problems == []
    assert at_limit.warnings == [
        "seats: Studio would use 300 of 300 seats (255 used now, +45 added, -0 freed), within 10% of its limit"
    ]
    assert plan_seats([seat("Studio", 256, 300)], gains(45, "Integration Developer"), catalog=None).problems


def test_below_ninety_percent_is_quiet_and_ninety_percent_warns() -> None:
    assert plan_seats([seat("Studio", 268, 300)], gains(1, "Integration Developer"), None).warnings == []  # 269
    assert plan_seats([seat("Studio", 269, 300)], gains(1, "Integration Developer"), None).warnings  # 270 = 90 %


def test_one_seat_per_person_and_application_and_freed_seats_count() -> None:
    changes = [
        change("a@acme.com", set(), {"Integration Developer", "Pipelines Designer"}),  # one Studio seat, not two
        change("b@acme.com", {"Integration Developer"}, {"Pipelines Viewer"}),  # keeps a Studio seat
        change("c@acme.com", {"Operator"}, set()),  # frees a console seat
        change("d@acme.com", {"Operator"}, {"Environment Administrator"}),  # keeps it
    ]
    plan = plan_seats([seat("Studio", 10, 20), seat("Management Console", 5, 5)], changes, catalog=None)
    studio, console = plan.lines
    assert (studio.adds, studio.frees, console.adds, console.frees) == (1, 0, 0, 1)
    assert plan.problems == []
    assert plan.warnings == []


def test_a_tenant_already_over_its_limit_is_not_blamed_on_a_change_that_adds_nobody() -> None:
    plan = plan_seats([seat("Studio", 310, 300)], [change("c@acme.com", {"Integration Developer"}, set())], None)
    assert plan.lines[0].after == 309
    assert plan.problems == []


def test_custom_roles_are_placed_by_their_permissions_from_talends_role_list() -> None:
    catalog = {"Nightly ops": frozenset({"TMC_OPERATOR"}), "Auditors": frozenset({"AUDIT_LOGS_VIEW"})}
    plan = plan_seats([seat("TMC", 3, 3)], [*gains(1, "Nightly ops"), *gains(1, "Auditors")], catalog)
    assert plan.lines[0].adds == 1
    assert plan.problems
    assert "TMC would need 4 of 3 seats" in plan.problems[0]
    assert plan.unplaced_roles == []  # Auditors is known to consume nothing


def test_a_role_of_unknown_permissions_is_named_not_guessed() -> None:
    plan = plan_seats([seat("Studio", 1, 10)], gains(2, "Night shift"), catalog=None)
    assert plan.lines[0].adds == 0
    assert plan.warnings == [
        "seats: no application is known for role 'Night shift' (not in Talend's role list): counted as no seat"
    ]


def test_an_application_talend_licenses_but_we_do_not_know_is_one_warning_line() -> None:
    plan = plan_seats([seat("Studio", 1, 10), seat("Data Inventory", 4, 5)], gains(1, "Operator"), None)
    assert [line.known for line in plan.lines] == [True, False]
    assert len(plan.warnings) == 1
    assert "'Data Inventory'" in plan.warnings[0]
    assert "\n" not in plan.warnings[0]


def test_a_role_for_an_application_without_seats_in_the_license_is_refused() -> None:
    plan = plan_seats([seat("Studio", 1, 10)], gains(3, "Data Steward"), None)
    assert plan.problems == [
        "seats: the change gives 3 people a Data Stewardship role, but the license has no Data Stewardship seats"
    ]


@pytest.mark.parametrize("reverse", [False, True], ids=["studio-first", "pipeline-designer-first"])
def test_studio_and_pipeline_designer_lines_give_the_same_verdict_in_any_order(reverse: bool) -> None:
    """They share seats and Talend does not say which line counts a shared one: the change counts on each."""
    lines = [seat("Studio", 1, 10), seat("Pipeline Designer", 4, 5)]
    plan = plan_seats(lines[::-1] if reverse else lines, gains(2, "Pipelines Designer"), None)
    assert {line.application: line.adds for line in plan.lines} == {"Studio": 2, "Pipeline Designer": 2}
    assert plan.problems == [
        "seats: Pipeline Designer would need 6 of 5 seats (4 used now, +2 added, -0 freed): free seats in Talend "
        "(remove roles from people who no longer need Pipeline Designer) or buy more before merging"
    ]


def test_an_empty_seat_list_cannot_pass() -> None:
    assert plan_seats([], [], None).problems == [
        "seats: cannot tell: Talend's subscription lists no application and no seats; check the license in Talend "
        "Management Console → Subscription, or the token's owner's access to it"
    ]


@dataclass(frozen=True)
class _Member:
    user_name: str | None
    who: str
    groups: frozenset[str]
    assigned_before: bool
    assigned_after: bool


def test_role_changes_give_no_roles_to_people_not_assigned() -> None:
    before = {"Devs": ["Integration Developer"]}
    after = {"Devs": ["Integration Developer"], "Ops": ["Operator"]}
    members = [
        _Member("ann", "ann@acme.com", frozenset({"Devs", "Ops"}), True, True),
        _Member("bob", "bob@acme.com", frozenset({"Devs"}), True, False),  # unassigned: loses everything
    ]
    (_, ann), (_, bob) = role_changes(members, before, after)
    assert (ann.before, ann.after) == ({"Integration Developer"}, {"Integration Developer", "Operator"})
    assert (bob.before, bob.after) == ({"Integration Developer"}, frozenset())


# --- the token owner ---------------------------------------------------------------------------------------------

OWNER = Identity(user_name="svc-talend", email="svc-talend@acme.com", login="svc-talend@acme.com")
ADMIN = {"Security Administrator": frozenset({"TMC_USER_MANAGEMENT", "TMC_SSO_MANAGEMENT"}), "Operator": frozenset()}


def test_unassigning_the_owner_is_refused() -> None:
    plan = plan_token_owner(
        "SVC-Talend@acme.com",
        deactivated=[OWNER],
        changes=[],
        catalog=ADMIN,
        needed=["TMC_USER_MANAGEMENT"],
        deactivates_in_talend=True,
    )
    assert plan.deactivated
    assert len(plan.problems) == 1
    assert "unassigns SVC-Talend@acme.com" in plan.problems[0]


def test_unassigning_the_owner_only_warns_when_okta_does_not_deactivate() -> None:
    plan = plan_token_owner(
        "svc-talend", deactivated=[OWNER], changes=[], catalog=ADMIN, needed=[], deactivates_in_talend=False
    )
    assert plan.problems == []
    assert len(plan.warnings) == 1


def test_mapping_the_owner_to_a_role_without_the_permission_is_refused() -> None:
    moved = change("svc-talend@acme.com", {"Security Administrator"}, {"Operator"})
    plan = plan_token_owner(
        "svc-talend@acme.com",
        deactivated=[],
        changes=[(OWNER, moved)],
        catalog=ADMIN,
        needed=["TMC_USER_MANAGEMENT", "TMC_SSO_MANAGEMENT"],
        deactivates_in_talend=True,
    )
    assert plan.lost_permissions == ["TMC_SSO_MANAGEMENT", "TMC_USER_MANAGEMENT"]
    assert plan.problems == [
        "token owner: at their next SSO sign-in svc-talend@acme.com gets Operator, without SSO - Manage "
        "(TMC_SSO_MANAGEMENT), Users - Manage (TMC_USER_MANAGEMENT), which the token the stack uses needs; keep a "
        "role with it in their group's talendRoles"
    ]


def test_an_owner_whose_roles_do_not_change_is_fine() -> None:
    same = change("svc-talend@acme.com", {"Security Administrator"}, {"Security Administrator"})
    plan = plan_token_owner(
        "svc-talend",
        deactivated=[],
        changes=[(OWNER, same)],
        catalog=ADMIN,
        needed=["TMC_USER_MANAGEMENT"],
        deactivates_in_talend=True,
    )
    assert plan.problems == []
    assert plan.warnings == []


def test_an_owner_moved_to_a_role_of_unknown_permissions_warns_instead_of_guessing() -> None:
    moved = change("svc-talend@acme.com", {"Security Administrator"}, {"Tenant admins"})
    plan = plan_token_owner(
        "svc-talend",
        deactivated=[],
        changes=[(OWNER, moved)],
        catalog=None,
        needed=["TMC_USER_MANAGEMENT"],
        deactivates_in_talend=True,
    )
    assert plan.problems == []
    assert "'Tenant admins'" not in plan.warnings[0]
    assert "Tenant admins" in plan.warnings[0]


# --- mass pushes -------------------------------------------------------------------------------------------------

PREFIX = '${fn:substringBefore(source.email, "@")}'
NOW = AppProfile(user_name_template=PREFIX, attribute_statements=["given_name user.firstName"], pushes_updates=True)


def test_nothing_every_profile_carries_changes_nothing_is_pushed() -> None:
    plan = plan_pushes(NOW, NOW, people=500, max_pushes=10)
    assert plan.count == 0
    assert plan.problems == []
    assert plan.warnings == []


def test_a_new_attribute_statement_pushes_everyone_and_warns_with_the_count() -> None:
    desired = NOW.model_copy(update={"attribute_statements": [*NOW.attribute_statements, "middle_name user.mi"]})
    plan = plan_pushes(NOW, desired, people=120, max_pushes=None)
    assert plan.count == 120
    assert plan.warnings == [
        "mass push: Okta pushes 120 people to Talend again (attribute statements change (middle_name))"
    ]


def test_above_max_pushes_fails_and_at_it_passes() -> None:
    desired = NOW.model_copy(update={"user_name_template": "${source.login}"})
    assert plan_pushes(NOW, desired, people=50, max_pushes=50).problems == []
    (problem,) = plan_pushes(NOW, desired, people=51, max_pushes=50).problems
    assert problem.startswith("mass push: 51 people")
    assert "--max-pushes 50" in problem
    assert "username format" in problem


def test_turning_the_update_switch_on_pushes_everyone() -> None:
    off = NOW.model_copy(update={"pushes_updates": False})
    assert plan_pushes(off, NOW, people=7, max_pushes=None).reasons == ["To App Update User Attributes turned on"]
    assert plan_pushes(NOW, off.model_copy(update={"user_name_template": "x"}), 7, None).count == 0  # switch off


def test_a_new_app_or_one_not_provisioning_yet_pushes_nobody_again() -> None:
    assert plan_pushes(None, NOW, people=0, max_pushes=0).count == 0
    not_provisioning = NOW.model_copy(update={"pushes_updates": None, "user_name_template": "x"})
    assert plan_pushes(not_provisioning, NOW, people=9, max_pushes=0).count == 0
