"""What Okta's provisioning has done for one app user, read from the fields Okta's Apps API gives it.

Okta's Apps API reference, "Application User Status" (developer.okta.com/docs/api/resources/apps):
- SSO only, no provisioning: status ACTIVE, syncState DISABLED, no externalId (also recorded:
  okta-recordings/TestAccDataSourceOktaAppUserAssignments_read.yaml);
- assigned to an app with PUSH_NEW_USERS: STAGED with no externalId while the push is queued; PROVISIONED with an
  externalId once it succeeded; still STAGED with syncState ERROR when it failed (a task in the admin console);
- syncState OUT_OF_SYNC / SYNCING while a change waits or is being pushed.
Okta help, "Provision unprovisioned users": people assigned before provisioning was enabled are never provisioned
automatically; their app user keeps the SSO-only fields. So on an app that provisions now, an app user with those
fields is stranded: Okta will not push them, and waiting does not help.
"""

from __future__ import annotations

from enum import StrEnum

from talend_okta.okta_api import AppUser

SCIM_PROVISIONING = "SCIM_PROVISIONING"
PUSH_NEW_USERS = "PUSH_NEW_USERS"  # To App → Create Users (the app's read-only `features`)


class PushState(StrEnum):
    PROVISIONED = "provisioned"  # Okta holds an externalId: the person exists in Talend (or did)
    STRANDED = "stranded"  # assigned before provisioning was enabled: Okta never pushes them
    PUSHING = "pushing"  # queued or being pushed: Okta is working on it
    PUSH_FAILED = "push failed"  # Okta tried and recorded an error (syncState ERROR)
    NOT_PUSHED = "not pushed"  # the app does not create users (provisioning or Create Users off)


def creates_users(features: list[str]) -> bool:
    """Whether Okta pushes newly assigned people to the app (SCIM on, To App → Create Users on)."""
    return SCIM_PROVISIONING in features and PUSH_NEW_USERS in features


def push_state(app_user: AppUser, *, app_creates_users: bool) -> PushState:
    """The app user's state; `app_creates_users` from `creates_users(app.features)`."""
    if app_user.sync_state == "ERROR":
        return PushState.PUSH_FAILED
    if app_user.external_id:
        return PushState.PROVISIONED
    if not app_creates_users:
        return PushState.NOT_PUSHED
    if app_user.sync_state in (None, "DISABLED") and app_user.status == "ACTIVE":
        return PushState.STRANDED
    return PushState.PUSHING
