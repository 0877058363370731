"""Reading a running Pulumi program's config (the CLI hands it over in the environment, tests via set_all_config)."""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from pulumi.runtime import config as runtime_config

from talend_okta import settings


def _all_config() -> dict[str, Any]:
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


def okta_org_url() -> str | None:
    """The Okta org the running program's provider talks to, from its config or the provider's environment."""
    config = _all_config()
    provider = {
        f"okta:{key}": config.get(f"okta:{key}") or os.environ.get(env)
        for key, env in (("httpProxy", "OKTA_HTTP_PROXY"), ("orgName", "OKTA_ORG_NAME"), ("baseUrl", "OKTA_BASE_URL"))
    }
    return settings.okta_org_url(provider)


def okta_api_token() -> str | None:
    """The API token the running program's Okta provider uses (`okta:apiToken`, else OKTA_API_TOKEN); None with
    OAuth (private key) credentials."""
    token = _all_config().get("okta:apiToken") or os.environ.get("OKTA_API_TOKEN")
    return str(token).strip() or None if token else None
