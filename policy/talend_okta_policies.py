"""Identity guardrails for the talend-okta stack, as Pulumi CrossGuard policies.

Only the policies live here; `__main__.py` builds the `PolicyPack` (whose constructor starts a gRPC server and
never returns), so tests import this module and call each policy directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import urlsplit

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
)

from talend_okta.definition import (
    EMAIL_PREFIX_TEMPLATE,
    EMAIL_PREFIX_TEMPLATE_TYPE,
    NAME_ID_TEMPLATE,
    REGIONS,
    scim_base_url,
)

SAML_APP: Final = "okta:app/saml:Saml"
CONNECTION: Final = "okta:app/connection:Connection"
AUTHORITATIVE_GROUP_ASSIGNMENTS: Final = frozenset(
    {
        # Sets the app's complete group list: every group not listed is unassigned, and Talend deactivates its members.
        "okta:index/appGroupAssignments:AppGroupAssignments",
    }
)

OKTA_DEFAULT_NAME_ID: Final = "${user.userName}"
"""What Okta sends as NameID when no subject template is set: the app username, here the email prefix."""

TALEND_SCIM_URLS: Final = {region: scim_base_url(region) for region in REGIONS}


def _check_email_prefix_username(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != SAML_APP:
        return
    template = args.props.get("userNameTemplate")
    template_type = args.props.get("userNameTemplateType")
    suffix = args.props.get("userNameTemplateSuffix")
    if template != EMAIL_PREFIX_TEMPLATE:
        report_violation(
            f"userNameTemplate must be Okta's Email prefix {EMAIL_PREFIX_TEMPLATE} (got {template!r}): "
            "Talend's userName is the part of the email before the @",
            None,
        )
    if template_type != EMAIL_PREFIX_TEMPLATE_TYPE:
        report_violation(
            f"userNameTemplateType must be {EMAIL_PREFIX_TEMPLATE_TYPE} (got {template_type!r})",
            None,
        )
    if suffix:
        report_violation(f"userNameTemplateSuffix must be empty (got {suffix!r}): it is appended to the userName", None)


def _check_name_id(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != SAML_APP:
        return
    template = args.props.get("subjectNameIdTemplate")
    if not template or template == OKTA_DEFAULT_NAME_ID:
        report_violation(
            f"subjectNameIdTemplate is {template or 'unset'!s}, so Okta sends the app username (the email prefix) "
            f"as NameID; set it to a full address such as {NAME_ID_TEMPLATE}",
            None,
        )
    elif template == EMAIL_PREFIX_TEMPLATE or "substringBefore" in template:
        report_violation(
            f"subjectNameIdTemplate {template!r} yields the email prefix; Talend expects the full email as NameID",
            None,
        )


def _check_scim_base_url(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != CONNECTION:
        return
    base_url = args.props.get("baseUrl")
    allowed = ", ".join(TALEND_SCIM_URLS.values())
    if not isinstance(base_url, str) or not base_url:
        report_violation(f"baseUrl is missing; it must be one of {allowed}", None)
        return
    parts = urlsplit(base_url)
    if parts.scheme != "https":
        report_violation(f"baseUrl {base_url!r} must use https: the SCIM token travels in every request", None)
    elif base_url.rstrip("/") not in TALEND_SCIM_URLS.values():
        report_violation(
            f"baseUrl {base_url!r} is not Talend's SCIM API of a known region; allowed: {allowed}",
            None,
        )


def _remediate_scim_token(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    # The Python policy SDK strips secret markers before validation and keeps them only for remediation, so this
    # guardrail is a remediation: a plaintext token is made a secret before Pulumi stores it in state.
    if args.resource_type != CONNECTION:
        return None
    props = _unwrapped(args.props)
    profile = props.get("profile")
    if not isinstance(profile, Mapping):  # absent, or a secret as a whole
        return None
    profile = _unwrapped(profile)
    token = profile.get("token")
    if token is None or isinstance(token, Secret):
        return None
    return {**props, "profile": {**profile, "token": Secret(token)}}


def _unwrapped(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The mapping behind the SDK's secret-preserving proxy, where secret values are still `Secret` objects.

    The proxies hand out their target under the key "__target" (the SDK's own serializer unwraps them so).
    """
    target = props.get("__target", props)
    return target if isinstance(target, Mapping) else props


def _check_group_assignments(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type in AUTHORITATIVE_GROUP_ASSIGNMENTS:
        report_violation(
            f"{args.resource_type} owns the app's whole group list and unassigns every other group, which "
            "deactivates those people in Talend; list the groups in talend-okta:groups instead (the stack's "
            "talend:GroupAssignments manages only those)",
            None,
        )


email_prefix_username = ResourceValidationPolicy(
    name="talend-username-email-prefix",
    description="The Talend app's username is Okta's built-in Email prefix, the userName Talend requires.",
    validate=_check_email_prefix_username,
    enforcement_level=EnforcementLevel.MANDATORY,
)

name_id_not_email_prefix = ResourceValidationPolicy(
    name="talend-name-id-not-email-prefix",
    description="The SAML NameID is a full email address, not the email-prefix app username.",
    validate=_check_name_id,
    enforcement_level=EnforcementLevel.MANDATORY,
)

scim_base_url_is_talend = ResourceValidationPolicy(
    name="talend-scim-base-url",
    description="The SCIM connection points at Talend's SCIM API of a known region, over https.",
    validate=_check_scim_base_url,
    enforcement_level=EnforcementLevel.MANDATORY,
)

scim_token_is_secret = ResourceValidationPolicy(
    name="talend-scim-token-secret",
    description="The Talend SCIM token is a Pulumi secret (a plaintext token is made secret before it is stored).",
    remediate=_remediate_scim_token,  # type: ignore[arg-type]  # the SDK also takes a plain (non-awaitable) result
    enforcement_level=EnforcementLevel.REMEDIATE,
)

non_authoritative_group_assignments = ResourceValidationPolicy(
    name="okta-group-assignments-non-authoritative",
    description="Groups are assigned one okta.app.GroupAssignment each, never with an authoritative assignment list.",
    validate=_check_group_assignments,
    enforcement_level=EnforcementLevel.MANDATORY,
)

POLICIES: Final = [
    email_prefix_username,
    name_id_not_email_prefix,
    scim_base_url_is_talend,
    scim_token_is_secret,
    non_authoritative_group_assignments,
]
