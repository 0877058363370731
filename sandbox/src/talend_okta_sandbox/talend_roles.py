"""Talend's role API in the stand-in: `/security/role-mappings` and `/scim/v2/Roles`, on the SCIM server's host.

As Talend documents them (see docs in `talend_okta.talend_api`): GET returns every mapping of the tenant, POST
replaces them all with the JSON array it is given. 401 without a valid token; 403 for a token whose owner lacks
SSO - Manage (the stand-in's `users_only_tokens`: SCIM accepts them, role mappings do not). Talend does not document
what it answers to a mapping naming a role it does not have; the stand-in stores it as given, so the program's own
check (unknown roles are refused before writing) is what keeps them out.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

ROLE_MAPPINGS_PATH = "/security/role-mappings"
ROLES_PATH = "/scim/v2/Roles"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ROLE_SCHEMA = "urn:talend:params:scim:schemas:core:2.0:Role"  # Talend's extension; its URN is not documented

# Talend Management Console's predefined roles and their permission ids (help.qlik.com "roles-tmc"), with the
# Pipeline Designer and API roles Talend's role-mapping page uses as examples. Empty: permissions not documented.
TALEND_ROLES: dict[str, list[str]] = {
    "Security Administrator": [
        "TMC_USER_MANAGEMENT",
        "TMC_ROLE_MANAGEMENT",
        "TMC_GROUP_MANAGEMENT",
        "TMC_SUBSCRIPTION_MANAGEMENT",
        "TMC_SSO_MANAGEMENT",
        "TMC_SERVICE_ACCOUNT_MANAGEMENT",
        "AUDIT_LOGS_VIEW",
    ],
    "Project Administrator": ["TMC_PROJECT_MANAGEMENT", "TMC_CONFIGURATION_NEXUS_USERLIBS"],
    "Environment Administrator": ["TMC_PIPELINE_MANAGEMENT", "TMC_ENVIRONMENT_MANAGEMENT", "TMC_PROMOTION_EXECUTION"],
    "Infrastructure Administrator": [
        "TMC_CLUSTER_MANAGEMENT",
        "TMC_STATIC_IP_MANAGEMENT",
        "TMC_EXPORT_LOGS_MANAGEMENT",
        "TMC_CLOUD_CONFIGURATION_MANAGEMENT",
        "TMC_RUN_PROFILE_MANAGEMENT",
    ],
    "Operator": ["TMC_OPERATOR", "TMC_RUN_PROFILE_MANAGEMENT"],
    "Assets Manager": ["TMC_CONNECTION_RESOURCE_EDIT"],
    "Integration Developer": [],
    "Pipelines Administrator": [],
    "Pipelines Designer": [],
    "Pipelines Operator": [],
    "Pipelines Viewer": [],
    "Dataset Administrator": [],
    "API Designer": [],
    "API Tester": [],
}

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class TalendRoles:
    """The tenant's roles and role mappings; tests and the demo change them "by hand" as an admin in TMC would."""

    roles: dict[str, list[str]] = field(default_factory=lambda: {k: list(v) for k, v in TALEND_ROLES.items()})
    mappings: list[dict[str, Any]] = field(default_factory=list)  # as last POSTed (or set by hand)
    writes: int = 0  # POSTs accepted
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set_mapping(self, name: str, roles: list[str]) -> None:
        """What an admin does in TMC: add or change one customer role's mapping."""
        with self._lock:
            self.mappings = [m for m in self.mappings if m["name"] != name] + [{"name": name, "roles": list(roles)}]

    def snapshot(self) -> dict[str, list[str]]:
        with self._lock:
            return {m["name"]: list(m["roles"]) for m in self.mappings}


class TalendRoleRoutes:
    """WSGI middleware: the role routes; every other path goes on to the SCIM server."""

    def __init__(self, scim_app: WsgiApp, roles: TalendRoles, tokens: Iterable[str], users_only: Iterable[str]):
        self.scim_app = scim_app
        self.roles = roles
        self.tokens = frozenset(tokens)  # owners with SSO - Manage
        self.users_only = frozenset(users_only)  # owners with Users - Manage only

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.rstrip("/") == ROLE_MAPPINGS_PATH:
            status, body = self._role_mappings(environ)
        elif path.rstrip("/") == ROLES_PATH:
            status, body = self._roles(environ)
        else:
            return self.scim_app(environ, start_response)
        payload = json.dumps(body).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        if status == 401:
            headers.append(("WWW-Authenticate", "Bearer"))
        start_response(_STATUS[status], headers)
        return [payload]

    def _token(self, environ: dict[str, Any]) -> str | None:
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        return token if scheme.lower() == "bearer" and token else None

    def _role_mappings(self, environ: dict[str, Any]) -> tuple[int, Any]:
        token = self._token(environ)
        if token not in self.tokens | self.users_only:
            return 401, _error(401, "Full authentication is required to access this resource")
        if token not in self.tokens:
            return 403, _error(403, "Access is denied: TMC_SSO_MANAGEMENT permission required")
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "GET":
            with self.roles._lock:
                return 200, [dict(m) for m in self.roles.mappings]
        if method != "POST":
            return 405, _error(405, f"Request method '{method}' is not supported")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"null")
        except (ValueError, KeyError):
            return 400, _error(400, "Malformed JSON request body")
        if not _valid_mappings(body):
            return 400, _error(400, 'Expected an array of {"name": string, "roles": [string]}')
        with self.roles._lock:
            self.roles.mappings = [{"name": m["name"], "roles": list(m["roles"])} for m in body]
            self.roles.writes += 1
            return 200, body

    def _roles(self, environ: dict[str, Any]) -> tuple[int, Any]:
        if self._token(environ) not in self.tokens | self.users_only:
            return 401, _error(401, "Full authentication is required to access this resource")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            start = max(1, int(query.get("startIndex", ["1"])[0]))
            count = max(0, int(query.get("count", ["100"])[0]))
        except ValueError:
            return 400, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "400"}
        with self.roles._lock:
            names = list(self.roles.roles)
            page = names[start - 1 : start - 1 + count]
            resources = [
                {
                    "schemas": [ROLE_SCHEMA],
                    "id": role_id(name),
                    "displayName": name,
                    "entitlement": [{"value": permission} for permission in self.roles.roles[name]],
                }
                for name in page
            ]
        return 200, {
            "schemas": [LIST_RESPONSE],
            "totalResults": len(names),
            "startIndex": start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }


_STATUS = {
    200: "200 OK",
    400: "400 Bad Request",
    401: "401 Unauthorized",
    403: "403 Forbidden",
    405: "405 Method Not Allowed",
}


def _error(status: int, detail: str) -> dict[str, Any]:
    return {"status": status, "detail": detail}


def role_id(name: str) -> str:
    return "role-" + "".join(c for c in name.lower() if c.isalnum())


def _valid_mappings(body: Any) -> bool:
    return isinstance(body, list) and all(
        isinstance(m, dict)
        and isinstance(m.get("name"), str)
        and m["name"]
        and isinstance(m.get("roles"), list)
        and all(isinstance(r, str) for r in m["roles"])
        for m in body
    )
