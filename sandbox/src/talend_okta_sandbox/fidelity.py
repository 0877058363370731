"""The fidelity ledger: every behaviour the sandbox plays, with its source, and docs/sandbox-fidelity.md made from it.

A behaviour is a route (one endpoint of a stand-in), a state change (a method of the Okta org that changes it), a
push (a SCIM call Okta's provisioning makes to Talend) or a refusal (an error a route or the org answers). Its
source is an operation of the vendor's definition, a recording (`okta-recordings/…`), a documentation page, or
"inferred". Routes of the vendors' APIs take their source from the definition itself (contract.py finds the
operation); everything else is written here, one entry per behaviour. tests/docs/test_sandbox_fidelity.py fails when
a route, state change, push or refusal in the code has no entry, or when the page is not what
`python -m talend_okta_sandbox.fidelity > docs/sandbox-fidelity.md` writes.

Adding a refusal: raise it in okta_routes or okta_org (`raise invalid("field: why")`, `raise OktaError(...)`,
`raise SandboxError("field: why")`) or in okta_oauth (`raise _token_error(...)`, `raise _resource_error(...)`,
`raise refuse("why")`), then add one entry to `REFUSALS`, keyed `"Class.method: message"` (the message's literal
text, `{}` for each interpolated part; for the OAuth errors, the description), whose value is the source; regenerate
the page. The Talend stand-in's own routes (talend_account, talend_roles) return their errors: each returned status
of 400 or more is a refusal, with one entry in `TALEND_REFUSALS`, keyed `"Class.method: status detail"`.
"""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from talend_okta_sandbox import contract, okta_oauth, okta_org, okta_routes, provisioning, talend_account, talend_roles
from talend_okta_sandbox.okta_oauth import TOKEN_PATH
from talend_okta_sandbox.okta_routes import ADMIN_PREFIX, OktaRoutes
from talend_okta_sandbox.talend_account import ME_PATH, SUBSCRIPTION_PATH
from talend_okta_sandbox.talend_roles import ROLE_MAPPINGS_PATH, ROLES_PATH

INFERRED = "inferred"
SCIM_GUIDE = "Okta's SCIM guide (reference scim.md §5)"
ADMIN_CONSOLE = "Okta's Admin Console (help.okta.com, 'Provisioning'), which has no API: not Okta's API"
CUSTOM_APP_PROVISIONING = (
    "Okta's definition, ApplicationConnections and ApplicationFeatures: the connection and features APIs are for "
    "apps whose provisioning is enabled; reference okta.md (custom SAML apps: set by hand in the console)"
)
SERVICE_APP_GUIDE = "Okta's guide 'Implement OAuth for Okta with a service app' (reference okta.md)"
DPOP_GUIDE = "Okta's guide 'Configure OAuth 2.0 Demonstrating Proof-of-Possession' (reference okta.md)"
INSUFFICIENT_SCOPE = (
    "Okta support, \"'insufficient_scope' Error when Making a Request to an OAuth or Management Endpoint\""
)
PROOF_CHECK = "RFC 9449 §4.3 (400 invalid_dpop_proof at the token endpoint: " + DPOP_GUIDE + "; 401 on API calls: §7.1)"

OTHER_ROUTES: dict[str, str] = {
    # Okta routes that are not operations of Okta's Management API definition.
    f"PUT {ADMIN_PREFIX}apps/{{}}/provisioning": ADMIN_CONSOLE + ": General → Provisioning = SCIM, Integration",
    f"PUT {ADMIN_PREFIX}apps/{{}}/to-app": ADMIN_CONSOLE + ": Provisioning → To App",
    f"PUT {ADMIN_PREFIX}apps/{{}}/users/{{}}/provision": ADMIN_CONSOLE + ": Assignments → Provision User",
    f"PUT {ADMIN_PREFIX}apps/{{}}/users/{{}}/sign-in": "not Okta's API: a person signing in to the app through "
    "Okta (the event it records: see Org.sign_in)",
    # Okta's OAuth 2.0 API (the org authorization server, okta_oauth.py), not its Management API definition.
    f"POST {TOKEN_PATH}": f"Okta's OAuth 2.0 API, the org authorization server's token endpoint: {SERVICE_APP_GUIDE}"
    f" and {DPOP_GUIDE}; RFC 6749 §4.4 (client credentials), RFC 7523 (private_key_jwt), RFC 9449 (DPoP)",
}

TALEND_ROUTES: dict[str, str] = {
    # Talend's stand-in: scim2-server under /scim/v2, and the stand-in's own routes.
    "/scim/v2/Users, /scim/v2/Groups (GET, POST, PUT, PATCH, DELETE; filters, paging)": "Talend's SCIM definition "
    "(talend-scim-v2-2021-03), served by scim2-server (RFC 7644); a uniqueness conflict answered 400 as that "
    "definition declares (talend.py)",
    "/scim/v2/ServiceProviderConfig, /Schemas, /ResourceTypes": "Talend's SCIM definition, served by scim2-server",
    ROLES_PATH: "Talend's SCIM definition (/scim/v2/Roles)",
    ROLE_MAPPINGS_PATH: "Talend's SSO role-mapping definition (talend-sso-role-mapping)",
    SUBSCRIPTION_PATH: "Talend's seats-and-subscription definition (getSubscription)",
    ME_PATH: "Talend's identities-management definition (/account/me)",
}

STATE_CHANGES: dict[str, str] = {
    "create_user": "Okta's definition, createUser (activate=false → STAGED; a password → ACTIVE, else PROVISIONED)",
    "update_profile": "Okta's definition, updateUser/replaceUser; provisioning pushes the change: " + SCIM_GUIDE,
    "set_user_status": "Okta's definition, user lifecycle operations; deactivation unassigns the person's apps: "
    + INFERRED,
    "delete_user": "Okta's definition, deleteUser (first DELETE deactivates, the second deletes)",
    "create_group": "Okta's definition, addGroup",
    "import_app_group": "Okta's definition, Group type APP_GROUP (read-only profile)",
    "update_group_profile": "Okta's definition, replaceGroup (an APP_GROUP's profile is read-only)",
    "delete_group": "Okta's definition, deleteGroup; its app assignments go with it: " + INFERRED,
    "add_member": "Okta's definition, assignUserToGroup; the group's apps assign the person (scope GROUP)",
    "remove_member": "Okta's definition, unassignUserFromGroup; a group-only assignment ends: " + INFERRED,
    "create_app": "Okta's definition, createApplication (recording TestAccResourceOktaAppSaml_crud.yaml)",
    "configure_connection": "Okta's definition, updateDefaultProvisioningConnectionForApplication",
    "set_connection_status": "Okta's definition, activate/deactivateDefaultProvisioningConnectionForApplication",
    "update_user_provisioning": "Okta's definition, updateFeatureForApplication (USER_PROVISIONING capabilities)",
    "assign_group": "Okta's definition, assignGroupToApplication (recording "
    "TestAccResourceOktaAppGroupAssignment_crud.yaml); members get app users with scope GROUP",
    "unassign_group": "Okta's definition, unassignApplicationFromGroup; members assigned only by it are "
    "deactivated in the app: " + SCIM_GUIDE,
    "assign_user": "Okta's definition, assignUserToApplication (scope USER)",
    "unassign_user": "Okta's definition, unassignUserFromApplication; Talend gets active=false: " + SCIM_GUIDE,
    "refresh_assignment": "Okta's definition, assignGroupToApplication and AppUserStatus STAGED (PUSH_NEW_USERS): "
    "a new assignment on an app that creates users is pushed; a member whose assignment ended gets a new one when "
    "the group is assigned again: " + INFERRED,
    "grants_through_groups": "Okta's definition, assignGroupToApplication: a group assigned to the app grants it to "
    "each member (scope GROUP)",
    "convert_scope": "Okta support 'How to convert an existing user's app assignment from group-owned to "
    "individually-owned' and Okta Workflows' template 'Convert application assignment scope' (POST "
    ".../users/{userId} with scope USER); back to GROUP refused (see the refusal)",
    "update_app_user_name": "Okta's definition, updateApplicationUser (AppUserCredentials.userName); a provisioned "
    "person's new userName is pushed like any profile change: " + INFERRED,
    "provision_user": ADMIN_CONSOLE + ": Provision User ('Provision unprovisioned users')",
    "create_push_mapping": "Okta's definition, createGroupPushMapping (recording "
    "TestAccDataSourceOktaPushGroups_read.yaml)",
    "set_push_status": "Okta's definition, updateGroupPushMapping (ACTIVE/INACTIVE)",
    "delete_push_mapping": "Okta's definition, deleteGroupPushMapping (deleteTargetGroup)",
    "queue_user": SCIM_GUIDE + ": provisioning is asynchronous after each change",
    "queue_group": SCIM_GUIDE + ": group push after each membership change",
    "queue_pushes_for": SCIM_GUIDE + ": a pushed group's members are pushed again when one changes",
    "queue_provisioning": "Okta help 'Provision unprovisioned users': enabling provisioning pushes nobody assigned "
    "before it (they stay stranded)",
    "queue_errors": SCIM_GUIDE + ": app users in syncState ERROR are retried only on request",
    "reprovision": INFERRED + ": a restarted sandbox pushes everyone again to a Talend stand-in that starts empty",
    "sign_in": "Okta's definition, LogEvent and its ListLogs example; Okta's Event Types catalog "
    "(user.authentication.sso, target the app); client and authenticationContext values: " + INFERRED,
    "record_event": "Okta's definition, listLogEvents (System Log events of provisioning)",
}
ORG_READS = frozenset(
    {"changed", "save", "save_if_changed", "bulk", "next_job", "new_id", "user", "group", "app", "user_by_login"}
    | {"groups_of", "app_name", "expected_user_name", "scim_token"}
)
"""Org methods that read or keep the state without changing what the org holds."""

PUSHES: dict[str, str] = {
    "find_user": SCIM_GUIDE + ": GET /Users?filter=userName eq … before creating",
    "create_user": SCIM_GUIDE + ": POST /Users, expects 201 with the id",
    "replace_user": SCIM_GUIDE + ": GET then PUT /Users/{id} with the whole user (active=false to deactivate); a "
    "custom app's users are never PATCHed nor DELETEd",
    "create_group": SCIM_GUIDE + ": POST /Groups with no members",
    "replace_group": SCIM_GUIDE + ": PUT /Groups/{id} with the full member list (custom apps PUT, not PATCH)",
    "delete_group": SCIM_GUIDE + ": DELETE /Groups/{id} when a pushed group is unlinked with delete",
}

NOT_FOUND = "Okta's definition: 404 ErrorResourceNotFound404 (E0000007)"
VALIDATION = "Okta's definition: 400 ErrorApiValidationFailed400 (E0000001) for the operation's required field"
E0000046 = (
    "articulate/terraform-provider-okta#120 and gravitational/teleport#53947: 403 E0000046 'Deactivate application "
    "for user forbidden' while the person's group memberships grant them the app"
)
REFUSALS: dict[str, str] = {
    "Org.sign_in: user {} is not assigned to app {}: Okta does not sign them in to it": INFERRED + ": Okta signs "
    "a person in to an app only while it is assigned to them",
    "Org.sign_in: user {} is {}: Okta does not sign them in": INFERRED + ": only an ACTIVE user signs in",
    "OktaRoutes.dispatch: ": NOT_FOUND + "; unknown ids and paths",
    "OktaRoutes.dispatch: The endpoint does not support the provided HTTP method": "Okta's error codes, E0000022 (405)",
    "OktaRoutes.dispatch: {} {}": NOT_FOUND,
    "OktaRoutes._post_user: profile: The field cannot be left blank": VALIDATION + " (createUser: profile)",
    "OktaRoutes._get_user: User {}": NOT_FOUND,
    "OktaRoutes._put_user: profile: The field cannot be left blank": VALIDATION + " (replaceUser: profile)",
    "OktaRoutes._user_lifecycle: status: Cannot suspend a user that is not active": "Okta's definition, "
    "suspendUser: 'only an ACTIVE user can be suspended'",
    "OktaRoutes._user_lifecycle: status: Cannot unsuspend a user that is not suspended": "Okta's definition, "
    "unsuspendUser: 'a SUSPENDED user'",
    "OktaRoutes._post_group: profile: The field cannot be left blank": VALIDATION + " (addGroup: profile)",
    "OktaRoutes._put_group: name: The field cannot be left blank": VALIDATION + " (replaceGroup: profile.name)",
    "OktaRoutes._post_app: label: The field cannot be left blank": VALIDATION + " (createApplication: label)",
    "OktaRoutes._put_app: label: The field cannot be left blank": VALIDATION + " (replaceApplication: label)",
    "OktaRoutes._delete_app: status: Application must be deactivated before it can be deleted": "Okta's "
    "definition, deleteApplication: 'Deletes an inactive application'",
    "OktaRoutes._provisioning_app: {NO_PROVISIONING}": "Okta's definition, listFeaturesForApplication: 'returns "
    "an error if provisioning isn't enabled for the app' (400)",
    "OktaRoutes._post_connection: profile.authScheme: must be one of [TOKEN, OAUTH2]": "Okta's definition, "
    "ProvisioningConnectionRequest: authScheme TOKEN or OAUTH2",
    "OktaRoutes._post_connection: baseUrl: The field cannot be left blank": "Okta's definition, "
    "ProvisioningConnectionTokenRequest: baseUrl",
    "OktaRoutes._post_connection: profile.token: The field cannot be left blank": "Okta's definition, "
    "ProvisioningConnectionTokenRequest: profile.token",
    "OktaRoutes._feature_name: Feature {}": "Okta's definition, featureName: USER_PROVISIONING or "
    "INBOUND_PROVISIONING (404 otherwise)",
    "OktaRoutes._put_feature: {}.status: must be one of [ENABLED, DISABLED]": "Okta's definition, "
    "CapabilitiesObject: status ENABLED or DISABLED",
    "OktaRoutes._app_group: ApplicationGroupAssignment {}": NOT_FOUND,
    "OktaRoutes._put_app_group: priority: must be a number between 0 and 100": "Okta's definition, "
    "ApplicationGroupAssignment.priority (integer 0-100)",
    "OktaRoutes._put_app_group: profile: must be an object": "Okta's definition, ApplicationGroupAssignment.profile",
    "OktaRoutes._post_app_user: id: The field cannot be left blank": VALIDATION + " (assignUserToApplication: id)",
    "OktaRoutes._get_app_user: AppUser {}": NOT_FOUND,
    "OktaRoutes._app_user: AppUser {}": NOT_FOUND,
    "OktaRoutes._post_app_user_update: scope: must be USER or GROUP": INFERRED + ": 400 E0000001 (declared for "
    "updateApplicationUser) for a scope outside AppUser.scope's enum",
    "OktaRoutes._post_app_user_update: credentials.userName: must be 1 to 100 characters": VALIDATION
    + " (AppUserCredentials.userName: 1 to 100 characters)",
    "Org.unassign_user: 403 E0000046": E0000046,
    "Org.convert_scope: 403 E0000046 An individual assignment can't be converted to a group assignment": "the "
    "sources disagree, the stricter is played: gravitational/teleport#53947 (Okta's API does not convert an "
    "assignment to GROUP) against Okta Workflows' template 'Convert application assignment scope'; the code and "
    "summary: " + INFERRED,
    "OktaRoutes._push_app: {NO_PROVISIONING}": "Okta's definition, GroupPushMapping tag: 'You must have "
    "provisioning enabled in the target app to use group push mappings'; the 400 E0000001 body is inferred",
    "OktaRoutes._push_mapping: GroupPushMapping {}": NOT_FOUND,
    "OktaRoutes._post_push_mapping: sourceGroupId: The field cannot be left blank": VALIDATION
    + " (createGroupPushMapping: sourceGroupId)",
    "OktaRoutes._post_push_mapping: status: must be one of [ACTIVE, INACTIVE]": "Okta's definition, "
    "GroupPushMappingStatus",
    "OktaRoutes._patch_push_mapping: status: must be one of [ACTIVE, INACTIVE]": "Okta's definition, "
    "GroupPushMappingStatus",
    "OktaRoutes._delete_push_mapping: status: deactivate the group push mapping before deleting it": "Okta's "
    "definition, deleteGroupPushMapping: 'The group push mapping must be in an INACTIVE state' (the 400 is "
    "inferred)",
    "OktaRoutes._admin_enable_scim: provisioning: this app can't provision": ADMIN_CONSOLE,
    "OktaRoutes._admin_enable_scim: baseUrl: must be an http(s) URL": ADMIN_CONSOLE,
    "OktaRoutes._admin_enable_scim: token: The field cannot be left blank": ADMIN_CONSOLE,
    "OktaRoutes._admin_to_app: {NO_PROVISIONING}": ADMIN_CONSOLE + ": To App needs the SCIM connection first",
    "OktaRoutes._admin_to_app: create, update, deactivate: must be true or false": ADMIN_CONSOLE,
    "Org.user: User": NOT_FOUND,
    "Org.group: Group": NOT_FOUND,
    "Org.app: App": NOT_FOUND,
    "Org.create_user: login: The field cannot be left blank": VALIDATION + " (createUser: profile.login)",
    "Org.create_user: login: {}": "Okta's definition, createUser: login is unique in the org (E0000001)",
    "Org.update_profile: login: The field cannot be left blank": VALIDATION + " (profile.login)",
    "Org.update_profile: login: {}": "Okta's definition: login is unique in the org (E0000001)",
    "Org.create_group: name: The field cannot be left blank": VALIDATION + " (addGroup: profile.name)",
    "Org.create_group: name: {}": INFERRED + ": an OKTA_GROUP name is unique in the org",
    "Org.update_group_profile: type: the profile of an {} group cannot be changed": "Okta's definition, Group: "
    "only OKTA_GROUP profiles can be changed",
    "Org.update_group_profile: name: The field cannot be left blank": VALIDATION + " (replaceGroup: profile.name)",
    "Org.update_group_profile: name: {}": INFERRED + ": an OKTA_GROUP name is unique in the org",
    "Org.set_connection_status: connection: no provisioning connection is configured for this app": INFERRED,
    "Org.assign_user: id: user {} can't be assigned while {}": INFERRED + ": a deprovisioned person is not assigned",
    "Org.provision_user: AppUser": NOT_FOUND,
    "Org.provision_user: {NO_PROVISIONING}": ADMIN_CONSOLE + ": Provision User needs provisioning on",
    "Org.provision_user: user {}: Okta already provisions this app user (status {})": ADMIN_CONSOLE + ": the red "
    "exclamation (Provision User) shows only on unprovisioned app users",
    "Org.create_push_mapping: sourceGroupId: group {} is already pushed to this app": INFERRED,
    # okta_oauth: the token endpoint (RFC 6749 §5.2 error body), then API calls made with its tokens.
    "AuthorizationServer._token: The token endpoint takes POST.": INFERRED + " (405 invalid_request)",
    "AuthorizationServer._token: The grant_type is not supported for this client.": "RFC 6749 §5.2 (400 "
    "unsupported_grant_type); service apps use client credentials: " + SERVICE_APP_GUIDE,
    "AuthorizationServer._token: The authorization server requires a scope in the request.": SERVICE_APP_GUIDE
    + ": the request names the scopes, the org server has no default scope (400 invalid_scope)",
    "AuthorizationServer._token: The following scopes are not granted to the client: {}": "RFC 6749 §5.2 (400 "
    "invalid_scope); Okta's text naming the scopes not granted: " + INFERRED,
    "AuthorizationServer._authenticate_client: Client authentication failed: a client_assertion is needed.": (
        SERVICE_APP_GUIDE + ": private_key_jwt is the service app's client authentication (401 invalid_client)"
    ),
    "AuthorizationServer._authenticate_client: The client_assertion is not a valid JWT.": "RFC 7523 §3 (the "
    "assertion is a JWT) and RFC 6749 §5.2 (401 invalid_client); the description: " + INFERRED,
    "AuthorizationServer._authenticate_client: The client_assertion token has an invalid issuer or subject.": (
        SERVICE_APP_GUIDE + ": iss and sub are the client id (401 invalid_client); the description: " + INFERRED
    ),
    "AuthorizationServer._authenticate_client: The client_assertion signature is invalid.": f"{SERVICE_APP_GUIDE} "
    f"and {DPOP_GUIDE}: 401 invalid_client when the key is not the registered one; the description: {INFERRED}",
    "AuthorizationServer._authenticate_client: The client_assertion token is invalid: {}": "RFC 7523 §3 (exp "
    "required) and " + SERVICE_APP_GUIDE + " (aud is the org's token endpoint): 401 invalid_client; the "
    "description: " + INFERRED,
    "AuthorizationServer._token_proof: The DPoP proof JWT header is missing.": DPOP_GUIDE
    + ": 400 invalid_dpop_proof with this text",
    "AuthorizationServer._token_proof: Authorization server requires nonce in DPoP proof.": DPOP_GUIDE
    + " and RFC 9449 §8: 400 use_dpop_nonce with the nonce in DPoP-Nonce",
    "AuthorizationServer._verify_proof: The DPoP proof JWT must have typ dpop+jwt and a jwk header.": PROOF_CHECK,
    "AuthorizationServer._verify_proof: The DPoP proof jwk must be a public key.": PROOF_CHECK + ", step 7",
    "AuthorizationServer._verify_proof: The DPoP proof JWT is invalid: {}": PROOF_CHECK
    + ": signed by its jwk, iat and jti present",
    "AuthorizationServer._verify_proof: The DPoP proof htm does not match the request method.": PROOF_CHECK,
    "AuthorizationServer._verify_proof: The DPoP proof htu does not match the request URL.": PROOF_CHECK
    + ": htu without its query",
    "AuthorizationServer._verify_proof: The DPoP proof iat is too old or in the future.": PROOF_CHECK
    + "; the window (300 s), which Okta does not publish: "
    + INFERRED,
    "AuthorizationServer._verify_proof: The DPoP proof jti was already used.": PROOF_CHECK + "; RFC 9449 §11.1",
    "AuthorizationServer.authorize: The access token is invalid or has expired.": "RFC 6750 §3.1 (401 "
    "invalid_token); the description: " + INFERRED,
    "AuthorizationServer.authorize: A DPoP-bound access token needs the DPoP scheme.": "RFC 9449 §7.1: a "
    "DPoP-bound token is refused under the Bearer scheme (401 invalid_token)",
    "AuthorizationServer.authorize: The DPoP proof JWT header is missing.": "RFC 9449 §7.1 (401 "
    "invalid_dpop_proof); the text as at the token endpoint: " + DPOP_GUIDE,
    "AuthorizationServer.authorize: The DPoP proof key is not the token's.": "RFC 9449 §4.3, step 12: the proof's "
    "key is the one the token is bound to (401 invalid_dpop_proof); the description: " + INFERRED,
    "AuthorizationServer.authorize: 'ath' claim in the DPoP proof JWT is invalid.": DPOP_GUIDE
    + " and RFC 9449 §4.3: API calls carry ath, the token's SHA-256 (401 invalid_dpop_proof)",
    "AuthorizationServer.authorize: The access token provided does not contain the required scopes.": (
        INSUFFICIENT_SCOPE + ": 403 and a challenge naming the scope and resource; each operation's scopes: Okta's "
        "definition (security: oauth2)"
    ),
}
TALEND_REFUSALS: dict[str, str] = {
    # The errors the Talend stand-in's own routes answer (talend_account, talend_roles), keyed `Class.method: status
    # detail`. Talend publishes the statuses, not the details: every detail text is inferred.
    "TalendAccountRoutes.__call__: 401 The token's owner is deactivated": "Talend Management Console guide, "
    "'Deactivating users': a deactivated owner's personal access token stops working (401 as Talend's definitions "
    "declare for a refused token); the detail: " + INFERRED,
    "TalendAccountRoutes.__call__: 401 Full authentication is required": "Talend's seats-and-subscription "
    "(getAccountSubscription) and identities-management (getIdentitiesManagementAccountMe) definitions: 401; "
    "the detail: " + INFERRED,
    "TalendAccountRoutes.__call__: 405 Method not allowed": INFERRED + ": both operations are GET only",
    "TalendRoleRoutes._role_mappings: 401 Full authentication is required to access this resource": "Talend's SSO "
    "role-mapping definition: 401; the detail: " + INFERRED,
    "TalendRoleRoutes._role_mappings: 403 Access is denied: TMC_SSO_MANAGEMENT permission required": "Talend's SSO "
    "role-mapping definition: 403; Talend's 'roles-tmc' page (SSO - Manage is the TMC_SSO_MANAGEMENT permission); "
    "the detail: " + INFERRED,
    "TalendRoleRoutes._role_mappings: 405 Request method '{}' is not supported": INFERRED + ": the definition "
    "declares GET, POST and DELETE, the stand-in plays GET and POST",
    "TalendRoleRoutes._role_mappings: 400 Malformed JSON request body": "Talend's SSO role-mapping definition, "
    "postSsoRoleMappingSecurityRoleMappings: 400; the detail: " + INFERRED,
    'TalendRoleRoutes._role_mappings: 400 Expected an array of {"name": string, "roles": [string]}': "Talend's SSO "
    "role-mapping definition, postSsoRoleMappingSecurityRoleMappings: 400 for a body that is not its array of "
    "mappings; the detail: " + INFERRED,
    "TalendRoleRoutes._roles: 401 Full authentication is required to access this resource": "Talend's SCIM "
    "definition, getAll_1 (/scim/v2/Roles): 401; the detail: " + INFERRED,
    "TalendRoleRoutes._roles: 400": "Talend's SCIM definition, getAll_1 (/scim/v2/Roles): 400 for a startIndex or "
    "count that is not a number, with RFC 7644 §3.12's error body",
}
_TITLES = {
    "route": "Okta routes",
    "route (Talend)": "Talend routes",
    "state change": "State changes",
    "push": "Pushes to Talend",
    "refusal": "Refusals",
    "refusal (Talend)": "Talend refusals",
}
_GROUP = re.compile(r"\(([^()]*)\)")
_REFUSERS = {  # what a refusal is raised through → the position of its message among the call's arguments
    **dict.fromkeys(["invalid", "SandboxError", "not_found", "UnknownId", "refuse"], 0),
    "AssignedByGroup": 1,
    "OktaError": 2,
    "_token_error": 2,
    "_resource_error": 3,
}


@dataclass(frozen=True)
class Behaviour:
    kind: str
    name: str
    source: str


def okta_route_sources() -> Iterator[tuple[str, str]]:
    """(`METHOD path`, source) of every route of the Okta stand-in (each alternative of a `(a|b)` path its own): a
    definition operation, or OTHER_ROUTES."""
    seen: set[str] = set()
    routes = [(method, pattern.pattern) for method, pattern, _ in OktaRoutes.__new__(OktaRoutes)._build_routes()]
    routes.append(("POST", TOKEN_PATH))  # the org authorization server's, answered before these (okta.py)
    for method, pattern in routes:
        for path in _alternatives(pattern):
            sample = _GROUP.sub(lambda m: "ann@example.com" if "@" in m.group(1) else "0oa1", path)
            found = contract.okta().find(method, sample)
            if isinstance(found, contract.Violation):
                key = f"{method} {_GROUP.sub('{}', path)}"
                source = OTHER_ROUTES.get(key, "")
            else:
                key, source = f"{method} {found[1].path}", f"Okta's definition, {found[1].name}"
            if key not in seen:
                seen.add(key)
                yield key, source


def _alternatives(pattern: str) -> list[str]:
    """A route pattern once per alternative of its `(word|word)` group."""
    group = re.search(r"\(([a-z]+(?:\|[a-z]+)+)\)", pattern)
    if group is None:
        return [pattern]
    return [pattern[: group.start()] + word + pattern[group.end() :] for word in group.group(1).split("|")]


def refusals() -> Iterator[str]:
    """`Class.method: message` of every refusal raised in okta_routes, okta_org and okta_oauth (message: its
    literal text)."""
    for method, node in _statements(okta_routes, okta_org, okta_oauth):
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
            called = node.exc.func
            name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
            if name in _REFUSERS:
                args = node.exc.args[_REFUSERS[name] :]
                message = (args and _literal(args[0])) or ""
                if name == "AssignedByGroup":  # always 403 E0000046; the text, where given, its cause
                    message = " ".join(["403 E0000046", message]).strip()
                yield f"{method}: {message}"


def talend_refusals() -> Iterator[str]:
    """`Class.method: status detail` of every error the Talend stand-in's own routes return (a literal status of 400
    or more; detail: the literal `detail` of its body, or of `_error(status, detail)`, where it has one)."""
    for method, node in _statements(talend_account, talend_roles):
        if not isinstance(node, ast.Return) or node.value is None:
            continue
        inner = list(ast.walk(node.value))
        statuses = [n.value for n in inner if isinstance(n, ast.Constant) and type(n.value) is int and n.value >= 400]
        details = [n.args[1] for n in inner if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "_error"]
        for body in (n for n in inner if isinstance(n, ast.Dict)):
            details += [value for key, value in zip(body.keys, body.values, strict=True) if _literal(key) == "detail"]
        if statuses:
            yield f"{method}: " + " ".join([str(statuses[0]), *filter(None, map(_literal, details[:1]))])


def _statements(*modules: ModuleType) -> Iterator[tuple[str, ast.AST]]:
    """(`Class.method`, node) of every node in the methods of the modules' classes."""
    for module in modules:
        tree = ast.parse(Path(inspect.getfile(module)).read_text(encoding="utf-8"))
        for cls in (node for node in tree.body if isinstance(node, ast.ClassDef)):
            for function in (node for node in cls.body if isinstance(node, ast.FunctionDef)):
                for node in ast.walk(function):
                    yield f"{cls.name}.{function.name}", node


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.Name) and node.id.isupper():
        return "{" + node.id + "}"
    return None


def behaviours() -> list[Behaviour]:
    """Every behaviour in the code, each with its source ("" where the ledger has no entry)."""
    found = [Behaviour("route", name, source) for name, source in okta_route_sources()]
    found += [Behaviour("route (Talend)", name, source) for name, source in TALEND_ROUTES.items()]
    org = {name for name, _ in inspect.getmembers(okta_org.Org, inspect.isfunction) if not name.startswith("_")}
    found += [Behaviour("state change", f"Org.{n}", STATE_CHANGES.get(n, "")) for n in sorted(org - ORG_READS)]
    scim = {n for n, _ in inspect.getmembers(provisioning.ScimClient, inspect.isfunction) if not n.startswith("_")}
    found += [Behaviour("push", f"ScimClient.{n}", PUSHES.get(n, "")) for n in sorted(scim)]
    found += [Behaviour("refusal", key, REFUSALS.get(key, "")) for key in dict.fromkeys(refusals())]
    found += [Behaviour("refusal (Talend)", key, TALEND_REFUSALS.get(key, "")) for key in talend_refusals()]
    return found


def render() -> str:
    found = behaviours()
    inferred = sum(b.source.startswith(INFERRED) for b in found)
    partly = sum(INFERRED in b.source for b in found) - inferred
    lines = [
        "# Sandbox fidelity",
        "",
        "Every behaviour the sandbox plays and where it comes from: an operation of the vendor's definition",
        "(`../shared/api-specs`), a recording (`../shared/okta-recordings`), a documentation page, or *inferred*.",
        "Generated by `python -m talend_okta_sandbox.fidelity > docs/sandbox-fidelity.md` from",
        "`sandbox/src/talend_okta_sandbox/fidelity.py`; a test fails when a behaviour has no entry or this page is",
        "stale. Every exchange is also checked against the definitions while tests and the demo run",
        "(`contract_watch.py`); the rules real Okta breaks are in `contract_quirks.py`.",
        "",
        f"Of {len(found)} behaviours, {inferred} are *inferred* and {partly} more are inferred in part.",
        "",
    ]
    kinds: dict[str, list[Behaviour]] = {}
    for behaviour in found:
        kinds.setdefault(behaviour.kind, []).append(behaviour)
    for kind, items in kinds.items():
        lines += [f"## {_TITLES[kind]}", "", "| behaviour | source |", "|---|---|"]
        lines += [f"| `{b.name.replace('|', '/')}` | {b.source.replace('|', '/') or 'MISSING'} |" for b in items]
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
