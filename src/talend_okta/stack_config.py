"""What the running Pulumi program reads besides its settings: the raw config (the CLI hands it over in the
environment, tests via set_all_config), the Okta org the provider points at, and where a Talend token may go.

The component (stack/talend_cloud_app.py) reads none of this: `stack/__main__.py` decides and passes it in.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from talend_okta import settings
from talend_okta.http import is_loopback_url
from talend_okta.okta_auth import OktaCredentials, okta_credentials
from talend_okta.spec import AppSpec


def _all_config() -> dict[str, Any]:
    from pulumi.runtime import config as runtime_config  # here: the CLI's commands use talend_url without Pulumi

    values = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    return values


def raw_stack_config() -> dict[str, Any]:
    """All `talend-okta:` keys (so unknown ones are caught too), structured values decoded from their JSON text."""
    return {key: _decoded(value) for key, value in settings.namespace_keys(_all_config()).items()}


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip()[:1] in ("[", "{"):
        with contextlib.suppress(json.JSONDecodeError):  # left as text, the model names the key
            return json.loads(value)
    return value


def okta_org_url(config: Mapping[str, Any] | None = None) -> str | None:
    """The Okta org the stack's provider talks to, from the config (the running program's, unless given; the
    role-mapping provider gives the one the engine configured it with) or the provider's environment."""
    config = _all_config() if config is None else config
    provider = {
        f"okta:{key}": config.get(f"okta:{key}") or os.environ.get(env)
        for key, env in (("httpProxy", "OKTA_HTTP_PROXY"), ("orgName", "OKTA_ORG_NAME"), ("baseUrl", "OKTA_BASE_URL"))
    }
    return settings.okta_org_url(provider)


def okta_provider_credentials() -> OktaCredentials | None:
    """The credentials the running program's Okta provider uses: `okta:apiToken`, or a service app (`okta:clientId`,
    `okta:privateKey`, `okta:privateKeyId`, `okta:scopes`), else their environment variables; None without any."""
    return okta_credentials(_all_config(), os.environ)


SANDBOX_SCIM_URL = "TALEND_SCIM_URL"
SANDBOX_API_URL = "TALEND_API_URL"


@dataclass(frozen=True)
class TalendEndpoints:
    """Where the program sends Talend tokens: the credentials check and the role-mapping API."""

    scim_url: str
    api_url: str
    warnings: tuple[str, ...] = ()  # variables set but ignored (never their values)


def talend_url(declared: str, variable: str, okta_org_url: str | None, environ: Mapping[str, str]) -> str:
    """Where the program may send a Talend token: the stack's declared Talend URL.

    Only when the stack itself points Okta at a loopback sandbox (`okta:httpProxy`) may `variable`
    (`TALEND_SCIM_URL`, `TALEND_API_URL`) redirect it, and only to a loopback URL (the sandbox's Talend stand-in);
    a leftover variable never sends the token elsewhere.
    """
    local = environ.get(variable, "").strip()
    if okta_org_url and is_loopback_url(okta_org_url) and local and is_loopback_url(local):
        return local
    return declared


def talend_endpoints(spec: AppSpec, okta_org_url: str | None, environ: Mapping[str, str]) -> TalendEndpoints:
    """The Talend URLs for this run (`talend_url` for each that the spec uses), with a warning per ignored variable."""
    warnings: list[str] = []

    def choose(declared: str, variable: str, used: bool) -> str:
        chosen = talend_url(declared, variable, okta_org_url, environ)
        if used and environ.get(variable, "").strip() and chosen == declared:
            warnings.append(
                f"{variable} is ignored: the program sends the Talend token only to the stack's {declared} "
                f"(a loopback {variable} only while okta:httpProxy points at the sandbox)"
            )
        return chosen

    roles = spec.role_mappings
    scim_url = choose(spec.scim_base_url, SANDBOX_SCIM_URL, spec.provisioning is not None)
    api_url = choose(roles.api_url, SANDBOX_API_URL, True) if roles else ""
    return TalendEndpoints(scim_url=scim_url, api_url=api_url, warnings=tuple(warnings))
