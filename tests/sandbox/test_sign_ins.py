"""Sign-ins in the sandbox's System Log: Okta's `user.authentication.sso` event, in the shape Okta's definition
gives (checked against it, not against the product), recorded by the admin command and paged like every event."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from talend_okta_sandbox.admin import cli
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.talend import RunningTalend
from tests.sandbox.conftest import API_TOKEN, SCIM_TOKEN

DEFINITION = Path(__file__).parents[3] / "shared" / "api-specs" / "okta-management-2026.06.3.yaml"
SIGN_IN = "user.authentication.sso"


@functools.cache
def schemas() -> dict[str, Any]:
    """The definition's `components.schemas` (libyaml's loader: the pure-Python one takes most of a minute)."""
    with DEFINITION.open(encoding="utf-8") as file:
        spec: dict[str, Any] = yaml.load(file, Loader=yaml.CSafeLoader)
    return spec["components"]["schemas"]  # type: ignore[no-any-return]


def assert_fits(value: Any, schema_name: str, where: str) -> None:
    """Every property of `value` is one the definition's schema declares, recursively through its $refs."""
    schema = schemas()[schema_name]
    properties: dict[str, Any] = schema.get("properties", {})
    assert isinstance(value, dict), where
    unknown = set(value) - set(properties)
    assert not unknown, f"{where}: {sorted(unknown)} not in {schema_name}"
    for key, item in value.items():
        spec = properties[key]
        ref = spec.get("$ref") or spec.get("items", {}).get("$ref")
        if item is None or ref is None or "enum" in schemas()[ref.rsplit("/", 1)[1]]:
            continue
        target = ref.rsplit("/", 1)[1]
        for element in item if spec.get("type") == "array" else [item]:
            assert_fits(element, target, f"{where}.{key}")


@pytest.fixture
def app_id(sandbox: OktaSandbox, talend: RunningTalend) -> str:
    app_id = sandbox.add_saml_app("Talend Cloud")
    sandbox.set_connection(app_id, talend.scim_url, SCIM_TOKEN)
    return app_id


def sign_ins(okta: httpx.Client, app_id: str, **params: Any) -> httpx.Response:
    expression = f'eventType eq "{SIGN_IN}" and target.id eq "{app_id}"'
    return okta.get("/api/v1/logs", params={"filter": expression, **params})


def test_a_sign_in_has_okta_s_event_shape(sandbox: OktaSandbox, app_id: str, okta: httpx.Client) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    sandbox.sign_in(app_id, ann)
    [event] = sign_ins(okta, app_id).json()
    assert_fits(event, "LogEvent", "event")
    assert event["eventType"] == SIGN_IN
    assert event["displayMessage"] == "User single sign on to app"
    assert event["outcome"] == {"result": "SUCCESS", "reason": None}
    assert (event["actor"]["id"], event["actor"]["type"], event["actor"]["alternateId"]) == (
        ann,
        "User",
        "ann@corp.example",
    )
    assert {(t["type"], t["id"]) for t in event["target"]} >= {("AppInstance", app_id)}
    assert event["severity"] in schemas()["LogSeverity"]["enum"]
    datetime.fromisoformat(event["published"])


def test_the_admin_command_signs_a_person_in(sandbox: OktaSandbox, app_id: str, okta: httpx.Client) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    env = {"OKTA_ORG_URL": str(okta.base_url).rstrip("/"), "OKTA_API_TOKEN": API_TOKEN}
    result = CliRunner().invoke(cli, ["sign-in", "--app-id", app_id, "--user", "ann@corp.example"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"App {app_id}: ann@corp.example signed in through Okta at 20")
    assert [e["actor"]["id"] for e in sign_ins(okta, app_id).json()] == [ann]


def test_okta_signs_in_only_an_active_assigned_person(sandbox: OktaSandbox, app_id: str, okta: httpx.Client) -> None:
    sandbox.add_user("bob@corp.example", "bob@corp.example", "Bob", "Ray")
    env = {"OKTA_ORG_URL": str(okta.base_url).rstrip("/"), "OKTA_API_TOKEN": API_TOKEN}
    result = CliRunner().invoke(cli, ["sign-in", "--app-id", app_id, "--user", "bob@corp.example"], env=env)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "is not assigned to app" in result.output
    assert sign_ins(okta, app_id).json() == []


def test_a_long_log_pages_every_sign_in_once_newest_first(
    sandbox: OktaSandbox, app_id: str, okta: httpx.Client
) -> None:
    ann = sandbox.add_user("ann@corp.example", "ann@corp.example", "Ann", "Lee")
    sandbox.assign_user(app_id, ann)
    start = datetime.now(UTC) - timedelta(days=10)
    for minute in range(2500):
        sandbox.sign_in(app_id, ann, at=start + timedelta(minutes=minute))
    sandbox.sign_in(app_id, ann, at=start - timedelta(days=1))  # seeded late, older than all: goes first in time
    now = datetime.now(UTC)
    window = {"since": (now - timedelta(days=30)).isoformat(), "until": now.isoformat()}
    published: list[str] = []
    response = sign_ins(okta, app_id, limit=1000, sortOrder="DESCENDING", **window)
    pages = 1
    while True:
        assert response.status_code == 200, response.text
        published += [e["published"] for e in response.json()]
        if "next" not in response.links:
            break
        response = okta.get(response.links["next"]["url"])
        pages += 1
    assert pages == 3
    assert len(published) == len(set(published)) == 2501
    assert published == sorted(published, reverse=True)


def test_talend_users_carry_their_roles_over_scim(talend: RunningTalend, scim: httpx.Client) -> None:
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann", "active": True}
    assert scim.post("/Users", json=body).status_code == 201
    talend.account.set_roles("ann", ["Operator", "Integration Developer"])
    [user] = scim.get("/Users", params={"attributes": "userName,roles"}).json()["Resources"]
    assert user["roles"] == [
        {"value": "role-integrationdeveloper", "display": "Integration Developer"},
        {"value": "role-operator", "display": "Operator"},
    ]
    assert "roles" in scim.get(f"/Users/{user['id']}").json()
    [only_names] = scim.get("/Users", params={"attributes": "userName"}).json()["Resources"]
    assert "roles" not in only_names
