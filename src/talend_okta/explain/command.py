"""The `explain` command: resolve where Okta and Talend are, read the person, print the steps, exit 0 / 1 / 2.

Exit 0: the person is where the stack says they should be (assigned, active in Talend with a role; or unassigned and
not active there). 1: they are not. 2: explain could not run (a missing or bad option, Okta unreachable or refusing
its token, no such app: one line on stderr) or could not tell (several Okta users with the email given, Talend
unreadable: the steps, with that verdict).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from talend_okta.cli_io import check_output_dir, fail, write_text
from talend_okta.explain.read import ExplainAborted, read_person
from talend_okta.explain.render import print_explanation, to_json
from talend_okta.explain.steps import Explanation, explain
from talend_okta.http import ApiError, ClientOptions, Deadline, InputError, RetryPolicy, Sleep
from talend_okta.okta_api import OktaClient
from talend_okta.redact import Redactor
from talend_okta.scim_api import TalendScimClient
from talend_okta.stack_files import read_stack_outputs
from talend_okta.talend_api import TalendApiClient
from talend_okta.target import TALEND_API_URL, ConnectionSettings, connection_settings
from talend_okta.terminal import human_console

REQUEST_TIMEOUT = 15.0  # seconds per request: explain answers a person waiting for it
RETRY = RetryPolicy(attempts=2, backoff=0.5, rate_limit_waits=2, max_rate_limit_wait=10.0)


@dataclass
class Explained:
    explanation: Explanation
    requests: dict[str, int]  # per service: okta, talend (SCIM), talend-api
    seconds: float


def explain_person(
    person: str,
    settings: ConnectionSettings,
    *,
    retry: RetryPolicy = RETRY,
    sleep: Sleep = time.sleep,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 0.0,
) -> Explained:
    """Read and explain one person; raises `ExplainAborted` when it cannot run. `timeout` (seconds, 0: none) bounds
    the whole run: one deadline shared by the three clients, so no wait or retry outlives it."""
    started = time.monotonic()
    shared = ClientOptions(
        timeout=REQUEST_TIMEOUT,
        retry=retry,
        sleep=sleep,
        transport=transport,
        redactor=Redactor(settings.secrets()),
        deadline=Deadline(timeout) if timeout > 0 else None,
    )
    api_url, api_token = settings.role_api
    with (
        OktaClient(settings.okta_url, settings.okta_credentials, **shared) as okta,
        TalendScimClient(settings.scim_url, settings.scim_token.get_secret_value(), **shared) as talend,
        TalendApiClient(api_url, api_token, setting=TALEND_API_URL, **shared) as roles,
    ):
        facts = read_person(
            person,
            settings.app_id,
            okta,
            talend,
            roles,
            stack_groups=settings.assigned_groups,
            declared_mappings=dict(settings.role_mappings),
        )
        requests = {"okta": okta.requests, "talend": talend.requests, "talend-api": roles.requests}
    return Explained(explain(facts), requests, time.monotonic() - started)


def run(
    person: str,
    *,
    okta_url: str | None,
    okta_token: str | None,
    app_id: str | None,
    scim_url: str | None,
    scim_token: str | None,
    talend_api_url: str | None,
    talend_api_token: str | None,
    stack_outputs: str | None,
    json_path: str | None,
    timeout: float = 0.0,
) -> int:
    """Explain and print (`json_path`: also one JSON object to that file, or stdout for `-`, the steps then on
    stderr); the exit code. Could not run: one line on stderr and exit 2 (`fail`)."""
    redact = Redactor([okta_token, scim_token, talend_api_token])
    try:
        settings = connection_settings(
            okta_url=okta_url,
            okta_token=okta_token,
            app_id=app_id,
            scim_url=scim_url,
            scim_token=scim_token,
            talend_api_url=talend_api_url,
            talend_api_token=talend_api_token,
            outputs=read_stack_outputs(stack_outputs),
        )
        redact.add(*settings.secrets())
        check_output_dir("--json", json_path)
        if not person.strip():
            raise InputError("PERSON: give an Okta login, an email or an Okta user id")
        if person.strip().casefold() == "me":  # Okta's GET /api/v1/users/me answers with the API token's owner
            raise InputError(
                "PERSON: `me` is Okta's name for the API token's owner, not a login; give their login, email or Okta "
                "user id"
            )
        result = explain_person(person.strip(), settings, timeout=timeout)
    except (InputError, ExplainAborted, ApiError) as err:
        fail(str(err), redact)
    if json_path is not None:
        write_text(to_json(result.explanation, redact), json_path, "--json", redact)
    print_explanation(result.explanation, human_console(stderr=json_path == "-"), redact)
    return result.explanation.exit_code
