"""Where the running program may send a Talend token (talend_okta.stack_config): the stack's Talend URLs, or the
sandbox's loopback stand-in only while the stack points Okta at the loopback sandbox. The component reads no
environment: the program decides and passes the URLs in."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from talend_okta.settings import load_settings
from talend_okta.spec import app_spec
from talend_okta.stack_config import talend_endpoints

STACK = Path(__file__).parents[2] / "stack"
SCIM = "https://api.eu.cloud.talend.com/scim/v2"
API = "https://api.eu.cloud.talend.com"
LOCAL_SCIM, LOCAL_API = "http://127.0.0.1:18081/scim/v2", "http://127.0.0.1:18081"
BASE = {"region": "eu", "domainName": "acme", "scimToken": "t0ken-x"}
ROLES = {**BASE, "groups": [{"name": "Devs", "talendRoles": ["Operator"]}]}
BOTH = {"TALEND_SCIM_URL": LOCAL_SCIM, "TALEND_API_URL": LOCAL_API}


@pytest.mark.parametrize("okta", ["http://127.0.0.1:18080", "http://localhost:18080"])
def test_loopback_stand_in_while_okta_is_the_loopback_sandbox(okta: str) -> None:
    chosen = talend_endpoints(app_spec(load_settings(ROLES)), okta, BOTH)
    assert (chosen.scim_url, chosen.api_url, chosen.warnings) == (LOCAL_SCIM, LOCAL_API, ())


@pytest.mark.parametrize(
    ("okta", "environ"),
    [
        ("https://acme.okta.com", BOTH),  # a real org: the variables are leftovers
        (None, BOTH),  # no Okta org configured
        (
            "http://127.0.0.1:18080",
            {"TALEND_SCIM_URL": "https://collector.example/scim", "TALEND_API_URL": "http://10.0.0.5"},
        ),
    ],
    ids=["real-org", "no-org", "sandbox-but-not-loopback"],
)
def test_otherwise_the_declared_urls_and_a_warning_per_ignored_variable(
    okta: str | None, environ: dict[str, str]
) -> None:
    chosen = talend_endpoints(app_spec(load_settings(ROLES)), okta, environ)
    assert (chosen.scim_url, chosen.api_url) == (SCIM, API)
    assert [w.split(" ", 1)[0] for w in chosen.warnings] == ["TALEND_SCIM_URL", "TALEND_API_URL"]
    assert all("is ignored: the program sends the Talend token only to the stack's" in w for w in chosen.warnings)
    assert not any(value in w for w in chosen.warnings for value in environ.values())  # never the value


def test_no_warning_for_a_url_the_stack_does_not_use() -> None:
    by_hand = app_spec(load_settings({**BASE, "provisioning": {"manage": False}}))
    chosen = talend_endpoints(by_hand, "https://acme.okta.com", BOTH)
    assert (chosen.api_url, chosen.warnings) == ("", ())  # no role mappings, no SCIM connection: nothing to send


def test_the_component_reads_no_environment() -> None:
    tree = ast.parse((STACK / "talend_cloud_app.py").read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "os" not in imported
    assert not any(m.startswith("talend_okta.stack_config") for m in imported)
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    assert not names & {"environ", "getenv"}
