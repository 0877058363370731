"""The stack's files as the commands read them: the stack config file (`Pulumi.<stack>.yaml`) and the stack outputs
(`pulumi stack output --json --show-secrets`). Every problem is one line naming the file, option or key."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.alias_generators import to_camel

from talend_okta.http import InputError
from talend_okta.settings import (
    ProvisioningSettings,
    SettingsError,
    StackSettings,
    load_settings,
    namespace_keys,
    okta_org_url,
)

SECRET_PLACEHOLDER = "preflight-needs-no-secret"  # stands in for `secure:` values, never decrypted


# --- the stack config file ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackConfig:
    """A `Pulumi.<stack>.yaml`, validated: the stack settings, and the Okta org the provider is pointed at."""

    path: Path
    settings: StackSettings
    okta_org_url: str | None


def read_stack_config(path: Path) -> StackConfig:
    """Read and validate a stack config file; every problem is one `SettingsError` line naming the file or key."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SettingsError(f"--config {path}: cannot read the stack config file ({err.strerror})") from None
    except yaml.YAMLError as err:
        where = getattr(err, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise SettingsError(f"--config {path}: not valid YAML{at}") from None
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        raise SettingsError(f"--config {path}: not a Pulumi stack config file (no `config:` mapping)")

    raw = {key: _placeholder_if_secure(value) for key, value in namespace_keys(config).items()}
    # The token is set with `pulumi config set --secret`, encrypted or elsewhere; preflight never needs it.
    raw.setdefault("scimToken", SECRET_PLACEHOLDER)
    return StackConfig(path, load_settings(raw), okta_org_url(config))


def _placeholder_if_secure(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"secure"}:
        return SECRET_PLACEHOLDER
    return value


# --- the stack outputs -------------------------------------------------------------------------------------------


class StackOutputs(BaseModel):
    """What the Pulumi program exports (`pulumi stack output --json --show-secrets`); other keys are ignored."""

    model_config = ConfigDict(extra="ignore", alias_generator=to_camel, populate_by_name=True)

    okta_org_url: str | None = None
    app_id: str | None = None
    scim_base_url: str | None = None
    scim_token: SecretStr | None = None
    provisioning: ProvisioningSettings | None = None
    assigned_groups: dict[str, str] = Field(default_factory=dict)  # group name → Okta group id
    pushed_groups: dict[str, str] | None = None
    role_mappings: dict[str, list[str]] = Field(default_factory=dict)  # customer role → Talend roles


def load_stack_outputs(text: str, source: str = "--stack-outputs") -> StackOutputs:
    """Parse `pulumi stack output --json --show-secrets`; a bad file is an `InputError` naming `source`."""
    try:
        data = json.loads(text)
    except ValueError:
        raise InputError(
            f"{source}: not JSON; pass the output of `pulumi stack output --json --show-secrets`"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{source}: must be a JSON object of stack outputs")
    try:
        return StackOutputs.model_validate(data)
    except ValidationError as err:
        first = err.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(f"{source}: output {where}: {first['msg']}") from None


def read_stack_outputs(path: str | None) -> StackOutputs | None:
    """The `--stack-outputs` file (or stdin for `-`), parsed; None without the option."""
    return load_stack_outputs(read_input(path, "--stack-outputs")) if path else None


def read_input(path: str, option: str) -> str:
    """A file's text, or stdin for `-`."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{option}: cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
