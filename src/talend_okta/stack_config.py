"""Reading a running Pulumi program's config (the CLI hands it over in the environment, tests via set_all_config),
the Okta org it points at, and where a Talend token may go."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from typing import Any

from talend_okta import settings
from talend_okta.http import is_loopback_url


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
    """The Okta org the stack's provider talks to, from the config (the running program's, unless given) or the
    provider's environment."""
    config = _all_config() if config is None else config
    provider = {
        f"okta:{key}": config.get(f"okta:{key}") or os.environ.get(env)
        for key, env in (("httpProxy", "OKTA_HTTP_PROXY"), ("orgName", "OKTA_ORG_NAME"), ("baseUrl", "OKTA_BASE_URL"))
    }
    return settings.okta_org_url(provider)


def talend_url(declared: str, variable: str, okta_org_url: str | None, environ: Mapping[str, str]) -> str:
    """Where a Talend token may go: the stack's declared Talend URL.

    Only when the stack itself points Okta at a loopback sandbox (`okta:httpProxy`) may `variable`
    (`TALEND_SCIM_URL`, `TALEND_API_URL`) redirect it, and only to a loopback URL (the sandbox's Talend stand-in);
    a leftover variable never sends the token elsewhere. The program and the role-mapping provider both use this.
    """
    local = environ.get(variable, "").strip()
    if okta_org_url and is_loopback_url(okta_org_url) and local and is_loopback_url(local):
        return local
    return declared
