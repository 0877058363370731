"""`talend-okta provision --stranded`: push the people Okta never will (assigned before provisioning was enabled).

Okta documents no API for the Admin Console's "Provision User" (Okta help: "Provision unprovisioned users"; the
Apps API offers assign, update and unassign only). What the API can do, on documented behaviour only: a NEW
assignment on an app that creates users is STAGED, then pushed (Apps API, "Application User Status"). So:
- assigned directly (scope USER), and through no assigned group: unassign, then assign again with the same
  `credentials.userName` and app profile, read just before (a 404 on the unassign means it is already done);
- assigned through a group: Okta refuses to unassign an individual assignment while a group grants the app (403
  E0000046), and a scope converted to USER cannot be converted back (see the sandbox's `Org.convert_scope`), so
  neither is ever tried. Instead a group whose every app user is stranded, assigned through that group only, and
  unknown to Talend is assigned again: unassigned, then assigned with the same priority and profile. Any other
  group's stranded members are listed with the Admin Console steps.
Only people whose Okta user is ACTIVE are touched. Each change goes through `access_change` (read before, write,
read back, undo on failure); afterwards every person is read again and reported as pushed, being pushed or still
stranded. Writes are paced by Okta's `X-Rate-Limit-Remaining` (`pacing`). Nothing runs while the app does not
create users: that would strand them again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Unpack

import typer
from rich.console import Console
from rich.markup import escape

from talend_okta.access_change import Change, Step, apply_change
from talend_okta.cli_io import fail
from talend_okta.http import ApiError, ApiStatusError, ClientOptions, InputError, check_base_url
from talend_okta.okta_api import AppGroup, AppUser, OktaClient
from talend_okta.okta_auth import OktaCredentials
from talend_okta.pacing import PacedTransport
from talend_okta.push_state import PushState, creates_users, push_state
from talend_okta.redact import Redactor
from talend_okta.scim_api import TalendScimClient
from talend_okta.stack_files import StackOutputs, read_stack_outputs
from talend_okta.target import okta_target
from talend_okta.terminal import human_console
from talend_okta.user_names import user_name_key

WORKERS = 16  # people at once; the pacing keeps them within the token's share of Okta's rate limit
SHOWN = 20  # people listed by name per kind; the rest are counted
E0000046 = "E0000046"  # Okta: "Deactivate application for user forbidden" (a group grants the app)


class CannotProvision(Exception):
    """The command cannot run (exit 2); the message says why and what to do."""


@dataclass(frozen=True)
class Person:
    user_id: str
    user_name: str  # the app username: what Okta sends to Talend as userName, and sends again here
    login: str  # the Okta login, for the Admin Console steps
    scope: str  # USER or GROUP


@dataclass(frozen=True)
class GroupToAssignAgain:
    group_id: str
    name: str
    members: tuple[Person, ...]  # every app user the group assigns: all stranded


@dataclass
class Plan:
    """Whom the command provisions, and how; whom it leaves alone, and why."""

    app_id: str
    app_label: str = ""
    direct: list[Person] = field(default_factory=list)  # unassigned and assigned again, one by one
    groups: list[GroupToAssignAgain] = field(default_factory=list)  # unassigned and assigned again, whole
    refused: list[tuple[Person, str]] = field(default_factory=list)  # Talend already holds their userName
    inactive: list[tuple[Person, str]] = field(default_factory=list)  # Okta user not ACTIVE: left alone
    console: list[tuple[Person, str]] = field(default_factory=list)  # only the Admin Console can: why

    @property
    def to_provision(self) -> list[Person]:
        people = [*self.direct, *(person for group in self.groups for person in group.members)]
        return sorted(people, key=lambda person: (user_name_key(person.user_name), person.user_id))

    @property
    def stranded(self) -> int:
        return len(self.to_provision) + len(self.refused) + len(self.inactive) + len(self.console)


def plan(okta: OktaClient, talend: TalendScimClient, app_id: str) -> Plan:
    """Read the app, its app users (with their Okta users), its groups and their members, and Talend's users;
    raises `CannotProvision` when the app does not create users."""
    app = okta.get_app(app_id)
    if not creates_users(app.features):
        shown = ", ".join(app.features) or "none"
        raise CannotProvision(
            f"Okta does not create users for app {app_id} yet (its features: {shown}): provisioning the stranded "
            "people now would strand them again. In the Okta Admin Console: General → App Settings → Provisioning = "
            "SCIM; Provisioning → Integration (base URL, Talend token); To App → Create Users; then run this again"
        )
    result = Plan(app_id, app.label)
    app_users = {user.id: user for user in okta.iter_app_users(app_id, expand_user=True) if user.is_active}
    if not any(_stranded(user) for user in app_users.values()):
        return result
    held = {user_name_key(user.user_name): user.is_active for user in talend.iter_users()}
    groups = list(okta.iter_app_groups_named(app_id))
    members = {group.id: {m.id for m in okta.iter_group_members(group.id)} & set(app_users) for group in groups}
    _sort_out(result, app_users, held, groups, members)
    return result


def _stranded(user: AppUser) -> bool:
    return push_state(user, app_creates_users=True) is PushState.STRANDED


def _not_active(user: AppUser) -> str | None:
    """Why the person is left alone: their Okta user is not ACTIVE."""
    status = user.okta_user.status if user.okta_user else "unknown"
    return None if status == "ACTIVE" else f"Okta user {status}: left alone"


def _held(user: AppUser, held: dict[str, bool]) -> str | None:
    """Why the person is refused: Talend already holds the userName a new assignment sends (theirs, again)."""
    active = held.get(user_name_key(user.user_name or ""))
    if active is None:
        return None
    return f"Talend already holds {'an active' if active else 'an inactive'} user {user.user_name!r}"


def _sort_out(
    result: Plan,
    app_users: dict[str, AppUser],
    held: dict[str, bool],
    groups: list[AppGroup],
    members: dict[str, set[str]],
) -> None:
    """Put every stranded person in exactly one list of `result` (see the module for the rules)."""
    granted_by: dict[str, list[AppGroup]] = {}
    for group in groups:
        for user_id in members[group.id]:
            granted_by.setdefault(user_id, []).append(group)
    by_name = sorted(app_users.values(), key=lambda user: (user_name_key(_name(user)), user.id))
    placed: set[str] = set()
    for user in by_name:
        if not _stranded(user):
            continue
        person, placed_now = _person(user), True
        if reason := _not_active(user):
            result.inactive.append((person, reason))
        elif reason := _held(user, held):
            result.refused.append((person, reason))
        elif user.scope == "USER" and user.id not in granted_by:
            result.direct.append(person)
        elif user.scope == "USER":
            named = ", ".join(group.name or group.id for group in granted_by[user.id])
            result.console.append((person, f"also assigned through {named}: Okta refuses to unassign them (E0000046)"))
        else:
            placed_now = False  # through a group: decided group by group below
        if placed_now:
            placed.add(user.id)
    for group in groups:
        assigned = [user for user in by_name if user.id in members[group.id]]
        candidates = [user for user in assigned if _stranded(user) and user.id not in placed]
        if not candidates:
            continue
        blocker = next(
            (reason for user in assigned if (reason := _group_blocker(group, user, granted_by[user.id], held))), None
        )
        if blocker is None:
            people = tuple(_person(user) for user in assigned)
            result.groups.append(GroupToAssignAgain(group.id, group.name or group.id, people))
        else:
            result.console += [(_person(user), blocker) for user in candidates]
        placed |= {user.id for user in candidates}
    for user in by_name:  # never silently: assigned through a group the app's listing does not show
        if _stranded(user) and user.id not in placed:
            result.console.append((_person(user), "assigned through a group the app's group listing does not show"))


def _group_blocker(group: AppGroup, user: AppUser, grants: list[AppGroup], held: dict[str, bool]) -> str | None:
    """Why assigning `group` again would not give this member a new assignment, or would touch them wrongly."""
    name = group.name or group.id
    if user.scope != "GROUP":
        return f"{_name(user)} in {name} is also assigned directly"
    if len(grants) > 1:
        others = ", ".join(other.name or other.id for other in grants if other.id != group.id)
        return f"{_name(user)} in {name} is also assigned through {others}"
    if not _stranded(user):
        return f"group {name}: {_name(user)} is already provisioned or on the way"
    reason = _not_active(user) or _held(user, held)
    return f"group {name}: {reason}" if reason else None


def _name(user: AppUser) -> str:
    return user.user_name or user.id


def _person(user: AppUser) -> Person:
    okta_user = user.okta_user
    return Person(user.id, user.user_name or "", okta_user.profile.login if okta_user else user.id, user.scope)


class AppAssignments(OktaClient):
    """Okta's client plus the assignment writes this command makes (the only writes), paced by Okta's limits."""

    def __init__(self, org_url: str, credentials: str | OktaCredentials, **options: Unpack[ClientOptions]) -> None:
        options.setdefault("transport", PacedTransport())
        super().__init__(org_url, credentials, **options)

    def get(self, app_id: str, user_id: str) -> AppUser | None:
        """The assignment with its Okta user, or None."""
        try:
            data, response = self._api.get_json(f"/api/v1/apps/{app_id}/users/{user_id}", {"expand": "user"})
        except ApiStatusError as err:
            if err.status == 404:
                return None
            raise
        return self._api.parse(AppUser, data, response)

    def assign(self, app_id: str, user: AppUser) -> None:
        """Assign directly (scope USER) with the username and app profile `user` had."""
        body: dict[str, Any] = {"id": user.id, "scope": "USER", "credentials": {"userName": user.user_name}}
        if user.profile:
            body["profile"] = user.profile
        self._api.send("POST", f"/api/v1/apps/{app_id}/users", json_body=body)

    def unassign(self, app_id: str, user_id: str) -> None:
        """End the direct assignment; already gone (404: a retried DELETE whose first answer was lost) is done."""
        self._delete(f"/api/v1/apps/{app_id}/users/{user_id}")

    def get_app_group(self, app_id: str, group_id: str) -> AppGroup | None:
        return self._get_or_none(f"/api/v1/apps/{app_id}/groups/{group_id}", AppGroup)

    def assign_group_as(self, app_id: str, group: AppGroup) -> None:
        """Assign the group with the priority and profile it had."""
        body: dict[str, Any] = {"priority": group.priority, "profile": group.profile}
        self._api.send("PUT", f"/api/v1/apps/{app_id}/groups/{group.id}", json_body=body)


# --- the writes, each one access change ------------------------------------------------------------------------


def _console_steps(plan: Plan, login: str) -> str:
    app = plan.app_label or plan.app_id
    return f"Okta Admin Console → Applications → Applications → {app} → Assignments → {login}"


def assign_again(assignments: AppAssignments, plan: Plan, person: Person) -> Change[AppUser | None]:
    """Unassign and assign again one directly assigned person, as read just before."""
    app_id = plan.app_id

    def steps(before: AppUser | None) -> Sequence[Step]:
        """Nothing unless they are as planned: assigned directly, stranded, ACTIVE in Okta, the same userName (the
        one checked against Talend); otherwise they are left as they are and read again as still stranded."""
        if before is None or not before.is_active or before.scope != "USER" or not _stranded(before):
            return []
        if _not_active(before) or before.user_name != person.user_name:
            return []
        user_name = person.user_name
        restore = (
            f"{_console_steps(plan, person.login)}: Assign → Assign to People → {person.login}, User Name "
            f"{user_name}; or POST /api/v1/apps/{app_id}/users "
            f'{{"id": "{person.user_id}", "scope": "USER", "credentials": {{"userName": "{user_name}"}}}}'
        )
        return [
            Step(
                f"unassign {user_name} ({person.user_id})",
                lambda: assignments.unassign(app_id, person.user_id),
                lambda: assignments.assign(app_id, before),
                f"assign {user_name} ({person.user_id}) again",
                removes=(user_name,),
                restore=restore,
            ),
            Step(f"assign {user_name} ({person.user_id}) again", lambda: assignments.assign(app_id, before)),
        ]

    return apply_change(
        f"provision {person.user_name}",
        lambda: assignments.get(app_id, person.user_id),
        steps,
        lost=lambda before, after: [person.user_name] if before is not None and after is None else [],
    )


@dataclass(frozen=True)
class GroupState:
    assignment: AppGroup | None
    members: frozenset[str]


def assign_group_again(assignments: AppAssignments, plan: Plan, group: GroupToAssignAgain) -> Change[GroupState]:
    """Unassign and assign again a group whose app users are all stranded, with its priority and profile."""
    app_id = plan.app_id
    planned = frozenset(person.user_id for person in group.members)
    names = tuple(person.user_name for person in group.members)

    def read() -> GroupState:
        members = frozenset(member.id for member in assignments.iter_group_members(group.group_id))
        return GroupState(assignments.get_app_group(app_id, group.group_id), members)

    def steps(before: GroupState) -> Sequence[Step]:
        assignment = before.assignment
        if assignment is None or not before.members <= planned:  # gone, or someone joined since the plan
            return []
        restore = (
            f"Okta Admin Console → Applications → Applications → {plan.app_label or app_id} → Assignments → Assign → "
            f"Assign to Groups → {group.name} (priority {assignment.priority}); or PUT /api/v1/apps/{app_id}/groups/"
            f"{group.group_id} with priority {assignment.priority} and its profile"
        )
        return [
            Step(
                f"unassign group {group.name}",
                lambda: assignments.unassign_group(app_id, group.group_id),
                lambda: assignments.assign_group_as(app_id, assignment),
                f"assign group {group.name} again",
                removes=names,
                restore=restore,
            ),
            Step(f"assign group {group.name} again", lambda: assignments.assign_group_as(app_id, assignment)),
        ]

    def lost(before: GroupState, after: GroupState) -> list[str]:
        return list(names) if before.assignment is not None and after.assignment is None else []

    return apply_change(f"assign group {group.name} again", read, steps, lost=lost)


@dataclass
class Outcome:
    """What Okta holds afterwards, person by person, as read back."""

    pushed: list[Person] = field(default_factory=list)  # Okta holds an externalId: in Talend
    pushing: list[Person] = field(default_factory=list)  # a new assignment: STAGED, being pushed
    stranded: list[tuple[Person, str]] = field(default_factory=list)  # still stranded (or push failed): why
    lost: list[Person] = field(default_factory=list)  # no longer assigned: lost access
    changes: list[Change[Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> bool:
        return bool(self.stranded or self.lost or any(not change.ok for change in self.changes))


def provision(
    assignments: AppAssignments,
    plan: Plan,
    *,
    workers: int = WORKERS,
    progress: Callable[[int], None] | None = None,
) -> Outcome:
    """Assign the planned people and groups again, then read everyone again; one failure never stops the others."""
    outcome = Outcome()
    started = time.monotonic()
    for group in plan.groups:
        outcome.changes.append(assign_group_again(assignments, plan, group))
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="provision") as pool:
        for done, change in enumerate(pool.map(lambda p: assign_again(assignments, plan, p), plan.direct), start=1):
            outcome.changes.append(change)
            if progress is not None:
                progress(done)
    now = {user.id: user for user in assignments.iter_app_users(plan.app_id)}
    for person in plan.to_provision:
        user = now.get(person.user_id)
        state = push_state(user, app_creates_users=True) if user else None
        if user is None or not user.is_active:
            outcome.lost.append(person)
        elif state is PushState.PROVISIONED:
            outcome.pushed.append(person)
        elif state is PushState.PUSHING:
            outcome.pushing.append(person)
        else:
            outcome.stranded.append((person, "push failed" if state is PushState.PUSH_FAILED else "still stranded"))
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
    """0 everyone pushed or being pushed (or nobody stranded, or a dry run that leaves nobody behind); 1 anyone left
    stranded, refused, or without access; could not run: one line, exit 2."""
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
        redact.add(talend_token)
        assert target.app_id is not None  # required by okta_target
        with (
            OktaClient(target.org_url, target.credentials, redactor=redact, transport=PacedTransport()) as okta,
            TalendScimClient(talend_url, talend_token, redactor=redact) as talend,
        ):
            found = plan(okta, talend, target.app_id)
    except (InputError, CannotProvision, ApiError) as err:
        fail(str(err), redact)

    _print_plan(out, found, redact)
    left_behind = 1 if found.refused or found.inactive or found.console else 0
    count = len(found.to_provision)
    if not count:
        return left_behind
    if dry_run:
        out.print(f"Dry run: nothing changed ({_people(count)} would be assigned again).")
        return left_behind
    if not yes:
        try:
            agreed = typer.confirm(f"Assign {_people(count)} again so that Okta provisions them?")
        except typer.Abort:
            agreed = False
        if not agreed:
            out.print("Nothing changed.")
            return 1
    with AppAssignments(target.org_url, target.credentials, redactor=redact) as assignments:
        try:
            outcome = provision(assignments, found)
        except ApiError as err:  # the read of everyone afterwards; each change reported its own outcome
            fail(f"the changes were made, but reading everyone again failed: {err}; run: talend-okta verify", redact)
    _print_outcome(out, outcome, redact)
    return 1 if outcome.failed or left_behind else 0


def _people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


def _print_plan(out: Console, found: Plan, redact: Redactor) -> None:
    def line(text: str) -> None:
        out.print(escape(redact(text)))

    if not found.stranded:
        out.print(f"App {found.app_id}: nobody is stranded (every assigned person is provisioned or on the way).")
        return
    line(
        f"App {found.app_id}: {_people(found.stranded)} stranded (assigned before Okta's provisioning was on, never "
        "pushed to Talend)."
    )
    if found.direct:
        line(f"  assigned directly, to assign again ({len(found.direct)}): {names(found.direct)}")
    for group in found.groups:
        line(f"  group {group.name}, to assign again ({len(group.members)}): {names(group.members)}")
    for person, why in found.refused:
        line(
            f"  refused: {person.user_name} ({why}; Okta would link to that user and overwrite it: check it is the "
            f"same person, then {_console_steps(found, person.login)} → Provision User)"
        )
    for person, why in found.inactive:
        line(f"  left alone: {person.user_name} ({why})")
    for person, why in found.console:
        line(
            f"  in the Admin Console: {person.user_name} ({why}): "
            f"{_console_steps(found, person.login)} → Provision User"
        )


def _print_outcome(out: Console, outcome: Outcome, redact: Redactor) -> None:
    def line(text: str) -> None:
        out.print(escape(redact(text)))

    failed = [change for change in outcome.changes if not change.ok]
    for change in sorted(failed, key=lambda change: not change.without_access):  # who lost access: first
        for text in change.lines():
            line(text)
    if outcome.lost:
        line(f"NOW WITHOUT ACCESS ({len(outcome.lost)}): {names(outcome.lost)}: no longer assigned to the app")
    for person, why in outcome.stranded:
        line(f"  still stranded: {person.user_name} ({why})")
    for kind, people in (("pushed", outcome.pushed), ("being pushed", outcome.pushing)):
        if people:
            line(f"  {kind} ({len(people)}): {names(people)}")
    line(
        f"Read again after {outcome.seconds:.1f} s: {len(outcome.pushed)} pushed, {len(outcome.pushing)} being pushed, "
        f"{len(outcome.stranded)} still stranded, {len(outcome.lost)} without access. Then: talend-okta verify"
    )
