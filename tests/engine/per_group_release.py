"""The stack as releases before issue 20 deployed it: one `okta.app.GroupAssignment` and one `okta.PushGroup` per
group, with the names, parent and options those releases gave them. tests/engine/test_rate_limits.py deploys it as
the program (`__main__.py`), then upgrades the stack to the current one.

Everything else comes from the current component, with no groups, so the two programs differ only there.
"""

from __future__ import annotations

import dataclasses
import os

import pulumi
import pulumi_okta as okta

from talend_cloud_app import TalendCloudApp
from talend_okta.settings import load_settings
from talend_okta.spec import app_spec
from talend_okta.stack_config import okta_org_url, raw_stack_config, talend_endpoints

spec = app_spec(load_settings(raw_stack_config()))
org_url = okta_org_url()
talend = talend_endpoints(spec, org_url, os.environ)
app = TalendCloudApp(
    "talend",
    dataclasses.replace(spec, groups=()),
    credentials_check_url=talend.scim_url,
    role_mappings_url=talend.api_url or None,
    okta_org_url=org_url,
)
child = pulumi.ResourceOptions(parent=app, deleted_with=app.app)
# As the release after issue 16 did: assignments wait for the To App features, so Okta provisions the people.
after_features = pulumi.ResourceOptions.merge(
    child, pulumi.ResourceOptions(depends_on=[app.features] if app.features is not None else None)
)
for group in spec.groups:
    group_id = okta.group.get_group_output(name=group.name, opts=pulumi.InvokeOutputOptions(parent=app)).id
    okta.app.GroupAssignment(
        f"talend-assign-{group.name}",
        app_id=app.app.id,
        group_id=group_id,
        priority=group.priority,
        opts=after_features,
    )
    if group.push:
        okta.PushGroup(
            f"talend-push-{group.name}",
            app_id=app.app.id,
            source_group_id=group_id,
            status="ACTIVE",
            delete_target_group_on_destroy=False,
            opts=child,
        )
pulumi.export("appId", app.app_id)
