"""A world with stranded people: the Okta sandbox (an app whose groups were assigned before provisioning was
switched on) and the Talend SCIM stand-in, both on loopback."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.talend import RunningTalend
from tests.conftest import ServeSandbox, sandbox_client

OKTA_TOKEN = "okta-canary-prov-5d4c3b2a1f0e"
SCIM_TOKEN = "scim-canary-prov-9e8d7c6b5a4f"


@dataclass
class World:
    sandbox: OktaSandbox
    okta_url: str
    talend: RunningTalend
    app_id: str
    group_id: str
    people: dict[str, str]  # userName → Okta user id

    def talend_users(self) -> dict[str, bool]:
        with sandbox_client(base_url=self.talend.scim_url, headers={"Authorization": f"Bearer {SCIM_TOKEN}"}) as scim:
            found = scim.get("/Users", params={"count": 1000}).json().get("Resources", [])
        return {user["userName"]: user["active"] for user in found}

    def sandbox_group_assignment(self) -> dict[str, object]:
        """Talend Users' assignment to the app, as Okta's API answers it (without its timestamps)."""
        headers = {"Authorization": f"SSWS {OKTA_TOKEN}"}
        with sandbox_client(base_url=self.okta_url, headers=headers) as okta:
            found = okta.get(f"/api/v1/apps/{self.app_id}/groups/{self.group_id}").json()
        return {key: value for key, value in found.items() if key in ("id", "priority", "profile")}

    def app_user(self, name: str) -> dict[str, object]:
        found = self.sandbox.app_user(self.app_id, self.people[name])
        assert found is not None
        return found


def add_person(sandbox: OktaSandbox, name: str) -> str:
    return sandbox.add_user(f"{name}@acme.example", f"{name}@acme.example", name.title(), "Doe")


@pytest.fixture
def world(serve_sandbox: ServeSandbox) -> World:
    """ann and bob (group Talend Users), cy (direct) assigned before provisioning: stranded. dan (group Talend
    Admins) assigned after: provisioned."""
    served = serve_sandbox(OKTA_TOKEN, SCIM_TOKEN)
    sandbox, talend = served.okta, served.talend
    app_id = sandbox.add_saml_app("Talend Cloud", connection_api=False)
    group_id = sandbox.add_group("Talend Users")
    people = {name: add_person(sandbox, name) for name in ("ann", "bob", "cy", "dan")}
    for name in ("ann", "bob"):
        sandbox.add_member(group_id, people[name])
    sandbox.assign_group(app_id, group_id)
    sandbox.assign_user(app_id, people["cy"])
    sandbox.set_connection(app_id, talend.scim_url, SCIM_TOKEN)  # the admin switches SCIM on
    sandbox.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    admins = sandbox.add_group("Talend Admins")
    sandbox.add_member(admins, people["dan"])
    sandbox.assign_group(app_id, admins)
    sandbox.sync()
    return World(sandbox, served.okta_url, talend, app_id, group_id, people)
