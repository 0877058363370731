"""Deploy the Talend Cloud app over Okta's Management API, as the Pulumi component does (for the offline demo).

It renders the same desired state as `stack/talend_cloud_app.py` (`talend_okta.spec.AppSpec`) to the request bodies
pulumi-okta sends (see tests/sandbox/okta-recordings/), call for call, so the demo exercises the same API the stack
does without the Pulumi CLI: the SAML 2.0 app (with CustomerRoles when groups have roles), the SCIM connection
(after its credentials check, like the stack's before-create hook), the To App switches, group assignments, push
groups and Talend's role mappings. tests/spec proves the two renderings agree field by field.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import httpx

from talend_okta.assignment_guard import refusal
from talend_okta.credentials import check_talend_credentials
from talend_okta.group_names import resolve_groups
from talend_okta.http import tls_context
from talend_okta.okta_api import NamedGroup
from talend_okta.push_state import creates_users
from talend_okta.redact import Redactor
from talend_okta.role_mapping import API_TOKEN_KEY, REGION_KEY, RoleMappingError, RoleMappingProvider, stack_target
from talend_okta.roles import as_body
from talend_okta.settings import StackSettings
from talend_okta.spec import (
    AppSpec,
    AttributeStatement,
    GroupSpec,
    ProvisioningSpec,
    RoleMappingSpec,
    app_spec,
    stack_outputs,
)

Log = Callable[[str], None]
UNSPECIFIED_NAMESPACE = "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"


class DeployError(Exception):
    """An Okta call failed; the message names the call and Okta's error summary, never a token."""


@dataclass(frozen=True)
class Deployed:
    """What the deploy created; `stack_outputs` has the keys `pulumi stack output --json` gives for the stack."""

    app_id: str
    assigned_groups: dict[str, str]  # Okta group name → id
    pushed_groups: dict[str, str]
    stack_outputs: dict[str, Any]
    failed: list[str] = field(default_factory=list)  # "<resource>: <Okta's answer>", as `pulumi up` reports them


class OktaAdmin:
    """A small httpx client for Okta's write calls (the shared `OktaClient` only reads). No retries: loopback."""

    def __init__(self, org_url: str, api_token: str, *, timeout: float = 10.0, log: Log | None = None) -> None:
        self.org_url = org_url.rstrip("/")
        self._redact = Redactor([api_token])
        self._log = log or (lambda line: None)
        self._http = httpx.Client(
            base_url=self.org_url,
            headers={"Authorization": f"SSWS {api_token}", "Accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            trust_env=False,  # loopback only: never through a proxy from the environment
            verify=tls_context(),
        )

    def __enter__(self) -> OktaAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.close()

    def log(self, line: str) -> None:
        """A line in the same log as the Okta calls (the deploy's calls to Talend)."""
        self._log(line)

    def call(self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None) -> Any:
        """One API call; returns the JSON body (None when empty). Raises `DeployError` unless 2xx."""
        what = f"{method} {path}" + (f"?{httpx.QueryParams(params)}" if params else "")
        try:
            response = self._http.request(method, path, json=body, params=params)
        except httpx.HTTPError as err:
            raise DeployError(self._redact(f"{what}: {type(err).__name__}: {err}")) from None
        if not response.is_success:
            summary = ""
            with suppress(ValueError, AttributeError):  # not Okta's error JSON: the status says enough
                summary = str(response.json().get("errorSummary", ""))
            raise DeployError(self._redact(f"{what}: HTTP {response.status_code} {summary}".rstrip()))
        self._log(f"{what} → {response.status_code}")
        return response.json() if response.content else None


def _status(enabled: bool) -> dict[str, str]:
    return {"status": "ENABLED" if enabled else "DISABLED"}


def saml_app_body(spec: AppSpec) -> dict[str, Any]:
    """`okta.app.Saml` as the component declares it: Talend's SSO URL everywhere, Email-prefix usernames."""
    saml = spec.saml
    return {
        "label": saml.label,
        "signOnMode": "SAML_2_0",
        "accessibility": {"selfService": False},
        "visibility": {"autoSubmitToolbar": False, "hide": {"iOS": False, "web": False}},
        "credentials": {
            "userNameTemplate": {"template": saml.user_name_template, "type": saml.user_name_template_type}
        },
        "settings": {
            "app": {},
            "signOn": {
                "ssoAcsUrl": saml.sso_url,
                "recipient": saml.sso_url,
                "destination": saml.sso_url,
                "audience": saml.sso_url,
                # pulumi-okta sends the overrides empty, and Okta keeps them so (TestAccResourceOktaAppSaml_crud.yaml)
                "ssoAcsUrlOverride": "",
                "recipientOverride": "",
                "destinationOverride": "",
                "audienceOverride": "",
                "subjectNameIdTemplate": saml.subject_name_id_template,
                "subjectNameIdFormat": saml.subject_name_id_format,
                "responseSigned": saml.response_signed,
                "assertionSigned": saml.assertion_signed,
                "signatureAlgorithm": saml.signature_algorithm,
                "digestAlgorithm": saml.digest_algorithm,
                "authnContextClassRef": saml.authn_context_class_ref,
                "attributeStatements": [attribute_statement_body(s) for s in saml.attribute_statements],
            },
        },
    }


def attribute_statement_body(statement: AttributeStatement) -> dict[str, Any]:
    """An EXPRESSION statement, or the GROUP statement `CustomerRoles` (as the recordings show Okta storing it)."""
    if statement.type == "GROUP":
        return {
            "type": "GROUP",
            "name": statement.name,
            "namespace": UNSPECIFIED_NAMESPACE,
            "filterType": statement.filter_type,
            "filterValue": statement.filter_value,
        }
    return {
        "type": "EXPRESSION",
        "name": statement.name,
        "namespace": UNSPECIFIED_NAMESPACE,
        "values": list(statement.values),
    }


def connection_body(provisioning: ProvisioningSpec, base_url: str | None = None) -> dict[str, Any]:
    """`okta.app.Connection`: Talend's SCIM base URL (or the sandbox's stand-in) with the Talend token."""
    token = provisioning.token.get_secret_value()
    return {
        "baseUrl": base_url or provisioning.scim_base_url,
        "profile": {"authScheme": provisioning.auth_scheme, "token": token},
    }


def user_provisioning_capabilities(provisioning: ProvisioningSpec) -> dict[str, Any]:
    """Provisioning → To App, as `okta.app.Features` sends it (the capabilities object itself)."""
    password = provisioning.password_sync
    return {
        "create": {"lifecycleCreate": _status(provisioning.create_users)},
        "update": {
            "profile": _status(provisioning.update_user_attributes),
            "lifecycleDeactivate": _status(provisioning.deactivate_users),
            "password": {"status": password.status, "seed": password.seed, "change": password.change},
        },
    }


def assignment_body(group: GroupSpec) -> dict[str, Any]:
    """A group assignment (the stack's `talend:GroupAssignments`): the priority, when the config sets one."""
    return {"priority": group.priority} if group.priority is not None else {}


def push_mapping_body(group_id: str) -> dict[str, Any]:
    """A push mapping (the stack's `talend:PushGroups`): push the group, active."""
    return {"sourceGroupId": group_id, "status": "ACTIVE"}


def role_mappings_props(roles: RoleMappingSpec, api_url: str | None = None) -> dict[str, Any]:
    """The role-mapping resource's inputs (`TalendRoleMappings`), at Talend's API or `api_url` (the stand-in)."""
    return {
        "apiUrl": api_url or roles.api_url,
        "apiToken": roles.api_token.get_secret_value(),
        "mappings": as_body(roles.as_dict()),
    }


def find_group_ids(okta: OktaAdmin, names: list[str]) -> dict[str, str]:
    """The program's rule (talend_okta.group_names): each name's one Okta group of exactly that name, one search."""

    def read(expression: str) -> list[NamedGroup]:
        found = okta.call("GET", "/api/v1/groups", params={"search": expression, "limit": "200"}) or []
        return [NamedGroup(str(g["id"]), str(g.get("profile", {}).get("name")), str(g.get("type"))) for g in found]

    resolved = resolve_groups(names, read)
    if resolved.problems:
        raise DeployError(resolved.line())
    return resolved.ids


def _assignment_refused(
    okta: OktaAdmin, spec: AppSpec, app_id: str, group: str, group_id: str, *, features_failed: bool
) -> str | None:
    """Why the stack would not create this group assignment now, or None: while `assignments_wait_for_provisioning`
    it depends on the To App features (skipped when they failed) and its before-create hook refuses while Okta does
    not create users for the app. An assignment made by an earlier run is in the state: no create, no hook."""
    if not spec.assignments_wait_for_provisioning:
        return None
    with suppress(DeployError):
        okta.call("GET", f"/api/v1/apps/{app_id}/groups/{group_id}")
        return None  # already assigned
    if features_failed:
        return "not created: it depends on okta.app.Features, which failed"
    features = list((okta.call("GET", f"/api/v1/apps/{app_id}") or {}).get("features") or [])
    return (
        None
        if creates_users(features)
        else f'before hook "okta-creates-users" failed: {refusal(group, app_id, features)}'
    )


def deploy(
    okta: OktaAdmin,
    settings: StackSettings,
    *,
    scim_base_url: str | None = None,
    talend_api_url: str | None = None,
    app_id: str | None = None,
) -> Deployed:
    """Create everything `TalendCloudApp` declares. `scim_base_url` and `talend_api_url` replace Talend's real
    hosts (the local stand-in).

    `app_id`: the app an earlier run created (`pulumi up` again: the app is kept, assignments are put again, push
    groups not made yet are created). Like `pulumi up`, a resource Okta refuses (the To App features and push
    groups of a custom SAML app, until provisioning is enabled by hand) does not stop the others: it is listed in
    `Deployed.failed`, and the stack outputs are still written.
    """
    spec = app_spec(settings)
    scim_url = scim_base_url or spec.scim_base_url
    again = app_id is not None  # an earlier run made the app (and perhaps push groups)
    if app_id is None:
        app = okta.call("POST", "/api/v1/apps", saml_app_body(spec), params={"activate": "true"})
        app_id = str(app["id"])
    else:
        app = okta.call("GET", f"/api/v1/apps/{app_id}")
    failed: list[str] = []

    def attempt(resource: str, method: str, path: str, body: Any = None) -> Any:
        try:
            return okta.call(method, path, body)
        except DeployError as err:
            failed.append(f"{resource}: {err}")
            return None

    if spec.provisioning is not None:
        token = spec.provisioning.token.get_secret_value()
        # The stack's before-create hook: Talend must accept the token before Okta is given it.
        credentials = check_talend_credentials(scim_url, token, timeout=10.0)
        if not credentials.ok:
            raise DeployError(f"{credentials.name}: {credentials.detail}")
        connection = connection_body(spec.provisioning, scim_url)
        okta.call("POST", f"/api/v1/apps/{app_id}/connections/default", connection)
        okta.call("POST", f"/api/v1/apps/{app_id}/connections/default/lifecycle/activate")
        features = f"/api/v1/apps/{app_id}/features/{spec.provisioning.feature}"
        attempt("okta.app.Features", "PUT", features, user_provisioning_capabilities(spec.provisioning))
    features_failed = any(line.startswith("okta.app.Features:") for line in failed)

    assigned: dict[str, str] = {}
    pushed: dict[str, str] = {}
    pushing = spec.pushed
    mappings_path = f"/api/v1/apps/{app_id}/group-push/mappings"
    already = set()
    if pushing and again:  # groups an earlier run pushed are in the stack's state: not created again
        with suppress(DeployError):
            already = {m.get("sourceGroupId") for m in okta.call("GET", mappings_path) or []}
    group_ids = find_group_ids(okta, [group.name for group in spec.groups])
    for group in spec.groups:
        group_id = group_ids[group.name]
        assigned[group.name] = group_id  # the stack exports the groups it declares, assigned or not
        refused = _assignment_refused(okta, spec, app_id, group.name, group_id, features_failed=features_failed)
        if refused:
            failed.append(f"okta.app.GroupAssignment {group.name}: {refused}")
        else:
            okta.call("PUT", f"/api/v1/apps/{app_id}/groups/{group_id}", assignment_body(group))
        if group.push:
            pushed[group.name] = group_id  # the stack exports what it declares, pushed or not
            if group_id not in already:
                attempt(f"okta.PushGroup {group.name}", "POST", mappings_path, push_mapping_body(group_id))

    roles = spec.role_mappings
    if roles is not None:
        # The stack's role-mapping resource, through the very provider `pulumi up` runs (create).
        props = role_mappings_props(roles, talend_api_url)
        provider = RoleMappingProvider()
        # As the engine configures it: the stack's region and token, Okta at this (loopback) org, and the
        # environment `make sandbox` gives `pulumi up` (TALEND_API_URL: the Talend stand-in).
        config = {REGION_KEY: settings.region, API_TOKEN_KEY: props["apiToken"], "okta:httpProxy": okta.org_url}
        provider.target = stack_target(config, {"TALEND_API_URL": props["apiUrl"]})
        try:
            provider.create(props)
        except RoleMappingError as err:
            raise DeployError(str(err)) from None
        replaced = f"replaced the tenant's role mappings ({len(roles.mappings)})"
        okta.log(f"POST {props['apiUrl']}/security/role-mappings → {replaced}")

    outputs = stack_outputs(
        spec,
        app_id=app_id,
        metadata_url=app.get("_links", {}).get("metadata", {}).get("href"),
        assigned_groups=assigned,
        pushed_groups=pushed,
        okta_org_url=okta.org_url,
        scim_base_url=scim_url,
    )
    return Deployed(app_id=app_id, assigned_groups=assigned, pushed_groups=pushed, stack_outputs=outputs, failed=failed)
