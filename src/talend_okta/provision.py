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

import typer
from rich.console import Console
from rich.markup import escape

from talend_okta.cli_io import fail
from talend_okta.http import ApiError, ApiStatusError, InputError, JsonApi, RetryPolicy, check_base_url
from talend_okta.okta_api import NOT_FOUND, AppUser, OktaClient
from talend_okta.push_state import PushState, creates_users, push_state
from talend_okta.redact import Redactor
from talend_okta.scim_api import TalendScimClient
from talend_okta.stack_files import StackOutputs, read_stack_outputs
from talend_okta.target import okta_target
from talend_okta.terminal import human_console

WORKERS = 16  # people provisioned at once (Okta allows 75 concurrent requests per org, 35 on free plans)
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


# --- the command --------------------------------------------------------------------------------------------------

SCIM_URL = "--scim-url (TALEND_SCIM_URL)"
SCIM_TOKEN = "--scim-token (TALEND_SCIM_TOKEN)"


def talend_scim(scim_url: str | None, scim_token: str | None, outputs: StackOutputs | None) -> tuple[str, str]:
    """Talend's SCIM API, to see whom Talend already holds: options (or their variables) win over stack outputs."""
    url = scim_url or (outputs.scim_base_url if outputs else None)
    token = scim_token or (outputs.scim_token.get_secret_value() if outputs and outputs.scim_token else None)
    missing = [name for name, value in ((SCIM_URL, url), (SCIM_TOKEN, token)) if not (value and value.strip())]
    if missing:
        raise InputError(f"missing {', '.join(missing)}: give the option, its environment variable or --stack-outputs")
    assert url is not None
    assert token is not None
    return check_base_url(url.strip(), SCIM_URL), token.strip()


def run(
    *,
    okta_url: str | None,
    okta_token: str | None,
    app_id: str | None,
    scim_url: str | None,
    scim_token: str | None,
    stack_outputs: str | None,
    stranded: bool,
    dry_run: bool,
    yes: bool,
) -> int:
    """0 done (or nothing to do, or a dry run), 1 someone refused or failed; could not run: one line, exit 2."""
    redact = Redactor([okta_token, scim_token])
    out = human_console()
    try:
        if not stranded:
            raise InputError("--stranded: say whom to provision (the people Okta never will: the only kind)")
        if not yes and not dry_run and stack_outputs == "-":
            raise InputError("--yes: with --stack-outputs - the outputs come on stdin, so there is no one to ask")
        outputs = read_stack_outputs(stack_outputs)
        target = okta_target(okta_url=okta_url, okta_token=okta_token, app_id=app_id, outputs=outputs)
        talend_url, talend_token = talend_scim(scim_url, scim_token, outputs)
        org, token = target.org_url, target.token.get_secret_value()
        redact.add(token, talend_token)
        assert target.app_id is not None  # required by okta_target
        with (
            OktaClient(org, token, redactor=redact) as okta,
            TalendScimClient(talend_url, talend_token, redactor=redact) as talend,
        ):
            found = plan(okta, talend, target.app_id)
    except (InputError, CannotProvision, ApiError) as err:
        fail(str(err), redact)

    _print_plan(out, found, redact)
    refused = 1 if found.refused else 0
    if not found.stranded:
        return refused
    if dry_run:
        out.print(f"Dry run: nothing changed ({_people(len(found.stranded))} would be assigned anew).")
        return refused
    if not yes:
        try:
            agreed = typer.confirm(f"Assign {_people(len(found.stranded))} anew so that Okta provisions them?")
        except typer.Abort:
            agreed = False
        if not agreed:
            out.print("Nothing changed.")
            return 1
    with AppAssignments(org, token, redactor=redact) as assignments:
        outcome = provision(assignments, found)
    _print_outcome(out, outcome, redact)
    return 1 if outcome.failed or found.refused else 0


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _print_plan(out: Console, found: Plan, redact: Redactor) -> None:
    if not found.stranded and not found.refused:
        out.print(f"App {found.app_id}: nobody is stranded (every assigned person is provisioned or on the way).")
        return
    total = len(found.stranded) + len(found.refused)
    out.print(
        escape(
            f"App {found.app_id}: {_people(total)} stranded (assigned before Okta's provisioning was on, never "
            "pushed to Talend)."
        )
    )
    if found.stranded:
        out.print(escape(redact(f"  to provision ({len(found.stranded)}): {names(found.stranded)}")))
    for person, why in found.refused:
        out.print(
            escape(
                redact(
                    f"  refused: {person.user_name} ({why}; Okta would link to that user and overwrite it: check "
                    "it is the same person, then Okta → the app → Assignments → Provision User)"
                )
            )
        )


def _print_outcome(out: Console, outcome: Outcome, redact: Redactor) -> None:
    for person, why in outcome.skipped:
        out.print(escape(redact(f"  left alone: {person.user_name} ({why})")))
    for person, why in outcome.failed:
        out.print(escape(redact(f"  failed: {person.user_name}: {why}")))
    out.print(
        escape(
            f"Assigned {_people(len(outcome.provisioned))} anew in {outcome.seconds:.1f} s; Okta provisions them "
            f"now ({len(outcome.failed)} failed, {len(outcome.skipped)} left alone). Then: talend-okta verify"
        )
    )
