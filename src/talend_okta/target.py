"""Which Okta org, token and app a command reads (and Talend's role-mapping API): one rule for every command.

Options (or their environment variables) win over the stack outputs (`--stack-outputs`), which win over the stack
config file (`okta:httpProxy`, or `okta:orgName` + `okta:baseUrl`). Every command resolves its target here; verify
and explain take both sides at once (`connection_settings`). A missing or bad value is one `InputError` line naming
the option.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from talend_okta.definition import api_base_url
from talend_okta.http import InputError, check_base_url
from talend_okta.okta_api import check_app_id
from talend_okta.okta_auth import OktaCredentials, okta_credentials
from talend_okta.settings import ProvisioningSettings
from talend_okta.stack_files import StackConfig, StackOutputs
from talend_okta.talend_api import api_origin

OKTA_URL = "--okta-url (OKTA_ORG_URL)"
SCIM_URL = "--scim-url (TALEND_SCIM_URL)"
SCIM_TOKEN = "--scim-token (TALEND_SCIM_TOKEN)"
OKTA_TOKEN = "--okta-token (OKTA_API_TOKEN)"
OKTA_CREDENTIALS = f"{OKTA_TOKEN} or a service app (OKTA_API_CLIENT_ID, OKTA_API_PRIVATE_KEY, OKTA_API_SCOPES)"
APP_ID = "--app-id (TALEND_OKTA_APP_ID)"
TALEND_API_URL = "--talend-api-url (TALEND_API_URL)"

AppRule = Literal["required", "optional"]
"""`required`: the command reads an app (verify, adopt). `optional`: a missing app id in the stack outputs means the
app is not deployed yet (preflight); then `--app-id` or `--stack-outputs` must still be given."""


@dataclass(frozen=True)
class OktaTarget:
    """The Okta org to read, the credentials (an API token or a service app), and the app (None: not deployed yet).

    `assigned_groups` is what the last deployment assigned (name → Okta group id, from the stack outputs); None
    without stack outputs for this app.
    """

    org_url: str
    credentials: OktaCredentials
    app_id: str | None
    assigned_groups: dict[str, str] | None = None


def okta_target(
    *,
    okta_url: str | None,
    okta_token: str | None,
    app_id: str | None,
    outputs: StackOutputs | None = None,
    config: StackConfig | None = None,
    app: AppRule = "required",
    environ: Mapping[str, str] = os.environ,
) -> OktaTarget:
    """Resolve the Okta org, credentials and app; anything missing is one `InputError` naming every missing option.
    A service app comes from the Okta provider's environment variables (never options: they show in process lists).
    """
    url = okta_url or (outputs.okta_org_url if outputs else None) or (config.okta_org_url if config else None)
    credentials = okta_credentials({"okta:apiToken": okta_token or ""}, environ)
    chosen_app = (app_id or (outputs.app_id if outputs else None) or "").strip() or None
    missing = []
    if not (url and url.strip()):
        missing.append(OKTA_URL)
    if credentials is None:
        missing.append(OKTA_CREDENTIALS)
    if app == "required" and chosen_app is None:
        missing.append(APP_ID)
    if missing:
        raise InputError(f"missing {', '.join(missing)}: {_where(missing, config)}")
    if app == "optional" and outputs is None and not app_id:
        raise InputError(
            f"missing {APP_ID} or --stack-outputs: preflight compares the config with the app's current assignments "
            "(stack outputs without appId mean the app is not deployed yet)"
        )
    assert url is not None
    assert credentials is not None
    if chosen_app is not None:
        check_app_id(chosen_app)
    # The outputs name the groups as the last deployment did; only meaningful for the app they describe.
    assigned = outputs.assigned_groups if outputs is not None and chosen_app == outputs.app_id else None
    return OktaTarget(check_base_url(url.strip(), OKTA_URL), credentials, chosen_app, assigned)


def _where(missing: list[str], config: StackConfig | None) -> str:
    """Where the missing values can come from."""
    sources = ["give the option or its environment variable"]
    if OKTA_URL in missing or APP_ID in missing:
        sources.append("--stack-outputs (oktaOrgUrl, appId)")
    if OKTA_URL in missing and config is not None:
        sources.append(f"okta:orgName and okta:baseUrl in {config.path}")
    if OKTA_CREDENTIALS in missing:
        sources.append("for the token prefer the environment variable")
    return "; ".join(sources)


@dataclass(frozen=True)
class TalendTarget:
    """Talend's API, to read the role mappings (optional for preflight: it runs without it)."""

    api_url: str
    token: SecretStr


def talend_target(
    *, api_url: str | None, api_token: str | None, outputs: StackOutputs | None, config: StackConfig | None
) -> TalendTarget | None:
    """Only with a token; the URL defaults to the stack outputs' SCIM host, else the config's region."""
    if not api_token or not api_token.strip():
        return None
    scim_url = outputs.scim_base_url if outputs else None
    if not api_url and not scim_url and config is None:
        raise InputError(f"missing {TALEND_API_URL}: give the option or its environment variable")
    url = api_url or (api_origin(scim_url) if scim_url else api_base_url(config.settings.region if config else ""))
    return TalendTarget(check_base_url(url, TALEND_API_URL), SecretStr(api_token.strip()))


@dataclass(frozen=True)
class ScimTarget:
    """Talend's SCIM API (where Okta provisions) and the token to read it."""

    url: str
    token: SecretStr


def scim_target(*, scim_url: str | None, scim_token: str | None, outputs: StackOutputs | None) -> ScimTarget:
    """Options (or their environment variables) win over the stack outputs' scimBaseUrl and scimToken; anything
    missing is one `InputError` naming it."""
    outputs = outputs or StackOutputs()
    chosen = {
        SCIM_URL: scim_url or outputs.scim_base_url,
        SCIM_TOKEN: scim_token or (outputs.scim_token.get_secret_value() if outputs.scim_token else None),
    }
    missing = [name for name, value in chosen.items() if not (value and value.strip())]
    if missing:
        raise InputError(f"missing {', '.join(missing)}: give the option, its environment variable or --stack-outputs")
    url, token = (value.strip() for value in chosen.values() if value)
    return ScimTarget(check_base_url(url, SCIM_URL), SecretStr(token))


class ConnectionSettings(BaseModel):
    """Where Okta and Talend are, and the tokens to read them (from options, environment or stack outputs)."""

    model_config = ConfigDict(frozen=True)

    okta_url: str
    okta_credentials: OktaCredentials
    app_id: str
    scim_url: str
    scim_token: SecretStr
    connection_url: str = ""  # the base URL Okta's connection should hold; empty: scim_url
    provisioning: ProvisioningSettings = ProvisioningSettings()
    pushed_groups: dict[str, str] | None = None  # Okta group name → id the stack pushes; None: not known
    assigned_groups: dict[str, str] | None = None  # Okta group name → id the stack assigns; None: not known
    stack_manages_provisioning: bool = False  # the stack outputs say provisioning.manage: true
    role_mappings: dict[str, list[str]] = Field(default_factory=dict)  # customer role → Talend roles (declared)
    talend_api_url: str = ""  # Talend's API origin (role mappings); empty: the SCIM URL's origin
    talend_api_token: SecretStr | None = None  # empty: the SCIM token

    def secrets(self) -> list[str]:
        # A service app's key is never put in text; its tokens reach each client's redactor.
        okta = self.okta_credentials
        tokens = [okta.get_secret_value()] if isinstance(okta, SecretStr) else []
        tokens.append(self.scim_token.get_secret_value())
        return tokens + ([self.talend_api_token.get_secret_value()] if self.talend_api_token else [])

    @property
    def role_api(self) -> tuple[str, str]:
        """(URL, token) for Talend's role-mapping API: the options, else the SCIM URL's origin and the SCIM token."""
        token = self.talend_api_token or self.scim_token
        return self.talend_api_url or api_origin(self.scim_url), token.get_secret_value()


def connection_settings(
    *,
    okta_url: str | None,
    okta_token: str | None,
    app_id: str | None,
    scim_url: str | None,
    scim_token: str | None,
    outputs: StackOutputs | None = None,
    talend_api_url: str | None = None,
    talend_api_token: str | None = None,
) -> ConnectionSettings:
    """The Okta target, then Talend's SCIM API: options (or their environment variables) win
    over stack outputs; anything missing is an `InputError`."""
    target = okta_target(okta_url=okta_url, okta_token=okta_token, app_id=app_id, outputs=outputs)
    assert target.app_id is not None  # required
    scim = scim_target(scim_url=scim_url, scim_token=scim_token, outputs=outputs)
    outputs = outputs or StackOutputs()
    return ConnectionSettings(
        okta_url=target.org_url,
        okta_credentials=target.credentials,
        app_id=target.app_id,
        scim_url=scim.url,
        scim_token=scim.token,
        # What the stack declared for Okta's connection, even when verify reads Talend elsewhere (the sandbox).
        connection_url=outputs.scim_base_url or "",
        provisioning=outputs.provisioning or ProvisioningSettings(),
        pushed_groups=outputs.pushed_groups,
        assigned_groups=target.assigned_groups,
        role_mappings=outputs.role_mappings,
        talend_api_url=check_base_url(talend_api_url, TALEND_API_URL) if talend_api_url else "",
        talend_api_token=SecretStr(talend_api_token.strip()) if talend_api_token and talend_api_token.strip() else None,
        stack_manages_provisioning=bool(outputs.provisioning and outputs.provisioning.manage),
    )
