"""The `explain` command: resolve where Okta and Talend are, read the person, print the steps, exit 0 / 1 / 2.

Exit 0: the person is where the stack says they should be (assigned, active in Talend with a role; or unassigned and
not active there). 1: they are not. 2: explain could not run (bad input, Okta unreachable or refusing its token, no
such app, several Okta users with the email given, Talend unreadable); then one line on stderr.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr
from rich.console import Console

from talend_okta.explain.read import ExplainAborted, read_person
from talend_okta.explain.render import print_explanation, to_json
from talend_okta.explain.steps import Explanation, explain
from talend_okta.http import RetryPolicy, Sleep
from talend_okta.okta_api import OktaClient
from talend_okta.redact import Redactor
from talend_okta.scim_api import TalendScimClient
from talend_okta.talend_api import TalendApiClient
from talend_okta.verify import StackOutputs, connection_settings

REQUEST_TIMEOUT = 15.0  # seconds per request: explain answers a person waiting for it
RETRY = RetryPolicy(attempts=2, backoff=0.5, rate_limit_waits=2, max_rate_limit_wait=10.0)


@dataclass(frozen=True)
class ExplainSettings:
    """Where Okta and Talend are, their tokens, and what the stack outputs say (resolved by the CLI)."""

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
    """The same target rules as verify: options (or their environment variables) win over the stack outputs."""
    resolved = connection_settings(
        okta_url=okta_url,
        okta_token=okta_token,
        app_id=app_id,
        scim_url=scim_url,
        scim_token=scim_token,
        outputs=outputs,
        talend_api_url=talend_api_url,
        talend_api_token=talend_api_token,
    )
    api_url, api_token = resolved.role_api
    same_app = outputs is not None and outputs.app_id == resolved.app_id  # the outputs describe this app
    return ExplainSettings(
        okta_url=resolved.okta_url,
        okta_token=resolved.okta_token,
        app_id=resolved.app_id,
        scim_url=resolved.scim_url,
        scim_token=resolved.scim_token,
        talend_api_url=api_url,
        talend_api_token=SecretStr(api_token),
        assigned_groups=outputs.assigned_groups if outputs is not None and same_app else None,
        role_mappings=resolved.role_mappings,
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
) -> Explained:
    """Read and explain one person; raises `ExplainAborted` when it cannot run."""
    started = time.monotonic()
    redact = Redactor(settings.secrets())
    okta = OktaClient(
        settings.okta_url,
        settings.okta_token.get_secret_value(),
        timeout=REQUEST_TIMEOUT,
        retry=retry,
        sleep=sleep,
        transport=transport,
        redactor=redact,
    )
    talend = TalendScimClient(
        settings.scim_url,
        settings.scim_token.get_secret_value(),
        timeout=REQUEST_TIMEOUT,
        retry=retry,
        sleep=sleep,
        transport=transport,
        redactor=redact,
    )
    roles = TalendApiClient(
        settings.talend_api_url,
        settings.talend_api_token.get_secret_value(),
        timeout=REQUEST_TIMEOUT,
        retry=retry,
        sleep=sleep,
        transport=transport,
        redactor=redact,
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


def run(person: str, settings: ExplainSettings, *, as_json: bool, redact: Redactor) -> int:
    """Explain and print (`as_json`: one JSON object on stdout); the exit code. Raises `ExplainAborted`."""
    redact.add(*settings.secrets())
    if not person.strip():
        raise ExplainAborted("PERSON: give an Okta login, an email or an Okta user id")
    result = explain_person(person.strip(), settings)
    if as_json:
        sys.stdout.write(to_json(result.explanation, redact))
        sys.stdout.flush()
    else:
        print_explanation(result.explanation, Console(highlight=False, soft_wrap=True), redact)
    return result.explanation.exit_code
