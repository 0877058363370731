"""The talend-okta Pulumi program: read the stack settings, declare the Talend Cloud app, export what verify needs."""

from __future__ import annotations

import pulumi

from talend_cloud_app import TalendCloudApp
from talend_okta.settings import SettingsError, StackSettings, load_settings
from talend_okta.stack_config import okta_org_url, raw_stack_config


def read_settings() -> StackSettings:
    """Every `talend-okta:` key, validated as one model; a bad key stops the program before any resource."""
    try:
        return load_settings(raw_stack_config())
    except SettingsError as err:
        raise pulumi.RunError(str(err)) from None


settings = read_settings()
org_url = okta_org_url()
talend_app = TalendCloudApp("talend", settings, okta_org_url=org_url)

pulumi.export("appId", talend_app.app_id)
pulumi.export("appLabel", settings.app_label)
pulumi.export("ssoUrl", talend_app.sso_url)
pulumi.export("scimBaseUrl", talend_app.scim_base_url)
pulumi.export("metadataUrl", talend_app.metadata_url)
pulumi.export("assignedGroups", talend_app.assigned_groups)
pulumi.export("pushedGroups", talend_app.pushed_groups)
pulumi.export("provisioning", settings.provisioning.model_dump(by_alias=True))
pulumi.export("roleMappings", talend_app.role_mappings)
if org_url is not None:
    pulumi.export("oktaOrgUrl", org_url)
