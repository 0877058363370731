"""Known quirks: rules of Okta's and Talend's definitions that their real APIs break, each with its source.

A rule is listed here only when a recording in `../shared/okta-recordings` breaks it (the recording named; the test
tests/sandbox/test_contract.py replays it and fails when it no longer does), or when the definition's own examples or
descriptions, or the vendor's documentation, contradict it (that source named). Nothing else is exempt from the
contract check (contract.py).
"""

from __future__ import annotations

from talend_okta_sandbox.contract import Quirk

RECORDING = "okta-recordings/"
APP_OPERATIONS = ("createApplication", "getApplication", "replaceApplication")
APP_NULLS = (
    "accessibility.errorRedirectUrl",
    "accessibility.loginRedirectUrl",
    "settings.notes.admin",
    "settings.notes.enduser",
    "settings.notifications.vpn.helpUrl",
    "settings.notifications.vpn.message",
    "settings.signOn.spIssuer",
    "universalLogout",
)
_APP_RECORDING = {
    "createApplication": "TestAccDataSourceOktaAppGroupAssignments_read.yaml",
    "getApplication": "TestAccDataSourceOktaAppGroupAssignments_read.yaml",
    "replaceApplication": "TestAccResourceOktaAppSaml_crud.yaml",
}
_SP_ISSUER = "TestAccDataSourceOktaAppSaml_read.yaml"


def _app_recording(operation: str, field: str) -> str:
    """The recording that shows a null app field: spIssuer is null in the SAML app of AppSaml_read; replaceApplication
    answers what getApplication answers (both Application), so a field its recording lacks cites getApplication's."""
    if field == "settings.signOn.spIssuer":
        return _SP_ISSUER
    if operation == "replaceApplication" and field == "universalLogout":
        return _APP_RECORDING["getApplication"]
    return _APP_RECORDING[operation]


_FEATURES = "TestAccDataSourceOktaAppFeatures_read.yaml"
_APP_USERS = "TestAccDataSourceOktaAppUserAssignments_read.yaml"
_SAML_CRUD = "TestAccResourceOktaAppSaml_crud.yaml"
_PUSH = "TestAccDataSourceOktaPushGroups_read.yaml"
_INVALID_TOKEN = (
    "Okta's error codes, E0000011 'Invalid token provided' (401), and the definition's own "
    "components/responses/ErrorInvalidToken401: every apiToken operation answers it to a wrong token"
)
_NO_PROVISIONING = (
    "the definition's listFeaturesForApplication note ('This request returns an error if provisioning isn't "
    "enabled for the app', 400 declared there) and its ApplicationFeatures and GroupPushMapping tags ('You must "
    "have app provisioning enabled'): the same 400 E0000001 for each features and push-mapping call"
)
_APP_USER_UPDATE_ANSWER = (
    "the definition answers updateApplicationUser with the AppUser that getApplicationUser answers, whose "
    "externalId is null until provisioning links the person (okta-recordings/" + _APP_USERS + ")"
)
_APP_USER_UPDATE_ONE_OF = (
    "the definition's own examples AppUserUpdateCredRequest and AppUserUpdateProfileRequest: each matches both "
    "branches of AppUserUpdateRequest's `oneOf` (AppUserCredentialsRequestPayload, AppUserProfileRequestPayload; "
    "neither requires a member), so no update could pass it"
)
_APP_NULLS_SENT_BACK = (
    "Okta answers these app fields null (okta-recordings/TestAccDataSourceOktaAppGroupAssignments_read.yaml, "
    "getApplication), and the Okta provider (pulumi-okta 6.8.0 on terraform-provider-okta 6.12.0, run by the engine "
    "tier) sends the app back as read when it repairs drift with replaceApplication"
)
_LIST_LOGS_EXAMPLE = (
    "the definition's own example components/examples/ListLogs (detailEntry, outcome.reason, client.zone, client.id "
    "and every authenticationContext provider, type, issuer and interface: null)"
)


def _recorded(operation: str, field: str, keyword: str, recording: str) -> Quirk:
    return Quirk(operation, field, keyword, RECORDING + recording)


OKTA_QUIRKS: tuple[Quirk, ...] = (
    # Apps: Okta answers null for unset strings and objects the definition types as non-nullable.
    *(
        _recorded(operation, f"response.body.{field}", "type", _app_recording(operation, field))
        for operation in APP_OPERATIONS
        for field in APP_NULLS
    ),
    # listApplications answers the objects getApplication answers (both Application in the definition).
    *(
        Quirk(
            "listApplications", f"response.body[].{field}", "type", RECORDING + _app_recording("getApplication", field)
        )
        for field in APP_NULLS
    ),
    _recorded(
        "createApplication", "request.body.settings.notes.admin", "type", "TestAccDataSourceOktaAppSaml_read.yaml"
    ),
    _recorded(
        "createApplication", "request.body.settings.notes.enduser", "type", "TestAccDataSourceOktaAppSaml_read.yaml"
    ),
    # The Okta provider (pulumi-okta 6.8.0, the engine tier) sends back on update the nulls Okta answered.
    *(
        Quirk("replaceApplication", f"request.body.{field}", "type", _APP_NULLS_SENT_BACK)
        for field in APP_NULLS
        if not field.startswith("settings.notes.")
    ),
    _recorded("replaceApplication", "request.body.settings.notes.admin", "type", _SAML_CRUD),
    _recorded("replaceApplication", "request.body.settings.notes.enduser", "type", _SAML_CRUD),
    # SAML sign-on settings are sent and answered without members the definition requires.
    _recorded(
        "createApplication", "request.body.settings.signOn", "required", "TestAccDataSourceOktaAppSaml_read.yaml"
    ),
    _recorded("replaceApplication", "request.body.settings.signOn", "required", _SAML_CRUD),
    _recorded("createApplication", "response.body.settings.signOn", "required", _SAML_CRUD),
    _recorded("getApplication", "response.body.settings.signOn", "required", _SAML_CRUD),
    _recorded("createApplication", "request.body.credentials.userName", "minLength", _PUSH),
    # App users: externalId is null until the app's provisioning links the person.
    _recorded("listApplicationUsers", "response.body[].externalId", "type", _APP_USERS),
    _recorded("getApplicationUser", "response.body.externalId", "type", _APP_USERS),
    _recorded("assignUserToApplication", "response.body.externalId", "type", _APP_USERS),
    Quirk("updateApplicationUser", "response.body.externalId", "type", _APP_USER_UPDATE_ANSWER),
    # AppUserUpdateRequest is a oneOf of two schemas with no required members: every object matches both.
    Quirk("updateApplicationUser", "request.body", "oneOf", _APP_USER_UPDATE_ONE_OF),
    # Features: INBOUND_PROVISIONING's import settings as Okta answers them.
    _recorded("getFeatureForApplication", "response.body.capabilities.importSettings.username", "required", _FEATURES),
    _recorded(
        "getFeatureForApplication", "response.body.capabilities.importSettings.schedule.fullImport", "type", _FEATURES
    ),
    _recorded(
        "getFeatureForApplication",
        "response.body.capabilities.importSettings.schedule.incrementalImport",
        "type",
        _FEATURES,
    ),
    # listFeaturesForApplication answers the objects getFeatureForApplication answers (both ApplicationFeature).
    _recorded(
        "listFeaturesForApplication", "response.body[].capabilities.importSettings.username", "required", _FEATURES
    ),
    _recorded(
        "listFeaturesForApplication",
        "response.body[].capabilities.importSettings.schedule.fullImport",
        "type",
        _FEATURES,
    ),
    _recorded(
        "listFeaturesForApplication",
        "response.body[].capabilities.importSettings.schedule.incrementalImport",
        "type",
        _FEATURES,
    ),
    # Group push: a created mapping is answered 200 (the definition: 201), a deleted one 200 (the definition: 204).
    _recorded("createGroupPushMapping", "status.200", "undeclared", _PUSH),
    _recorded("deleteGroupPushMapping", "status.200", "undeclared", _PUSH),
    # Refusals the definition describes without declaring their status.
    Quirk(
        "deleteGroupPushMapping",
        "status.400",
        "undeclared",
        "the definition's deleteGroupPushMapping: 'The group push mapping must be in an INACTIVE state' (the "
        "status of the refusal is inferred: Okta's E0000001 validation error)",
    ),
    Quirk("getFeatureForApplication", "status.400", "undeclared", _NO_PROVISIONING),
    Quirk("listGroupPushMappings", "status.400", "undeclared", _NO_PROVISIONING),
    Quirk("createGroupPushMapping", "status.400", "undeclared", _NO_PROVISIONING),
    Quirk("*", "status.401", "undeclared", _INVALID_TOKEN),
    # System Log events.
    Quirk("listLogEvents", "response.body[].actor.detailEntry", "type", _LIST_LOGS_EXAMPLE),
    Quirk("listLogEvents", "response.body[].target[].detailEntry", "type", _LIST_LOGS_EXAMPLE),
    Quirk("listLogEvents", "response.body[].outcome.reason", "type", _LIST_LOGS_EXAMPLE),
    *(
        Quirk("listLogEvents", f"response.body[].client.{field}", "type", _LIST_LOGS_EXAMPLE)
        for field in ("zone", "id")
    ),
    *(
        Quirk("listLogEvents", f"response.body[].authenticationContext.{field}", keyword, _LIST_LOGS_EXAMPLE)
        for field in ("authenticationProvider", "credentialProvider", "credentialType", "issuer", "interface")
        for keyword in ("type", "enum")
    ),
)

_ROLE_MAPPINGS = (
    "talend-sso-role-mapping.json: the POST's own description ('Create or replace all the role mappings for your "
    "tenant'), the path's description (a mapping is one {name, roles} of many) and its GET answering an array of "
    "RoleMapping contradict the POST's missing request body and single-object answer"
)
_PATCH_ONE_OF = (
    "talend-scim-v2-2021-03.json itself: AddOperation, RemoveOperation and ReplaceOperation are one schema "
    "(PatchOperation and a JsonNode value), so every operation matches all three branches of PatchRequest's "
    "`oneOf` and no PATCH could pass it"
)
TALEND_QUIRKS: tuple[Quirk, ...] = (
    Quirk("postSsoRoleMappingSecurityRoleMappings", "request.body", "undeclared", _ROLE_MAPPINGS),
    Quirk("postSsoRoleMappingSecurityRoleMappings", "response.body", "type", _ROLE_MAPPINGS),
    *(
        Quirk(operation, "request.body.Operations[]", "oneOf", _PATCH_ONE_OF)
        for operation in ("patch", "patch_1", "patch_2")
    ),
)
