"""Okta's JSON shapes, built from the sandbox's records (shapes copied from the recordings in okta-recordings/)."""

from __future__ import annotations

import copy
import secrets
from datetime import UTC, datetime
from typing import Any

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE, email_prefix
from talend_okta_sandbox.okta_state import App, AppUser, Connection, Group, GroupAssignment, PushMapping, User

JSON = dict[str, Any]

# Okta's BUILT_IN application username formats the sandbox evaluates (SPEC ApplicationCredentialsUsernameTemplate).
OKTA_USERNAME_TEMPLATE = "${source.login}"
OKTA_USERNAME_PREFIX_TEMPLATE = '${fn:substringBefore(source.login, "@")}'
EMAIL_TEMPLATE = "${source.email}"

APP_FIELDS_OKTA_SETS = ("id", "_links", "status", "name", "features")
"""App fields a request body does not merge into the stored app: Okta sets them, or a handler reads them itself."""


# A throwaway self-signed certificate (its key was discarded) standing in for the app's SAML signing key.
SIGNING_CERT = (
    "MIIDTTCCAjWgAwIBAgIUIfARi9KeVGx6ggHm+MFYzaapYyAwDQYJKoZIhvcNAQELBQAwNTEVMBMGA1UEAwwMb2t0YS1zYW5kYm94"
    "MRwwGgYDVQQKDBN0YWxlbmQtb2t0YSBzYW5kYm94MCAXDTI2MTEyODE4MjY1NloYDzIxMjYxMTA0MTgyNjU2WjA1MRUwEwYDVQQD"
    "DAxva3RhLXNhbmRib3gxHDAaBgNVBAoME3RhbGVuZC1va3RhIHNhbmRib3gwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEKAoIB"
    "AQCrfSImIlxQRwVYezljQhIBIeIn50WffBXv5rOP8D9u+nNSYpDOmLBWSZVUv26ctISvv1/ZDyRhBB3w7Rfus04Wg/su8CFwuwjV"
    "fAjRPHrPzYiPWJP8DngpVmju3PLcMHnGVF7JYpgFUlpynUeM9IrVwdicxewblciwd8ifxNi9akhr15sD/IPHKN0fmmQVctIS/agw"
    "ANZfYQI+PpH170QllwWTnEKg8jU9tpQ51Sjx/+FXcl7sOFM3wh60N4b79Tf4Bz8oytY7iBF05AEgK0Vw85wdqwxGv/DXwhD+Ehno"
    "HXRCcevV4Ww0cW4Mt3vtBh7J0lV3Mp3D+5ULuvmu8NpRAgMBAAGjUzBRMB0GA1UdDgQWBBQiQgG0ZaIdkJSoOazdT/7ef6XMczAf"
    "BgNVHSMEGDAWgBQiQgG0ZaIdkJSoOazdT/7ef6XMczAPBgNVHRMBAf8EBTADAQH/MA0GCSqGSIb3DQEBCwUAA4IBAQBzj8YZSBQt"
    "CkTZryA1n5ajPHWf3ABiYJ3J6Gd8RcTeLTU2QqGVDNZEYokjm1iXjpY5BWVaywJAQ+9CyxuzTnptqOit5PHn/EMfmpVxo+LMTjAZ"
    "1npXBx/xC0B/wAS8qTfneqafUsttsza8Gq4Xe4XEwzGAiz2T05uxN2cP2a/Ka8yfxC98jqjY3g034WDwwVoYXGbzjG1ySLUakTzy"
    "R/pmER0pGodl7wcyxSJMaFvw324XugYNH8VDwEL73tNldSYgHvWXsN9q8tYXUt3fSdz5tU490D0M8GItpLwweNFKQ9VC2KHYEDGf"
    "PWdd0dxjhK5w5V8YhPw0W96BRNKNQ9QD"
)


def now() -> str:
    """Okta's timestamp format: 2026-02-02T11:08:56.000Z."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def app_user_name(template: str, template_type: str, profile: dict[str, Any]) -> str:
    """Evaluate an app's userNameTemplate for a user, as Okta does when it assigns the user."""
    login = str(profile.get("login") or "")
    email = str(profile.get("email") or "")
    if template_type == "BUILT_IN" and template == EMAIL_PREFIX_TEMPLATE:
        return email_prefix(email) if email else ""
    if template_type == "BUILT_IN" and template == OKTA_USERNAME_PREFIX_TEMPLATE:
        return email_prefix(login)
    if template_type == "BUILT_IN" and template == EMAIL_TEMPLATE:
        return email
    # `${source.login}` is Okta's default; CUSTOM expressions aren't evaluated by the sandbox.
    return login


def error(code: str, summary: str, causes: list[str] | None = None) -> JSON:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oae" + secrets.token_urlsafe(16)[:19],
        "errorCauses": [{"errorSummary": cause} for cause in causes or []],
    }


def _href(base: str, path: str, **extra: Any) -> JSON:
    return {"href": f"{base}{path}", **extra}


def user(base: str, record: User, *, full_links: bool = True) -> JSON:
    path = f"/api/v1/users/{record.id}"
    links: JSON = {"self": _href(base, path)}
    if full_links:
        for name, action in (
            ("suspend", "suspend"),
            ("resetPassword", "reset_password"),
            ("reactivate", "reactivate"),
            ("resetFactors", "reset_factors"),
            ("deactivate", "deactivate"),
        ):
            links[name] = _href(base, f"{path}/lifecycle/{action}", method="POST")
        links["schema"] = _href(base, "/api/v1/meta/schemas/user/oscsandbox0000000000")
        links["type"] = _href(base, "/api/v1/meta/types/user/otysandbox0000000000")
    return {
        "id": record.id,
        "status": record.status,
        "created": record.created,
        "activated": record.activated,
        "statusChanged": record.status_changed,
        "lastLogin": None,
        "lastUpdated": record.last_updated,
        "passwordChanged": None,
        "realmId": "guosandbox0000000000",
        "type": {"id": "otysandbox0000000000"},
        # Okta's definition, UserProfile.email: a string, never null; a person seeded without one has none.
        "profile": {key: value for key, value in record.profile.items() if value is not None or key != "email"},
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        "_links": links,
    }


_GROUP_LOGOS = [
    {
        "name": "medium",
        "href": "https://op3static.oktacdn.com/assets/img/logos/groups/okta-medium.png",
        "type": "image/png",
    },
    {
        "name": "large",
        "href": "https://op3static.oktacdn.com/assets/img/logos/groups/okta-large.png",
        "type": "image/png",
    },
]


def group(base: str, record: Group) -> JSON:
    path = f"/api/v1/groups/{record.id}"
    return {
        "id": record.id,
        "created": record.created,
        "lastUpdated": record.last_updated,
        "lastMembershipUpdated": record.last_membership_updated,
        "objectClass": ["okta:user_group"],
        "type": record.type,
        "profile": dict(record.profile),
        "_links": {
            "logo": copy.deepcopy(_GROUP_LOGOS),
            "owners": _href(base, f"{path}/owners"),
            "users": _href(base, f"{path}/users"),
            "apps": _href(base, f"{path}/apps"),
        },
    }


def saml_app_body(label: str, template: str, template_type: str, name: str, created: str) -> JSON:
    """The stored body of a new custom SAML 2.0 app, before any settings are applied."""
    body = _app_body(name, label, "SAML_2_0", template, template_type, created, universal_logout=None)
    body["settings"]["signOn"] = {
        "defaultRelayState": "",
        "ssoAcsUrl": "",
        "idpIssuer": "http://www.okta.com/${org.externalKey}",
        "audience": "",
        "recipient": "",
        "destination": "",
        "subjectNameIdTemplate": "${user.userName}",
        "subjectNameIdFormat": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        "responseSigned": True,
        "assertionSigned": True,
        "signatureAlgorithm": "RSA_SHA256",
        "digestAlgorithm": "SHA256",
        "honorForceAuthn": False,
        "authnContextClassRef": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
        "spIssuer": None,
        "requestCompressed": False,
        "attributeStatements": [],
        "inlineHooks": [],
        "assertionEncryption": {"enabled": False},
        "allowMultipleAcsEndpoints": False,
        "acsEndpoints": [],
        "samlSignedRequestEnabled": False,
        "slo": {"enabled": False},
    }
    return body


def generic_app_body(request: JSON, name: str, created: str) -> JSON:
    """The stored body of a non-SAML app (OIDC, AUTO_LOGIN, …): what was sent, with Okta's common fields."""
    mode = request.get("signOnMode")
    logout = None if mode == "OPENID_CONNECT" else {"status": "UNSUPPORTED"}
    body = _app_body(name, request.get("label"), mode, OKTA_USERNAME_TEMPLATE, "BUILT_IN", created, logout)
    return merge(body, {k: v for k, v in request.items() if k not in APP_FIELDS_OKTA_SETS})


def _app_body(
    name: str,
    label: Any,
    sign_on_mode: Any,
    template: str,
    template_type: str,
    created: str,
    universal_logout: JSON | None,
) -> JSON:
    """The fields every new app has, as Okta fills them in."""
    return {
        "name": name,
        "label": label,
        "status": "ACTIVE",
        "lastUpdated": created,
        "created": created,
        "accessibility": {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None},
        "visibility": {
            "autoLaunch": False,
            "autoSubmitToolbar": False,
            "hide": {"iOS": False, "web": False},
            "appLinks": {f"{name}_link": True},
        },
        "features": [],
        "signOnMode": sign_on_mode,
        "credentials": {
            "userNameTemplate": {"template": template, "type": template_type},
            "signing": {"kid": secrets.token_urlsafe(32)},
        },
        "universalLogout": universal_logout,
        "settings": {
            "app": {},
            "notifications": {
                "vpn": {"network": {"connection": "DISABLED"}, "message": None, "helpUrl": None},
            },
            "manualProvisioning": False,
            "implicitAssignment": False,
            "emOptInStatus": "NONE",
            "notes": {"admin": None, "enduser": None},
        },
    }


def merge(base: JSON, update: JSON) -> JSON:
    """A deep merge: objects merge key by key, anything else in `update` replaces what `base` had."""
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def app(base: str, record: App) -> JSON:
    path = f"/api/v1/apps/{record.id}"
    body = copy.deepcopy(record.body)
    if body.get("credentials", {}).get("userName") == "":
        # Sent empty by pulumi-okta, never answered (okta-recordings: TestAccDataSourceOktaPushGroups_read.yaml).
        del body["credentials"]["userName"]
    name = body.get("name", "")
    links: JSON = {
        "uploadLogo": _href(base, f"{path}/logo", hints={"allow": ["POST"]}),
        "appLinks": [
            {"name": f"{name}_link", "href": f"{base}/home/{name}/{record.id}/alnsandbox", "type": "text/html"}
        ],
        "policies": _href(base, f"{path}/policies", hints={"allow": ["PUT"]}),
        "groups": _href(base, f"{path}/groups"),
        "logo": [
            {
                "name": "medium",
                "href": "https://op3static.oktacdn.com/assets/img/logos/default.png",
                "type": "image/png",
            }
        ],
        "users": _href(base, f"{path}/users"),
        "profileEnrollment": _href(base, "/api/v1/policies/rstsandboxenroll0001"),
        "accessPolicy": _href(base, "/api/v1/policies/rstsandboxaccess0001"),
    }
    mode = str(body.get("signOnMode") or "")
    if mode.startswith("SAML"):
        links["metadata"] = _href(base, f"{path}/sso/saml/metadata", type="application/xml")
        links["help"] = _href(base, f"/app/{name}/{record.id}/setup/help/{mode}/instructions", type="text/html")
    lifecycle = "deactivate" if body.get("status") == "ACTIVE" else "activate"
    links[lifecycle] = _href(base, f"{path}/lifecycle/{lifecycle}")
    body["features"] = app_features(record)
    return {"id": record.id, "orn": f"orn:okta:idp:00osandbox:apps:{name}:{record.id}", **body, "_links": links}


def provisioning_switches(record: App) -> tuple[bool, bool, bool]:
    """(create users, update user attributes, deactivate users) from the app's USER_PROVISIONING capabilities."""
    caps = record.user_provisioning
    create = caps.get("create", {}).get("lifecycleCreate", {}).get("status") == "ENABLED"
    update = caps.get("update", {}).get("profile", {}).get("status") == "ENABLED"
    deactivate = caps.get("update", {}).get("lifecycleDeactivate", {}).get("status") == "ENABLED"
    return create, update, deactivate


def connection_enabled(record: App) -> bool:
    return record.provisioning and record.connection is not None and record.connection.status == "ENABLED"


def app_features(record: App) -> list[str]:
    """The read-only `features` of an app: SCIM_PROVISIONING once a connection is configured, then what its
    provisioning does right now (the only place Okta shows it for an app its connection API ignores)."""
    if not record.provisioning or record.connection is None:
        return []
    if not connection_enabled(record):
        return ["SCIM_PROVISIONING"]
    create, update, deactivate = provisioning_switches(record)
    flags = [("PUSH_NEW_USERS", create), ("PUSH_PROFILE_UPDATES", update), ("PUSH_USER_DEACTIVATION", deactivate)]
    return ["SCIM_PROVISIONING", *(name for name, on in flags if on), "GROUP_PUSH"]


def connection(base: str, record: App) -> JSON:
    path = f"/api/v1/apps/{record.id}/connections/default"
    self_link = _href(base, path, hints={"allow": ["POST", "GET"]})
    supported = record.provisioning and record.connection_api
    conn: Connection | None = record.connection if supported else None
    if conn is None:
        # Okta answers 200 with UNKNOWN for apps whose provisioning isn't set up (okta-mcp-server#72). Okta's
        # definition (ProvisioningConnectionResponse) has no UNKNOWN authScheme and a string baseUrl: the unknown
        # scheme is said in the profile only, and the unset base URL is left out.
        return {
            "status": "DISABLED" if supported else "UNKNOWN",
            "profile": {"authScheme": "UNKNOWN"},
            "_links": {"self": self_link},
        }
    action = "deactivate" if conn.status == "ENABLED" else "activate"
    return {
        "authScheme": conn.auth_scheme,
        "status": conn.status,
        "baseUrl": conn.base_url,
        "profile": {"authScheme": conn.auth_scheme},
        "_links": {
            "self": self_link,
            action: _href(base, f"{path}/lifecycle/{action}", hints={"allow": ["POST"]}),
        },
    }


DEFAULT_USER_PROVISIONING: JSON = {
    "create": {"lifecycleCreate": {"status": "DISABLED"}},
    "update": {
        "profile": {"status": "DISABLED"},
        "lifecycleDeactivate": {"status": "DISABLED"},
        "password": {"status": "DISABLED", "seed": "RANDOM", "change": "KEEP_EXISTING"},
    },
}

INBOUND_PROVISIONING: JSON = {
    "importSettings": {
        "username": {"userNameFormat": "EMAIL"},
        "schedule": {"status": "DISABLED", "fullImport": None, "incrementalImport": None},
    },
    "importRules": {
        "userCreateAndMatch": {
            "exactMatchCriteria": "USERNAME",
            "allowPartialMatch": True,
            "autoConfirmPartialMatch": False,
            "autoConfirmExactMatch": False,
            "autoConfirmNewUsers": False,
            "autoActivateNewUsers": False,
        }
    },
}

FEATURE_DESCRIPTIONS = {
    "USER_PROVISIONING": "User provisioning settings from Okta to a downstream application",
    "INBOUND_PROVISIONING": "In-bound provisioning settings for provisioning users from an application to Okta",
}


def feature(base: str, record: App, name: str) -> JSON:
    capabilities = record.user_provisioning if name == "USER_PROVISIONING" else INBOUND_PROVISIONING
    return {
        "name": name,
        "status": "ENABLED" if connection_enabled(record) else "DISABLED",
        "description": FEATURE_DESCRIPTIONS[name],
        "capabilities": copy.deepcopy(capabilities),
        "_links": {
            "self": _href(base, f"/api/v1/apps/{record.id}/features/{name}", hints={"allow": ["GET", "PUT"]}),
        },
    }


def group_assignment(base: str, app_id: str, record: GroupAssignment) -> JSON:
    return {
        "id": record.group_id,
        "lastUpdated": record.last_updated,
        "priority": record.priority,
        "profile": dict(record.profile),
        "_links": {
            "app": _href(base, f"/api/v1/apps/{app_id}"),
            "self": _href(base, f"/api/v1/apps/{app_id}/groups/{record.group_id}"),
            "group": _href(base, f"/api/v1/groups/{record.group_id}"),
        },
    }


def app_user(base: str, app_id: str, record: AppUser, profile: dict[str, Any]) -> JSON:
    first, last = profile.get("firstName"), profile.get("lastName")
    body: JSON = {
        "id": record.user_id,
        "externalId": record.external_id,
        "created": record.created,
        "lastUpdated": record.last_updated,
        "scope": "USER" if record.direct else "GROUP",
        "status": record.status,
        "statusChanged": record.status_changed,
        "passwordChanged": None,
        "syncState": record.sync_state,
        "credentials": {"userName": record.user_name} if record.user_name else {},
        "profile": {
            "street_address": None,
            "country": None,
            "website": None,
            "zoneinfo": "America/Los_Angeles",
            "birthdate": None,
            "gender": None,
            "formatted": None,
            "profile": None,
            "locality": None,
            "given_name": first,
            "middle_name": profile.get("middleName"),
            "locale": "en_US",
            "picture": None,
            "name": " ".join(part for part in (first, last) if part) or None,
            "nickname": None,
            "phone_number": None,
            "region": None,
            "postal_code": None,
            "family_name": last,
            "email": profile.get("email"),
        },
        "_links": {
            "app": _href(base, f"/api/v1/apps/{app_id}"),
            "user": _href(base, f"/api/v1/users/{record.user_id}"),
        },
    }
    if record.last_sync is not None:
        body["lastSync"] = record.last_sync
    return body


def push_mapping(base: str, app_id: str, record: PushMapping) -> JSON:
    # Push mappings use second-precision timestamps in the recordings.
    body: JSON = {
        "created": record.created.replace(".000Z", "Z"),
        "id": record.id,
        "lastUpdated": record.last_updated.replace(".000Z", "Z"),
        "sourceGroupId": record.source_group_id,
        "status": record.status,
        "targetGroupId": record.target_group_id,
        "_links": {
            "app": _href(base, f"/api/v1/apps/{app_id}"),
            "sourceGroup": _href(base, f"/api/v1/groups/{record.source_group_id}"),
            "targetGroup": _href(base, f"/api/v1/groups/{record.target_group_id}"),
        },
    }
    if record.error_summary is not None:
        body["errorSummary"] = record.error_summary
    return body


def organization(base: str) -> JSON:
    """`/.well-known/okta-organization`. The Classic pipeline makes pulumi-okta skip the OIE access-policy calls."""
    return {
        "id": "00osandbox0000000000",
        "cell": "sandbox",
        "_links": {"organization": {"href": base}},
        "pipeline": "v1",
        "settings": dict.fromkeys(
            (
                "analyticsCollectionEnabled",
                "bugReportingEnabled",
                "omEnabled",
                "pssoEnabled",
                "desktopMFAEnabled",
                "itpEnabled",
                "op4wEnabled",
            ),
            False,
        ),
    }


def signing_keys(record: App) -> list[JSON]:
    """The app's SAML signing key (one throwaway certificate for every app), as `credentials/keys` lists it."""
    kid = record.body.get("credentials", {}).get("signing", {}).get("kid")
    if not kid:
        return []
    created = str(record.body.get("created"))
    return [
        {
            "kty": "RSA",
            "created": created,
            "lastUpdated": created,
            "expiresAt": "2126-11-04T18:26:56.000Z",
            "kid": kid,
            "use": "sig",
            "x5c": [SIGNING_CERT],
            "x5t#S256": "JTvrB5CI-4djzBBNeCpfxJOJXaP6Iu1UliG4degfy8E",
            "e": "AQAB",
            "n": "q30iJiJcUEcFWHs5Y0ISASHiJ-dFn3wV7-azj_A_bvpzUmKQzpiwVkmVVL9unLSEr79f2Q8kYQQd8O0X7rNOFoP7LvAhcLsI1XwI0"
            "Tx6z82Ij1iT_A54KVZo7tzy3DB5xlReyWKYBVJacp1HjPSK1cHYnMXsG5XIsHfIn8TYvWpIa9ebA_yDxyjdH5pkFXLSEv2oMADWX2ECP"
            "j6R9e9EJZcFk5xCoPI1PbaUOdUo8f_hV3Je7DhTN8IetDeG-_U3-Ac_KMrWO4gRdOQBICtFcPOcHasMRr_w18IQ_hIZ6B10QnHr1eFs"
            "NHFuDLd77QYeydJVdzKdw_uVC7r5rvDaUQ",
        }
    ]


def saml_metadata(base: str, record: App) -> str:
    """The IdP metadata XML (`sso/saml/metadata`) an SP like Talend uploads."""
    sso = f"{base}/app/{record.body.get('name')}/{record.id}/sso/saml"
    return (
        '<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor '
        f'entityID="http://www.okta.com/exk{record.id[3:]}" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
        '<md:IDPSSODescriptor WantAuthnRequestsSigned="false" '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">'
        '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>'
        f"{SIGNING_CERT}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "<md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
        f'Location="{sso}"/><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="{sso}"/></md:IDPSSODescriptor></md:EntityDescriptor>'
    )
