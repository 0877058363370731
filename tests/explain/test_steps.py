"""The verdicts no sandbox scenario reaches easily, from `Facts` built by hand (steps.py is pure)."""

from __future__ import annotations

from typing import Any

from talend_okta.explain.read import Facts
from talend_okta.explain.steps import Explanation, explain
from talend_okta.okta_api import App, AppUser, Group, OktaUser
from talend_okta.scim_api import ScimUser

PROVISIONS = ["SCIM_PROVISIONING", "PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "GROUP_PUSH"]
ROLES = {
    "type": "GROUP",
    "name": "CustomerRoles",
    "filterType": "REGEX",
    "filterValue": "^(Talend Developers)$",
}


def facts(
    *,
    features: list[str] = PROVISIONS,
    app_user: dict[str, Any] | None = None,
    talend: list[dict[str, Any]] | None = None,
    statements: list[dict[str, Any]] | None = None,
    declared: dict[str, list[str]] | None = None,
) -> Facts:
    app = App.model_validate(
        {
            "id": "0oa1",
            "label": "Talend Cloud",
            "features": features,
            "credentials": {"userNameTemplate": {"template": '${fn:substringBefore(source.email, "@")}'}},
            "settings": {"signOn": {"attributeStatements": [ROLES] if statements is None else statements}},
        }
    )
    user = OktaUser.model_validate(
        {"id": "00u1", "status": "ACTIVE", "profile": {"login": "ann@corp.example", "email": "ann@corp.example"}}
    )
    base = {"id": "00u1", "scope": "GROUP", "credentials": {"userName": "ann"}}
    return Facts(
        query="ann@corp.example",
        app=app,
        user=user,
        matched_by="login",
        app_user=AppUser.model_validate({**base, **app_user}) if app_user is not None else None,
        groups=[Group.model_validate({"id": "00g1", "profile": {"name": "Talend Developers"}})],
        user_name="ann",
        expected_user_name="ann",
        talend_users=[ScimUser.model_validate(t) for t in talend or []],
        held_mappings={"Talend Developers": ["Integration Developer"]},
        declared_mappings=declared or {},
    )


def verdict(found: Facts) -> tuple[str, int]:
    explanation: Explanation = explain(found)
    return explanation.verdict, explanation.exit_code


def test_not_pushed_yet() -> None:
    pending = facts(app_user={"status": "STAGED", "syncState": "OUT_OF_SYNC"})
    assert verdict(pending) == ("not pushed yet: Okta is still provisioning them", 1)


def test_provisioning_off_for_the_app() -> None:
    off = facts(features=[], app_user={"status": "ACTIVE", "syncState": "DISABLED"})
    assert verdict(off) == ("provisioning is off for the app: Okta pushes no one to Talend", 1)


def test_missing_in_talend_though_okta_pushed_them() -> None:
    gone = facts(app_user={"status": "PROVISIONED", "syncState": "SYNCHRONIZED", "externalId": "s1"})
    assert verdict(gone) == ("missing in Talend: no user named ann", 1)


def test_okta_linked_to_a_talend_user_that_is_gone() -> None:
    elsewhere = facts(
        app_user={"status": "PROVISIONED", "syncState": "SYNCHRONIZED", "externalId": "s-old"},
        talend=[{"id": "s-new", "userName": "ann", "active": True, "externalId": "00u1"}],
    )
    explanation = explain(elsewhere)
    talend = next(step for step in explanation.steps if step.name == "Talend")
    assert talend.status == "problem"
    assert "Okta's app user points at SCIM id s-old, which Talend does not hold" in talend.detail


def test_roles_declared_but_the_app_sends_none() -> None:
    silent = facts(
        app_user={"status": "PROVISIONED", "syncState": "SYNCHRONIZED", "externalId": "s1"},
        talend=[{"id": "s1", "userName": "ann", "active": True, "externalId": "00u1"}],
        statements=[],
        declared={"Talend Developers": ["Integration Developer"]},
    )
    explanation = explain(silent)
    roles = explanation.steps[-1]
    assert (roles.status, roles.detail) == (
        "problem",
        "the app sends no CustomerRoles, though role mappings are declared",
    )
    assert explanation.verdict.startswith("no role: cannot sign in to Talend")


def test_roles_not_in_play() -> None:
    plain = facts(
        app_user={"status": "PROVISIONED", "syncState": "SYNCHRONIZED", "externalId": "s1"},
        talend=[{"id": "s1", "userName": "ann", "active": True, "externalId": "00u1"}],
        statements=[],
    )
    plain.held_mappings = None
    explanation = explain(plain)
    assert explanation.steps[-1].status == "not applicable"
    assert verdict(plain) == ("in sync", 0)
