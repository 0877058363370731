"""Does Talend accept a token? The request Okta's "Test API Credentials" sends, as one named check.

Used by the Pulumi program's before-create hook (a token Talend rejects never reaches Okta), the sandbox's REST
deploy (the same hook) and verify's `talend-credentials` check. And does Okta accept the stack's API token: the
program asks once, so a rejected token is one line instead of a traceback per Okta look-up. Tokens never show.
"""

from __future__ import annotations

import threading

from pydantic import SecretStr

from talend_okta.checks import CheckResult
from talend_okta.http import ApiAuthError, ApiError, ApiStatusError, ApiUnreachable, Deadline, InputError
from talend_okta.okta_api import OktaClient
from talend_okta.okta_auth import OktaCredentials, ServiceApp
from talend_okta.redact import Redactor
from talend_okta.scim_api import TalendScimClient

CREDENTIALS = "talend-credentials"


def check_talend_credentials(scim_url: str, token: str, timeout: float = 30.0, *, total: float = 60.0) -> CheckResult:
    """Does Talend's SCIM API accept `token`? For the Pulumi program's hook; never raises, never shows the token.

    Gives up after `total` seconds in all, retries and waits included, so a slow Talend cannot stall `pulumi up`:
    the check runs in a daemon thread, and closing its client at the deadline ends a request still under way.
    """
    redact = Redactor([token])
    try:
        talend = TalendScimClient(scim_url, token, timeout=min(timeout, total), redactor=redact)
    except InputError as err:
        return CheckResult(name=CREDENTIALS, ok=False, detail=redact(str(err)))
    answer: list[CheckResult] = []

    def check() -> None:
        try:
            answer.append(credentials_check(talend))
        except Exception as err:  # an ApiError, or whatever the client closed at the deadline raises
            answer.append(CheckResult(name=CREDENTIALS, ok=False, detail=redact(str(err))))

    worker = threading.Thread(target=check, name="talend-credentials", daemon=True)
    worker.start()
    worker.join(total)
    talend.close()
    if answer:
        return answer[0]
    return CheckResult(
        name=CREDENTIALS, ok=False, detail=f"Talend at {talend.base_url} did not answer within {total:g} s"
    )


def credentials_check(talend: TalendScimClient) -> CheckResult:
    """Raises when Talend gave no verdict on the token (verify cannot run): unreachable, a redirect, a 5xx or 429
    after the retries. Any other answer but a valid ListResponse fails the check."""
    try:
        total = talend.check_credentials()
    except ApiUnreachable:
        raise
    except ApiStatusError as err:
        if 300 <= err.status < 400 or err.status >= 500 or err.status == 429:
            raise
        return _refused(err)
    except ApiError as err:
        return CheckResult(name=CREDENTIALS, ok=False, detail=str(err))
    return CheckResult(name=CREDENTIALS, ok=True, detail=f"Talend accepted the token ({total} SCIM users)")


def _refused(err: ApiStatusError) -> CheckResult:
    if isinstance(err, ApiAuthError):
        why = "the token is wrong, expired or its owner deactivated" if err.status == 401 else "the token lacks rights"
        detail = f"{err} ({why}; Talend needs a personal access token of a user with Users - Manage)"
        return CheckResult(name=CREDENTIALS, ok=False, detail=detail)
    return CheckResult(name=CREDENTIALS, ok=False, detail=str(err))


def okta_token_refusal(okta_url: str, credentials: str | OktaCredentials, *, total: float = 30.0) -> str | None:
    """Why Okta refuses the API token (`GET /api/v1/users/me` answered 401 or 403), in one line; None when it accepts
    it or gave no verdict (unreachable, slow: the Okta provider reports those itself). A service app has no user to
    read: its refusals (key, scope) come from the token endpoint, one line each, on its first call."""
    if isinstance(credentials, ServiceApp):
        return None
    token = credentials.get_secret_value() if isinstance(credentials, SecretStr) else credentials
    redact = Redactor([token])
    try:
        with OktaClient(okta_url, token, timeout=min(10.0, total), deadline=Deadline(total), redactor=redact) as okta:
            okta.current_user()
    except ApiAuthError as err:
        return redact(
            f"Okta at {okta_url} rejected the API token (okta:apiToken or OKTA_API_TOKEN): {err}; create one in the "
            "Okta Admin Console → Security → API → Tokens"
        )
    except (ApiError, InputError):
        return None
    return None
