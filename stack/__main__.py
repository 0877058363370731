"""The talend-okta Pulumi program: read the stack settings, declare the Talend Cloud app, export what verify needs."""

from __future__ import annotations

import os
from functools import partial

import pulumi

from talend_cloud_app import TalendCloudApp
from talend_okta.assignment_guard import require_app_creates_users
from talend_okta.credentials import okta_token_refusal
from talend_okta.http import InputError
from talend_okta.settings import SettingsError, StackSettings, load_settings
from talend_okta.spec import app_spec, stack_outputs
from talend_okta.stack_config import okta_org_url, okta_provider_credentials, raw_stack_config, talend_endpoints


def read_settings() -> StackSettings:
    """Every `talend-okta:` key, validated as one model; a bad key stops the program before any resource."""
    try:
        return load_settings(raw_stack_config())
    except SettingsError as err:
        raise pulumi.RunError(str(err)) from None


settings = read_settings()
spec = app_spec(settings)
org_url = okta_org_url()
# Against the offline sandbox (Okta on loopback) the Talend tokens may go to its local Talend stand-in.
talend = talend_endpoints(spec, org_url, os.environ)
for warning in talend.warnings:
    pulumi.log.warn(warning)
# Group assignments wait until Okta creates users for the app: their hook reads the app as the provider does.
try:
    okta_credentials = okta_provider_credentials()
except InputError as err:
    raise pulumi.RunError(str(err)) from None
# A token Okta rejects: one line here, not a traceback from every group look-up the provider makes with it.
if org_url and okta_credentials and (refusal := okta_token_refusal(org_url, okta_credentials)):
    raise pulumi.RunError(refusal)
assignment_check = (
    partial(require_app_creates_users, org_url, okta_credentials) if org_url and okta_credentials else None
)
talend_app = TalendCloudApp(
    "talend",
    spec,
    adopt=settings.adopt,
    credentials_check_url=talend.scim_url,
    role_mappings_url=talend.api_url or None,
    assignment_check=assignment_check,
    okta_org_url=org_url,
)

outputs = stack_outputs(
    spec,
    app_id=talend_app.app_id,
    metadata_url=talend_app.metadata_url,
    assigned_groups=talend_app.assigned_groups,
    pushed_groups=talend_app.pushed_groups,
    okta_org_url=org_url,
)
for key, value in outputs.items():
    pulumi.export(key, value)
