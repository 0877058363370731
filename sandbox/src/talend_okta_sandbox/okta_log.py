"""The sandbox's System Log: the provisioning events Okta records, and `GET /api/v1/logs` over them.

What Okta documents, and the sandbox follows (Okta, "System Log query",
https://developer.okta.com/docs/reference/system-log-query, and the System Log API reference, listLogEvents):
- `filter` is a SCIM-like expression (`eventType eq "…"`, `target.id eq "…"`, `outcome.result eq "FAILURE"`,
  `eventType sw "application.provision"`); a multi-valued `target.id` matches any of the event's targets. A filter
  that cannot be parsed answers 400 E0000053.
- `q` keywords: all must match, exactly and case-insensitively, a value (or a word or hyphen-part of one) of the
  event; none may be longer than 40 characters (400 E0000001).
- `since` (default: 7 days before `until`), `until` (default: now), ISO 8601 (else 400 E0000001 with Okta's words);
  a `since` more than 180 days ago answers 400 E0000053.
- `limit` (default 100, at most 1000), `sortOrder` ASCENDING (default) or DESCENDING.
- Paging through the `after` cursor of the `Link: <…>; rel="next"` header (the cursor is opaque; here the sequence
  number of the last event returned). A *polling* request (no `until`, ASCENDING) always has a next link, even when
  the page is empty; any other request has one only while more events match.
- Every response has a `rel="self"` link.

Event types, from Okta's Events API migration guide (its table of legacy to System Log event types):
`app.api.error.create_user` → `application.provision.user.push`, `app.api.error.push_profile_update` →
`application.provision.user.push_profile`, `app.api.error.deactivate_user` → `application.provision.user.deactivate`.
Display messages as Okta's event-types guide lists them ("Push new user to external application", …). The event
shape (uuid, published, eventType, displayMessage, severity, outcome {result, reason}, actor, target[] with the
AppInstance, the AppUser and the User) is the one Okta's examples show; which actor Okta names for a background push
is not recorded here: the sandbox names the app. `outcome.reason` holds the SCIM answer Okta quotes on a failure.

Sign-ins: `user.authentication.sso` (a person signs in to an app through Okta), recorded when an admin signs a
person in (`python -m talend_okta_sandbox.admin sign-in`) or a test seeds one (`OktaSandbox.sign_in`); see
`sign_in_event` for its shape and sources. Events are kept in `published` order, as Okta sorts them.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from talend_okta_sandbox.okta_http import (
    OktaError,
    Request,
    Response,
    getter,
    invalid,
    limit_param,
    link_headers,
    parse_expression,
)
from talend_okta_sandbox.okta_state import App, State, User

JSON = dict[str, Any]

PUSH = "application.provision.user.push"
PUSH_PROFILE = "application.provision.user.push_profile"
DEACTIVATE = "application.provision.user.deactivate"
SIGN_IN = "user.authentication.sso"
DISPLAY_MESSAGES = {
    PUSH: "Push new user to external application",
    PUSH_PROFILE: "Push users profile to external application",
    DEACTIVATE: "Deactivate user in external application",  # the guide does not list this one's message
    SIGN_IN: "User single sign on to app",
}
LOG_CAP = 10_000
"""Events kept (the sandbox's own cap; Okta keeps 90 days)."""
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
DEFAULT_WINDOW = timedelta(days=7)
MAX_SINCE_AGE = timedelta(days=180)
MAX_KEYWORD = 40


def published_now() -> str:
    """Okta's `published` format, with milliseconds: 2017-04-12T18:56:31.884Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _names(app: App, user_id: str, user: User | None) -> tuple[str, str, str]:
    """The app's label, the person's login and full name ("" when Okta has none), as events name them."""
    profile = user.profile if user is not None else {}
    name = " ".join(str(part) for part in (profile.get("firstName"), profile.get("lastName")) if part)
    return str(app.body.get("label") or app.id), str(profile.get("login") or user_id), name


def _app_targets(app: App, label: str, user_id: str, app_user_name: str, display: str) -> list[JSON]:
    """The AppInstance and the person's AppUser, the targets of every app event."""
    return [
        {"id": app.id, "type": "AppInstance", "alternateId": label, "displayName": label, "detailEntry": None},
        # Okta's app users have their own 0ua… ids in the log (Okta's event-types guide, app sign-on example).
        {
            "id": f"0ua{user_id[3:]}",
            "type": "AppUser",
            "alternateId": app_user_name,
            "displayName": display,
            "detailEntry": None,
        },
    ]


def provisioning_event(
    event_type: str, app: App, user_id: str, user: User | None, app_user_name: str, failure: str | None
) -> JSON:
    """One provisioning event for an app user: SUCCESS, or FAILURE with the SCIM answer as the reason."""
    label, login, name = _names(app, user_id, user)
    return {
        "uuid": str(uuid.uuid4()),
        "published": published_now(),
        "eventType": event_type,
        "version": "0",
        "displayMessage": DISPLAY_MESSAGES[event_type],
        "severity": "ERROR" if failure else "INFO",
        "outcome": {"result": "FAILURE" if failure else "SUCCESS", "reason": failure},
        "actor": {"id": app.id, "type": "AppInstance", "alternateId": label, "displayName": label, "detailEntry": None},
        "transaction": {"type": "JOB", "id": uuid.uuid4().hex[:27], "detail": {}},
        "debugContext": {"debugData": {}},
        "target": [
            *_app_targets(app, label, user_id, app_user_name, name or login),
            {"id": user_id, "type": "User", "alternateId": login, "displayName": name or login, "detailEntry": None},
        ],
    }


def sign_in_event(app: App, user_id: str, user: User, app_user_name: str, published: str | None = None) -> JSON:
    """A person's sign-in to the app through Okta (SAML SSO), successful.

    # Source: Okta Management API definition, ../shared/api-specs/okta-management-2026.06.3.yaml:
    #   components.schemas.LogEvent (uuid, published, eventType, version, displayMessage, severity, legacyEventType,
    #   outcome {result, reason}, actor, client, authenticationContext, transaction, debugContext, target[]) and
    #   components.examples.ListLogs (actor {id, type User, alternateId the login, displayName, detailEntry};
    #   client {userAgent, zone, device, id, ipAddress, geographicalContext}; transaction {type WEB, id, detail}).
    # Source: Okta's Event Types catalog (https://developer.okta.com/docs/reference/api/event-types/, which
    #   LogEvent.eventType links to): `user.authentication.sso`, "User single sign on to app", legacy event type
    #   `app.auth.sso`; its targets are the AppInstance and the person's AppUser (order not fixed, as LogEvent.target
    #   notes). Inferred: the values of client (a loopback browser) and authenticationContext, which vary per org.
    """
    label, login, name = _names(app, user_id, user)
    return {
        "uuid": str(uuid.uuid4()),
        "published": published or published_now(),
        "eventType": SIGN_IN,
        "version": "0",
        "displayMessage": DISPLAY_MESSAGES[SIGN_IN],
        "severity": "INFO",
        "legacyEventType": "app.auth.sso",
        "outcome": {"result": "SUCCESS", "reason": None},
        "actor": {
            "id": user_id,
            "type": "User",
            "alternateId": login,
            "displayName": name or login,
            "detailEntry": None,
        },
        "client": {
            "userAgent": {"rawUserAgent": "sandbox", "os": "Unknown", "browser": "UNKNOWN"},
            "zone": None,
            "device": "Computer",
            "id": None,
            "ipAddress": "127.0.0.1",  # no geographicalContext: a loopback address has none (inferred)
        },
        "authenticationContext": {
            "authenticationProvider": None,
            "credentialProvider": None,
            "credentialType": None,
            "issuer": None,
            "interface": None,
            "authenticationStep": 0,
            "externalSessionId": uuid.uuid4().hex[:25],
        },
        "transaction": {"type": "WEB", "id": uuid.uuid4().hex[:27], "detail": {}},
        "debugContext": {"debugData": {}},
        "target": [
            *_app_targets(app, label, user_id, app_user_name, name or login),
        ],
    }


def record(state: State, event: JSON, cap: int = LOG_CAP) -> None:
    """Add an event in `published` order (one published earlier than the newest goes in its place: a seeded
    sign-in); past `cap`, the oldest go."""
    if state.log and str(event["published"]) < str(state.log[-1]["published"]):
        bisect.insort(state.log, event, key=lambda e: str(e["published"]))
    else:
        state.log.append(event)
    extra = len(state.log) - cap
    if extra > 0:
        del state.log[:extra]
        state.log_first_seq += extra


def list_events(request: Request, state: State) -> Response:
    """`GET /api/v1/logs`."""
    now = datetime.now(UTC)
    until = _time(request, "until")
    since = _time(request, "since")
    limit = limit_param(request, DEFAULT_LIMIT, MAX_LIMIT)
    order = request.query.get("sortOrder") or "ASCENDING"
    if order not in ("ASCENDING", "DESCENDING"):
        raise invalid("sortOrder: must be one of [ASCENDING, DESCENDING]")
    upper = until or now
    lower = since or upper - DEFAULT_WINDOW
    if lower < now - MAX_SINCE_AGE:
        too_old = "Invalid parameter: The since parameter is over 180 days prior to the current day."
        raise OktaError(400, "E0000053", too_old)
    keep = _matcher(request)
    first = state.log_first_seq
    after = request.query.get("after")
    cursor = _cursor(after) if after else None
    # Only as far as the page needs (limit + 1 matches says whether more follow): each event is tested once over a
    # whole paged read, however long the log.
    if order == "ASCENDING":
        start = first if cursor is None else max(first, cursor + 1)
        positions: range = range(start - first, len(state.log))
    else:
        end = len(state.log) if cursor is None else min(len(state.log), cursor - first)
        positions = range(end - 1, -1, -1)
    seqs: list[int] = []
    for index in positions:
        event = state.log[index]
        published = _parse(str(event["published"]))
        if published < lower if order == "DESCENDING" else published > upper:
            break  # the log is in published order: nothing further on is in the window
        if lower <= published <= upper and keep(event):
            seqs.append(first + index)
            if len(seqs) > limit:
                break
    chunk = seqs[:limit]
    polling = until is None and order == "ASCENDING"
    next_after: str | None = None
    if chunk and (polling or len(seqs) > limit):
        next_after = str(chunk[-1])
    elif polling:  # nothing new: the next poll starts from here
        next_after = after or str(first + len(state.log) - 1)
    events = [state.log[seq - first] for seq in chunk]
    return Response(200, events, link_headers(request, limit, next_after))


def _time(request: Request, name: str) -> datetime | None:
    raw = request.query.get(name)
    if not raw:
        return None
    try:
        return _parse(raw)
    except ValueError:
        # Okta's answer to a bad date (System Log query, "Errors").
        bad_format = (
            f"{name}: The date format in your query is not recognized. Please enter dates using ISO8601 string format."
        )
        raise invalid(bad_format, f"{name}: must be a valid date-time or empty.") from None


def _parse(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _cursor(after: str) -> int:
    try:
        return int(after)
    except ValueError:
        raise invalid("after: not a cursor from a next link") from None


def _matcher(request: Request) -> Callable[[JSON], bool]:
    """The `filter` expression and the `q` keywords as one test of an event."""
    expression = request.query.get("filter", "").strip()
    try:
        predicate = parse_expression(expression) if expression else None
    except OktaError:
        raise OktaError(400, "E0000053", f"Invalid filter '{expression}'") from None
    keywords = request.query.get("q", "").lower().split()
    if any(len(word) > MAX_KEYWORD for word in keywords):
        raise invalid(
            "q: Freeform search cannot contain items longer than 40 characters. Please shorten the items in your "
            "search or use an advanced filter to query by specific fields."
        )

    def keep(event: JSON) -> bool:
        if predicate is not None and not predicate(getter(event)):
            return False
        if keywords:
            words = set(_words(event))
            return all(word in words for word in keywords)
        return True

    return keep


def _words(value: Any) -> Iterable[str]:
    """Every string value of an event, whole, by word and by hyphen-part, lowercased (for `q`)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _words(item)
    elif isinstance(value, list):
        for item in value:
            yield from _words(item)
    elif isinstance(value, str):
        text = value.lower()
        yield text
        for word in text.split():
            yield word
            yield from word.split("-")
