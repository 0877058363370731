"""Talend's account API in the stand-in: `/account/subscription` (seats) and `/account/me` (a token's owner).

As Talend documents them:
- `GET /account/subscription` (Talend API "Seats and Subscription" 2021-03): the license, with
  `seats: [{application, maxUsers, currentUsers}]`. `currentUsers` is computed here from the SCIM users and the
  roles each holds: a user takes at most one seat per application, for any role or permission of it; Pipeline
  Designer seats are Studio seats; Management Console seats are taken by Environment Administrator,
  Infrastructure Administrator, Operator and the permissions listed in "Seat allocation per license" (Talend
  Management Console user guide). A deactivated user is counted as holding no seat (assumed: Talend documents
  seats freed when roles are removed, not what deactivation does).
- `GET /account/me` (Talend API "Identities Management" 2021-03, section Me): the user who owns the token, with
  their roles and permissions.
- A personal access token stops working when its owner is deactivated (Talend Management Console guide,
  "Deactivating users"): every SCIM and account request with the token of a deactivated owner gets 401.
Roles reach a user at SSO sign-in from the role mappings (`sign_in`), or as an admin sets them in TMC (`set_roles`).
A SCIM user carries its roles in `roles` (Talend SCIM API 2021-03, Users: "roles | roles | Multi-Valued", each
`{value, display, type, primary}` as its User schema's Role gives them; here `value` the role's id, `display` its
name): they are added to the Users answers of the SCIM server, which does not hold them.
Signing in with roles the license has no free seat for is refused per application, as Talend answers 402 to a role
assignment above the plan's limit (Identities Management API: "above the limit allowed by your plan").
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from scim2_server.memory import InMemoryStorage

from talend_okta_sandbox.talend_roles import TalendRoles, role_id

SUBSCRIPTION_PATH = "/account/subscription"
USERS_PATH = "/scim/v2/Users"
ME_PATH = "/account/me"

STUDIO = "Studio"
DATA_PREPARATION = "Data Preparation"
DATA_STEWARDSHIP = "Data Stewardship"
MANAGEMENT_CONSOLE = "Management Console"
APPLICATIONS = (STUDIO, DATA_PREPARATION, DATA_STEWARDSHIP, MANAGEMENT_CONSOLE)
LOCAL_ADMIN = "Security Administrator"  # the role of the Talend-local admin who owns a token `owners` does not name

# Each predefined role's application, from the guide that defines the role. The product keeps its own reading of the
# same guides (talend_okta.capacity); the stand-in plays Talend and does not import it, and
# tests/sandbox/test_talend_account.py checks that the two readings agree.
ROLE_APPLICATIONS = {
    # Talend Management Console guide, roles-tmc: Integration Developer publishes from Studio.
    "Integration Developer": STUDIO,
    # Talend Management Console for Pipelines guide, roles-tpd: Pipeline Designer roles take Studio seats.
    "Pipelines Administrator": STUDIO,
    "Pipelines Designer": STUDIO,
    "Pipelines Operator": STUDIO,
    "Pipelines Viewer": STUDIO,
    # Talend Management Console guide, roles-tds.
    "Campaign Owner": DATA_STEWARDSHIP,
    "Campaign Operator": DATA_STEWARDSHIP,
    "Data Steward": DATA_STEWARDSHIP,
    "Rule - Manager": DATA_STEWARDSHIP,
    "Rule - Viewer": DATA_STEWARDSHIP,
    # Talend Data Preparation user guide, "User Roles".
    "Data Preparator": DATA_PREPARATION,
    "Dataset Manager": DATA_PREPARATION,
    # "Seat allocation per license": these default roles take a Management Console seat.
    "Environment Administrator": MANAGEMENT_CONSOLE,
    "Infrastructure Administrator": MANAGEMENT_CONSOLE,
    "Operator": MANAGEMENT_CONSOLE,
}
# "Seat allocation per license": the permissions that take a Management Console seat.
CONSOLE_SEAT_PERMISSIONS = frozenset(
    {
        "TMC_STATIC_IP_MANAGEMENT",
        "TMC_PIPELINE_MANAGEMENT",
        "TMC_PROMOTION_EXECUTION",
        "TMC_OPERATOR",
        "TMC_EXPORT_LOGS_MANAGEMENT",
        "TMC_CLUSTER_MANAGEMENT",
        "TMC_ENVIRONMENT_MANAGEMENT",
    }
)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class TalendAccount:
    """The tenant's license, who holds which roles, and who owns which token; tests and the demo set them."""

    seats: dict[str, int] = field(default_factory=lambda: dict.fromkeys(APPLICATIONS, 1000))  # app → maxUsers
    user_roles: dict[str, list[str]] = field(default_factory=dict)  # userName (casefolded) → Talend role names
    owners: dict[str, str] = field(default_factory=dict)  # token → its owner's userName; others: a local admin
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set_roles(self, user_name: str, roles: Iterable[str]) -> None:
        """What an admin does in TMC: give a user exactly these roles."""
        with self._lock:
            self.user_roles[user_name.casefold()] = sorted(set(roles))

    def roles_of(self, user_name: str) -> list[str]:
        with self._lock:
            return list(self.user_roles.get(user_name.casefold(), []))


def applications(roles: Iterable[str], permissions: dict[str, list[str]]) -> set[str]:
    """The applications these roles take a seat in."""
    found = set()
    for role in roles:
        if role in ROLE_APPLICATIONS:
            found.add(ROLE_APPLICATIONS[role])
        if CONSOLE_SEAT_PERMISSIONS & set(permissions.get(role, [])):
            found.add(MANAGEMENT_CONSOLE)
    return found


class TalendAccountRoutes:
    """WSGI middleware: the account routes, and 401 for the token of a deactivated owner; the rest goes on."""

    def __init__(
        self,
        inner: WsgiApp,
        account: TalendAccount,
        roles: TalendRoles,
        storage: InMemoryStorage,
        tokens: Iterable[str],
    ) -> None:
        self.inner = inner
        self.account = account
        self.roles = roles
        self.storage = storage
        self.tokens = frozenset(tokens)

    # --- what the stand-in knows ------------------------------------------------------------------------------

    def users(self) -> dict[str, Any]:
        """SCIM users by casefolded userName."""
        # By attribute: the server's User class is built from its schemas, not scim2_models.User.
        return {str(u).casefold(): r for r in self.storage.resources if (u := getattr(r, "user_name", None))}

    def used_seats(self) -> dict[str, int]:
        permissions = self.roles.roles
        used: dict[str, int] = {}
        for name, user in self.users().items():
            if user.active is False:
                continue
            for app in applications(self.account.roles_of(name), permissions):
                used[app] = used.get(app, 0) + 1
        return used

    def sign_in(self, user_name: str, customer_roles: Iterable[str]) -> list[str]:
        """SSO sign-in: the user's roles become those the role mappings give their customer roles (mapped roles
        override others). A role whose application has no free seat is not given; returns those applications."""
        mappings = self.roles.snapshot()
        wanted = {role for name in customer_roles for role in mappings.get(name, [])}
        had = applications(self.account.roles_of(user_name), self.roles.roles)
        used, limits = self.used_seats(), self.account.seats
        full = {app for app in applications(wanted, self.roles.roles) - had if used.get(app, 0) >= limits.get(app, 0)}
        given = {role for role in wanted if not applications([role], self.roles.roles) & full}
        self.account.set_roles(user_name, given)
        return sorted(full)

    # --- WSGI ---------------------------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        scheme, _, token = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        token = token if scheme.lower() == "bearer" else ""
        owner = self.users().get(self.account.owners.get(token, "").casefold())
        if owner is not None and owner.active is False:
            return _json(start_response, 401, {"status": 401, "detail": "The token's owner is deactivated"})
        path = environ.get("PATH_INFO", "").rstrip("/")
        if path.startswith(USERS_PATH) and environ.get("REQUEST_METHOD", "GET") == "GET":
            return self._with_roles(environ, start_response)
        if path not in (SUBSCRIPTION_PATH, ME_PATH):
            return self.inner(environ, start_response)
        if token not in self.tokens:
            return _json(start_response, 401, {"status": 401, "detail": "Full authentication is required"})
        if environ.get("REQUEST_METHOD", "GET") != "GET":
            return _json(start_response, 405, {"status": 405, "detail": "Method not allowed"})
        if path == SUBSCRIPTION_PATH:
            return _json(start_response, 200, self._subscription())
        return _json(start_response, 200, self._me(token))

    def _with_roles(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """The SCIM server's answer to a Users GET, each user with the roles Talend gives them (unless the request
        names `attributes` without roles, or excludes them)."""
        query = parse_qs(environ.get("QUERY_STRING", ""))
        asked = ",".join(query.get("attributes", [])).lower()
        excluded = ",".join(query.get("excludedAttributes", [])).lower()
        wanted = (not asked or "roles" in asked.split(",")) and "roles" not in excluded.split(",")
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return lambda data: None

        body = b"".join(self.inner(environ, capture))
        if wanted and answer["status"].startswith("200"):
            document = json.loads(body)
            for user in document.get("Resources", [document]):
                if isinstance(user, dict) and user.get("userName"):
                    roles = self.account.roles_of(str(user["userName"]))
                    user["roles"] = [{"value": role_id(role), "display": role} for role in roles]
            body = json.dumps(document).encode()
        headers = [(k, v) for k, v in answer["headers"] if k.lower() != "content-length"]
        start_response(answer["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _subscription(self) -> dict[str, Any]:
        used = self.used_seats()
        return {
            "startDate": "2026-01-01",
            "endDate": "2027-01-01",
            "licenseType": "SANDBOX",
            "applications": sorted(self.account.seats),
            "supportLevel": "NONE",
            "tokensStatus": {"total": 0, "consumed": 0},
            "enginesStatus": [],
            "seats": [
                {"application": app, "maxUsers": limit, "currentUsers": used.get(app, 0)}
                for app, limit in sorted(self.account.seats.items())
            ],
        }

    def _me(self, token: str) -> dict[str, Any]:
        if token not in self.account.owners:  # a Talend-local admin, not provisioned by Okta
            admin = {"name": LOCAL_ADMIN, "permissions": list(self.roles.roles.get(LOCAL_ADMIN, []))}
            return {
                "type": "USER",
                "id": "local-admin",
                "login": "admin",
                "name": "Tenant admin",
                "active": True,
                "roles": [admin],
                "createdDate": "2026-01-01T00:00:00Z",
                "lastModified": "2026-01-01T00:00:00Z",
            }
        name = self.account.owners[token]
        user = self.users().get(name.casefold())
        email = str(user.emails[0].value) if user is not None and user.emails else None
        return {
            "type": "USER",
            "id": str(user.id) if user is not None else name,
            "login": email or name or None,
            "email": email,
            "name": name or "token owner",
            "active": user.active is not False if user is not None else True,
            "roles": [
                {"name": role, "permissions": list(self.roles.roles.get(role, []))}
                for role in self.account.roles_of(name)
            ],
            "createdDate": "2026-01-01T00:00:00Z",
            "lastModified": "2026-01-01T00:00:00Z",
        }


_STATUS = {200: "200 OK", 401: "401 Unauthorized", 405: "405 Method Not Allowed"}


def _json(start_response: StartResponse, status: int, body: Any) -> list[bytes]:
    payload = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    if status == 401:
        headers.append(("WWW-Authenticate", "Bearer"))
    start_response(_STATUS[status], headers)
    return [payload]
