"""verify's seats and token-owner checks as pure functions: verdicts, details and the admin's fix."""

from __future__ import annotations

import pytest

from talend_okta.talend_api import OwnerRole, Seat, Subscription, TokenOwner
from talend_okta.verify.capacity import seats_check, token_owner_check

ADMIN = OwnerRole(name="Security Administrator", permissions=["TMC_USER_MANAGEMENT", "TMC_SSO_MANAGEMENT"])
OWNER = TokenOwner(type="USER", id="u1", email="svc-talend@acme.com", active=True, roles=[ADMIN])


def subscription(*seats: tuple[str, int, int]) -> Subscription:
    return Subscription(seats=[Seat(application=a, current_users=u, max_users=m) for a, u, m in seats])


def test_seats_pass_at_the_limit_and_fail_above_it_with_the_fix() -> None:
    assert seats_check(subscription(("Studio", 20, 20))).ok
    check = seats_check(subscription(("Studio", 22, 20), ("Management Console", 1, 5)))
    assert not check.ok
    assert check.detail == "Studio uses 22 of 20 seats"
    assert check.steps == [
        "Talend Management Console → Users & Security → Users: remove the Studio roles of people who no longer need "
        "Studio (their seat is freed), or ask your Talend account manager for 2 more Studio seats"
    ]


def test_an_active_assigned_owner_with_the_permission_passes() -> None:
    check = token_owner_check(
        OWNER,
        needs=["TMC_USER_MANAGEMENT"],
        okta_users=1,
        okta_status="ACTIVE",
        assigned=True,
        app_label="Talend Cloud",
    )
    assert check.ok
    assert "svc-talend@acme.com" in check.detail


def test_an_owner_okta_no_longer_assigns_fails_with_the_assignment_step() -> None:
    check = token_owner_check(
        OWNER,
        needs=["TMC_USER_MANAGEMENT"],
        okta_users=1,
        okta_status="ACTIVE",
        assigned=False,
        app_label="Talend Cloud",
    )
    assert not check.ok
    assert "no longer assigned to Talend Cloud" in check.detail
    assert check.steps == [
        "Okta Admin Console → Applications → Talend Cloud → Assignments: assign svc-talend@acme.com (or their group)"
    ]


def test_an_owner_without_the_permission_or_deactivated_fails() -> None:
    operator = OWNER.model_copy(update={"roles": [OwnerRole(name="Operator", permissions=["TMC_OPERATOR"])]})
    check = token_owner_check(
        operator, needs=["TMC_USER_MANAGEMENT"], okta_users=1, okta_status="ACTIVE", assigned=True, app_label="x"
    )
    assert not check.ok
    assert check.detail == "svc-talend@acme.com lacks Users - Manage (TMC_USER_MANAGEMENT)"
    inactive = OWNER.model_copy(update={"active": False})
    assert not token_owner_check(
        inactive, needs=[], okta_users=1, okta_status="ACTIVE", assigned=True, app_label="x"
    ).ok


def test_a_service_account_token_fails() -> None:
    robot = TokenOwner(type="SERVICE_ACCOUNT", id="sa1", name="ci", permissions=["TMC_USER_MANAGEMENT"])
    check = token_owner_check(
        robot, needs=["TMC_USER_MANAGEMENT"], okta_users=0, okta_status=None, assigned=None, app_label="x"
    )
    assert not check.ok
    assert "expire after 30 minutes" in check.detail


def test_an_empty_seat_list_cannot_pass() -> None:
    check = seats_check(subscription())
    assert not check.ok
    assert check.detail == "cannot tell: Talend's subscription lists no application and no seats"


@pytest.mark.parametrize(("users", "found"), [(0, "no Okta user has"), (2, "2 Okta users have")])
def test_an_owner_whose_email_matches_no_okta_user_or_several_cannot_pass(users: int, found: str) -> None:
    """Which Okta user is the owner decides whether Okta can deactivate them: none or several, verify cannot tell."""
    check = token_owner_check(
        OWNER, needs=["TMC_USER_MANAGEMENT"], okta_users=users, okta_status=None, assigned=None, app_label="Talend"
    )
    assert not check.ok
    assert check.detail == f"cannot tell whether Okta deactivates svc-talend@acme.com: {found} their email " + (
        "svc-talend@acme.com"
    )
    assert check.steps == [
        "Okta Admin Console → Directory → People: give svc-talend@acme.com exactly one Okta user with that email, "
        "assigned to Talend"
    ]
