"""`talend-okta provision --stranded`: push the people Okta never will (assigned before provisioning was enabled).

Okta documents no API for the admin console's "Provision User" (Okta help: "Provision unprovisioned users"; the
Apps API offers assign, update and unassign only). The least dangerous equivalent through the API is to assign each
stranded person anew, one by one, which Okta then provisions like any new assignment (Apps API, "Application User
Status": a new assignment on an app with PUSH_NEW_USERS is STAGED, then pushed):
- assigned directly (scope USER): unassign, then assign again (`DELETE`, then `POST /api/v1/apps/{id}/users`);
- assigned through a group (scope GROUP): make the assignment direct, then end the direct one, so the group assigns
  them anew (`POST` with scope USER, then `DELETE`); their groups and other apps are never touched.
Ending an assignment deactivates nobody: Talend holds nothing for a stranded person, and anyone Talend already holds
(by userName) is refused by name. Every person is read again just before and left alone unless still stranded, so a
provisioned person is never touched. Nothing runs while the app does not create users: that would strand them again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from talend_okta.http import ApiError, ApiStatusError, JsonApi, RetryPolicy
from talend_okta.okta_api import NOT_FOUND, AppUser, OktaClient
from talend_okta.push_state import PushState, creates_users, push_state
from talend_okta.redact import Redactor
from talend_okta.scim_api import TalendScimClient

WORKERS = 8  # people provisioned at once; each is 3 calls in Okta's /api/v1/apps bucket
SHOWN = 20  # people listed by name per kind; the rest are counted


class CannotProvision(Exception):
    """The command cannot run (exit 2); the message says why and what to do."""


@dataclass(frozen=True)
class Person:
    user_id: str
    user_name: str
    scope: str  # USER or GROUP


@dataclass
class Plan:
    """What the command would do: whom it provisions and whom it refuses (and why)."""

    app_id: str
    stranded: list[Person] = field(default_factory=list)
    refused: list[tuple[Person, str]] = field(default_factory=list)  # Talend already holds their userName


@dataclass
class Outcome:
    provisioned: list[Person] = field(default_factory=list)
    skipped: list[tuple[Person, str]] = field(default_factory=list)  # no longer stranded when read again
    failed: list[tuple[Person, str]] = field(default_factory=list)
    seconds: float = 0.0


def plan(okta: OktaClient, talend: TalendScimClient, app_id: str) -> Plan:
    """Read the app, its app users and Talend's users; raises `CannotProvision` when the app does not create users."""
    app = okta.get_app(app_id)
    if not creates_users(app.features):
        shown = ", ".join(app.features) or "none"
        raise CannotProvision(
            f"Okta does not create users for app {app_id} yet (its features: {shown}): provisioning the stranded "
            "people now would strand them again. In the Okta Admin Console: General → App Settings → Provisioning = "
            "SCIM; Provisioning → Integration (base URL, Talend token); To App → Create Users; then run this again"
        )
    stranded = [
        Person(user.id, user.user_name or "", user.scope)
        for user in okta.iter_app_users(app_id)
        if user.is_active and push_state(user, app_creates_users=True) is PushState.STRANDED
    ]
    result = Plan(app_id)
    if not stranded:
        return result
    held = {user.user_name.casefold(): user.is_active for user in talend.iter_users()}
    for person in sorted(stranded, key=lambda p: (p.user_name.casefold(), p.user_id)):
        active = held.get(person.user_name.casefold())
        if active is None:
            result.stranded.append(person)
        else:
            state = "an active" if active else "an inactive"
            result.refused.append((person, f"Talend already holds {state} user {person.user_name!r}"))
    return result


class AppAssignments:
    """Okta's app-user assignment calls (the only writes this command makes), with the shared retries."""

    def __init__(self, org_url: str, api_token: str, *, redactor: Redactor, retry: RetryPolicy | None = None) -> None:
        self._api = JsonApi("Okta", org_url, ("SSWS", api_token), redactor=redactor, retry=retry)

    def __enter__(self) -> AppAssignments:
        return self

    def __exit__(self, *exc: object) -> None:
        self._api.close()

    @property
    def requests(self) -> int:
        return self._api.requests

    def get(self, app_id: str, user_id: str) -> AppUser | None:
        try:
            data, response = self._api.get_json(f"/api/v1/apps/{app_id}/users/{user_id}")
        except ApiStatusError as err:
            if err.status == 404 and err.code in (NOT_FOUND, None):
                return None
            raise
        return self._api.parse(AppUser, data, response)

    def assign(self, app_id: str, user_id: str) -> None:
        """Assign directly (scope USER); the app's username template gives the username, as for the group."""
        self._api.send("POST", f"/api/v1/apps/{app_id}/users", json_body={"id": user_id, "scope": "USER"})

    def unassign(self, app_id: str, user_id: str) -> None:
        self._api.send("DELETE", f"/api/v1/apps/{app_id}/users/{user_id}")


def provision(
    assignments: AppAssignments,
    plan: Plan,
    *,
    workers: int = WORKERS,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Assign each planned person anew (see the module docstring); one failure never stops the others."""
    outcome = Outcome()
    started = time.monotonic()

    def one(person: Person) -> tuple[Person, str, str]:
        try:
            current = assignments.get(plan.app_id, person.user_id)
            if current is None or not current.is_active:
                return person, "skipped", "no longer assigned"
            if push_state(current, app_creates_users=True) is not PushState.STRANDED:
                return (
                    person,
                    "skipped",
                    f"no longer stranded (status {current.status}, syncState {current.sync_state})",
                )
            if current.scope == "GROUP":
                assignments.assign(plan.app_id, person.user_id)  # direct now, still assigned by the group too
                assignments.unassign(plan.app_id, person.user_id)  # the group assigns them anew
                return person, "provisioned", ""
            assignments.unassign(plan.app_id, person.user_id)
        except ApiError as err:
            return person, "failed", str(err)
        try:
            assignments.assign(plan.app_id, person.user_id)
        except ApiError as err:  # the one state worth a loud line: unassigned, not assigned again
            return person, "failed", f"unassigned but not assigned again, assign them in Okta: {err}"
        return person, "provisioned", ""

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="provision") as pool:
        for done, (person, result, why) in enumerate(pool.map(one, plan.stranded), start=1):
            if result == "provisioned":
                outcome.provisioned.append(person)
            elif result == "skipped":
                outcome.skipped.append((person, why))
            else:
                outcome.failed.append((person, why))
            if progress is not None:
                progress(done)
    outcome.seconds = time.monotonic() - started
    return outcome


def names(people: Iterable[Person], limit: int = SHOWN) -> str:
    """`a, b, c (+N more)`: a capped list for one line."""
    listed = [person.user_name or person.user_id for person in people]
    shown = ", ".join(listed[:limit])
    return shown + (f" (+{len(listed) - limit} more)" if len(listed) > limit else "")
