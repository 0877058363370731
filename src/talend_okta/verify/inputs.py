"""verify's inputs: where Okta and Talend are, the tokens to read them, what the stack declared, and how to poll."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from talend_okta.http import check_base_url
from talend_okta.settings import ProvisioningSettings
from talend_okta.stack_files import StackOutputs
from talend_okta.talend_api import api_origin
from talend_okta.target import TALEND_API_URL, okta_target, scim_target


class ConnectionSettings(BaseModel):
    """Where Okta and Talend are, and the tokens to read them (from options, environment or stack outputs)."""

    model_config = ConfigDict(frozen=True)

    okta_url: str
    okta_token: SecretStr
    app_id: str
    scim_url: str
    scim_token: SecretStr
    connection_url: str = ""  # the base URL Okta's connection should hold; empty: scim_url
    provisioning: ProvisioningSettings = ProvisioningSettings()
    pushed_groups: dict[str, str] | None = None  # Okta group name → id the stack pushes; None: not known
    stack_manages_provisioning: bool = False  # the stack outputs say provisioning.manage: true
    role_mappings: dict[str, list[str]] = Field(default_factory=dict)  # customer role → Talend roles (declared)
    talend_api_url: str = ""  # Talend's API origin (role mappings); empty: the SCIM URL's origin
    talend_api_token: SecretStr | None = None  # empty: the SCIM token

    def secrets(self) -> list[str]:
        tokens = [self.okta_token.get_secret_value(), self.scim_token.get_secret_value()]
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
    """The Okta target (`talend_okta.target`), then Talend's SCIM API: options (or their environment variables) win
    over stack outputs; anything missing is an `InputError`."""
    target = okta_target(okta_url=okta_url, okta_token=okta_token, app_id=app_id, outputs=outputs)
    assert target.app_id is not None  # required
    scim = scim_target(scim_url=scim_url, scim_token=scim_token, outputs=outputs)
    outputs = outputs or StackOutputs()
    return ConnectionSettings(
        okta_url=target.org_url,
        okta_token=target.token,
        app_id=target.app_id,
        scim_url=scim.url,
        scim_token=scim.token,
        # What the stack declared for Okta's connection, even when verify reads Talend elsewhere (the sandbox).
        connection_url=outputs.scim_base_url or "",
        provisioning=outputs.provisioning or ProvisioningSettings(),
        pushed_groups=outputs.pushed_groups,
        role_mappings=outputs.role_mappings,
        talend_api_url=check_base_url(talend_api_url, TALEND_API_URL) if talend_api_url else "",
        talend_api_token=SecretStr(talend_api_token.strip()) if talend_api_token and talend_api_token.strip() else None,
        stack_manages_provisioning=bool(outputs.provisioning and outputs.provisioning.manage),
    )


@dataclass(frozen=True)
class PollSettings:
    """How long to wait for Okta, and how often to look."""

    timeout: float = 300.0  # 0: a single pass
    interval: float = 5.0  # first wait between passes; grows by half each pass
    max_interval: float = 30.0
    request_timeout: float = 30.0  # per HTTP request
    scim_concurrency: int = 4  # SCIM pages read at once, once totalResults is known (1: one after the other)
