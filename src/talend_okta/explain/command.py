"""The `explain` command: resolve where Okta and Talend are, read the person, print the steps, exit 0 / 1 / 2.

Exit 0: the person is where the stack says they should be (assigned, active in Talend with a role; or unassigned and
not active there). 1: they are not. 2: explain could not run (a missing or bad option, Okta unreachable or refusing
its token, no such app: one line on stderr) or could not tell (several Okta users with the email given, Talend
unreadable: the steps, with that verdict).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr
from rich.console import Console

from talend_okta.cli_io import fail
from talend_okta.explain.read import ExplainAborted, read_person
from talend_okta.explain.render import print_explanation, to_json
from talend_okta.explain.steps import Explanation, explain
from talend_okta.http import ApiError, Deadline, InputError, RetryPolicy, Sleep, check_base_url
from talend_okta.okta_api import OktaClient
from talend_okta.redact import Redactor
from talend_okta.scim_api import TalendScimClient
from talend_okta.stack_files import StackOutputs, read_stack_outputs
from talend_okta.talend_api import TalendApiClient, api_origin
from talend_okta.target import TALEND_API_URL, okta_target, scim_target

REQUEST_TIMEOUT = 15.0  # seconds per request: explain answers a person waiting for it
RETRY = RetryPolicy(attempts=2, backoff=0.5, rate_limit_waits=2, max_rate_limit_wait=10.0)


@dataclass(frozen=True)
class ExplainSettings:
    """Where Okta and Talend are, their tokens, and what the stack outputs say (see `resolve`)."""

    okta_url: str
    okta_token: SecretStr
    app_id: str
    scim_url: str
    scim_token: SecretStr
    talend_api_url: str  # Talend's role-mapping API
    talend_api_token: SecretStr
    assigned_groups: Mapping[str, str] | None = None  # the stack outputs' assignedGroups
    role_mappings: Mapping[str, list[str]] = field(default_factory=dict)  # the stack outputs' roleMappings

    def secrets(self) -> list[str]:
        return [s.get_secret_value() for s in (self.okta_token, self.scim_token, self.talend_api_token)]


def resolve(
    *,
    okta_url: str | None,
    okta_token: str | None,
    app_id: str | None,
    scim_url: str | None,
    scim_token: str | None,
    talend_api_url: str | None,
    talend_api_token: str | None,
    outputs: StackOutputs | None,
) -> ExplainSettings:
    """verify's target rules (`talend_okta.target`): options (or their environment variables) win over the stack
    outputs; Talend's role-mapping API defaults to the SCIM host and token."""
    okta = okta_target(okta_url=okta_url, okta_token=okta_token, app_id=app_id, outputs=outputs)
    assert okta.app_id is not None  # required
    scim = scim_target(scim_url=scim_url, scim_token=scim_token, outputs=outputs)
    api_token = talend_api_token.strip() if talend_api_token and talend_api_token.strip() else None
    return ExplainSettings(
        okta_url=okta.org_url,
        okta_token=okta.token,
        app_id=okta.app_id,
        scim_url=scim.url,
        scim_token=scim.token,
        talend_api_url=check_base_url(talend_api_url, TALEND_API_URL) if talend_api_url else api_origin(scim.url),
        talend_api_token=SecretStr(api_token) if api_token else scim.token,
        assigned_groups=okta.assigned_groups,
        role_mappings=outputs.role_mappings if outputs is not None else {},
    )


@dataclass
class Explained:
    explanation: Explanation
    requests: dict[str, int]  # per service: okta, talend (SCIM), talend-api
    seconds: float


def explain_person(
    person: str,
    settings: ExplainSettings,
    *,
    retry: RetryPolicy = RETRY,
    sleep: Sleep = time.sleep,
    transport: httpx.BaseTransport | None = None,
    timeout: float = 0.0,
) -> Explained:
    """Read and explain one person; raises `ExplainAborted` when it cannot run. `timeout` (seconds, 0: none) bounds
    the whole run: one deadline shared by the three clients, so no wait or retry outlives it."""
    started = time.monotonic()
    deadline = Deadline(timeout) if timeout > 0 else None
    redact = Redactor(settings.secrets())
    okta = OktaClient(
        settings.okta_url,
        settings.okta_token.get_secret_value(),
        timeout=REQUEST_TIMEOUT,
        retry=retry,
        sleep=sleep,
        transport=transport,
        redactor=redact,
        deadline=deadline,
    )
    talend = TalendScimClient(
        settings.scim_url,
        settings.scim_token.get_secret_value(),
        timeout=REQUEST_TIMEOUT,
        retry=retry,
        sleep=sleep,
        transport=transport,
        redactor=redact,
        deadline=deadline,
    )
    roles = TalendApiClient(
        settings.talend_api_url,
        settings.talend_api_token.get_secret_value(),
        timeout=REQUEST_TIMEOUT,
        retry=retry,
        sleep=sleep,
        transport=transport,
        redactor=redact,
        deadline=deadline,
    )
    with okta, talend, roles:
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
    as_json: bool,
    timeout: float = 0.0,
) -> int:
    """Explain and print (`as_json`: one JSON object on stdout); the exit code. Could not run: one line on stderr and
    exit 2 (`fail`)."""
    redact = Redactor([okta_token, scim_token, talend_api_token])
    try:
        settings = resolve(
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
        if not person.strip():
            raise InputError("PERSON: give an Okta login, an email or an Okta user id")
        result = explain_person(person.strip(), settings, timeout=timeout)
    except (InputError, ExplainAborted, ApiError) as err:
        fail(str(err), redact)
    if as_json:
        sys.stdout.write(to_json(result.explanation, redact))
        sys.stdout.flush()
    else:
        print_explanation(result.explanation, Console(highlight=False, soft_wrap=True), redact)
    return result.explanation.exit_code
