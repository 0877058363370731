"""Before the program assigns a group to the app: refuse while Okta does not create users for it.

People assigned to an app before its provisioning is enabled are never provisioned by Okta (Okta help, "Provision
unprovisioned users"). So the stack's group assignments wait until the app's read-only `features` (GET
/api/v1/apps/{id}) show SCIM provisioning with To App → Create Users on: the program's before-create hook on each
assignment calls `require_app_creates_users`, and a refusal stops that assignment with one line naming the console
steps. Stacks that want SSO-only assignments first opt in with `provisioning.assignBeforeProvisioning`.
"""

from __future__ import annotations

from talend_okta.http import ApiError
from talend_okta.okta_api import OktaClient
from talend_okta.okta_auth import OktaCredentials
from talend_okta.push_state import creates_users

CONSOLE_STEPS = (
    "in the Okta Admin Console: General → App Settings → Provisioning = SCIM; Provisioning → Integration (Talend's "
    "SCIM base URL and token); To App → Create Users; then `pulumi up` again"
)
OPT_IN = "talend-okta:provisioning.assignBeforeProvisioning: true"


class AssignmentRefused(RuntimeError):
    """The assignment would strand its members; the message says why and what to do, in one line."""


def refusal(group: str, app_id: str, features: list[str]) -> str:
    shown = ", ".join(features) or "none"
    return (
        f"group {group!r} not assigned: Okta does not create users for app {app_id} yet (its features: {shown}), "
        f"and never provisions people assigned before it does; {CONSOLE_STEPS} (or, for SSO-only assignments "
        f"first, {OPT_IN}, then `talend-okta provision --stranded`)"
    )


def require_app_creates_users(
    okta_url: str, credentials: str | OktaCredentials, app_id: str, group: str, *, timeout: float = 30.0
) -> None:
    """Raise `AssignmentRefused` unless Okta creates users for the app; an unreadable app refuses too.
    `credentials`: the Okta provider's (an API token or a service app, talend_okta.okta_auth)."""
    try:
        with OktaClient(okta_url, credentials, timeout=timeout) as okta:
            features = okta.get_app(app_id).features
    except ApiError as err:
        raise AssignmentRefused(
            f"group {group!r} not assigned: could not read whether Okta creates users for app {app_id}: {err}"
        ) from None
    if not creates_users(features):
        raise AssignmentRefused(refusal(group, app_id, features))
