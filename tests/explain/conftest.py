"""A deployed Talend app in the Okta sandbox, with the Talend stand-in, for explain's end-to-end tests.

The app is deployed as the stack declares it (the sandbox's REST deploy): Email-prefix usernames, CustomerRoles,
To App on, three groups (two with Talend roles, one without), Talend's role mappings. Provisioning runs when a test
calls `world.sync()`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from typer.testing import Result

from talend_okta.explain.command import Explained, explain_person
from talend_okta.settings import load_settings
from talend_okta.target import ConnectionSettings
from talend_okta_sandbox.deploy import OktaAdmin, deploy
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.talend import RunningTalend
from tests.cli_runner import talend_okta
from tests.conftest import TARGET_VARIABLES, ServeSandbox, sandbox_client

OKTA_TOKEN = "00Qx7fK3mZp9Lr2VwT6yB1cN"  # canaries: no 8-character run in common
SCIM_TOKEN = "tPAT.h4Jd8sUe0GqW5oRa7Mv"
GROUPS = {
    "Talend Developers": {"priority": 1, "talendRoles": ["Integration Developer"]},
    "Talend Operators": {"priority": 2, "talendRoles": ["Operator"]},
    "Talend Guests": {"priority": 3},
}


@dataclass
class World:
    sandbox: OktaSandbox
    okta_url: str
    talend: RunningTalend
    app_id: str
    groups: dict[str, str]  # name → Okta group id
    outputs: dict[str, Any]  # the stack outputs the deploy wrote

    def person(self, login: str, email: str | None = None, *groups: str, first: str = "P", last: str = "Q") -> str:
        user_id = self.sandbox.add_user(login, email or login, first, last)
        for name in groups:
            self.sandbox.add_member(self.groups[name], user_id)
        return user_id

    def sync(self) -> None:
        self.sandbox.sync()

    def settings(self) -> ConnectionSettings:
        return ConnectionSettings(
            okta_url=self.okta_url,
            okta_credentials=SecretStr(OKTA_TOKEN),
            app_id=self.app_id,
            scim_url=self.talend.scim_url,
            scim_token=SecretStr(SCIM_TOKEN),
            talend_api_url=self.talend.api_url,
            talend_api_token=SecretStr(SCIM_TOKEN),
            assigned_groups=self.outputs["assignedGroups"],
            role_mappings=self.outputs["roleMappings"],
        )

    def explain(self, person: str, transport: httpx.BaseTransport | None = None) -> Explained:
        return explain_person(person, self.settings(), sleep=lambda seconds: None, transport=transport)

    def scim(self) -> httpx.Client:
        return sandbox_client(
            base_url=self.talend.scim_url, headers={"Authorization": f"Bearer {SCIM_TOKEN}"}, timeout=5.0
        )

    def strand(self, user_id: str) -> None:
        """Make the person's app user what Okta shows for someone assigned before provisioning was enabled: ACTIVE,
        syncState DISABLED, no externalId, and nothing queued for them (built directly until the sandbox plays
        Okta's "assigned before provisioning" on its own)."""
        self.sandbox.set_sync_state(self.app_id, user_id, "DISABLED", status="ACTIVE")
        org = self.sandbox._org  # the sandbox's own org: drop the push it queued for the assignment
        with org.lock:
            org.user_queue.pop(f"{self.app_id}/{user_id}", None)


@pytest.fixture
def world(serve_sandbox: ServeSandbox) -> World:
    served = serve_sandbox(OKTA_TOKEN, SCIM_TOKEN, provisioning_api="supported")
    sandbox, talend = served.okta, served.talend
    groups = {name: sandbox.add_group(name) for name in GROUPS}
    settings = load_settings(
        {
            "region": "eu",
            "domainName": "acme.eu.cloud.talend.com",
            "scimToken": SCIM_TOKEN,
            "groups": [{"name": name, **extra} for name, extra in GROUPS.items()],
        }
    )
    with OktaAdmin(served.okta_url, OKTA_TOKEN) as admin:
        deployed = deploy(admin, settings, scim_base_url=talend.scim_url, talend_api_url=talend.api_url)
    assert not deployed.failed
    return World(sandbox, served.okta_url, talend, deployed.app_id, groups, deployed.stack_outputs)


def run_cli(world: World, *args: str, tmp: Path, env: dict[str, str | None] | None = None) -> Result:
    """The real CLI: Okta, the app and Talend's SCIM URL from the stack outputs; the tokens from the environment."""
    outputs = tmp / "stack-outputs.json"
    outputs.write_text(json.dumps({**world.outputs, "scimBaseUrl": world.talend.scim_url}), encoding="utf-8")
    environment: dict[str, str | None] = dict.fromkeys(TARGET_VARIABLES)
    environment.update(OKTA_API_TOKEN=OKTA_TOKEN, TALEND_SCIM_TOKEN=SCIM_TOKEN, TALEND_API_URL=world.talend.api_url)
    environment.update(env or {})
    return talend_okta(["explain", *args, "--stack-outputs", str(outputs)], env=environment)
