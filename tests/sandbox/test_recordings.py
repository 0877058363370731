"""Replay real Okta traffic (the Terraform provider's go-vcr cassettes) against the sandbox.

Every recorded request is sent to the sandbox with the recorded ids swapped for the sandbox's; the sandbox must
answer with the recorded status code and with at least the recorded JSON keys, recursively. Requests to Okta
features the sandbox doesn't model (OIE access policies, the internal OIDC settings API) are not replayed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from talend_okta_sandbox.okta import OktaSandbox
from tests.sandbox.conftest import API_TOKEN

RECORDINGS = Path(__file__).parent / "okta-recordings"
CASSETTES = sorted(RECORDINGS.glob("*.yaml"))
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's loader reads the cassettes 10x faster

NOT_MODELLED = re.compile(r"^/api/v1/(internal/|policies\b)")
"""Paths outside the sandbox's scope: OIE access policies and the internal OIDC id-token settings."""

OKTA_ID = re.compile(r"\b(?:0oa|00g|00u|gPm)[A-Za-z0-9]{17}\b")
RECORDED_SCIM_HOST = "https://integrator-8357679-admin.okta.com"
NOWHERE = "http://127.0.0.1:9"
"""Recorded connection base URLs are rewritten to a closed loopback port: the replay never leaves the machine."""

NOT_COMPARED = ("oauthClient", "clientCredentials", "settings.app.")
"""OIDC client settings, and the per-app `settings.app` attributes that Okta's catalogue (OIN) apps define:
the sandbox models custom SAML apps and doesn't carry Okta's app catalogue."""


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path of a JSON value (`settings.signOn.audience`, `[]._links.self.href`)."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            name = "*" if prefix.endswith("appLinks") else key  # app link names are data, not schema
            path = f"{prefix}.{name}" if prefix else name
            paths.add(path)
            paths |= key_paths(item, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


class Replay:
    """One cassette's replay: maps recorded ids to the sandbox's as objects get created."""

    def __init__(self, sandbox: OktaSandbox, client: httpx.Client) -> None:
        self.sandbox, self.client = sandbox, client
        self.ids: dict[str, str] = {}

    def swap_ids(self, text: str) -> str:
        def swap(match: re.Match[str]) -> str:
            recorded = match.group(0)
            if recorded not in self.ids and recorded.startswith("0oa"):
                self.ids[recorded] = self.seed_existing_app()
            return self.ids.get(recorded, recorded)

        return OKTA_ID.sub(swap, text)

    def seed_existing_app(self) -> str:
        """An app the recording used without creating it: a provisioning-enabled app with an enabled connection."""
        app_id = self.sandbox.add_saml_app("Recorded app")
        self.sandbox.set_connection(app_id, NOWHERE, "recorded-token", enabled=True)
        return app_id

    def learn_ids(self, recorded: Any, answered: Any) -> None:
        if isinstance(recorded, dict) and isinstance(answered, dict):
            for key in ("id", "targetGroupId"):
                old, new = recorded.get(key), answered.get(key)
                if isinstance(old, str) and isinstance(new, str) and old not in self.ids:
                    self.ids[old] = new

    def send(self, request: dict[str, Any]) -> httpx.Response:
        url = urlsplit(request["url"])
        target = self.swap_ids(url.path + (f"?{url.query}" if url.query else ""))
        body = self.swap_ids(request.get("body") or "").replace(RECORDED_SCIM_HOST, NOWHERE)
        headers = {"Authorization": f"SSWS {API_TOKEN}", "Accept": "application/json"}
        if body:
            headers["Content-Type"] = "application/json"
        return self.client.request(request["method"], target, content=body.encode() or None, headers=headers)


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda path: path.stem)
def test_recorded_requests_get_recorded_shapes(cassette: Path, sandbox: OktaSandbox, okta: httpx.Client) -> None:
    interactions = yaml.load(cassette.read_text(encoding="utf-8"), Loader=SafeLoader)["interactions"]
    replay = Replay(sandbox, okta)
    replayed = 0
    for number, interaction in enumerate(interactions):
        request, recorded = interaction["request"], interaction["response"]
        if NOT_MODELLED.match(urlsplit(request["url"]).path):
            continue
        answer = replay.send(request)
        where = f"{cassette.stem} #{number} {request['method']} {request['url']}"
        assert answer.status_code == recorded["code"], f"{where}: {answer.status_code} {answer.text[:300]}"
        for header in ("Date", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"):
            assert header in answer.headers, f"{where}: no {header} header"
        if recorded["headers"].get("Link"):
            assert any('rel="self"' in link for link in answer.headers.get_list("Link")), where
        recorded_type = recorded["headers"].get("Content-Type", [""])[0]
        if recorded_type.startswith("application/xml"):
            assert answer.headers["Content-Type"].startswith("application/xml"), where
            assert "X509Certificate" in answer.text, where
        elif recorded.get("body"):
            expected = json.loads(recorded["body"])
            actual = answer.json()
            missing = {
                path
                for path in key_paths(expected) - key_paths(actual)
                if not any(part in path for part in NOT_COMPARED)
            }
            assert not missing, f"{where}: keys Okta sends and the sandbox doesn't: {sorted(missing)}"
            replay.learn_ids(expected, actual)
        else:
            assert not answer.content, f"{where}: Okta answered without a body"
        replayed += 1
    assert replayed >= 3, f"{cassette.stem}: only {replayed} requests replayed"


def test_shape_comparison_notices_a_missing_key() -> None:
    """The comparison used above does fail when a nested key is missing (guards against a vacuous replay)."""
    recorded = {"credentials": {"userName": "a"}, "_links": {"app": {"href": "x"}}}
    answered = {"credentials": {}, "_links": {"app": {"href": "x"}}}
    assert key_paths(recorded) - key_paths(answered) == {"credentials.userName"}
