"""The stack's settings: one validated model for everything a Pulumi stack config may say.

Keys are Pulumi config keys in the `talend-okta:` namespace (camelCase). A wrong value becomes one
`SettingsError` line that names the key and what is allowed, before any resource is declared.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from talend_okta.definition import REGIONS, Region

NAMESPACE = "talend-okta"

_ACCOUNT_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$"
# A DNS name (RFC 1123 labels): Talend's account name is the Domain on TMC's Subscription page, e.g.
# acme.eu.cloud.talend.com; an email address or a URL there would reach Talend in every SAML assertion.
_DOMAIN_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_DOMAIN_ALLOWED = "a domain name like acme.eu.cloud.talend.com (letters, digits and '-' in labels separated by dots)"


class _Settings(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True, strict=False
    )


class GroupSettings(_Settings):
    """An existing Okta group to assign to the Talend app (and optionally push to Talend)."""

    name: str = Field(
        min_length=1,
        description="Okta group name, exactly (case too): the one Okta group (type OKTA_GROUP) of that name, "
        "resolved to its ID at deploy time.",
    )
    push: bool = Field(default=False, description="Also push the group (and its members) to Talend.")
    priority: int | None = Field(
        default=None,
        ge=1,
        le=100,
        # Okta's priorities run 0 (highest) to 100, but the Okta provider never sends 0: it would silently
        # become whatever Okta picks. Omitting it asks Okta for the next free priority.
        description="Assignment priority when a user is in several assigned groups: 1 (highest) to 100.",
    )
    former_names: list[str] = Field(
        default_factory=list,
        description="Names this group had in earlier deployments; keeps its assignment and push when the config "
        "renames it.",
    )
    talend_roles: list[str] | None = Field(
        default=None,
        description="Talend role names the group's members get at their next SSO sign-in (the group becomes a "
        "customer role named after it).",
    )

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("former_names")
    @classmethod
    def _former_names(cls, value: list[str], info: ValidationInfo) -> list[str]:
        names = [name.strip() for name in value]
        if not all(names):
            raise ValueError("must not contain a blank name")
        # Exact, like Pulumi resource names: a case-only rename ("Talend devs" → "Talend Devs") needs its alias.
        if (own := info.data.get("name")) in names:
            raise ValueError(f"{own!r} is the group's own name; list only names it had in earlier deployments")
        return names

    @field_validator("talend_roles")
    @classmethod
    def _talend_roles(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("must name at least one Talend role; leave talendRoles out for a group without roles")
        roles = [role.strip() for role in value]
        if not all(roles):
            raise ValueError("must not contain a blank role name")
        if len({role.casefold() for role in roles}) < len(roles):
            raise ValueError("lists a role twice")
        # Talend splits CustomerRoles values on commas: such a group name could never match its mapping.
        if "," in (info.data.get("name") or ""):
            raise ValueError("a group whose name contains ',' cannot be a customer role (Talend splits on commas)")
        return roles


class ProvisioningSettings(_Settings):
    """Okta → Talend SCIM provisioning (Provisioning → To App in the admin console)."""

    manage: bool = Field(default=True, description="Declare the SCIM connection and To App features.")
    create_users: bool = Field(default=True, description='To App "Create Users".')
    update_user_attributes: bool = Field(default=True, description='To App "Update User Attributes".')
    deactivate_users: bool = Field(default=True, description='To App "Deactivate Users".')
    assign_before_provisioning: StrictBool = Field(
        default=False,
        description="Opt in to SSO-only assignments first: assign the groups even while Okta does not create users "
        "for the app yet. Okta never provisions people assigned then (they are stranded until `talend-okta "
        "provision --stranded`); by default the program assigns nobody until Okta creates users.",
    )

    @model_validator(mode="after")
    def _assign_first_needs_create(self) -> ProvisioningSettings:
        if self.assign_before_provisioning and not self.create_users:
            raise ValueError(
                "assignBeforeProvisioning: true needs createUsers: true (with Create Users off Okta pushes nobody, "
                "so no assignment waits for it)"
            )
        return self


_APP_ID = r"^0oa[A-Za-z0-9]+$"
_OKTA_ID = r"[A-Za-z0-9]+"


class AdoptSettings(_Settings):
    """Import ids of an app built by hand, written by `talend-okta adopt`: the first `pulumi up` brings these
    Okta objects into the stack's state (Pulumi's `import` resource option) instead of creating new ones.

    In the provider's documented import id formats. Once the stack manages them the ids change nothing (Pulumi
    keeps each import id in state); `pulumi config rm talend-okta:adopt` after the first `pulumi up` tidies up.
    """

    app: str = Field(pattern=_APP_ID, description="The SAML app's id (import id of okta.app.Saml).")
    connection: str | None = Field(
        default=None, description="Import id of the SCIM connection (okta.app.Connection): the app id."
    )
    features: str | None = Field(
        default=None, description="Import id of the To App features (okta.app.Features): <appId>/USER_PROVISIONING."
    )
    assignments: dict[str, str] = Field(
        default_factory=dict, description="Group name → import id of its assignment: <appId>/<groupId>."
    )
    push_groups: dict[str, str] = Field(
        default_factory=dict, description="Group name → import id of its push group: <appId>/<pushMappingId>."
    )

    @model_validator(mode="after")
    def _ids_of_this_app(self) -> AdoptSettings:
        expected = {"connection": self.app, "features": f"{self.app}/USER_PROVISIONING"}
        for key, wanted in expected.items():
            if (value := getattr(self, key)) is not None and value != wanted:
                raise ValueError(f"adopt.{key}: must be {wanted!r} for app {self.app} (got {value!r})")
        pattern = re.compile(rf"^{re.escape(self.app)}/{_OKTA_ID}$")
        for key, ids in (("assignments", self.assignments), ("pushGroups", self.push_groups)):
            for group, import_id in ids.items():
                if not pattern.match(import_id):
                    raise ValueError(f"adopt.{key}[{group!r}]: must be {self.app}/<Okta id> (got {import_id!r})")
        return self


class StackSettings(_Settings):
    """Everything one Talend tenant's stack declares."""

    region: Region = Field(description="Talend Cloud region of the tenant: " + ", ".join(REGIONS) + ".")
    account_id: str | None = Field(
        default=None,
        pattern=_ACCOUNT_ID,
        description="Talend account ID for multi-tenant SSO (letters, digits, '-', '_'): the SSO URL and audience "
        "then end in /<accountId>. Empty for single-tenant.",
    )
    domain_name: str = Field(
        description="Talend Cloud account name, a domain name such as acme.eu.cloud.talend.com (the Domain on Talend "
        "Management Console's Subscription page), sent as the TalendCloudDomainName attribute."
    )
    app_label: str = Field(
        default="Talend Cloud", min_length=1, max_length=100, description="Label of the app in Okta (1-100 characters)."
    )
    scim_token: SecretStr = Field(
        description="Talend personal access token Okta sends to Talend's SCIM API (its owner needs Users - Manage). "
        "Set it with `pulumi config set --secret`."
    )
    talend_api_token: SecretStr | None = Field(
        default=None,
        description="Talend token for the role-mapping API (a secret, needs SSO - Manage); defaults to scimToken.",
    )
    talend_token_owner: str | None = Field(
        default=None,
        description="Email (or Talend userName) of the person who owns scimToken and talendApiToken: preflight "
        "refuses a change that would lock them out (Talend's /account/me tells verify who it is).",
    )
    groups: list[GroupSettings] = Field(default_factory=list, description="Okta groups assigned to the app.")
    provisioning: ProvisioningSettings = Field(
        default_factory=ProvisioningSettings, description="Okta → Talend SCIM provisioning (Provisioning → To App)."
    )
    adopt: AdoptSettings | None = Field(
        default=None, description="Import ids of an app built by hand (written by `talend-okta adopt`)."
    )

    @field_validator("account_id", mode="before")
    @classmethod
    def _no_account_id(cls, value: object) -> object:
        return None if value == "" else value  # Pulumi.yaml's default: single-tenant

    @field_validator("talend_token_owner")
    @classmethod
    def _token_owner(cls, value: str | None) -> str | None:
        value = (value or "").strip()  # Pulumi.yaml's default "": not named
        if any(c.isspace() or not c.isprintable() for c in value) or value.count("@") > 1:
            raise ValueError("must be one email, like svc-talend@acme.com, or a Talend userName, without spaces")
        return value or None

    @field_validator("domain_name")
    @classmethod
    def _domain_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be empty (the Domain shown on Talend Management Console's Subscription page)")
        if any(c in value for c in '"\\') or any(c.isspace() or not c.isprintable() for c in value):
            raise ValueError("must not contain quotes, backslashes, spaces or control characters")
        if len(value) > 253 or not all(_DOMAIN_LABEL.match(label) for label in value.split(".")):
            raise ValueError(f"must be {_DOMAIN_ALLOWED}")
        return value

    @field_validator("scim_token", "talend_api_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().strip():
            raise ValueError("must not be empty (a Talend personal access token)")
        return value

    @property
    def role_mappings(self) -> dict[str, list[str]]:
        """Customer role (the Okta group name) → Talend role names, for the groups that have roles."""
        return {group.name: group.talend_roles for group in self.groups if group.talend_roles}

    @property
    def role_api_token(self) -> SecretStr:
        """The token for Talend's role-mapping API: talendApiToken, else the SCIM token."""
        return self.talend_api_token or self.scim_token

    @model_validator(mode="after")
    def _unique_groups(self) -> StackSettings:
        seen: set[str] = set()
        for group in self.groups:
            key = group.name.casefold()
            if key in seen:
                raise ValueError(f"groups: group {group.name!r} is listed twice; each group may appear once")
            seen.add(key)
        return self

    @model_validator(mode="after")
    def _former_names_belong_to_one_group(self) -> StackSettings:
        # Each former name becomes an alias of one group's assignment: it may not name another resource.
        current = {group.name.casefold(): group.name for group in self.groups}
        owner: dict[str, str] = {}
        for index, group in enumerate(self.groups):
            key = f"groups[{index}].formerNames"
            for former in group.former_names:
                folded = former.casefold()
                if current.get(folded, group.name) != group.name:
                    raise ValueError(f"{key}: {former!r} is the name of another configured group, {current[folded]!r}")
                if folded in owner:
                    where = "listed twice" if owner[folded] == group.name else f"also listed for {owner[folded]!r}"
                    raise ValueError(f"{key}: {former!r} is {where}; a former name belongs to one group, once")
                owner[folded] = group.name
        return self

    @model_validator(mode="after")
    def _adopted_objects_are_declared(self) -> StackSettings:
        # An import id the program would never use is a mistake in the config: say which, not silently ignore it.
        if self.adopt is None:
            return self
        groups = {group.name: group for group in self.groups}
        hint = "after the first `pulumi up` the whole block can go: pulumi config rm talend-okta:adopt"
        for name in self.adopt.assignments:
            if name not in groups:
                raise ValueError(f"adopt.assignments: {name!r} is not in talend-okta:groups; {hint}")
        for name in self.adopt.push_groups:
            if name not in groups or not groups[name].push:
                raise ValueError(
                    f"adopt.pushGroups: {name!r} is not a talend-okta:groups entry with push: true; {hint}"
                )
        if not self.provisioning.manage and (self.adopt.connection or self.adopt.features):
            raise ValueError("adopt: connection and features need provisioning.manage: true (nothing declares them)")
        return self


class SettingsError(ValueError):
    """A stack setting is wrong; the message is one line naming the key."""


def namespace_keys(config: Mapping[Any, Any]) -> dict[str, Any]:
    """A stack config's `talend-okta:` keys without the namespace: what `load_settings` takes."""
    prefix = f"{NAMESPACE}:"
    return {
        key.removeprefix(prefix): value
        for key, value in config.items()
        if isinstance(key, str) and key.startswith(prefix)
    }


def load_settings(raw: Mapping[str, Any]) -> StackSettings:
    """Validate raw config values (un-namespaced camelCase keys) into `StackSettings`."""
    try:
        return StackSettings.model_validate(dict(raw))
    except ValidationError as err:
        raise SettingsError(describe(err)) from None


def describe(err: ValidationError) -> str:
    """The first validation error as one line: `talend-okta:<key>: <what is allowed> (got <value>)`.

    A misspelled key comes first: it also makes the key it meant "missing", and that is not what to fix."""
    errors = err.errors(include_url=False)
    first = next((e for e in errors if e["type"] == "extra_forbidden" and _closest_key(e["loc"])), errors[0])
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
    key = f"{NAMESPACE}:{path}" if path else NAMESPACE
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = ", ".join(_allowed_keys(first["loc"]))
        if closest := _closest_key(first["loc"]):
            return f"{key}: unknown setting; did you mean {closest}? (allowed here: {allowed})"
        return f"{key}: unknown setting; allowed here: {allowed}"
    if kind == "missing":
        return f"{key}: required setting is missing"
    if kind == "literal_error":
        return f"{key}: must be one of {', '.join(REGIONS)} (got {first['input']!r})"
    if path.endswith(".priority") and kind in ("greater_than_equal", "less_than_equal", "int_parsing", "int_type"):
        allowed = "a whole number from 1 (highest) to 100, or left out to let Okta choose"
        return f"{key}: must be {allowed} (got {first['input']!r})"
    if kind == "string_pattern_mismatch":
        allowed = "an Okta app id, like 0oa1b2c3d4" if path == "adopt.app" else "letters, digits, '-' or '_'"
        return f"{key}: must be {allowed} (got {first['input']!r})"
    message = first["msg"].removeprefix("Value error, ")
    if message.startswith(("groups: ", "groups[", "adopt")):  # model-level checks already name their key
        return f"{NAMESPACE}:{message}"
    shown = "" if "token" in path.lower() else f" (got {first['input']!r})"
    return f"{key}: {message}{shown}"


def okta_org_url(config: Mapping[str, Any]) -> str | None:
    """Where a stack's Okta provider points: `okta:httpProxy`, else `https://<okta:orgName>.<okta:baseUrl>`."""
    if isinstance(proxy := config.get("okta:httpProxy"), str) and proxy:
        return proxy.rstrip("/")
    org, base = config.get("okta:orgName"), config.get("okta:baseUrl")
    if isinstance(org, str) and org and isinstance(base, str) and base:
        return f"https://{org}.{base}"
    return None


def _closest_key(loc: tuple[int | str, ...]) -> str | None:
    """The valid key an unknown one most likely meant (`domainNme` → `domainName`), if one is close."""
    close = difflib.get_close_matches(str(loc[-1]), _allowed_keys(loc), n=1, cutoff=0.8)
    return close[0] if close else None


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    nested: dict[str, type[BaseModel]] = {
        "groups": GroupSettings,
        "provisioning": ProvisioningSettings,
        "adopt": AdoptSettings,
    }
    model = nested.get(str(loc[0]), StackSettings) if len(loc) > 1 else StackSettings
    return [to_camel(name) for name in model.model_fields]
