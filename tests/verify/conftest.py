"""A small world for verify: the Okta sandbox and the Talend SCIM stand-in (scim2-server), both on loopback.

Both come from the shared `serve_sandbox` fixture; the Talend stand-in is served behind `TalendFaults`, a WSGI
layer that can answer the next matching requests with a canned response (429, 5xx, garbage) before they reach the
real server.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from scim2_models import User
from scim2_server.memory import InMemoryStorage
from scim2_server.utils import load_default_provider

from talend_okta.target import ConnectionSettings
from talend_okta_sandbox.contract_watch import FAULT_KEY
from talend_okta_sandbox.okta import OktaSandbox
from tests.cli_runner import talend_okta
from tests.conftest import ServeSandbox

# Canary tokens: tests assert they never show up in any output.
OKTA_TOKEN = "okta-canary-6b1e0c9d8f7a5e4d"
SCIM_TOKEN = "scim-canary-3c2b1a0f9e8d7c6b"
APP_LABEL = "Talend Cloud"
USERS_GROUP = "Talend Users"

_USER_TYPE = next(rt for rt in load_default_provider().resource_types if rt.name == "User")


class TalendFaults:
    """WSGI middleware: the next `times` requests whose path matches get `status`/`body`/`headers` instead."""

    def __init__(self) -> None:
        self.app: Callable[..., Any] | None = None  # the stand-in, set by `around`
        self.requests: list[str] = []  # path?query of every request, for assertions
        self._faults: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def around(self, app: Callable[..., Any]) -> TalendFaults:
        """Wrap the stand-in's WSGI app (`run_talend`'s middleware)."""
        self.app = app
        return self

    def add(
        self, path_pattern: str, status: int, body: bytes = b"", headers: dict[str, str] | None = None, times: int = 1
    ) -> None:
        with self._lock:
            self._faults.append(
                {
                    "pattern": re.compile(path_pattern),
                    "status": status,
                    "body": body,
                    "headers": headers or {},
                    "times": times,
                }
            )

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        with self._lock:
            self.requests.append(f"{path}?{environ.get('QUERY_STRING', '')}")
            fault = next((f for f in self._faults if f["times"] > 0 and f["pattern"].search(path)), None)
            if fault is not None:
                fault["times"] -= 1
        if fault is None:
            assert self.app is not None
            return self.app(environ, start_response)
        environ[FAULT_KEY] = True  # the test's answer, not Talend's: not checked against Talend's definition
        headers = [("Content-Length", str(len(fault["body"]))), *fault["headers"].items()]
        start_response(f"{fault['status']} Fault", headers)
        return [fault["body"]]


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None

    def check(self, name: str) -> dict[str, Any]:
        assert self.report is not None, self.stderr
        return next(c for c in self.report["checks"] if c["name"] == name)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr + json.dumps(self.report)


@dataclass
class World:
    okta: OktaSandbox
    okta_url: str
    app_id: str
    group_id: str
    scim_url: str
    storage: InMemoryStorage
    talend_faults: TalendFaults
    tmp_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def person(self, local: str, domain: str = "example.com", *, group: str | None = None) -> str:
        """An Okta user `local@domain`, assigned to the app through the users group (or `group`)."""
        user_id = self.okta.add_user(f"{local}@{domain}", f"{local}@{domain}", local.title(), "Tester")
        self.okta.add_member(group or self.group_id, user_id)
        return user_id

    def talend_user(self, user_name: str, *, active: bool = True) -> str:
        """A user created straight in Talend's storage (as if someone invited them by hand)."""
        created = self.storage.create(_USER_TYPE, User(user_name=user_name, active=active))
        return str(created.id)

    def set_talend_active(self, user_name: str, active: bool) -> None:
        user: Any = next(r for r in self.storage.resources if getattr(r, "user_name", None) == user_name)
        user.active = active
        self.storage.update(_USER_TYPE, user)

    def delete_talend_user(self, user_name: str) -> None:
        user = next(r for r in self.storage.resources if getattr(r, "user_name", None) == user_name)
        self.storage.delete(_USER_TYPE, str(user.id))

    def settings(self, **changes: Any) -> ConnectionSettings:
        values: dict[str, Any] = {
            "okta_url": self.okta_url,
            "okta_credentials": OKTA_TOKEN,
            "app_id": self.app_id,
            "scim_url": self.scim_url,
            "scim_token": SCIM_TOKEN,
        }
        return ConnectionSettings.model_validate(values | changes)

    def run(
        self, *args: str, env: dict[str, str] | None = None, timeout: str = "0", input_text: str | None = None
    ) -> Run:
        """`talend-okta verify` in-process, with connection settings from the environment and a JSON report."""
        report_path = self.tmp_path / "report.json"
        report_path.unlink(missing_ok=True)
        base_env = {
            "OKTA_ORG_URL": self.okta_url,
            "OKTA_API_TOKEN": OKTA_TOKEN,
            "TALEND_OKTA_APP_ID": self.app_id,
            "TALEND_SCIM_URL": self.scim_url,
            "TALEND_SCIM_TOKEN": SCIM_TOKEN,
        }
        argv = ["verify", "--timeout", timeout, "--poll-interval", "0.05", "--json", str(report_path), *args]
        result = talend_okta(argv, env=base_env | (env or {}), input=input_text)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        report = json.loads(report_path.read_text()) if report_path.exists() else None
        return Run(result.exit_code, result.stdout, result.stderr, report)


@pytest.fixture
def world(tmp_path: Path, serve_sandbox: ServeSandbox) -> World:
    """An Okta app with SCIM provisioning to the Talend stand-in, and a group assigned to it; no users yet.

    Provisioning runs only when a test calls `world.okta.sync()`, so each test decides what Talend has seen.
    """
    faults = TalendFaults()
    served = serve_sandbox(OKTA_TOKEN, SCIM_TOKEN, talend={"middleware": faults.around})
    okta, scim_url = served.okta, served.talend.scim_url
    app_id = okta.add_saml_app(APP_LABEL)
    okta.set_connection(app_id, scim_url, SCIM_TOKEN)
    okta.set_user_provisioning(app_id, create=True, update_profile=True, deactivate=True)
    group_id = okta.add_group(USERS_GROUP)
    okta.assign_group(app_id, group_id)
    return World(okta, served.okta_url, app_id, group_id, scim_url, served.talend.storage, faults, tmp_path)


def token_fragments(token: str, length: int = 8) -> set[str]:
    """Every run of `length` consecutive characters of `token`: none may be shown."""
    return {token[i : i + length] for i in range(len(token) - length + 1)}


def assert_no_secrets(*texts: str) -> None:
    """Neither token, whole or any 8 characters of it, appears in `texts`."""
    fragments = token_fragments(OKTA_TOKEN) | token_fragments(SCIM_TOKEN)
    for text in texts:
        leaked = sorted(fragment for fragment in fragments if fragment in text)
        assert not leaked, f"token fragments {leaked} in {text!r}"
