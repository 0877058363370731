"""Read what Okta and Talend hold about one person: a few targeted requests, each failure kept beside the rest.

Okta: the user (by id or login in the path, else a `search` on the email), the app, the person's app user, their
groups, the app's group assignments, the app users sharing their username (`q`), and their provisioning events in
the System Log. Talend: the SCIM user with that userName (`filter`), and the tenant's role mappings. About ten
requests in all, whatever the size of the org or the tenant.

The person and the app must be read (else `ExplainAborted`: explain cannot run); any other read that fails is
recorded as that read's error, so every step that can be read still is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE, email_prefix
from talend_okta.http import ApiAuthError, ApiError, ApiStatusError, ApiUnreachable
from talend_okta.okta_api import App, AppGroup, AppUser, Group, LogEvent, OktaClient, OktaUser
from talend_okta.okta_auth import token_hint
from talend_okta.push_log import provisioning_events
from talend_okta.roles import CUSTOMER_ROLES, RoleMappings
from talend_okta.scim_api import ScimUser, TalendScimClient
from talend_okta.talend_api import TalendApiClient
from talend_okta.user_names import user_name_key

T = TypeVar("T")

LOG_EVENTS = 10
"""The newest provisioning events shown."""

# Okta's BUILT_IN application username formats, as the app's userNameTemplate holds them.
USERNAME_FORMATS: dict[str, Callable[[str, str | None], str | None]] = {
    EMAIL_PREFIX_TEMPLATE: lambda login, email: email_prefix(email) if email else None,
    '${fn:substringBefore(source.login, "@")}': lambda login, email: email_prefix(login),
    "${source.email}": lambda login, email: email,
    "${source.login}": lambda login, email: login,
}


class ExplainAborted(Exception):
    """explain could not run (Okta unreachable or refusing the token, no such app); one redacted line."""


@dataclass
class Facts:
    """What was read about one person. `*_error` says why a read failed (its step shows it)."""

    query: str
    app: App
    user: OktaUser | None = None
    matched_by: str = ""  # "Okta user id", "login" or "email"
    same_email: list[OktaUser] = field(default_factory=list)  # several users with the email given
    app_user: AppUser | None = None
    groups: list[Group] = field(default_factory=list)
    app_groups: list[AppGroup] = field(default_factory=list)
    stack_groups: Mapping[str, str] | None = None  # the stack outputs' assignedGroups: name → id
    user_name: str | None = None  # what Okta sends as userName (the app user's, else what the format gives)
    expected_user_name: str | None = None  # what the app's username format gives
    namesakes: list[AppUser] = field(default_factory=list)  # other people assigned under the same username
    events: list[LogEvent] = field(default_factory=list)
    events_error: str | None = None
    talend_users: list[ScimUser] = field(default_factory=list)
    talend_error: str | None = None
    owners: dict[str, OktaUser] = field(default_factory=dict)  # externalId → the Okta user owning that Talend user
    held_mappings: RoleMappings | None = None  # Talend's role mappings
    mappings_error: str | None = None
    declared_mappings: RoleMappings = field(default_factory=dict)  # the stack outputs' roleMappings
    okta_errors: list[str] = field(default_factory=list)  # other Okta reads that failed


def read_person(
    query: str,
    app_id: str,
    okta: OktaClient,
    talend: TalendScimClient,
    roles: TalendApiClient | None = None,
    *,
    stack_groups: Mapping[str, str] | None = None,
    declared_mappings: RoleMappings | None = None,
    now: datetime | None = None,
) -> Facts:
    """Everything explain shows about `query` (an Okta user id, login or email).

    Three rounds, the reads of each at the same time: the app and the person; then what hangs on the person (app
    user, groups, the app's groups, System Log) and Talend's role mappings; then what hangs on their username
    (namesakes in the app, the Talend user). Latency adds up per round, not per request.
    """
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="explain") as pool:
        found = pool.submit(_find_user, query, okta)
        app = _app(pool.submit(okta.get_app, app_id), app_id)
        facts = Facts(query=query, app=app, stack_groups=stack_groups, declared_mappings=dict(declared_mappings or {}))
        try:
            facts.user, facts.matched_by, facts.same_email = found.result()
        except ApiError as err:
            raise ExplainAborted(str(err)) from None
        user = facts.user
        sends_roles = any(s.name == CUSTOMER_ROLES for s in app.settings.attribute_statements)
        held = (
            pool.submit(roles.role_mappings) if roles is not None and (sends_roles or facts.declared_mappings) else None
        )
        if user is not None:
            app_user = pool.submit(okta.get_app_user, app_id, user.id)
            groups = pool.submit(lambda: list(okta.iter_user_groups(user.id)))
            app_groups = pool.submit(lambda: list(okta.iter_app_groups_named(app_id)))
            events = pool.submit(_read_log, okta, user.id, app_id, now or datetime.now(UTC))
            facts.app_user = _kept(facts.okta_errors, app_user.result, None)
            facts.groups = _kept(facts.okta_errors, groups.result, [])
            facts.app_groups = _kept(facts.okta_errors, app_groups.result, [])
            no_events: tuple[list[LogEvent], str | None] = ([], None)
            facts.events, facts.events_error = _kept(facts.okta_errors, events.result, no_events)
            template = app.credentials.user_name_template.template or "${source.login}"
            username_format = USERNAME_FORMATS.get(template)
            if username_format is not None:
                facts.expected_user_name = username_format(user.profile.login, user.profile.email)
            facts.user_name = (facts.app_user.user_name if facts.app_user else None) or facts.expected_user_name
        elif "@" in query:  # not in Okta: Talend may still hold what the Email-prefix format made of it
            facts.user_name = email_prefix(query)
        name = facts.user_name
        namesakes = pool.submit(okta.find_app_users, app_id, name) if name and user is not None else None
        talend_users = pool.submit(talend.find_users, name) if name else None
        if namesakes is not None and user is not None and name:
            none_found: list[AppUser] = []
            same = [u for u in _kept(facts.okta_errors, namesakes.result, none_found) if u.id != user.id]
            facts.namesakes = [u for u in same if user_name_key(u.user_name or "") == user_name_key(name)]
        if talend_users is not None:
            try:
                facts.talend_users = talend_users.result()
            except ApiError as err:
                facts.talend_error = str(err)
            facts.owners = _owners(facts, okta)
        if held is not None:
            try:
                facts.held_mappings = held.result()
            except ApiError as err:
                facts.mappings_error = str(err)
    return facts


def _owners(facts: Facts, okta: OktaClient) -> dict[str, OktaUser]:
    """The Okta users owning the Talend users found under the person's userName that are not theirs (Okta's SCIM
    externalId is the Okta user id), so a collision names its owner; one GET each, usually none."""
    mine = facts.user.id if facts.user else None
    others = {t.external_id for t in facts.talend_users if t.external_id and t.external_id != mine}
    owners: dict[str, OktaUser] = {}
    for external_id in sorted(others):
        owner = _kept(facts.okta_errors, _reader(okta, external_id), None)
        if owner is not None:
            owners[external_id] = owner
    return owners


def _reader(okta: OktaClient, id_or_login: str) -> Callable[[], OktaUser | None]:
    return lambda: okta.get_user(id_or_login)


def _app(future: Future[App], app_id: str) -> App:
    try:
        return future.result()
    except ApiAuthError as err:
        raise ExplainAborted(f"Okta rejected the token: {err}{token_hint(err)}") from None
    except ApiStatusError as err:
        if err.status == 404:
            raise ExplainAborted(f"Okta has no app with id {app_id} (--app-id, TALEND_OKTA_APP_ID)") from None
        raise ExplainAborted(str(err)) from None
    except ApiError as err:
        raise ExplainAborted(str(err)) from None


def _find_user(query: str, okta: OktaClient) -> tuple[OktaUser | None, str, list[OktaUser]]:
    """(user, how it matched, users sharing the email): by id or login (one GET), else by email (one search).
    Several users with that email: none is chosen."""
    user = okta.get_user(query)
    if user is not None:
        return user, ("Okta user id" if user.id == query else "login"), []
    if "@" not in query:
        return None, "", []
    found = okta.find_users_by_email(query)
    if len(found) == 1:
        return found[0], "email", []
    return None, "", found


def _read_log(okta: OktaClient, user_id: str, app_id: str, now: datetime) -> tuple[list[LogEvent], str | None]:
    """The person's newest provisioning events for this app, or why they could not be read (a token without access
    to the System Log must not stop the other steps)."""
    try:
        return provisioning_events(okta, user_id, app_id, now=now, max_events=LOG_EVENTS), None
    except ApiUnreachable:
        raise
    except ApiError as err:
        return [], str(err)


def _kept(errors: list[str], read: Callable[[], T], default: T) -> T:
    """`read()`, or `default` with its error kept (Okta unreachable still aborts: nothing else could be read)."""
    try:
        return read()
    except ApiUnreachable as err:
        raise ExplainAborted(str(err)) from None
    except ApiError as err:
        errors.append(str(err))
        return default
