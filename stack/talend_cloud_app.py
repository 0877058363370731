"""The Talend Cloud app in Okta, as one component: SAML sign-on, SCIM provisioning, assignments, group push, and
the Talend role mappings that turn the app's CustomerRoles into Talend roles.

It renders the desired state (`talend_okta.spec.AppSpec`) to pulumi-okta resources and reads nothing else: no
config, no environment. The program (`__main__.py`) decides where Talend tokens may go and passes it in.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi
import pulumi_okta as okta
from pydantic import SecretStr

from talend_okta.assignments import GroupAssignments, PushGroups
from talend_okta.credentials import check_talend_credentials
from talend_okta.group_names import resolve_groups
from talend_okta.okta_api import NamedGroup
from talend_okta.push_state import creates_users
from talend_okta.role_mapping import TalendRoleMappings
from talend_okta.settings import AdoptSettings
from talend_okta.spec import AppSpec, AttributeStatement, GroupSpec, ProvisioningSpec

AssignmentCheck = Callable[[str, str], None]
"""(app id, group name) → None, or raises when the group must not be assigned yet
(`talend_okta.assignment_guard.require_app_creates_users`, bound to the stack's Okta org by the program)."""

CREDENTIALS_CHECK_SECONDS = 60.0
"""The credentials hook gives up after this long in all (retries included): a slow Talend must not stall `pulumi up`."""


def _status(enabled: bool) -> str:
    return "ENABLED" if enabled else "DISABLED"


def user_provisioning_capabilities(provisioning: ProvisioningSpec) -> okta.app.FeaturesCapabilitiesArgs:
    """Provisioning → To App: Create Users, Update User Attributes, Deactivate Users."""
    password = provisioning.password_sync
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
            password=okta.app.FeaturesCapabilitiesUpdatePasswordArgs(
                status=password.status, seed=password.seed, change=password.change
            ),
        ),
    )


def attribute_statement(statement: AttributeStatement) -> okta.app.SamlAttributeStatementArgs:
    """An EXPRESSION statement (name, values) or the GROUP one (`CustomerRoles`: a filter on group names)."""
    if statement.type == "GROUP":
        return okta.app.SamlAttributeStatementArgs(
            name=statement.name,
            type="GROUP",
            filter_type=statement.filter_type,
            filter_value=statement.filter_value,
        )
    return okta.app.SamlAttributeStatementArgs(name=statement.name, values=list(statement.values))


def require_talend_credentials(scim_url: str, token: str) -> None:
    """Raise when Talend's SCIM API rejects the token or does not answer in time (the message never shows it)."""
    result = check_talend_credentials(scim_url, token, total=CREDENTIALS_CHECK_SECONDS)
    if not result.ok:
        raise RuntimeError(f"{result.name}: {result.detail}")


def assignment_hook(check: AssignmentCheck) -> pulumi.ResourceHook:
    """Before group assignments are created or groups added: the app must already have Okta create users, or the
    groups' members would be assigned for SSO only and never provisioned (they would be stranded). Like every hook
    it runs only with the Pulumi CLI, not under mocks or in previews; the assignments' dependency on the To App
    features and the preview's message cover those."""

    def before_change(args: pulumi.ResourceHookArgs) -> None:
        new_inputs = args.new_inputs or {}
        before = {group.get("name") for group in (args.old_inputs or {}).get("groups") or []}
        added = [str(group.get("name")) for group in new_inputs.get("groups") or [] if group.get("name") not in before]
        if added:
            check(str(new_inputs.get("appId", "")), ", ".join(added))

    return pulumi.ResourceHook("okta-creates-users", before_change)


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
    assignment_hook: pulumi.ResourceHook | None = None

    def __init__(
        self,
        name: str,
        spec: AppSpec,
        opts: pulumi.ResourceOptions | None = None,
        *,
        adopt: AdoptSettings | None = None,
        credentials_check_url: str | None = None,
        role_mappings_url: str | None = None,
        assignment_check: AssignmentCheck | None = None,
        okta_org_url: str | None = None,
    ) -> None:
        """`adopt`: import ids written by `talend-okta adopt`. `credentials_check_url`, `role_mappings_url`: where
        the Talend tokens go (the program's choice; by default Talend's URLs in the spec). `assignment_check`: what
        the group assignments' before-create/update hook runs while `spec.assignments_wait_for_provisioning`.
        `okta_org_url`: the org the stack's Okta provider points at, which the assignments resources call too
        (needed with groups)."""
        super().__init__("talend-okta:index:TalendCloudApp", name, None, opts)
        self.adopt = adopt
        # Before any resource: a name that is not exactly one Okta group stops here, in one line, so a near name
        # never assigns other people (talend_okta.group_names).
        resolved = resolve_groups([group.name for group in spec.groups], self._okta_groups)
        if resolved.problems:
            raise pulumi.RunError(resolved.line())
        group_ids = resolved.ids
        saml = spec.saml
        self.sso_url = saml.sso_url
        self.scim_base_url = spec.scim_base_url

        # Deleting this app deactivates every assigned person in Talend: protected, so only a deliberate
        # `pulumi state unprotect` can remove it.
        self.app = okta.app.Saml(
            f"{name}-app",
            label=saml.label,
            status=saml.status,
            sso_url=saml.sso_url,
            recipient=saml.sso_url,
            destination=saml.sso_url,
            audience=saml.sso_url,
            subject_name_id_template=saml.subject_name_id_template,
            subject_name_id_format=saml.subject_name_id_format,
            authn_context_class_ref=saml.authn_context_class_ref,
            response_signed=saml.response_signed,
            assertion_signed=saml.assertion_signed,
            signature_algorithm=saml.signature_algorithm,
            digest_algorithm=saml.digest_algorithm,
            user_name_template=saml.user_name_template,
            user_name_template_type=saml.user_name_template_type,
            attribute_statements=[attribute_statement(statement) for statement in saml.attribute_statements],
            opts=pulumi.ResourceOptions(parent=self, protect=True, import_=_import_id(self.adopt, lambda ids: ids.app)),
        )
        self.app_id = self.app.id
        self.metadata_url = self.app.metadata_url
        # Okta deletes an app's connection, features, assignments and push mappings with the app. Saying so keeps
        # `pulumi destroy` from deleting them one by one before it stops at the protected app: unassigning the
        # groups alone would deactivate everyone in Talend.
        child = pulumi.ResourceOptions(parent=self, deleted_with=self.app)

        if spec.provisioning is not None:
            self._provisioning(name, spec.provisioning, child, credentials_check_url or spec.provisioning.scim_base_url)

        assignment = self._assignment_options(spec, child, assignment_check)
        self._assign(name, spec.groups, group_ids, child, assignment, okta_org_url)

        self.role_mappings = spec.role_mapping_dict  # as Talend applies them: sorted, no repeats
        if spec.role_mappings is not None:
            self._roles(name, spec, role_mappings_url or spec.role_mappings.api_url)

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

    def _roles(self, name: str, spec: AppSpec, api_url: str) -> None:
        """Talend's tenant-wide role mappings: each customer role (an Okta group's name) → Talend roles."""
        assert spec.role_mappings is not None
        self.talend_role_mappings = TalendRoleMappings(
            f"{name}-role-mappings",
            api_url=api_url,
            api_token=spec.role_mappings.api_token.get_secret_value(),
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
        self, name: str, provisioning: ProvisioningSpec, child: pulumi.ResourceOptions, check_url: str
    ) -> None:
        # Okta documents these two APIs only for some catalog apps; for a custom SAML app it may ignore them.
        # `talend-okta verify` reads back what Okta holds and lists the admin-console steps still to do.
        token = pulumi.Output.secret(provisioning.token.get_secret_value())
        self.credentials_check_url = check_url
        self.credentials_hook = hook = credentials_hook(check_url, provisioning.token)
        self.connection = okta.app.Connection(
            f"{name}-scim",
            id_property=self.app.id,
            base_url=provisioning.scim_base_url,
            action="activate",
            profile=okta.app.ConnectionProfileArgs(auth_scheme=provisioning.auth_scheme, token=token),
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
            name=provisioning.feature,  # set explicitly: pulumi-okta would otherwise auto-name it
            status="ENABLED",
            capabilities=user_provisioning_capabilities(provisioning),
            opts=pulumi.ResourceOptions.merge(
                child,
                pulumi.ResourceOptions(
                    depends_on=[self.connection], import_=_import_id(self.adopt, lambda ids: ids.features)
                ),
            ),
        )

    def _assignment_options(
        self, spec: AppSpec, child: pulumi.ResourceOptions, check: AssignmentCheck | None
    ) -> pulumi.ResourceOptions:
        """Group assignments wait for Okta to create users for the app (people assigned before are never
        provisioned by Okta): they depend on the To App features, so a refused feature stops them, and a
        before-create hook reads the app's features. `pulumi preview` says so while it is so."""
        if not spec.groups:
            return child
        if not spec.assignments_wait_for_provisioning:
            if spec.provisioning_settings.assign_before_provisioning:
                pulumi.log.warn(
                    "provisioning.assignBeforeProvisioning: the groups are assigned even while Okta does not create "
                    "users for the app; Okta never provisions the people assigned then: run `talend-okta provision "
                    "--stranded` once provisioning is on",
                    resource=self,
                )
            return child
        self.waiting_said: pulumi.Output[bool] = pulumi.Output.from_input(
            self._say_what_assignments_wait_for(len(spec.groups))
        )
        hooks = None
        if check is not None:
            self.assignment_hook = assignment_hook(check)
            # Adding a group to the one assignments resource is an update: the hook guards both.
            hooks = pulumi.ResourceHookBinding(
                before_create=[self.assignment_hook], before_update=[self.assignment_hook]
            )
        else:
            pulumi.log.warn(
                "The group assignments' hook cannot read the app's features without an Okta API token "
                "(okta:apiToken or OKTA_API_TOKEN); only the dependency on the To App features holds them back",
                resource=self,
            )
        depends_on = [self.features] if self.features is not None else None
        return pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=depends_on, hooks=hooks))

    async def _say_what_assignments_wait_for(self, groups: int) -> bool:
        """Said only while true. A new app (its features unknown: the preview of its first deploy, or not read yet):
        the assignments wait for Okta to create users. An app whose features, as Pulumi last read them, do not create
        users: `pulumi up` will not assign the groups not assigned yet. An app that creates users: nothing (False)."""
        features = self.app.features
        value = await features.future() if await features.is_known() else None
        if value is None:
            pulumi.log.info(
                "Group assignments wait for Okta to create users for the app (features SCIM_PROVISIONING and "
                "PUSH_NEW_USERS): until then `pulumi up` assigns no group, since Okta never provisions people "
                "assigned before (docs/provision.md)",
                resource=self,
            )
            return True
        if not creates_users(list(value)):
            pulumi.log.warn(
                f"Okta does not create users for this app yet (its features as last read: {', '.join(value) or 'none'}"
                f"): `pulumi up` will not create any of the {groups} group assignments not made yet; in the Okta Admin "
                "Console enable SCIM, Provisioning → Integration and To App → Create Users first (`pulumi preview "
                "--refresh` reads the features again)",
                resource=self,
            )
            return True
        return False

    def _assign(
        self,
        name: str,
        groups: tuple[GroupSpec, ...],
        ids: dict[str, str],
        child: pulumi.ResourceOptions,
        assignment: pulumi.ResourceOptions,
        okta_org_url: str | None,
    ) -> None:
        """Assign existing Okta groups, and push those asked, as two resources (talend_okta.assignments): each reads
        all of Okta's assignments or push mappings in one paged request, where a resource per group read one each,
        all in Okta's 100-a-minute apps bucket. Non-authoritative: groups assigned by hand survive. Keyed by the Okta
        group id, so renaming a group changes nothing in Okta. The names resolve exactly, all in one read
        (talend_okta.group_names)."""
        pushed = {group.name: ids[group.name] for group in groups if group.push}
        self.assigned_groups = pulumi.Output.from_input(ids)
        self.pushed_groups = pulumi.Output.from_input(pushed)
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
            opts=assignment,
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

    def _okta_groups(self, expression: str) -> list[NamedGroup]:
        """One paged read of Okta's groups through the stack's Okta provider (its org, its credentials)."""
        found = okta.get_groups(search=expression, opts=pulumi.InvokeOptions(parent=self))
        return [NamedGroup(group.id, group.name, group.type) for group in found.groups]


def _import_id(adopt: AdoptSettings | None, pick: Callable[[AdoptSettings], str | None]) -> str | None:
    """The import id `talend-okta adopt` wrote for a resource, if any.

    With one, `pulumi up` reads the existing Okta object into the state, then updates it in place (Pulumi ≥ 3.174
    imports, then diffs). Afterwards the id equals the one Pulumi keeps in state, so it changes nothing.
    """
    return pick(adopt) if adopt is not None else None
