"""adopt compares an existing app with the spec (`adopt.app_changes`): every declared setting that differs is a
change the first `pulumi up` makes, and statements the spec does not declare are removed."""

from __future__ import annotations

from typing import Any

from talend_okta.adopt import app_changes
from talend_okta.okta_api import App
from talend_okta.settings import load_settings
from talend_okta.spec import app_spec

SSO = "https://iam.eu.cloud.talend.com/oidc/ssologin"
BASE = {"region": "eu", "domainName": "acme", "scimToken": "x"}


def app(**sign_on: Any) -> App:
    statements = [
        {"type": "EXPRESSION", "name": "given_name", "values": ["user.firstName"]},
        {"type": "EXPRESSION", "name": "family_name", "values": ["user.lastName"]},
        {"type": "EXPRESSION", "name": "middle_name", "values": ["user.middleName"]},
        {"type": "EXPRESSION", "name": "TalendCloudDomainName", "values": ['"acme"']},
    ]
    body = {
        "id": "0oa1",
        "label": "Talend Cloud",
        "status": "ACTIVE",
        "signOnMode": "SAML_2_0",
        "credentials": {
            "userNameTemplate": {"template": '${fn:substringBefore(source.email, "@")}', "type": "BUILT_IN"}
        },
        "settings": {
            "signOn": {
                "ssoAcsUrl": SSO,
                "recipient": SSO,
                "destination": SSO,
                "audience": SSO,
                "subjectNameIdTemplate": "${user.login}",
                "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
                "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
                "responseSigned": True,
                "assertionSigned": True,
                "signatureAlgorithm": "RSA_SHA256",
                "digestAlgorithm": "SHA256",
                "attributeStatements": statements,
                **sign_on,
            }
        },
    }
    return App.model_validate(body)


def test_an_app_as_the_spec_declares_it_needs_no_change() -> None:
    assert app_changes(app(), app_spec(load_settings(BASE))) == []


def test_each_difference_is_a_change_and_undeclared_statements_are_removed() -> None:
    hand_made = app(
        assertionSigned=False,
        digestAlgorithm="SHA1",
        attributeStatements=[
            {"type": "EXPRESSION", "name": "TalendCloudDomainName", "values": ['"other"']},
            {"type": "EXPRESSION", "name": "email", "values": ["user.email"]},
        ],
    )
    okta_username = {"userNameTemplate": {"template": "${source.login}", "type": "BUILT_IN"}}
    hand_made = App.model_validate(hand_made.model_dump(by_alias=True) | {"credentials": okta_username})
    changes = {(c.what, c.now, c.then) for c in app_changes(hand_made, app_spec(load_settings(BASE)))}
    assert changes == {
        ("application username format", "Okta username", "Email prefix"),
        ("assertion", "unsigned", "signed"),
        ("digest algorithm", "SHA1", "SHA256"),
        ("attribute statement given_name", "missing", "user.firstName"),
        ("attribute statement family_name", "missing", "user.lastName"),
        ("attribute statement middle_name", "missing", "user.middleName"),
        ("attribute statement TalendCloudDomainName", '"other"', '"acme"'),
        ("attribute statement email", "user.email", "removed"),
    }


def test_a_spec_with_roles_wants_the_customer_roles_statement() -> None:
    spec = app_spec(load_settings({**BASE, "groups": [{"name": "Devs", "talendRoles": ["Operator"]}]}))
    (change,) = app_changes(app(), spec)
    assert (change.what, change.now, change.then) == (
        "attribute statement CustomerRoles",
        "missing",
        "GROUP REGEX ^(Devs)$",
    )
