"""The desired state: what one stack's settings ask of Okta and Talend, as one pure, frozen description.

`app_spec(settings)` turns the validated `StackSettings` into an `AppSpec`: the SAML app (sign-on settings, the
Email-prefix username template, the attribute statements with `CustomerRoles`), SCIM provisioning, the group
assignments and push groups, and Talend's role mappings. Nothing here reads config, the environment or an API.

Every consumer renders or compares this one description, so a change here reaches all of them (tests/spec proves
the renderings agree): the Pulumi component (`stack/talend_cloud_app.py`, pulumi-okta resources), the sandbox's
REST deploy (`talend_okta_sandbox.deploy`, Okta API bodies) and `talend-okta adopt` (an existing app against it).
`stack_outputs` makes the stack outputs, for the program, the sandbox deploy and `talend_okta.stack_state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import SecretStr

from talend_okta import definition as talend
from talend_okta.roles import CUSTOMER_ROLES, GROUP_FILTER_TYPE, RoleMappings, customer_roles_filter, normalized
from talend_okta.settings import ProvisioningSettings, StackSettings

ACTIVE: Final = "ACTIVE"


@dataclass(frozen=True)
class AttributeStatement:
    """A SAML attribute statement: an EXPRESSION with one value, or a GROUP statement that filters group names."""

    name: str
    type: Literal["EXPRESSION", "GROUP"]
    values: tuple[str, ...] = ()
    filter_type: str | None = None
    filter_value: str | None = None


@dataclass(frozen=True)
class SamlSpec:
    """The SAML 2.0 app: Talend's SSO URL as ACS URL, recipient, destination and audience; Email-prefix usernames."""

    label: str
    sso_url: str
    attribute_statements: tuple[AttributeStatement, ...]
    status: str = ACTIVE
    subject_name_id_template: str = talend.NAME_ID_TEMPLATE
    subject_name_id_format: str = talend.NAME_ID_FORMAT
    authn_context_class_ref: str = talend.AUTHN_CONTEXT_CLASS
    response_signed: bool = True
    assertion_signed: bool = True
    signature_algorithm: str = talend.SIGNATURE_ALGORITHM
    digest_algorithm: str = talend.DIGEST_ALGORITHM
    user_name_template: str = talend.EMAIL_PREFIX_TEMPLATE
    user_name_template_type: str = talend.EMAIL_PREFIX_TEMPLATE_TYPE


@dataclass(frozen=True)
class PasswordSync:
    """Provisioning → To App → Sync Password (off: Talend signs people in through SSO)."""

    status: str
    seed: str
    change: str


@dataclass(frozen=True)
class ProvisioningSpec:
    """The SCIM connection (Talend's SCIM base URL, a Talend token) and Provisioning → To App's switches."""

    scim_base_url: str
    token: SecretStr
    create_users: bool
    update_user_attributes: bool
    deactivate_users: bool
    auth_scheme: str = "TOKEN"
    feature: str = talend.USER_PROVISIONING
    password_sync: PasswordSync = PasswordSync(**talend.NO_PASSWORD_SYNC)


@dataclass(frozen=True)
class GroupSpec:
    """An existing Okta group assigned to the app (by name), and whether it is pushed to Talend."""

    name: str
    priority: int | None
    push: bool
    former_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoleMappingSpec:
    """Talend's tenant-wide role mappings (authoritative: the tenant keeps exactly these)."""

    api_url: str  # Talend's API origin for the region (the program may send the token to the sandbox instead)
    api_token: SecretStr
    mappings: tuple[tuple[str, tuple[str, ...]], ...]  # normalized: sorted names, sorted roles without repeats

    def as_dict(self) -> RoleMappings:
        """Customer role → Talend roles, the shape the stack exports and Talend's API takes."""
        return {name: list(roles) for name, roles in self.mappings}


@dataclass(frozen=True)
class AppSpec:
    """Everything one stack declares, in Okta's and Talend's terms."""

    saml: SamlSpec
    scim_base_url: str  # Talend's SCIM base URL for the region (exported even when provisioning is not managed)
    provisioning_settings: ProvisioningSettings  # the switches as configured (exported as `provisioning`)
    provisioning: ProvisioningSpec | None  # None: provisioning.manage is false, Okta's admin console keeps it
    groups: tuple[GroupSpec, ...]
    role_mappings: RoleMappingSpec | None  # None: no group has talendRoles

    @property
    def assignments_wait_for_provisioning(self) -> bool:
        """Assign no group until Okta creates users for the app: Okta never provisions people assigned before
        (Okta help, "Provision unprovisioned users"). Off with `provisioning.assignBeforeProvisioning` (SSO-only
        assignments first) and with Create Users off (Okta pushes nobody, so nothing is waited for)."""
        switches = self.provisioning_settings
        return switches.create_users and not switches.assign_before_provisioning

    @property
    def pushed(self) -> tuple[GroupSpec, ...]:
        return tuple(group for group in self.groups if group.push)

    @property
    def role_mapping_dict(self) -> RoleMappings:
        """The declared role mappings ({} without roles)."""
        return self.role_mappings.as_dict() if self.role_mappings else {}


def app_spec(settings: StackSettings) -> AppSpec:
    """The desired state of the stack's settings."""
    sso = talend.sso_url(settings.region, settings.account_id)
    statements = [
        AttributeStatement(name=name, type="EXPRESSION", values=(expression,))
        for name, expression in talend.attribute_statements(settings.domain_name)
    ]
    mappings = normalized(settings.role_mappings)
    if mappings:
        statements.append(
            AttributeStatement(
                name=CUSTOMER_ROLES,
                type="GROUP",
                filter_type=GROUP_FILTER_TYPE,
                filter_value=customer_roles_filter(mappings),
            )
        )
    scim_url = talend.scim_base_url(settings.region)
    switches = settings.provisioning
    provisioning = (
        ProvisioningSpec(
            scim_base_url=scim_url,
            token=settings.scim_token,
            create_users=switches.create_users,
            update_user_attributes=switches.update_user_attributes,
            deactivate_users=switches.deactivate_users,
        )
        if switches.manage
        else None
    )
    roles = (
        RoleMappingSpec(
            api_url=talend.api_base_url(settings.region),
            api_token=settings.role_api_token,
            mappings=tuple((name, tuple(roles)) for name, roles in mappings.items()),
        )
        if mappings
        else None
    )
    return AppSpec(
        saml=SamlSpec(label=settings.app_label, sso_url=sso, attribute_statements=tuple(statements)),
        scim_base_url=scim_url,
        provisioning_settings=switches,
        provisioning=provisioning,
        groups=tuple(
            GroupSpec(name=g.name, priority=g.priority, push=g.push, former_names=tuple(g.former_names))
            for g in settings.groups
        ),
        role_mappings=roles,
    )


OUTPUT_KEYS: Final = (
    "appId",
    "appLabel",
    "ssoUrl",
    "scimBaseUrl",
    "metadataUrl",
    "assignedGroups",
    "pushedGroups",
    "provisioning",
    "roleMappings",
    "oktaOrgUrl",
)
"""What the stack exports (`pulumi stack output --json`); verify, preflight and adopt read them."""


def stack_outputs(
    spec: AppSpec,
    *,
    app_id: Any,
    metadata_url: Any,
    assigned_groups: Any,
    pushed_groups: Any,
    okta_org_url: str | None,
    scim_base_url: str | None = None,
) -> dict[str, Any]:
    """The stack outputs: what the spec says, plus what only a deployment knows (ids, Okta's metadata URL).

    The deployed values are plain values or Pulumi outputs (the program passes those). A value that is None is not
    exported. `scim_base_url`: the SCIM URL the deployment gave Okta when not Talend's (the sandbox's REST deploy).
    """
    outputs: dict[str, Any] = {
        "appId": app_id,
        "appLabel": spec.saml.label,
        "ssoUrl": spec.saml.sso_url,
        "scimBaseUrl": scim_base_url or spec.scim_base_url,
        "metadataUrl": metadata_url,
        "assignedGroups": assigned_groups,
        "pushedGroups": pushed_groups,
        "provisioning": spec.provisioning_settings.model_dump(by_alias=True),
        "roleMappings": spec.role_mapping_dict,
        "oktaOrgUrl": okta_org_url,
    }
    assert tuple(outputs) == OUTPUT_KEYS
    return {key: value for key, value in outputs.items() if value is not None}
