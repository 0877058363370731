"""What Okta's System Log says about a person's provisioning to an app: the bounded query explain and verify send,
and the reason Okta recorded for the newest failed push.

Okta records every push to an app as an `application.provision.user.push` (a new person) or `.push_profile` (a
change) event targeting the user and the app; when the app refused it, the outcome is FAILURE and its reason is the
app's answer (Okta, "System Log query" and "Event types"; the sandbox records the same, okta_log.py). The Apps API
only says syncState ERROR: the log is where the reason is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from talend_okta.http import ApiError
from talend_okta.okta_api import LogEvent, OktaClient, okta_string

LOG_WINDOW = timedelta(days=30)
"""How far back the log is read (Okta keeps 90 days; its default window is 7)."""
PROVISIONING_EVENTS = "application.provision.user"
"""Okta's user provisioning event types start so (push, push_profile, deactivate, sync, …)."""
PUSH_EVENTS = ("application.provision.user.push", "application.provision.user.push_profile")
STAMP = "%Y-%m-%dT%H:%M:%S.000Z"


def provisioning_events(
    okta: OktaClient, user_id: str, app_id: str, *, now: datetime, max_events: int
) -> list[LogEvent]:
    """The person's newest provisioning events for the app, newest first: one page, since and until given (a
    bounded query). Raises `ApiError` as the client does (a token without System Log access gets 403)."""
    expression = " and ".join(
        (
            f"target.id eq {okta_string(user_id)}",
            f"target.id eq {okta_string(app_id)}",
            f"eventType sw {okta_string(PROVISIONING_EVENTS)}",
        )
    )
    return okta.log_events(
        expression,
        since=(now - LOG_WINDOW).strftime(STAMP),
        until=(now + timedelta(seconds=1)).strftime(STAMP),
        max_events=max_events,
        max_pages=1,
    )


def last_failure(events: list[LogEvent], types: tuple[str, ...] = PUSH_EVENTS) -> LogEvent | None:
    """The newest event of these types, if it failed (events are newest first)."""
    newest = next((e for e in events if e.event_type in types), None)
    return newest if newest is not None and newest.outcome and newest.outcome.result == "FAILURE" else None


def push_failure_reasons(
    okta: OktaClient, app_id: str, people: Mapping[str, str], *, now: datetime, limit: int
) -> tuple[dict[str, str], str | None]:
    """userName → the reason Okta recorded for their failed push, for at most `limit` of `people` (userName → Okta
    user id): one log request each, in the token's System Log bucket. Also why the log could not be read (no
    permission, unreachable, out of time; then the reasons read so far): the caller still reports the people, it
    only cannot say why."""
    reasons: dict[str, str] = {}
    for user_name, user_id in list(people.items())[:limit]:
        try:
            events = provisioning_events(okta, user_id, app_id, now=now, max_events=5)
        except ApiError as err:
            return reasons, str(err)
        failure = last_failure(events)
        if failure is not None and failure.outcome is not None and failure.outcome.reason:
            reasons[user_name] = failure.outcome.reason
    return reasons, None
