"""The default stack never strands anyone: its group assignments wait for Okta to create users for the app.

Under Pulumi's mocks hooks do not run, so these tests check what the program registers (the assignments resource
depends on the To App features and carries the before-create and before-update hook: adding a group is an update),
then run the bound hook against the Okta sandbox as an org that refuses the provisioning APIs would answer: no
assignment, one line naming the console steps.
"""

from __future__ import annotations

import logging
from typing import Any

import pulumi
import pytest

from talend_okta.assignment_guard import AssignmentRefused
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_oauth import generate_key_pair
from tests.stack.harness import CANARY_TOKEN, OktaMocks, RunStack, StackRun, base_config

OKTA_TOKEN = "okta-canary-never-strands-4e5f"
GROUPS = [{"name": "Talend Developers", "push": True}, {"name": "Talend Operators"}]
ASSIGNMENTS = "talend-assignments"
HOOKED = {"before_create": ["okta-creates-users"], "before_update": ["okta-creates-users"]}


def deploy(run_stack: RunStack, okta_url: str, **provisioning: bool) -> StackRun:
    config = base_config(groups=GROUPS, provisioning={"manage": True, **provisioning})
    return run_stack(config, okta_config={"httpProxy": okta_url, "apiToken": OKTA_TOKEN})


def features_urn(run: StackRun) -> str:
    (urn,) = [urn for urn in run.urns() if urn.endswith("::talend-to-app")]
    return urn


def run_hook(run: StackRun, app_id: str, old: list[str], new: list[str]) -> None:
    """The hook as the CLI calls it before creating (no old groups) or updating the assignments resource."""
    hook: pulumi.ResourceHook = run.namespace["talend_app"].assignment_hook
    args = pulumi.ResourceHookArgs(urn="", id="", name=ASSIGNMENTS, type="talend:GroupAssignments")
    args.old_inputs = {"appId": app_id, "groups": [{"name": name, "groupId": "00g0"} for name in old]}
    args.new_inputs = {"appId": app_id, "groups": [{"name": name, "groupId": "00g1"} for name in new]}
    hook.callback(args)


def test_assignments_depend_on_the_to_app_features_and_carry_the_hook(run_stack: RunStack) -> None:
    run = deploy(run_stack, "http://127.0.0.1:18080")
    assert features_urn(run) in run.monitor.dependencies[ASSIGNMENTS]
    assert run.monitor.hooks[ASSIGNMENTS] == HOOKED
    assert run.monitor.hooks["talend-push-groups"] == {}


def test_the_hook_refuses_on_an_org_that_does_not_provision_the_app(run_stack: RunStack) -> None:
    sandbox = OktaSandbox(OKTA_TOKEN)
    with sandbox.serve() as okta_url:
        app_id = sandbox.add_saml_app("Talend Cloud", connection_api=False)  # as `pulumi up` left it on a real org
        run = deploy(run_stack, okta_url)
        with pytest.raises(AssignmentRefused) as refused:
            run_hook(run, app_id, [], ["Talend Developers"])
        with pytest.raises(AssignmentRefused):
            run_hook(run, app_id, ["Talend Developers"], ["Talend Developers", "Talend Operators"])  # a group added
        run_hook(run, app_id, ["Talend Developers"], ["Talend Developers"])  # nothing added: nothing to refuse
        sandbox.set_connection(app_id, "https://api.eu.cloud.talend.com/scim/v2", CANARY_TOKEN)
        sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
        run_hook(run, app_id, [], ["Talend Operators"])  # once the admin switched SCIM and Create Users on: assigned
    assert str(refused.value).startswith(
        f"group 'Talend Developers' not assigned: Okta does not create users for app {app_id} yet"
    )
    assert OKTA_TOKEN not in str(refused.value)


@pytest.mark.parametrize(
    "provisioning", [{"assignBeforeProvisioning": True}, {"createUsers": False}], ids=["opted-in", "no-create"]
)
def test_no_wait_when_opted_in_or_without_create_users(run_stack: RunStack, provisioning: dict[str, Any]) -> None:
    run = deploy(run_stack, "http://127.0.0.1:18080", **provisioning)
    assert run.namespace["talend_app"].assignment_hook is None
    assert features_urn(run) not in run.monitor.dependencies[ASSIGNMENTS]
    assert run.monitor.hooks[ASSIGNMENTS] == {}


def test_without_an_okta_token_the_dependency_still_holds(run_stack: RunStack) -> None:
    run = run_stack(
        base_config(groups=GROUPS, provisioning={"manage": True}), okta_config={"httpProxy": "http://127.0.0.1:1"}
    )
    assert run.namespace["talend_app"].assignment_hook is None
    assert features_urn(run) in run.monitor.dependencies[ASSIGNMENTS]


def test_the_program_binds_the_hook_to_the_providers_service_app(run_stack: RunStack) -> None:
    """okta:clientId, okta:privateKey, okta:scopes in the stack config: the hook reads the app as that service app."""
    sandbox = OktaSandbox(OKTA_TOKEN)
    keys = generate_key_pair()
    sandbox.register_service_app("0oaprogram1", keys.public_pem, ["okta.apps.manage", "okta.groups.manage"])
    service_app = {
        "clientId": "0oaprogram1",
        "privateKey": keys.private_pem,
        "scopes": '["okta.apps.manage", "okta.groups.manage"]',
    }
    with sandbox.serve() as okta_url:
        app_id = sandbox.add_saml_app("Talend Cloud", connection_api=False)
        config = base_config(groups=GROUPS, provisioning={"manage": True})
        run = run_stack(config, okta_config={"httpProxy": okta_url, **service_app})
        with pytest.raises(AssignmentRefused) as refused:
            run_hook(run, app_id, [], ["Talend Developers"])
    assert "Okta does not create users for app" in str(refused.value)
    assert sandbox.oauth.issued == 1


class AppWithFeatures(OktaMocks):
    """The app as Pulumi last read it, with these read-only features (None: a new app, not read yet)."""

    def __init__(self, features: list[str] | None) -> None:
        super().__init__()
        self.features = features

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ == "okta:app/saml:Saml" and self.features is not None:
            state["features"] = self.features
        return resource_id, state


WAITING = "Group assignments wait for Okta to create users for the app"
NOT_YET = "Okta does not create users for this app yet (its features as last read: "


@pytest.mark.parametrize(
    ("features", "said"),
    [
        (None, WAITING),  # a new app: what the first deploy does
        ([], NOT_YET),  # Okta does not create users for it yet
        (["SCIM_PROVISIONING", "PUSH_NEW_USERS", "PUSH_USER_DEACTIVATION"], None),  # it does: nothing to say
    ],
    ids=["new-app", "not-creating", "creating"],
)
def test_the_preview_says_the_assignments_wait_only_while_they_do(
    run_stack: RunStack, caplog: pytest.LogCaptureFixture, features: list[str] | None, said: str | None
) -> None:
    caplog.set_level(logging.INFO)
    config = base_config(groups=GROUPS, provisioning={"manage": True})
    run_stack(config, okta_config={"httpProxy": "http://127.0.0.1:18080"}, mocks=AppWithFeatures(features))
    messages = [record.getMessage() for record in caplog.records]
    told = [m for m in messages if m.startswith((WAITING, NOT_YET))]
    assert [m.startswith(said) for m in told] == ([True] if said else [])
