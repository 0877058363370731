"""The Talend Cloud app in Okta, as one component: SAML sign-on, SCIM provisioning, assignments, group push, and
the Talend role mappings that turn the app's CustomerRoles into Talend roles."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping

import pulumi
import pulumi_okta as okta
from pydantic import SecretStr

from talend_okta import definition as talend
from talend_okta.assignments import GroupAssignments, PushGroups
from talend_okta.http import is_loopback_url
from talend_okta.role_mapping import TalendRoleMappings
from talend_okta.settings import AdoptSettings, GroupSettings, ProvisioningSettings, StackSettings
from talend_okta.talend_api import normalized
from talend_okta.verify import check_talend_credentials

CREDENTIALS_CHECK_SECONDS = 60.0
"""The credentials hook gives up after this long in all (retries included): a slow Talend must not stall `pulumi up`."""


def _status(enabled: bool) -> str:
    return "ENABLED" if enabled else "DISABLED"


def user_provisioning_capabilities(provisioning: ProvisioningSettings) -> okta.app.FeaturesCapabilitiesArgs:
    """Provisioning → To App: Create Users, Update User Attributes, Deactivate Users."""
    return okta.app.FeaturesCapabilitiesArgs(
        create=okta.app.FeaturesCapabilitiesCreateArgs(
            lifecycle_create=okta.app.FeaturesCapabilitiesCreateLifecycleCreateArgs(
                status=_status(provisioning.create_users)
            )
        ),
        update=okta.app.FeaturesCapabilitiesUpdateArgs(
            profile=okta.app.FeaturesCapabilitiesUpdateProfileArgs(status=_status(provisioning.update_user_attributes)),
            lifecycle_deactivate=okta.app.FeaturesCapabilitiesUpdateLifecycleDeactivateArgs(
                status=_status(provisioning.deactivate_users)
            ),
            password=okta.app.FeaturesCapabilitiesUpdatePasswordArgs(**talend.NO_PASSWORD_SYNC),
        ),
    )


def customer_roles_statements(settings: StackSettings) -> list[okta.app.SamlAttributeStatementArgs]:
    """`CustomerRoles`: the person's groups that are customer roles, exactly those names (none without roles)."""
    if not settings.role_mappings:
        return []
    return [
        okta.app.SamlAttributeStatementArgs(
            name=talend.CUSTOMER_ROLES,
            type="GROUP",
            filter_type=talend.GROUP_FILTER_TYPE,
            filter_value=talend.customer_roles_filter(list(settings.role_mappings)),
        )
    ]


def require_talend_credentials(scim_url: str, token: str) -> None:
    """Raise when Talend's SCIM API rejects the token or does not answer in time (the message never shows it)."""
    result = check_talend_credentials(scim_url, token, total=CREDENTIALS_CHECK_SECONDS)
    if not result.ok:
        raise RuntimeError(f"{result.name}: {result.detail}")


def talend_url(declared: str, variable: str, okta_org_url: str | None, environ: Mapping[str, str]) -> str:
    """Where the program may send a Talend token: the stack's declared Talend URL.

    Only when the stack itself points Okta at a loopback sandbox (`okta:httpProxy`) may `variable`
    (`TALEND_SCIM_URL`, `TALEND_API_URL`) redirect it, and only to a loopback URL (the sandbox's Talend stand-in);
    a leftover variable never sends the token elsewhere.
    """
    local = environ.get(variable, "").strip()
    if okta_org_url and is_loopback_url(okta_org_url) and local and is_loopback_url(local):
        return local
    return declared


def credentials_hook(scim_url: str, token: SecretStr) -> pulumi.ResourceHook:
    """Before the SCIM connection is created or updated, prove Talend accepts the token, or stop there.

    A before-hook that raises stops the create or update, so a token Talend rejects never reaches Okta. Hooks run
    only with the Pulumi CLI (≥ 3.182.0), never under mocks or in previews; `talend-okta verify` after `pulumi up`
    remains the gate that runs every time.
    """
    return pulumi.ResourceHook(
        "talend-credentials", lambda _: require_talend_credentials(scim_url, token.get_secret_value())
    )


class TalendCloudApp(pulumi.ComponentResource):
    """The Talend Cloud SAML 2.0 app with SCIM provisioning, its group assignments and push groups."""

    app: okta.app.Saml
    app_id: pulumi.Output[str]
    sso_url: str
    scim_base_url: str
    metadata_url: pulumi.Output[str]
    assigned_groups: pulumi.Output[dict[str, str]]
    pushed_groups: pulumi.Output[dict[str, str]]
    adopt: AdoptSettings | None
    role_mappings: dict[str, list[str]]
    assignments: GroupAssignments | None = None
    push_groups: PushGroups | None = None
    connection: okta.app.Connection | None = None
    talend_role_mappings: TalendRoleMappings | None = None
    features: okta.app.Features | None = None
    credentials_hook: pulumi.ResourceHook | None = None
    credentials_check_url: str | None = None

    def __init__(
        self,
        name: str,
        settings: StackSettings,
        opts: pulumi.ResourceOptions | None = None,
        *,
        okta_org_url: str | None = None,
    ) -> None:
        """`okta_org_url`: where the stack's Okta provider points (a loopback sandbox lets the credentials check
        go to the local Talend stand-in)."""
        super().__init__("talend-okta:index:TalendCloudApp", name, None, opts)
        self.adopt = settings.adopt
        self.sso_url = talend.sso_url(settings.region, settings.account_id)
        self.scim_base_url = talend.scim_base_url(settings.region)

        # Deleting this app deactivates every assigned person in Talend: protected, so only a deliberate
        # `pulumi state unprotect` can remove it.
        self.app = okta.app.Saml(
            f"{name}-app",
            label=settings.app_label,
            status="ACTIVE",
            sso_url=self.sso_url,
            recipient=self.sso_url,
            destination=self.sso_url,
            audience=self.sso_url,
            subject_name_id_template=talend.NAME_ID_TEMPLATE,
            subject_name_id_format=talend.NAME_ID_FORMAT,
            authn_context_class_ref=talend.AUTHN_CONTEXT_CLASS,
            response_signed=True,
            assertion_signed=True,
            signature_algorithm=talend.SIGNATURE_ALGORITHM,
            digest_algorithm=talend.DIGEST_ALGORITHM,
            user_name_template=talend.EMAIL_PREFIX_TEMPLATE,
            user_name_template_type=talend.EMAIL_PREFIX_TEMPLATE_TYPE,
            attribute_statements=[
                okta.app.SamlAttributeStatementArgs(name=attribute, values=[expression])
                for attribute, expression in talend.attribute_statements(settings.domain_name)
            ]
            + customer_roles_statements(settings),
            opts=pulumi.ResourceOptions(parent=self, protect=True, import_=_import_id(self.adopt, lambda ids: ids.app)),
        )
        self.app_id = self.app.id
        self.metadata_url = self.app.metadata_url
        # Okta deletes an app's connection, features, assignments and push mappings with the app. Saying so keeps
        # `pulumi destroy` from deleting them one by one before it stops at the protected app: unassigning the
        # groups alone would deactivate everyone in Talend.
        child = pulumi.ResourceOptions(parent=self, deleted_with=self.app)

        if settings.provisioning.manage:
            self._provisioning(name, settings, child, okta_org_url)

        self._assign(name, settings.groups, child, okta_org_url)

        self.role_mappings = normalized(settings.role_mappings)  # as Talend applies them: sorted, no repeats
        if self.role_mappings:
            self._roles(name, settings, okta_org_url)

        self.register_outputs(
            {
                "appId": self.app_id,
                "ssoUrl": self.sso_url,
                "scimBaseUrl": self.scim_base_url,
                "metadataUrl": self.metadata_url,
                "assignedGroups": self.assigned_groups,
                "pushedGroups": self.pushed_groups,
                "roleMappings": self.role_mappings,
            }
        )

    def _talend_url(self, declared: str, variable: str, okta_org_url: str | None) -> str:
        """`talend_url`, with a warning (never the value) when a set variable is ignored."""
        chosen = talend_url(declared, variable, okta_org_url, os.environ)
        if os.environ.get(variable, "").strip() and chosen == declared:
            pulumi.log.warn(
                f"{variable} is ignored: the program sends the Talend token only to the stack's {declared} "
                f"(a loopback {variable} only while okta:httpProxy points at the sandbox)",
                resource=self,
            )
        return chosen

    def _roles(self, name: str, settings: StackSettings, okta_org_url: str | None) -> None:
        """Talend's tenant-wide role mappings: each customer role (an Okta group's name) → Talend roles."""
        api_url = self._talend_url(talend.api_base_url(settings.region), "TALEND_API_URL", okta_org_url)
        self.talend_role_mappings = TalendRoleMappings(
            f"{name}-role-mappings",
            api_url=api_url,
            api_token=settings.role_api_token.get_secret_value(),
            mappings=self.role_mappings,
            # In Talend, so Okta does not remove it with the app; but `pulumi destroy` must not replace Talend's
            # mappings with none before it stops at the protected app: a destroy leaves them as they are.
            opts=pulumi.ResourceOptions(parent=self, deleted_with=self.app),
        )
        # Shown by `pulumi preview` and `up`: the API replaces the tenant's whole mapping set.
        pulumi.log.info(
            f"Talend role mappings are authoritative: the tenant keeps exactly {', '.join(self.role_mappings)}; "
            "any other mapping in Talend is removed",
            resource=self.talend_role_mappings,
        )

    def _provisioning(
        self, name: str, settings: StackSettings, child: pulumi.ResourceOptions, okta_org_url: str | None
    ) -> None:
        # Okta documents these two APIs only for some catalog apps; for a custom SAML app it may ignore them.
        # `talend-okta verify` reads back what Okta holds and lists the admin-console steps still to do.
        token = pulumi.Output.secret(settings.scim_token.get_secret_value())
        self.credentials_check_url = self._talend_url(self.scim_base_url, "TALEND_SCIM_URL", okta_org_url)
        self.credentials_hook = hook = credentials_hook(self.credentials_check_url, settings.scim_token)
        self.connection = okta.app.Connection(
            f"{name}-scim",
            id_property=self.app.id,
            base_url=self.scim_base_url,
            action="activate",
            profile=okta.app.ConnectionProfileArgs(auth_scheme="TOKEN", token=token),
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    hooks=pulumi.ResourceHookBinding(before_create=[hook], before_update=[hook]),
                    import_=_import_id(self.adopt, lambda ids: ids.connection),
                ),
            ),
        )
        self.features = okta.app.Features(
            f"{name}-to-app",
            app_id=self.app.id,
            name=talend.USER_PROVISIONING,  # set explicitly: pulumi-okta would otherwise auto-name it
            status="ENABLED",
            capabilities=user_provisioning_capabilities(settings.provisioning),
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    depends_on=[self.connection], import_=_import_id(self.adopt, lambda ids: ids.features)
                ),
            ),
        )

    def _assign(
        self, name: str, groups: list[GroupSettings], child: pulumi.ResourceOptions, okta_org_url: str | None
    ) -> None:
        """Assign existing Okta groups, and push those asked, as two resources (talend_okta.assignments): each reads
        all of Okta's assignments or push mappings in one paged request, where a resource per group read one each,
        all in Okta's 100-a-minute apps bucket. Non-authoritative: groups assigned by hand survive. Keyed by the Okta
        group id, so renaming a group changes nothing in Okta."""
        ids = {
            group.name: okta.group.get_group_output(name=group.name, opts=pulumi.InvokeOutputOptions(parent=self)).id
            for group in groups
        }
        pushed = {group.name: ids[group.name] for group in groups if group.push}
        self.assigned_groups = pulumi.Output.all(**ids) if ids else pulumi.Output.from_input({})
        self.pushed_groups = pulumi.Output.all(**pushed) if pushed else pulumi.Output.from_input({})
        if not groups:
            return
        if okta_org_url is None:
            raise pulumi.RunError("groups: the assignments need the Okta org: set okta:orgName and okta:baseUrl")
        # A preview lists each group by name in `groups`, so a removal names the group it unassigns.
        self.assignments = GroupAssignments(
            f"{name}-assignments",
            okta_url=okta_org_url,
            app_id=self.app.id,
            groups=[{"name": g.name, "groupId": ids[g.name], "priority": g.priority} for g in groups],
            opts=child,
        )
        if pushed:
            self.push_groups = PushGroups(
                f"{name}-push-groups",
                okta_url=okta_org_url,
                app_id=self.app.id,
                # Okta pushes only members assigned to the app. Dropping push from the config unlinks the group and
                # keeps it in Talend (with its role mappings).
                groups=[{"name": group, "groupId": group_id} for group, group_id in pushed.items()],
                opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.assignments])),
            )


def _import_id(adopt: AdoptSettings | None, pick: Callable[[AdoptSettings], str | None]) -> str | None:
    """The import id `talend-okta adopt` wrote for a resource, if any.

    With one, `pulumi up` reads the existing Okta object into the state, then updates it in place (Pulumi ≥ 3.174
    imports, then diffs). Afterwards the id equals the one Pulumi keeps in state, so it changes nothing.
    """
    return pick(adopt) if adopt is not None else None
