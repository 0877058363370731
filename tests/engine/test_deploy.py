"""`pulumi preview`, `up`, `refresh` and `destroy` with the real CLI and Okta provider against the sandbox.

Each scenario asserts what the sandbox then holds (read back over Okta's API, as a person would), not only exit
codes. They need the `pulumi-resource-okta` plugin (see harness.NO_OKTA_PLUGIN for why it may be missing).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE, scim_base_url
from talend_okta.sandbox.demo import DEVELOPERS, OPERATORS, seed_org, talend_okta_command
from talend_okta.sandbox.okta import OktaSandbox
from talend_okta.sandbox.talend import RunningTalend, run_talend
from tests.engine.harness import NO_OKTA_PLUGIN, PulumiProject, okta_plugin

OKTA_TOKEN = "engine-canary-okta-token-3b9e41c7"
TALEND_TOKEN = "engine-canary-talend-pat-5e0b7d22"
SSO_URL = "https://iam.eu.cloud.talend.com/oidc/ssologin"
GROUPS = [
    {"name": DEVELOPERS, "push": True, "priority": 1},
    {"name": OPERATORS, "push": False, "priority": 2},
]
APP = "okta:app/saml:Saml"
# The CLI (>= 3.221) starts a Python policy pack through the language host's RunPlugin without the (deprecated)
# program path, which the newest host the Go module proxy serves (v3.79) still reads: it runs the stack instead.
POLICY_PACKS_NEED_A_NEWER_HOST = (
    "policy packs need pulumi-language-python >= 3.221; the Go module proxy refuses that module, and v3.79 (from "
    "sdk/v3) runs the program instead of the pack. tests/policy/test_pack_server.py runs the pack over gRPC"
)


@dataclass
class Org:
    """The sandbox org a stack deploys into, its Talend stand-in, and an admin's API client for both."""

    sandbox: OktaSandbox
    url: str
    talend: RunningTalend
    group_ids: dict[str, str]
    okta: httpx.Client

    def app(self, app_id: str) -> dict[str, Any]:
        return self.get(f"/api/v1/apps/{app_id}")

    def get(self, path: str) -> Any:
        response = self.okta.get(path)
        response.raise_for_status()
        return response.json()

    def talend_apps(self) -> list[dict[str, Any]]:
        return [app for app in self.get("/api/v1/apps") if app.get("label") == "Talend Cloud"]


@pytest.fixture
def org() -> Iterator[Org]:
    if okta_plugin() is None:
        pytest.skip(NO_OKTA_PLUGIN)
    with run_talend(TALEND_TOKEN) as talend:
        sandbox = OktaSandbox(OKTA_TOKEN, scim_timeout=5.0, scim_routes={scim_base_url("eu"): talend.scim_url})
        group_ids = seed_org(sandbox)
        with (
            sandbox.serve(auto_sync=True) as url,
            httpx.Client(base_url=url, headers={"Authorization": f"SSWS {OKTA_TOKEN}"}, timeout=10.0) as okta,
        ):
            yield Org(sandbox, url, talend, group_ids, okta)


def configure(
    project: PulumiProject,
    org: Org,
    *,
    groups: list[dict[str, Any]] | None = None,
    provisioning: dict[str, bool] | None = None,
    talend_token: str = TALEND_TOKEN,
) -> None:
    """The example stack, pointed at the sandbox (`okta:httpProxy`), tokens set as Pulumi secrets."""
    project.extra_env = {"TALEND_SCIM_URL": org.talend.scim_url}
    project.set_config(
        {
            "okta:orgName": "sandbox",
            "okta:baseUrl": "okta.com",
            "okta:httpProxy": org.url,
            "talend-okta:region": "eu",
            "talend-okta:domainName": "acme.eu.cloud.talend.com",
            "talend-okta:groups": GROUPS if groups is None else groups,
            "talend-okta:provisioning": provisioning or {"manage": True},
        }
    )
    project.set_secret("okta:apiToken", OKTA_TOKEN)
    project.set_secret("talend-okta:scimToken", talend_token)


def steps(project: PulumiProject, *args: str) -> list[dict[str, Any]]:
    """The resource steps of a preview, from `pulumi preview --json`: [{op, urn, type, ...}]."""
    result = project.run("preview", "--json", *args)
    plan: dict[str, Any] = json.loads(result.output)
    return [step for step in plan.get("steps", []) if type_of(step["urn"]) != "pulumi:pulumi:Stack"]


def name_of(urn: str) -> str:
    return urn.split("::")[-1]


def type_of(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>` → `<type>`."""
    return urn.split("::")[-2].split("$")[-1]


def verify(project: PulumiProject, org: Org) -> subprocess.CompletedProcess[str]:
    """`talend-okta verify` on the stack's outputs, as the deploy workflow runs it."""
    outputs = json.dumps(project.outputs())
    env = project.env() | {
        "OKTA_API_TOKEN": OKTA_TOKEN,
        "TALEND_SCIM_URL": org.talend.scim_url,
        "TALEND_SCIM_TOKEN": TALEND_TOKEN,
        "NO_PROXY": "127.0.0.1",
    }
    return subprocess.run(
        [*talend_okta_command(), "verify", "--stack-outputs", "-", "--timeout", "60"],
        input=outputs,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_preview_up_and_verify(project: PulumiProject, org: Org) -> None:
    """a. preview lists exactly what the config implies; b. up creates it as declared and verify passes; i. no token
    in the exported state."""
    configure(project, org)

    planned = steps(project)
    assert sorted((step["op"], type_of(step["urn"]), name_of(step["urn"])) for step in planned) == sorted(
        [
            ("create", "talend-okta:index:TalendCloudApp", "talend"),
            ("create", APP, "talend-app"),
            ("create", "okta:app/connection:Connection", "talend-scim"),
            ("create", "okta:app/features:Features", "talend-to-app"),
            ("create", "okta:app/groupAssignment:GroupAssignment", f"talend-assign-{DEVELOPERS}"),
            ("create", "okta:app/groupAssignment:GroupAssignment", f"talend-assign-{OPERATORS}"),
            ("create", "okta:index/pushGroup:PushGroup", f"talend-push-{DEVELOPERS}"),
        ]
    )
    assert org.talend_apps() == []  # a preview changes nothing

    up = project.run("up", "--yes", "--skip-preview")
    assert TALEND_TOKEN not in up.output
    assert OKTA_TOKEN not in up.output

    outputs = project.outputs()
    (app,) = org.talend_apps()
    assert outputs["appId"] == app["id"]
    sign_on = app["settings"]["signOn"]
    assert [sign_on[key] for key in ("ssoAcsUrl", "recipient", "destination", "audience")] == [SSO_URL] * 4
    assert sign_on["subjectNameIdTemplate"] == "${user.login}"
    assert sign_on["subjectNameIdFormat"] == "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
    assert (sign_on["responseSigned"], sign_on["assertionSigned"]) == (True, True)
    assert (sign_on["signatureAlgorithm"], sign_on["digestAlgorithm"]) == ("RSA_SHA256", "SHA256")
    statements = {s["name"]: s["values"] for s in sign_on["attributeStatements"]}
    assert statements["TalendCloudDomainName"] == ['"acme.eu.cloud.talend.com"']
    assert {"given_name", "family_name", "middle_name"} <= statements.keys()
    assert app["credentials"]["userNameTemplate"] == {"template": EMAIL_PREFIX_TEMPLATE, "type": "BUILT_IN"}

    connection = org.get(f"/api/v1/apps/{app['id']}/connections/default")
    assert (connection["status"], connection["baseUrl"]) == ("ENABLED", scim_base_url("eu"))
    capabilities = org.get(f"/api/v1/apps/{app['id']}/features/USER_PROVISIONING")["capabilities"]
    assert capabilities["create"]["lifecycleCreate"]["status"] == "ENABLED"
    assert capabilities["update"]["lifecycleDeactivate"]["status"] == "ENABLED"
    assignments = {g["id"]: g["priority"] for g in org.get(f"/api/v1/apps/{app['id']}/groups")}
    assert assignments == {org.group_ids[DEVELOPERS]: 1, org.group_ids[OPERATORS]: 2}
    mappings = org.get(f"/api/v1/apps/{app['id']}/group-push/mappings")
    assert [(m["sourceGroupId"], m["status"]) for m in mappings] == [(org.group_ids[DEVELOPERS], "ACTIVE")]
    assert outputs["assignedGroups"] == {DEVELOPERS: org.group_ids[DEVELOPERS], OPERATORS: org.group_ids[OPERATORS]}
    assert outputs["pushedGroups"] == {DEVELOPERS: org.group_ids[DEVELOPERS]}

    checked = verify(project, org)
    assert checked.returncode == 0, checked.stdout + checked.stderr

    state = project.run("stack", "export").output + project.stack_file.read_text()
    assert OKTA_TOKEN not in state
    assert TALEND_TOKEN not in state


def test_redeploy_changes_nothing_and_drift_is_caught_then_repaired(project: PulumiProject, org: Org) -> None:
    """c. a second up is a no-op; d. drift made by hand fails the drift check, naming each change, and up repairs."""
    configure(project, org)
    project.run("up", "--yes", "--skip-preview")
    app_id = project.outputs()["appId"]

    again = project.run("up", "--yes", "--skip-preview")
    assert "unchanged" in again.output
    assert "updated" not in again.output
    project.run("preview", "--refresh", "--expect-no-changes")

    # An admin, by hand: username format back to Okta username, Create Users off, Operators unassigned.
    app = org.app(app_id)
    app["credentials"]["userNameTemplate"] = {"template": "${source.login}", "type": "BUILT_IN"}
    org.okta.put(f"/api/v1/apps/{app_id}", json=app).raise_for_status()
    feature = org.get(f"/api/v1/apps/{app_id}/features/USER_PROVISIONING")
    feature["capabilities"]["create"]["lifecycleCreate"]["status"] = "DISABLED"
    org.okta.put(
        f"/api/v1/apps/{app_id}/features/USER_PROVISIONING", json={"capabilities": feature["capabilities"]}
    ).raise_for_status()
    org.okta.delete(f"/api/v1/apps/{app_id}/groups/{org.group_ids[OPERATORS]}").raise_for_status()

    drift = project.run("preview", "--refresh", "--expect-no-changes", "--diff", check=False)
    assert drift.code != 0
    assert "userNameTemplate" in drift.output
    assert "lifecycleCreate" in drift.output or "capabilities" in drift.output
    assert f"talend-assign-{OPERATORS}" in drift.output

    project.run("up", "--yes", "--refresh", "--skip-preview")
    assert org.app(app_id)["credentials"]["userNameTemplate"]["template"] == EMAIL_PREFIX_TEMPLATE
    feature = org.get(f"/api/v1/apps/{app_id}/features/USER_PROVISIONING")
    assert feature["capabilities"]["create"]["lifecycleCreate"]["status"] == "ENABLED"
    assert org.group_ids[OPERATORS] in {g["id"] for g in org.get(f"/api/v1/apps/{app_id}/groups")}
    project.run("preview", "--refresh", "--expect-no-changes")


def test_rejected_talend_token_fails_up_without_showing_it(project: PulumiProject, org: Org) -> None:
    """e. the credentials hook stops `pulumi up` with one line; the token appears nowhere."""
    wrong = "engine-canary-wrong-pat-71aa09c3"
    configure(project, org, talend_token=wrong)

    up = project.run("up", "--yes", "--skip-preview", check=False)

    assert up.code != 0
    assert "talend-credentials" in up.output
    assert wrong not in up.output
    assert "Traceback" not in up.output


@pytest.mark.skip(reason=POLICY_PACKS_NEED_A_NEWER_HOST)
def test_policy_pack(project: PulumiProject, org: Org) -> None:
    """f. the example stack passes the policy pack; a stack that breaks a policy fails with the policy's message."""
    configure(project, org)
    project.run("preview", "--policy-pack", "policy")

    project.set_config({"talend-okta:provisioning": {"manage": True}})
    # Talend's userName is the email prefix: an app whose username template is changed by a transformation breaks
    # the policy. The program never does that, so break it in the policy pack's view: a stack whose domain name
    # points the SSO at another host is refused by the program itself; use a plaintext token instead.
    project.run("config", "set", "talend-okta:scimToken", TALEND_TOKEN)
    violated = project.run("preview", "--policy-pack", "policy", check=False)
    assert violated.code != 0
    assert "scim" in violated.output.lower()


def test_group_rename_with_and_without_former_names(project: PulumiProject, org: Org) -> None:
    """g. a rename with formerNames plans no delete of its assignment or push group; without them it does."""
    configure(project, org)
    project.run("up", "--yes", "--skip-preview")
    renamed = "Talend Engineers"
    org.okta.put(f"/api/v1/groups/{org.group_ids[DEVELOPERS]}", json={"profile": {"name": renamed}}).raise_for_status()

    configure(project, org, groups=[{**GROUPS[0], "name": renamed, "formerNames": [DEVELOPERS]}, GROUPS[1]])
    with_aliases = steps(project)
    assert not [s for s in with_aliases if s["op"] in ("delete", "replace", "delete-replaced", "create-replacement")]

    configure(project, org, groups=[{**GROUPS[0], "name": renamed}, GROUPS[1]])
    without = steps(project)
    deleted = {name_of(s["urn"]) for s in without if s["op"] == "delete"}
    assert {f"talend-assign-{DEVELOPERS}", f"talend-push-{DEVELOPERS}"} <= deleted


def test_destroy_stops_at_the_protected_app(project: PulumiProject, org: Org) -> None:
    """h. destroy deletes nothing while the app is protected; after unprotect it removes everything."""
    configure(project, org)
    project.run("up", "--yes", "--skip-preview")
    app_id = project.outputs()["appId"]
    before = len(org.get(f"/api/v1/apps/{app_id}/groups"))

    refused = project.run("destroy", "--yes", "--skip-preview", check=False)
    assert refused.code != 0
    assert "protected" in refused.output
    assert org.app(app_id)["status"] == "ACTIVE"
    assert len(org.get(f"/api/v1/apps/{app_id}/groups")) == before

    urn = next(line for line in project.run("stack", "--show-urns").output.split() if line.endswith("::talend-app"))
    project.run("state", "unprotect", urn, "--yes")
    project.run("destroy", "--yes", "--skip-preview")
    assert org.talend_apps() == []


def test_manage_false_deploys_no_connection_or_features(project: PulumiProject, org: Org) -> None:
    """j. provisioning.manage: false declares neither the connection nor the features."""
    configure(project, org, provisioning={"manage": False})

    project.run("up", "--yes", "--skip-preview")

    types = project.run("stack", "--show-urns").output
    assert "okta:app/connection:Connection" not in types
    assert "okta:app/features:Features" not in types
    app_id = project.outputs()["appId"]
    assert org.app(app_id)["status"] == "ACTIVE"
    assert org.sandbox.requests.count(("POST", f"/api/v1/apps/{app_id}/connections/default")) == 0
