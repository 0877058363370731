"""The sandbox org the assignments providers are tested against, and the providers as the engine configures them."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dill
import pytest
from pulumi.dynamic import Config, ConfigureRequest
from pulumi.dynamic.dynamic import serialize_provider

from talend_okta.assignments import GroupAssignmentsProvider, PushGroupsProvider
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_limits import RateLimits
from tests.conftest import sandbox_client

TOKEN = "assignments-canary-okta-token-5c1d"


@dataclass
class Org:
    sandbox: OktaSandbox
    url: str
    app_id: str
    groups: dict[str, str]  # name → id

    def props(self, *declared: dict[str, Any]) -> dict[str, Any]:
        """The resource's inputs as the engine hands them over."""
        return {"oktaUrl": self.url, "appId": self.app_id, "groups": list(declared)}

    def group(self, name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "groupId": self.groups[name], **extra}

    def calls(self, since: int = 0) -> list[tuple[str, str]]:
        """(method, path) of the requests since `since`, without the query."""
        return [(method, target.split("?")[0]) for method, target in self.sandbox.requests[since:]]

    def get(self, path: str) -> Any:
        with sandbox_client(base_url=self.url, headers={"Authorization": f"SSWS {TOKEN}"}, timeout=5) as okta:
            response = okta.get(path, params={"limit": 200})
            response.raise_for_status()
            return response.json()

    def assigned(self) -> dict[str, int | None]:
        """Assigned group name → priority, as Okta lists them."""
        names = {group_id: name for name, group_id in self.groups.items()}
        return {names[g["id"]]: g.get("priority") for g in self.get(f"/api/v1/apps/{self.app_id}/groups")}

    def push_mappings(self) -> dict[str, str]:
        """Pushed group name → mapping status, as Okta lists them."""
        names = {group_id: name for name, group_id in self.groups.items()}
        listed = self.get(f"/api/v1/apps/{self.app_id}/group-push/mappings")
        return {names[m["sourceGroupId"]]: m["status"] for m in listed}

    def set_push_status(self, mapping_id: str, status: str) -> None:
        """What an admin does in the console: deactivate (or activate) a push mapping."""
        with sandbox_client(base_url=self.url, headers={"Authorization": f"SSWS {TOKEN}"}, timeout=5) as okta:
            path = f"/api/v1/apps/{self.app_id}/group-push/mappings/{mapping_id}"
            okta.patch(path, json={"status": status}).raise_for_status()


@pytest.fixture
def org() -> Iterator[Org]:
    sandbox = OktaSandbox(TOKEN, rate_limits=RateLimits.unlimited())
    app_id = sandbox.add_saml_app("Talend Cloud")
    groups = {name: sandbox.add_group(name) for name in ("Devs", "Ops", "Admins", "By hand")}
    with sandbox.serve() as url:
        yield Org(sandbox, url, app_id, groups)


def unpickled(
    provider: Any, token: str | None = TOKEN, org_url: str | None = None, config: dict[str, str] | None = None
) -> Any:
    """The provider as the engine's provider process gets it: pickled as the SDK does, unpickled, then configured
    with the stack's config (where `okta:apiToken` is, decrypted, the Okta provider's org and `config`)."""
    loaded = dill.loads(base64.b64decode(serialize_provider(provider)))
    raw = {} if token is None else {"okta:apiToken": token}
    if org_url is not None:
        raw["okta:httpProxy"] = org_url
    raw.update(config or {})
    loaded.configure(ConfigureRequest(Config(raw_config=raw, project_name="talend-okta")))
    return loaded


@pytest.fixture
def assignments(org: Org) -> GroupAssignmentsProvider:
    provider: GroupAssignmentsProvider = unpickled(GroupAssignmentsProvider(), org_url=org.url)
    return provider


@pytest.fixture
def pushes(org: Org) -> PushGroupsProvider:
    provider: PushGroupsProvider = unpickled(PushGroupsProvider(), org_url=org.url)
    return provider
