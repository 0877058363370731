"""From what was read about one person (`Facts`) to numbered steps and one verdict with its fix. Pure: no I/O.

The steps, in the order a person travels them: Okta user, assignment, userName, Okta's provisioning state, Okta's
System Log, Talend, roles. Each is ok, a problem, or not applicable. The verdict names the first thing that keeps
the person from where the stack says they should be; `expected` is True when they are there (assigned and active in
Talend with a role, or unassigned and not active in Talend), False when not, None when explain could not tell.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE
from talend_okta.explain.read import Facts
from talend_okta.okta_api import AppGroup
from talend_okta.push_log import LOG_WINDOW, last_failure
from talend_okta.push_state import PushState, creates_users, push_state
from talend_okta.roles import CUSTOMER_ROLES, GROUP_FILTER_TYPE
from talend_okta.scim_api import ScimUser
from talend_okta.user_names import user_name_key

Status = Literal["ok", "problem", "not applicable"]
OK: Status = "ok"
PROBLEM: Status = "problem"
NA: Status = "not applicable"

DEACTIVATE_EVENT = "application.provision.user.deactivate"
CAN_SIGN_IN = "ACTIVE"  # other Okta user statuses cannot sign in (SUSPENDED, DEPROVISIONED, STAGED, LOCKED_OUT, …)


class Step(BaseModel):
    name: str
    status: Status
    detail: str


class Explanation(BaseModel):
    """The result; `--json` prints `person`, `verdict`, `fix`, `steps` (and `expected`)."""

    person: str
    verdict: str
    fix: str | None = None
    expected: bool | None = None
    steps: list[Step]

    @property
    def exit_code(self) -> int:
        return {True: 0, False: 1, None: 2}[self.expected]


def explain(facts: Facts) -> Explanation:
    readers = [
        ("Okta user", _user_step),
        ("Assignment", _assignment_step),
        ("userName", _user_name_step),
        ("Okta provisioning", _provisioning_step),
        ("Okta System Log", _log_step),
        ("Talend", _talend_step),
        ("Roles", _roles_step),
    ]
    steps = []
    for name, read in readers:
        status, detail = read(facts)
        steps.append(Step(name=name, status=status, detail=detail))
    verdict, fix, expected = _verdict(facts, steps)
    return Explanation(person=facts.query, verdict=verdict, fix=fix, expected=expected, steps=steps)


# --- the steps ------------------------------------------------------------------------------------------------

Found = tuple[Status, str]  # a step's status and detail


def _step(status: Status, detail: str) -> Found:
    return status, detail


def _user_step(facts: Facts) -> Found:
    user = facts.user
    if user is None and facts.same_email:
        logins = ", ".join(f"{u.profile.login} ({u.id})" for u in facts.same_email)
        return _step(PROBLEM, f"{len(facts.same_email)} Okta users have the email {facts.query}: {logins}")
    if user is None:
        return _step(PROBLEM, f"no Okta user has the id, login or email {facts.query}")
    email = user.profile.email or "no email"
    detail = f"found by {facts.matched_by}: {user.profile.login} ({user.id}), {user.status}, {email}"
    if user.status != CAN_SIGN_IN:
        return _step(PROBLEM, f"{detail}: a {user.status} user cannot sign in")
    return _step(OK, detail)


def _group_name(facts: Facts, assignment: AppGroup) -> str:
    names = {g.id: g.profile.name for g in facts.groups}
    return assignment.name or names.get(assignment.id) or assignment.id


def _through(facts: Facts) -> list[AppGroup]:
    """The app's group assignments the person is in, the winning one (lowest priority number) first."""
    mine = {g.id for g in facts.groups}
    return sorted((a for a in facts.app_groups if a.id in mine), key=lambda a: (a.priority is None, a.priority or 0))


def _stack_group_names(facts: Facts) -> list[str]:
    if facts.stack_groups:
        return sorted(facts.stack_groups)
    return sorted(_group_name(facts, a) for a in facts.app_groups)


def _assignment_step(facts: Facts) -> Found:
    if facts.user is None:
        return _step(NA, "no Okta user")
    through = _through(facts)
    groups = ", ".join(f"{_group_name(facts, a)} (priority {a.priority})" for a in through)
    app_user = facts.app_user
    if app_user is not None and app_user.scope == "USER":
        return _step(OK, "assigned directly" + (f"; also through {groups}" if groups else ""))
    if app_user is not None:
        if not through:
            return _step(OK, "assigned through a group")
        winner = f"{_group_name(facts, through[0])} wins (priority {through[0].priority})" if len(through) > 1 else ""
        return _step(OK, f"assigned through {groups}" + (f"; {winner}" if winner else ""))
    names = ", ".join(_stack_group_names(facts)) or "(the app has no group assignments)"
    if through:
        return _step(PROBLEM, f"not assigned though in {groups}: Okta assigns no {facts.user.status} user")
    return _step(PROBLEM, f"not assigned: in none of the stack's groups ({names})")


def _user_name_step(facts: Facts) -> Found:
    user, name = facts.user, facts.user_name
    if user is None:
        return _step(NA, f"not in Okta; Talend looked up as {name}" if name else "not in Okta")
    if not name and not user.profile.email:
        return _step(PROBLEM, f"Okta has no username to send: {_no_email(facts)}")
    if not name:
        return _step(PROBLEM, "Okta has no username to send: the app's username format gives none for them")
    problems = _user_name_problems(facts)
    sent = "sends" if facts.app_user is not None else "would send"
    detail = f"Okta {sent} userName {name}"
    expected = facts.expected_user_name
    if facts.app_user is not None and expected and user_name_key(name) != user_name_key(expected):
        detail += f" (set on the app user; the app's username format gives {expected})"
    elif facts.expected_user_name and user.profile.email:
        detail += f" (the part of {user.profile.email} before the @)"
    return _step(PROBLEM, f"{detail}; " + "; ".join(problems)) if problems else _step(OK, detail)


def _username_format(facts: Facts) -> str:
    template = facts.app.credentials.user_name_template.template
    return "Email prefix" if template == EMAIL_PREFIX_TEMPLATE else f"{template}"


def _no_email(facts: Facts) -> str:
    login = facts.user.profile.login if facts.user else facts.query
    return f"{login} has no email in Okta, which the app's username format ({_username_format(facts)}) needs"


def _someone_else(facts: Facts) -> list[ScimUser]:
    """Talend users with the person's userName that are another person's: another Okta id, another linked user."""
    user, app_user = facts.user, facts.app_user
    if user is None:
        return []
    linked = app_user.external_id if app_user is not None else None
    return [t for t in facts.talend_users if t.id != linked and t.external_id is not None and t.external_id != user.id]


def _user_name_problems(facts: Facts) -> list[str]:
    problems = [
        "collision: also the username of "
        + (f"{u.embedded.user.profile.login} ({u.id})" if u.embedded and u.embedded.user else u.id)
        + " in this app"
        for u in facts.namesakes
    ]
    return problems + _talend_collisions(facts)


def _talend_collisions(facts: Facts) -> list[str]:
    return [
        f"collision: Talend's {t.user_name} (SCIM id {t.id}) is {_owner(facts, t)}'s (externalId {t.external_id})"
        for t in _someone_else(facts)
    ]


def _owner(facts: Facts, talend_user: ScimUser) -> str:
    """Whose Talend user this is: the Okta login its externalId names, else "someone else"."""
    owner = facts.owners.get(talend_user.external_id or "")
    return owner.profile.login if owner else "someone else"


def _provisions(facts: Facts) -> bool:
    """The app pushes new people (its read-only `features`, which Okta fills even when its connection API won't)."""
    return creates_users(facts.app.features)


def _push_state(facts: Facts) -> PushState | None:
    """What Okta's provisioning did for the person's app user (push_state), None when not assigned."""
    if facts.app_user is None:
        return None
    return push_state(facts.app_user, app_creates_users=_provisions(facts))


def _stranded(facts: Facts) -> bool:
    """Assigned before provisioning was enabled: Okta never pushes them on its own (push_state)."""
    return _push_state(facts) == PushState.STRANDED


def _pending(facts: Facts) -> bool:
    return _push_state(facts) == PushState.PUSHING


def _provisioning_step(facts: Facts) -> Found:
    app_user = facts.app_user
    features = ", ".join(facts.app.features) or "none"
    if not _provisions(facts):
        return _step(PROBLEM, f"the app does not push new people to Talend (its provisioning features: {features})")
    if app_user is None:
        return _step(NA, "not assigned: Okta has nothing to push")
    state = (
        f"app user {app_user.status}, syncState {app_user.sync_state}, externalId {app_user.external_id or 'none'}, "
        f"lastSync {app_user.last_sync or 'never'}"
    )
    if _stranded(facts):
        return _step(PROBLEM, f"{state}: assigned before provisioning was enabled; Okta never pushes them on its own")
    if app_user.sync_state == "ERROR":
        failure = last_failure(facts.events)
        said = f': Okta recorded "{failure.outcome.reason}"' if failure and failure.outcome else ""
        return _step(PROBLEM, f"{state}: Okta's last push failed{said}")
    if _pending(facts):
        return _step(PROBLEM, f"{state}: not pushed yet (Okta provisions in the background)")
    return _step(OK, state)


def _log_step(facts: Facts) -> Found:
    if facts.user is None:
        return _step(NA, "no Okta user")
    if facts.events_error:
        return _step(PROBLEM, f"could not read Okta's System Log: {facts.events_error}")
    days = LOG_WINDOW.days
    if not facts.events:
        return _step(OK, f"no provisioning events for this person and app in the last {days} days")
    lines = []
    for event in facts.events:
        outcome = event.outcome.result if event.outcome else "?"
        reason = f' "{event.outcome.reason}"' if event.outcome and event.outcome.reason else ""
        lines.append(f"{event.published} {event.event_type} {outcome}{reason}")
    newest = facts.events[0]
    failed = newest.outcome is not None and newest.outcome.result == "FAILURE"
    return _step(PROBLEM if failed else OK, f"newest first: {'; '.join(lines)}")


def _talend_user(facts: Facts) -> ScimUser | None:
    """The person's Talend user: the one Okta's app user is linked to, else the one with their userName, unless
    that one is another Okta user's (`_someone_else`: a collision, never the person's account)."""
    linked = facts.app_user.external_id if facts.app_user else None
    others = {t.id for t in _someone_else(facts)}
    return next((t for t in facts.talend_users if t.id == linked), None) or next(
        (t for t in facts.talend_users if t.id not in others), None
    )


def _talend_step(facts: Facts) -> Found:
    if facts.talend_error:
        return _step(PROBLEM, f"could not read Talend: {facts.talend_error}")
    if not facts.user_name:
        return _step(NA, "no userName to look up")
    found = _talend_user(facts)
    assigned = facts.app_user is not None
    if found is None and (taken := _someone_else(facts)):
        owner = taken[0]
        return _step(
            PROBLEM,
            f"no Talend user of theirs, and not theirs: {owner.user_name} is {_owner(facts, owner)}'s (SCIM id "
            f"{owner.id}, externalId {owner.external_id})",
        )
    if found is None:
        if assigned:
            return _step(PROBLEM, f"no Talend user named {facts.user_name}")
        return _step(OK, f"no Talend user named {facts.user_name}")
    state = "active" if found.is_active else "inactive"
    if facts.user is None:
        link = "not linked to Okta"
    elif found.external_id == facts.user.id:
        link = "externalId matches Okta's user id"
    else:
        link = f"externalId {found.external_id or 'none'}, not Okta's user id {facts.user.id}"
    detail = f"{found.user_name}: {state}, SCIM id {found.id}, {link}"
    linked = facts.app_user.external_id if facts.app_user else None
    if linked and linked != found.id:
        return _step(PROBLEM, f"{detail}; Okta's app user points at SCIM id {linked}, which Talend does not hold")
    if assigned != found.is_active:
        return _step(PROBLEM, f"{detail} while {'assigned' if assigned else 'not assigned'} in Okta")
    return _step(OK, detail)


def _customer_roles(facts: Facts) -> tuple[list[str], str | None]:
    """The CustomerRoles values Okta sends for the person (their groups passing the app's group filter), and what
    is wrong with the app's CustomerRoles statement, if anything."""
    statement = next((s for s in facts.app.settings.attribute_statements if s.name == CUSTOMER_ROLES), None)
    if statement is None:
        return [], f"the app sends no {CUSTOMER_ROLES}"
    if statement.type != "GROUP" or statement.filter_type != GROUP_FILTER_TYPE:
        return [], f"the app's {CUSTOMER_ROLES} is not a {GROUP_FILTER_TYPE} group filter"
    try:
        pattern = re.compile(statement.filter_value or "")
    except re.error:
        return [], f"the app's {CUSTOMER_ROLES} filter is not a valid regex"
    return sorted(g.profile.name for g in facts.groups if pattern.fullmatch(g.profile.name)), None


def _mappings_unread(facts: Facts) -> bool:
    """Talend's role mappings could not be read and the stack declares none for the person's groups to fall back
    on: explain cannot tell their roles (never "no role")."""
    if facts.held_mappings is not None or not facts.mappings_error:
        return False
    values, _ = _customer_roles(facts)
    return not any(value in facts.declared_mappings for value in values)


def _mappings(facts: Facts) -> tuple[dict[str, list[str]], str]:
    if facts.held_mappings is not None:
        return facts.held_mappings, "Talend's role mappings"
    why = f" (Talend's could not be read: {facts.mappings_error})" if facts.mappings_error else ""
    return facts.declared_mappings, f"the stack's declared role mappings{why}"


def _roles(facts: Facts) -> tuple[list[str], list[str]]:
    values, _ = _customer_roles(facts)
    mappings, _ = _mappings(facts)
    return values, sorted({role for value in values for role in mappings.get(value, [])})


def _roles_step(facts: Facts) -> Found:
    values, statement_problem = _customer_roles(facts)
    mappings, source = _mappings(facts)
    if statement_problem and not mappings:
        return _step(NA, f"{statement_problem} and no role mappings are declared: roles are given in Talend")
    if facts.user is None:
        return _step(NA, "no Okta user")
    _, roles = _roles(facts)
    sends = ", ".join(values) or "nothing"
    detail = (
        f"Okta sends {CUSTOMER_ROLES} {sends}; {source} give {', '.join(roles) or 'no role'} (at the next SSO sign-in)"
    )
    if statement_problem:
        return _step(PROBLEM, f"{statement_problem}, though role mappings are declared")
    if _mappings_unread(facts):
        return _step(PROBLEM, f"could not read Talend's role mappings: {facts.mappings_error}; Okta sends {sends}")
    if facts.app_user is not None and not roles:
        groups = ", ".join(sorted(mappings)) or "none"
        return _step(PROBLEM, f"{detail}: no role: cannot sign in (the mapped groups: {groups})")
    return _step(OK, detail)


# --- the verdict ----------------------------------------------------------------------------------------------


def _verdict(facts: Facts, steps: list[Step]) -> tuple[str, str | None, bool | None]:
    """(verdict, fix, expected): the first thing that keeps the person from where the stack says they should be."""
    user, app_user, label = facts.user, facts.app_user, facts.app.label or facts.app.id
    app_console = f"Okta Admin Console → Applications → Applications → {label}"
    if user is None and facts.same_email:
        return (
            f"ambiguous: {len(facts.same_email)} Okta users have the email {facts.query}",
            "give their Okta login or user id instead",
            None,
        )
    if user is None:
        return f"not in Okta: no user has the id, login or email {facts.query}", "check the spelling", False
    login = user.profile.login
    if user.status == "SUSPENDED":
        return (
            "suspended in Okta: cannot sign in to Talend",
            f"Okta Admin Console → Directory → People → {login} → More Actions → Unsuspend",
            False,
        )
    if user.status not in (CAN_SIGN_IN, "DEPROVISIONED"):
        return (
            f"{user.status} in Okta: cannot sign in to Talend",
            f"Okta Admin Console → Directory → People → {login}: activate or unlock them",
            False,
        )
    if facts.talend_error:
        return f"could not read Talend: {facts.talend_error}", None, None
    if not facts.user_name and not user.profile.email:
        groups = ", ".join(_stack_group_names(facts)) or "a group the stack assigns"
        then = f", then add them to {groups.split(', ')[0]}" if app_user is None else ""
        return (
            f"no email in Okta: the app's username format ({_username_format(facts)}) needs one to give {login} a "
            "Talend userName",
            f"Okta Admin Console → Directory → People → {login} → Profile → Edit: set their email{then}",
            app_user is None,  # not assigned and not in Talend is where the stack says, as for "not assigned"
        )
    found = _talend_user(facts)
    if app_user is None and _someone_else(facts):  # never point at the owner's account: fix the person's config
        return (
            "username " + _talend_collisions(facts)[0],
            f"before assigning {login}, give them a userName Talend does not hold: another email (Talend's userName "
            f"is the part before the @), or assign them with a distinct app username ({app_console} → Assignments "
            "→ Assign to People → User Name); `talend-okta preflight` names such collisions before a deploy",
            False,
        )
    if app_user is None:
        if found is not None and found.is_active:
            failure = last_failure(facts.events, (DEACTIVATE_EVENT,))
            if failure is not None and failure.outcome:
                why = f'Okta\'s deactivation failed: "{failure.outcome.reason}"'
            else:
                why = "Okta did not deactivate them"
            return (
                f"active in Talend while not assigned: {why}",
                f"deactivate {found.user_name} in Talend Management Console → Users, or check {app_console} → "
                "Provisioning → To App → Deactivate Users",
                False,
            )
        if user.status == "DEPROVISIONED":
            return "deactivated in Okta, and not active in Talend", None, True
        groups = ", ".join(_stack_group_names(facts)) or "a group the stack assigns"
        return (
            f"not assigned: add them to {groups}",
            f"Okta Admin Console → Directory → Groups → {groups.split(', ')[0]} → Assign people → {login}",
            True,
        )
    if facts.namesakes or _someone_else(facts):
        return (
            "username " + _user_name_problems(facts)[0],
            f"give one of them another email (Talend's userName is the part before the @), or set the app username "
            f"by hand: {app_console} → Assignments → {login} → Edit",
            False,
        )
    if _stranded(facts):
        return (
            "stranded: assigned before provisioning was enabled",
            f"run `talend-okta provision --stranded` or {app_console} → Assignments → {login} → Provision User",
            False,
        )
    failure = last_failure(facts.events)
    if app_user.sync_state == "ERROR" or failure is not None:
        reason = failure.outcome.reason if failure and failure.outcome else None
        said = f"Okta push failed: {reason}" if reason else "Okta push failed (the System Log holds no reason)"
        return said, f"fix what Talend answered, then {app_console} → Assignments → {login} → Retry", False
    if not _provisions(facts):
        return (
            "provisioning is off for the app: Okta pushes no one to Talend",
            f"{app_console} → Provisioning → To App: enable Create Users (talend-okta verify lists every step)",
            False,
        )
    if _pending(facts):
        return "not pushed yet: Okta is still provisioning them", "look again in a minute", False
    if found is None:
        return (
            f"missing in Talend: no user named {facts.user_name}",
            f"push them again: {app_console} → Provisioning → To App → Force Sync",
            False,
        )
    if not found.is_active:
        return (
            f"inactive in Talend while assigned: {found.user_name} is deactivated there",
            f"reactivate {found.user_name} in Talend Management Console → Users, or push them again: {app_console} → "
            "Provisioning → To App → Force Sync",
            False,
        )
    roles_step = steps[-1]
    if _mappings_unread(facts):
        return (
            f"could not read Talend's role mappings: {facts.mappings_error}",
            "give a Talend token whose owner has SSO - Manage (TALEND_API_TOKEN), or the stack outputs' roleMappings",
            None,
        )
    if roles_step.status == PROBLEM:
        values, _ = _roles(facts)
        mapped = ", ".join(sorted(_mappings(facts)[0])) or "a mapped group"
        return (
            "no role: cannot sign in to Talend" + ("" if values else f" (in none of the groups mapped: {mapped})"),
            f"add them to one of {mapped} in Okta, or map one of their groups to a Talend role",
            False,
        )
    return "in sync", None, True
