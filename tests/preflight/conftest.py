"""An Okta org (the project's Okta sandbox, served on loopback) and a way to run `talend-okta preflight` against it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import Result

from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.talend import RunningTalend
from tests.cli_runner import talend_okta
from tests.conftest import TARGET_VARIABLES, ServeSandbox, sandbox_client

CANARY_TOKEN = "canary-okta-pf-5d2e9a7c41b3"
TALEND_TOKEN = "canary-7f3e9d2b1c0a5e4f-tln"
USERS_ONLY = "canary-talend-users-only-preflight-9e2f"  # its owner has Users - Manage, not SSO - Manage


@dataclass
class Org:
    """The sandbox org plus the Talend app as the last deployment left it."""

    okta: OktaSandbox
    url: str
    tmp: Path
    talend: RunningTalend  # for the seats and role-mapping reads
    app_id: str = ""
    groups: dict[str, str] = field(default_factory=dict)  # name → id
    assigned: dict[str, str] = field(default_factory=dict)  # the last deployment's `assignedGroups` output

    def group(self, name: str, *members: str) -> str:
        """An Okta group with these members (user ids)."""
        group_id = self.okta.add_group(name)
        self.groups[name] = group_id
        for user_id in members:
            self.okta.add_member(group_id, user_id)
        return group_id

    def people(self, domain: str, *names: str) -> list[str]:
        return [self.okta.add_user(f"{name}@{domain}", f"{name}@{domain}") for name in names]

    def deploy(self, *group_names: str) -> None:
        """What `pulumi up` of an earlier config left in Okta: the app with these groups assigned."""
        self.app_id = self.okta.add_saml_app("Talend Cloud")
        for name in group_names:
            self.okta.assign_group(self.app_id, self.groups[name])
            self.assigned[name] = self.groups[name]

    def rename(self, name: str, new_name: str) -> None:
        """An admin renames the group in Okta (through the API, as the admin console does)."""
        group_id = self.groups.pop(name)
        with sandbox_client(base_url=self.url, headers={"Authorization": f"SSWS {CANARY_TOKEN}"}) as okta:
            response = okta.put(f"/api/v1/groups/{group_id}", json={"profile": {"name": new_name}})
        assert response.status_code == 200, response.text
        self.groups[new_name] = group_id

    def config(self, groups: list[str | dict[str, Any]], **extra: Any) -> Path:
        """A stack config file as `pulumi config set` writes it (the token encrypted, as a `secure:` value)."""
        config: dict[str, Any] = {
            "okta:orgName": "acme",
            "okta:baseUrl": "okta.com",
            "talend-okta:region": "eu",
            "talend-okta:domainName": "acme.eu.cloud.talend.com",
            "talend-okta:scimToken": {"secure": "v1:c2VjcmV0:Zm9v"},
            "talend-okta:groups": [{"name": g} if isinstance(g, str) else g for g in groups],
        }
        config.update(extra)
        path = self.tmp / "Pulumi.dev.yaml"
        path.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
        return path

    def outputs(self, **extra: Any) -> Path:
        """`pulumi stack output --json` of the deployed stack (no appId before the first deploy)."""
        outputs: dict[str, Any] = {"oktaOrgUrl": self.url}
        if self.app_id:
            outputs.update(appId=self.app_id, assignedGroups=self.assigned)
        outputs.update(extra)
        path = self.tmp / "stack-outputs.json"
        path.write_text(json.dumps(outputs), encoding="utf-8")
        return path

    def preflight(
        self, *args: str, config: Path | None = None, env: dict[str, str] | None = None, outputs: bool = True
    ) -> Result:
        """Run the real CLI: the token from the environment, Okta URL and app id from the stack outputs."""
        if config is None:
            config = self.tmp / "Pulumi.dev.yaml"
        base = ["preflight", "--config", str(config)]
        if outputs and "--stack-outputs" not in args and "--app-id" not in args:
            base += ["--stack-outputs", str(self.outputs())]
        environment: dict[str, str | None] = dict.fromkeys(TARGET_VARIABLES)
        environment["OKTA_API_TOKEN"] = CANARY_TOKEN
        environment.update(env or {})
        return talend_okta([*base, *args], env=environment, catch_exceptions=False)

    def report(self, *args: str, **kwargs: Any) -> tuple[Result, dict[str, Any]]:
        """Run preflight with `--json -` and parse the report."""
        result = self.preflight("--json", "-", *args, **kwargs)
        return result, json.loads(result.stdout)


@pytest.fixture
def org(tmp_path: Path, serve_sandbox: ServeSandbox) -> Org:
    served = serve_sandbox(CANARY_TOKEN, TALEND_TOKEN, talend={"users_only_tokens": [USERS_ONLY]})
    return Org(served.okta, served.okta_url, tmp_path, served.talend)


def user_names(people: list[dict[str, Any]]) -> list[str | None]:
    return [person["user_name"] for person in people]


def assert_no_secret(result: Result, *files: Path) -> None:
    """The Okta token is in no output and no report file (the canary)."""
    texts = [result.stdout, result.stderr, *(f.read_text(encoding="utf-8") for f in files if f.exists())]
    for text in texts:
        assert CANARY_TOKEN not in text
