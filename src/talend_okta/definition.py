"""What Talend Cloud asks of an Okta app, as pure data.

Nothing here reads Pulumi config or calls an API, so the stack, the verifier, preflight and the policy pack
all share one definition of the Talend hosts and the Okta expressions.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Region = Literal["us", "eu", "ap", "au", "us-west"]
"""Talend Cloud regions whose SCIM API host Talend documents (api.<region>.cloud.talend.com)."""

REGIONS: Final[tuple[str, ...]] = get_args(Region)

EMAIL_PREFIX_TEMPLATE: Final = '${fn:substringBefore(source.email, "@")}'
"""Okta's built-in "Email prefix" application username format: Talend's userName is the part before the @."""

EMAIL_PREFIX_TEMPLATE_TYPE: Final = "BUILT_IN"

NAME_ID_TEMPLATE: Final = "${user.login}"
"""The full Okta username. Okta's default `${user.userName}` is the app username, i.e. the email prefix."""

NAME_ID_FORMAT: Final = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
AUTHN_CONTEXT_CLASS: Final = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
SIGNATURE_ALGORITHM: Final = "RSA_SHA256"
DIGEST_ALGORITHM: Final = "SHA256"

USER_PROVISIONING: Final = "USER_PROVISIONING"
"""The Okta app feature behind Provisioning → To App."""


def sso_url(region: str, account_id: str | None = None) -> str:
    """Talend's SSO endpoint: SAML ACS URL, recipient, destination and audience (per tenant with an account ID)."""
    base = f"https://iam.{region}.cloud.talend.com/oidc/ssologin"
    return f"{base}/{account_id}" if account_id else base


def scim_base_url(region: str) -> str:
    """Talend's SCIM 2.0 base URL for a region."""
    return f"https://api.{region}.cloud.talend.com/scim/v2"


def okta_string_literal(value: str) -> str:
    """An Okta Expression Language string literal (the value must not hold a double quote or a backslash)."""
    return f'"{value}"'


def attribute_statements(domain_name: str) -> list[tuple[str, str]]:
    """SAML attribute statements Talend reads, as (name, Okta expression)."""
    return [
        ("given_name", "user.firstName"),
        ("family_name", "user.lastName"),
        ("middle_name", "user.middleName"),
        ("TalendCloudDomainName", okta_string_literal(domain_name)),
    ]


def email_prefix(email: str) -> str:
    """What Okta's Email-prefix format makes of an email: the part before the first @."""
    return email.split("@", 1)[0]


# Provisioning → To App → Sync Password: off, since Talend signs people in through SSO. Okta always returns this
# block, so the stack declares it; left undeclared, it reads back as a change on every preview.
NO_PASSWORD_SYNC = {"status": "DISABLED", "seed": "RANDOM", "change": "KEEP_EXISTING"}


def api_base_url(region: str) -> str:
    """Talend Cloud's API origin for a region: role mappings at `/security/role-mappings`, SCIM at `/scim/v2`."""
    return f"https://api.{region}.cloud.talend.com"
