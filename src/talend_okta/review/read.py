"""Read everything a review joins, each source in one pass (three threads: Okta's assignments, Talend's users, Okta's
System Log), whatever the number of people:

- Okta: the app; its users with each Okta user embedded (`expand=user`: login, status), their scope and push state;
  the app's groups and the members of those groups and of the groups the role mappings name; the Okta users of the
  people Talend holds who are not assigned, by the `externalId` Okta gave them (a `search` per 20 ids).
- Talend: every SCIM user with its roles (`attributes=userName,active,externalId,roles`); the role mappings the
  stack declares, else those Talend holds.
- Okta's System Log: ONE bounded query for sign-ins to the app over the window (`user.authentication.sso` whose
  target is the app), read page by page, keeping only each person's last sign-in.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from talend_okta.group_names import resolve_groups
from talend_okta.http import ApiError, ApiStatusError, ClientOptions
from talend_okta.okta_api import App, AppUser, OktaClient, OktaUser, okta_string
from talend_okta.push_log import STAMP
from talend_okta.push_state import creates_users
from talend_okta.roles import RoleMappings, normalized
from talend_okta.scim_api import ScimUser, TalendScimClient
from talend_okta.talend_api import TalendApiClient
from talend_okta.target import TALEND_API_URL, ConnectionSettings
from talend_okta.user_names import user_name_key

SIGN_IN = "user.authentication.sso"
"""Okta's event type for a person signing in to an app through Okta (Okta's Event Types catalog)."""
TALEND_ATTRIBUTES = "userName,active,externalId,roles"


class ReviewAborted(Exception):
    """review could not run (Okta or Talend unreachable, a token refused, no such app); one redacted line."""


@dataclass(frozen=True)
class Window:
    since: datetime
    until: datetime


@dataclass
class Facts:
    """What was read. `groups_of`: Okta user id → the names of the read groups they are in (the app's groups and
    the mapped ones); `app_groups`: the names of the groups assigned to the app."""

    app: App
    app_users: list[AppUser] = field(default_factory=list)
    talend_users: dict[str, ScimUser] = field(default_factory=dict)  # user_name_key → user (an active one wins)
    okta_users: dict[str, OktaUser] = field(default_factory=dict)  # Okta user id → user (embedded or searched)
    groups_of: dict[str, set[str]] = field(default_factory=dict)
    app_groups: set[str] = field(default_factory=set)
    mappings: RoleMappings = field(default_factory=dict)
    mappings_source: str = ""  # "the stack" or "Talend"; empty: no role mappings known
    last_sign_in: dict[str, str] = field(default_factory=dict)  # Okta user id → `published` of their last sign-in
    sign_in_events: int = 0
    notes: list[str] = field(default_factory=list)  # what could not be read, said on the terminal

    @property
    def app_creates_users(self) -> bool:
        return creates_users(self.app.features)


def read_facts(settings: ConnectionSettings, window: Window, options: ClientOptions) -> Facts:
    """Read both sides and the sign-ins; raises `ReviewAborted` (or `ApiError`) when review cannot run."""
    okta = OktaClient(settings.okta_url, settings.okta_credentials, **options)
    log = OktaClient(settings.okta_url, settings.okta_credentials, **options)
    talend = TalendScimClient(settings.scim_url, settings.scim_token.get_secret_value(), **options)
    api_url, api_token = settings.role_api
    roles = TalendApiClient(api_url, api_token, setting=TALEND_API_URL, **options)
    # The pool is left last: when one read fails, the clients close first, so the others stop at their next request.
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="review") as pool, okta, log, talend, roles:
        app = _app(okta, settings.app_id)
        facts = Facts(app=app)
        sign_ins = pool.submit(_sign_ins, log, settings.app_id, window)
        talend_side = pool.submit(_talend, talend, roles, settings.role_mappings)
        facts.app_users = _app_users(okta, settings.app_id, facts.okta_users)
        facts.talend_users, facts.mappings, facts.mappings_source, note = talend_side.result()
        facts.notes += [note] if note else []
        _others(okta, facts)
        _memberships(okta, settings.app_id, facts)
        facts.last_sign_in, facts.sign_in_events = sign_ins.result()
    return facts


def _app(okta: OktaClient, app_id: str) -> App:
    try:
        return okta.get_app(app_id)
    except ApiStatusError as err:
        if err.status == 404:
            raise ReviewAborted(f"Okta has no app with id {app_id} (--app-id, TALEND_OKTA_APP_ID)") from None
        raise


def _app_users(okta: OktaClient, app_id: str, okta_users: dict[str, OktaUser]) -> list[AppUser]:
    app_users = []
    for app_user in okta.iter_app_users(app_id, expand_user=True):
        if app_user.embedded is not None and app_user.embedded.user is not None:
            okta_users[app_user.id] = app_user.embedded.user
        app_users.append(app_user.model_copy(update={"embedded": None}))  # the user is kept once, in okta_users
    return app_users


def _talend(
    talend: TalendScimClient, roles: TalendApiClient, declared: RoleMappings
) -> tuple[dict[str, ScimUser], RoleMappings, str, str | None]:
    users: dict[str, ScimUser] = {}
    for user in talend.iter_users(attributes=TALEND_ATTRIBUTES):
        key = user_name_key(user.user_name)
        if key not in users or user.is_active:  # should Talend ever hold two, an active one wins
            users[key] = user
    if declared:
        return users, normalized(declared), "the stack", None
    try:
        held = roles.role_mappings()
    except ApiError as err:
        return users, {}, "", f"role mappings: the stack declares none and Talend's could not be read ({err})"
    return users, held, "Talend" if held else "", None


def _others(okta: OktaClient, facts: Facts) -> None:
    """The Okta users of people Talend holds without an assignment, found by the externalId Okta gave them."""
    assigned = {user_name_key(u.user_name) for u in facts.app_users if u.user_name}
    wanted = sorted(
        {
            user.external_id
            for key, user in facts.talend_users.items()
            if key not in assigned and user.external_id and user.external_id not in facts.okta_users
        }
    )
    wanted = [user_id for user_id in wanted if user_id.isalnum()]  # Okta ids only; anything else is not Okta's
    for user in okta.users_by_id(wanted):
        facts.okta_users[user.id] = user


def _memberships(okta: OktaClient, app_id: str, facts: Facts) -> None:
    """Who is in the app's groups and in the mapped groups (only the people the review lists are kept)."""
    groups: dict[str, str] = {}  # group id → name
    for app_group in okta.iter_app_groups_named(app_id):
        name = app_group.name or app_group.id
        groups[app_group.id] = name
        facts.app_groups.add(name)
    mapped = sorted(set(facts.mappings) - set(groups.values()))
    found = resolve_groups(mapped, okta.search_groups).ids  # one search, by exact name, as the program finds groups
    for name in mapped:
        if name in found:
            groups[found[name]] = name
        else:
            facts.notes.append(f"no Okta group is named {name!r} (a role mapping's customer role)")
    people = facts.okta_users.keys()
    for group_id, name in groups.items():
        for member in okta.iter_group_members(group_id):  # Okta recommends 200 a page
            if member.id in people:
                facts.groups_of.setdefault(member.id, set()).add(name)


def _sign_ins(okta: OktaClient, app_id: str, window: Window) -> tuple[dict[str, str], int]:
    """(Okta user id → their last sign-in, events read): one paged query, a page held at a time. A sign-in Okta
    refused (outcome other than SUCCESS) is not one."""
    expression = f"eventType eq {okta_string(SIGN_IN)} and target.id eq {okta_string(app_id)}"
    last: dict[str, tuple[datetime, str]] = {}
    count = 0
    pages = okta.iter_log_pages(
        expression, since=window.since.strftime(STAMP), until=window.until.strftime(STAMP), newest_first=True
    )
    for page in pages:
        count += len(page)
        for event in page:
            if event.actor is None or not event.actor.id or (event.outcome and event.outcome.result != "SUCCESS"):
                continue
            at = _published(event.published)
            if at is not None and (event.actor.id not in last or at > last[event.actor.id][0]):
                last[event.actor.id] = (at, event.published)
    return {user_id: published for user_id, (_, published) in last.items()}, count


def _published(text: str) -> datetime | None:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=UTC)
