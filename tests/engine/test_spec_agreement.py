"""The spec's two renderings leave the same app in Okta: what the real `pulumi up` leaves in the sandbox, field by
field, against the sandbox's REST deploy (`talend_okta_sandbox.deploy`) of the same settings in the same org.

tests/spec compares the renderings before they reach Okta; this compares what Okta then holds, so a provider
default or a field the REST deploy sends differently shows here.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from talend_okta.settings import load_settings
from talend_okta.spec import app_spec
from talend_okta_sandbox.deploy import OktaAdmin, deploy
from tests.engine.harness import PulumiProject
from tests.engine.test_deploy import GROUPS, OKTA_TOKEN, TALEND_TOKEN, Org, configure, org

__all__ = ["org"]  # the fixture, shared with test_deploy

# What only tells the two apps apart (ids, times, links, the generated app name and what Okta derives from it, the
# signing key), never what was declared.
OKTA_ASSIGNED = {"id", "name", "orn", "created", "lastUpdated", "_links", "_embedded"}


def app_as_declared(app: dict[str, Any]) -> dict[str, Any]:
    kept = {key: value for key, value in app.items() if key not in OKTA_ASSIGNED}
    kept["credentials"] = {k: v for k, v in kept.get("credentials", {}).items() if k != "signing"}
    visibility = kept.get("visibility", {})
    visibility["appLinks"] = sorted(visibility.get("appLinks", {}).values())  # keyed by the generated app name
    return kept


def what_okta_holds(org: Org, app_id: str) -> dict[str, Any]:
    """The app and everything it owns, as an admin reads them over Okta's API; Okta group ids by name."""
    names = {group_id: name for name, group_id in org.group_ids.items()}
    return {
        "app": app_as_declared(org.app(app_id)),
        "connection": {k: v for k, v in org.get(f"/api/v1/apps/{app_id}/connections/default").items() if k != "_links"},
        "features": org.get(f"/api/v1/apps/{app_id}/features/USER_PROVISIONING")["capabilities"],
        "assignments": {names[g["id"]]: g.get("priority") for g in org.get(f"/api/v1/apps/{app_id}/groups")},
        "push": sorted(
            (names[m["sourceGroupId"]], m["status"]) for m in org.get(f"/api/v1/apps/{app_id}/group-push/mappings")
        ),
    }


def test_pulumi_up_and_the_rest_deploy_leave_the_same_app(project: PulumiProject, org: Org) -> None:
    configure(project, org)
    project.run("up", "--yes", "--skip-preview")
    by_pulumi = what_okta_holds(org, project.outputs()["appId"])

    settings = load_settings(
        {
            "region": "eu",
            "domainName": "acme.eu.cloud.talend.com",
            "scimToken": TALEND_TOKEN,
            "groups": GROUPS,
            "provisioning": {"manage": True},
        }
    )
    with OktaAdmin(org.url, OKTA_TOKEN) as okta:
        deployed = deploy(okta, settings, scim_base_url=org.talend.scim_url)
    assert deployed.failed == []
    by_rest = what_okta_holds(org, deployed.app_id)

    # The one known difference: the REST deploy points Okta's connection at the Talend stand-in itself, while the
    # program declares Talend's URL and the sandbox routes it there (talend_routes).
    spec = app_spec(settings)
    assert by_pulumi["connection"].pop("baseUrl") == spec.scim_base_url
    assert by_rest["connection"].pop("baseUrl") == org.talend.scim_url
    for part in ("app", "connection", "features", "assignments", "push"):
        rest, pulumi = (json.dumps(x[part], indent=1, sort_keys=True).splitlines() for x in (by_rest, by_pulumi))
        assert rest == pulumi, "\n".join(difflib.unified_diff(pulumi, rest, "pulumi up", "REST deploy", lineterm=""))
    assert by_pulumi["app"]["settings"]["signOn"]["ssoAcsUrl"] == spec.saml.sso_url
