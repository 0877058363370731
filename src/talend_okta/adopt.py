"""`talend-okta adopt`: bring a Talend Cloud app an admin built by hand in Okta under a stack, without re-creating it.

Reads the app, its group assignments, push groups and provisioning over Okta's API and writes the stack config that
describes them, with a `talend-okta:adopt` block of import ids: the program passes them to Pulumi's `import` resource
option, so the first `pulumi up` reads those Okta objects into the state and then updates them in place to meet
Talend's requirements. It also says what that first `pulumi up` changes, and whom it affects. Nothing is written to
Okta; no secret is written to the file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from rich.markup import escape

from talend_okta import definition as talend
from talend_okta.cli_io import fail
from talend_okta.group_names import resolve_groups
from talend_okta.http import ApiError, ApiStatusError, Deadline, InputError, is_loopback
from talend_okta.okta_api import (
    NOT_FOUND,
    PROVISIONING_NOT_ENABLED,
    SCIM_PROVISIONING,
    TO_APP_FEATURES,
    App,
    AppGroup,
    AttributeStatement,
    Connection,
    OktaClient,
    PushMapping,
    check_app_id,
)
from talend_okta.redact import Redactor
from talend_okta.roles import CUSTOMER_ROLES, RoleMappings
from talend_okta.settings import NAMESPACE, SettingsError, load_settings, namespace_keys, okta_org_url
from talend_okta.spec import AppSpec, app_spec
from talend_okta.stack_config import talend_url
from talend_okta.stack_files import SECRET_PLACEHOLDER, StackOutputs, read_stack_outputs
from talend_okta.talend_api import TalendApiClient
from talend_okta.target import okta_target
from talend_okta.terminal import human_console

ADOPT_KEY = f"{NAMESPACE}:adopt"
_SSO_URL = re.compile(
    r"^https://iam\.(?P<region>[a-z-]+)\.cloud\.talend\.com/oidc/ssologin(?:/(?P<account>[A-Za-z0-9][A-Za-z0-9_-]*))?/?$"
)
_STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")

# Okta's built-in application username formats (Sign On → Settings → Application username format), keyed by the
# template exactly as Okta stores and returns it, spaces included (Okta's OpenAPI spec,
# ApplicationCredentialsUsernameTemplate; okta.md §2). A BUILT_IN app holds one of these strings verbatim.
USERNAME_FORMATS = {
    "${source.login}": "Okta username",
    '${fn:substringBefore(source.login, "@")}': "Okta username prefix",
    "${source.email}": "Email",
    talend.EMAIL_PREFIX_TEMPLATE: "Email prefix",
    "${fn:toLowerCase(source.email)}": "Email (lowercase)",
    "${source.samAccountName}": "AD SAM Account Name",
    "${fn:toLowerCase(source.samAccountName)}": "AD SAM Account Name (lowercase)",
    "${source.userName}": "AD User Principal Name",
    '${fn:substringBefore(source.userName, "@")}': "AD User Principal Name prefix",
    "${source.employeeID}": "AD Employee ID",
    "${source.userName}${instance.userSuffix}": "LDAP UID + custom suffix",
}
SECRET_KEYS = {f"{NAMESPACE}:scimToken": "the Talend personal access token Okta uses for SCIM"}
# The Okta token is never a stack secret: the provider prefers okta:apiToken to OKTA_API_TOKEN, so every preview, a
# pull request's too, would run with it (docs/ci.md, "Where the secrets live").
OKTA_TOKEN_LINE = "read -rs OKTA_API_TOKEN && export OKTA_API_TOKEN    # the Okta API token: never in the stack config"


@dataclass(frozen=True)
class Change:
    """One thing the first `pulumi up` changes in Okta."""

    what: str
    now: str
    then: str


@dataclass
class Adoption:
    """What `adopt` found: the config to write, and what the first `pulumi up` will change and for whom."""

    app: App
    config: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    people: list[str] = field(default_factory=list)  # people impact, shown loudly
    notes: list[str] = field(default_factory=list)  # what adopt left alone, hand steps


# --- before reading Okta ----------------------------------------------------------------------------------------


def output_path(stack: str | None, out: Path | None) -> Path:
    """`--out`, else `Pulumi.<stack>.yaml`; one of them is needed."""
    if out is not None:
        if not out.parent.is_dir():
            raise InputError(f"--out: directory {out.parent} does not exist")
        return out
    if stack is None:
        raise InputError("--stack or --out: give the stack name (writes Pulumi.<stack>.yaml) or the file to write")
    if not _STACK_NAME.match(stack):
        raise InputError(f"--stack: a Pulumi stack name is letters, digits, '.', '-' or '_' (got {stack!r})")
    return Path(f"Pulumi.{stack}.yaml")


def already_managed(app_id: str, path: Path, outputs: StackOutputs | None) -> str | None:
    """Why this app needs no adopting (the stack already manages it), or None; refuses adopting into another app's
    stack, where the import would replace the app that stack manages."""
    if outputs is not None and outputs.app_id:
        if outputs.app_id == app_id:
            return f"app {app_id} is already managed by the stack (its outputs name it as appId)"
        raise InputError(
            f"--stack-outputs: this stack already manages app {outputs.app_id}; adopting {app_id} into it would "
            "replace that app. Adopt into a new stack (pulumi stack init NAME)"
        )
    adopted = _adopted_app(path)
    if adopted == app_id:
        return f"app {app_id} is already adopted in {path} (its {ADOPT_KEY}.app)"
    return None


def _adopted_app(path: Path) -> str | None:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    config = document.get("config") if isinstance(document, dict) else None
    adopt = config.get(ADOPT_KEY) if isinstance(config, dict) else None
    app = adopt.get("app") if isinstance(adopt, dict) else None
    return app if isinstance(app, str) else None


def provider_config(org_url: str) -> dict[str, str]:
    """The `okta:` provider keys for an org: orgName + baseUrl, or httpProxy for a loopback stand-in."""
    parts = urlsplit(org_url)
    host = parts.hostname or ""
    if is_loopback(host):
        return {"okta:httpProxy": org_url}
    org, _, base = host.partition(".")
    config = {"okta:orgName": org, "okta:baseUrl": base}
    if not base or okta_org_url(config) != org_url.rstrip("/"):
        raise InputError(
            f"--okta-url: {org_url} cannot be written as okta:orgName + okta:baseUrl (https://<org>.<base>)"
        )
    return config


# --- reading Okta -----------------------------------------------------------------------------------------------


TalendFor = Callable[[str], TalendApiClient]
"""Region → a client for that region's Talend role-mapping API (only when a Talend token was given)."""


def talend_reader(
    org_url: str, api_url: str | None, token: str | None, redact: Redactor, deadline: Deadline | None = None
) -> TalendFor | None:
    """How adopt reads Talend's role mappings: the region's API host (a loopback `--talend-api-url` only while Okta
    is a loopback sandbox, the program's rule), with `--talend-api-token`; None without a token."""
    if not token or not token.strip():
        return None

    def client(region: str) -> TalendApiClient:
        url = talend_url(talend.api_base_url(region), "TALEND_API_URL", org_url, {"TALEND_API_URL": api_url or ""})
        setting = "--talend-api-url (TALEND_API_URL)"
        return TalendApiClient(url, token.strip(), setting=setting, redactor=redact, deadline=deadline)

    return client


def read_adoption(okta: OktaClient, app_id: str, talend_for: TalendFor | None = None) -> Adoption:
    """Everything adopt needs from Okta (read only), as the config to write and the first `pulumi up`'s changes.

    `talend_for`: reads Talend's role mappings, which an app sending `CustomerRoles` needs carried into
    `groups[].talendRoles`; without it, such an app is refused (the first `pulumi up` would drop people's roles)."""
    app = _get_app(okta, app_id)
    sign_on = app.settings.sign_on
    match = _SSO_URL.match(sign_on.sso_acs_url or "") if sign_on and app.sign_on_mode == "SAML_2_0" else None
    if match is None or match["region"] not in talend.REGIONS:
        where = f"its SSO URL is {sign_on.sso_acs_url!r}" if sign_on else f"it is a {app.sign_on_mode or '?'} app"
        raise InputError(
            f"--app-id: app {app_id} ({app.label!r}) is not a Talend Cloud app: {where}, not "
            "https://iam.<region>.cloud.talend.com/oidc/ssologin[/<accountId>]"
        )
    region, account_id = match["region"], match["account"]
    domain_name = _domain_name(app)

    config: dict[str, Any] = provider_config(okta.org_url)
    config[f"{NAMESPACE}:region"] = region
    if account_id:
        config[f"{NAMESPACE}:accountId"] = account_id
    config[f"{NAMESPACE}:domainName"] = domain_name
    config[f"{NAMESPACE}:appLabel"] = app.label
    adoption = Adoption(app=app, config=config)
    import_ids: dict[str, Any] = {"app": app.id}

    provisioning = _provisioning(okta, app, adoption, talend.scim_base_url(region))
    if provisioning["manage"]:
        import_ids["connection"] = app.id
        import_ids["features"] = f"{app.id}/{talend.USER_PROVISIONING}"
    groups = _groups(okta, app, adoption, import_ids)
    _roles(okta, app, adoption, groups, region, talend_for)
    config[f"{NAMESPACE}:groups"] = groups
    config[f"{NAMESPACE}:provisioning"] = provisioning
    config[ADOPT_KEY] = import_ids
    try:  # what adopt writes must load as the program loads it (the secret comes from `pulumi config set`)
        settings = load_settings({**namespace_keys(config), "scimToken": SECRET_PLACEHOLDER})
    except SettingsError as err:
        raise InputError(f"--app-id: app {app_id} cannot be described as this stack's config: {err}") from None

    adoption.changes[:0] = app_changes(app, app_spec(settings))
    _people(okta, app, adoption)
    return adoption


def _get_app(okta: OktaClient, app_id: str) -> App:
    try:
        return okta.get_app(app_id)
    except ApiStatusError as err:
        if err.status == 404:
            raise InputError(f"--app-id: Okta has no app {app_id} in {okta.org_url}") from None
        raise


def _domain_name(app: App) -> str:
    """The account name in the `TalendCloudDomainName` statement: an Okta string literal, "<name>"."""
    values = next((s.values for s in app.settings.attribute_statements if s.name == "TalendCloudDomainName"), None)
    literal = values[0].strip() if values else ""
    name = literal[1:-1] if len(literal) > 1 and literal[0] == literal[-1] == '"' else ""
    if not name or '"' in name or "\\" in name:
        found = "has none" if values is None else f"has {literal!r}, not a quoted name"
        raise InputError(
            f"--app-id: app {app.id}: the TalendCloudDomainName attribute statement {found}; set it to the Domain "
            'on Talend Management Console\'s Subscription page, as "<domain>", in Okta first'
        )
    return name


def _groups(okta: OktaClient, app: App, adoption: Adoption, import_ids: dict[str, Any]) -> list[dict[str, Any]]:
    """The assigned groups (by name, with priorities) and which of them are pushed; their import ids."""
    assigned: list[AppGroup] = list(okta.iter_app_groups(app.id))
    mappings = _push_mappings(okta, app.id)
    names = {assignment.id: okta.get_group(assignment.id).profile.name for assignment in assigned}
    # The program resolves each name to the one Okta group (type OKTA_GROUP) of exactly that name: it must come back
    # to the group assigned now, or the adopted stack would assign another group, or stop.
    resolved = resolve_groups(list(dict.fromkeys(names.values())), okta.search_groups)
    for group_id, name in names.items():
        if resolved.ids.get(name) != group_id:
            why = resolved.problems.get(name) or f"group {name!r}: the stack would find {resolved.ids.get(name)}"
            raise InputError(
                f"--app-id: group {name!r} ({group_id}) is assigned, but the stack finds groups by exact name among "
                f"Okta groups (type OKTA_GROUP): {why}; rename one of them in Okta first"
            )

    groups: list[dict[str, Any]] = []
    assignments: dict[str, str] = {}
    push_groups: dict[str, str] = {}
    for assignment in sorted(assigned, key=lambda a: (a.priority is None, a.priority or 0, names[a.id])):
        name = names[assignment.id]
        mapping = next((m for m in mappings if m.source_group_id == assignment.id), None)
        entry: dict[str, Any] = {"name": name, "push": mapping is not None}
        # Okta's 0 can't be declared (the provider never sends it); left out, the provider leaves it as it is.
        if assignment.priority:
            entry["priority"] = assignment.priority
        groups.append(entry)
        assignments[name] = f"{app.id}/{assignment.id}"
        if mapping is not None:
            push_groups[name] = f"{app.id}/{mapping.id}"
            if mapping.status != "ACTIVE":
                adoption.changes.append(Change(f"push group {name}", mapping.status or "?", "ACTIVE"))
    for mapping in mappings:
        if mapping.source_group_id not in names:
            adoption.notes.append(
                f"push group for {mapping.source_group_id}, a group not assigned to the app: not adopted (the stack "
                "pushes only assigned groups); it stays as it is in Okta"
            )
    import_ids["assignments"] = assignments
    import_ids["pushGroups"] = push_groups
    return groups


def _push_mappings(okta: OktaClient, app_id: str) -> list[PushMapping]:
    try:
        return list(okta.iter_push_mappings(app_id))
    except ApiStatusError as err:  # Okta's Group Push API needs provisioning on the app
        if err.status in (400, 404) and err.code in (PROVISIONING_NOT_ENABLED, NOT_FOUND):
            return []
        raise


def _provisioning(okta: OktaClient, app: App, adoption: Adoption, scim_url: str) -> dict[str, bool]:
    """`talend-okta:provisioning` as Okta reports it; `manage: false` where Okta refuses its provisioning APIs."""
    connection = _connection(okta, app.id)
    feature = okta.get_user_provisioning(app.id)
    if feature is not None:
        flags = [feature.creates_users, feature.updates_profiles, feature.deactivates_users]
    elif SCIM_PROVISIONING in app.features:
        flags = [name in app.features for name in TO_APP_FEATURES.values()]
    else:
        flags = [True, True, True]  # nothing to mirror: what Talend asks for
        adoption.notes.append(
            "provisioning is not enabled for this app: turn SCIM on in the Okta admin console (talend-okta verify "
            "lists the steps)"
        )
    manage = connection.status != "UNKNOWN" and feature is not None
    if not manage and SCIM_PROVISIONING in app.features:
        adoption.notes.append(
            "Okta's provisioning APIs refuse this app (connection UNKNOWN, features E0000001): provisioning.manage is "
            "false, so the stack leaves it to the admin console and talend-okta verify checks it"
        )
    if manage:
        if (connection.base_url or "").rstrip("/") != scim_url:
            adoption.changes.append(Change("SCIM base URL", connection.base_url or "not set", scim_url))
        adoption.changes.append(Change("SCIM token", "as set by hand", f"{NAMESPACE}:scimToken"))
        if connection.status != "ENABLED":
            adoption.changes.append(Change("SCIM connection", connection.status, "ENABLED"))
    off = [name for name, on in zip(TO_APP_FEATURES, flags, strict=True) if not on]
    if off:
        adoption.notes.append(f"To App {', '.join(off)} off, as in Okta (Talend's procedure turns them on)")
    keys = ("createUsers", "updateUserAttributes", "deactivateUsers")
    return {"manage": manage, **dict(zip(keys, flags, strict=True))}


def _connection(okta: OktaClient, app_id: str) -> Connection:
    try:
        return okta.get_connection(app_id)
    except ApiStatusError as err:
        if err.status in (400, 404) and err.code in (PROVISIONING_NOT_ENABLED, NOT_FOUND):
            return Connection()
        raise


def app_changes(app: App, spec: AppSpec) -> list[Change]:
    """The app's settings that differ from the spec (what `TalendCloudApp` declares)."""
    sign_on = app.settings.sign_on
    assert sign_on is not None  # checked by read_adoption
    saml = spec.saml
    template = app.credentials.user_name_template
    declared: list[tuple[str, object, object]] = [
        ("status", app.status, saml.status),
        ("SSO URL", sign_on.sso_acs_url, saml.sso_url),
        ("recipient", sign_on.recipient, saml.sso_url),
        ("destination", sign_on.destination, saml.sso_url),
        ("audience", sign_on.audience, saml.sso_url),
        ("NameID format", sign_on.subject_name_id_format, saml.subject_name_id_format),
        ("NameID value", sign_on.subject_name_id_template, saml.subject_name_id_template),
        ("authentication context", sign_on.authn_context_class_ref, saml.authn_context_class_ref),
        ("response", _signed(sign_on.response_signed), _signed(saml.response_signed)),
        ("assertion", _signed(sign_on.assertion_signed), _signed(saml.assertion_signed)),
        ("signature algorithm", sign_on.signature_algorithm, saml.signature_algorithm),
        ("digest algorithm", sign_on.digest_algorithm, saml.digest_algorithm),
        (
            "application username format",
            username_format(template.template, template.type),
            username_format(saml.user_name_template, saml.user_name_template_type),
        ),
    ]
    changes = [Change(what, str(now), str(then)) for what, now, then in declared if now != then]
    have = {s.name: s for s in sign_on.attribute_statements}
    for wanted in saml.attribute_statements:
        now_statement = have.get(wanted.name)
        if wanted.type == "EXPRESSION":
            if now_statement is None or now_statement.values != list(wanted.values):
                now = "missing" if now_statement is None else ", ".join(now_statement.values)
                changes.append(Change(f"attribute statement {wanted.name}", now, ", ".join(wanted.values)))
        else:
            then = f"{wanted.type} {wanted.filter_type} {wanted.filter_value}"
            now = (
                "missing"
                if now_statement is None
                else f"{now_statement.type} {now_statement.filter_type} {now_statement.filter_value}"
            )
            if now != then:
                changes.append(Change(f"attribute statement {wanted.name}", now, then))
    wanted_names = {statement.name for statement in saml.attribute_statements}
    changes += [
        Change(f"attribute statement {name}", ", ".join(statement.values), "removed")
        for name, statement in have.items()
        if name not in wanted_names
    ]
    return changes


def _described(statement: AttributeStatement) -> str:
    if statement.type == "GROUP":
        return f"GROUP {statement.filter_type} {statement.filter_value}"
    return ", ".join(statement.values)


def _roles(
    okta: OktaClient,
    app: App,
    adoption: Adoption,
    groups: list[dict[str, Any]],
    region: str,
    talend_for: TalendFor | None,
) -> None:
    """Carry the app's `CustomerRoles` and Talend's role mappings into `groups[].talendRoles`, or refuse.

    Okta sends as `CustomerRoles` the person's groups that pass the statement's filter; Talend gives each such
    customer role the roles mapped to it. The stack declares both from `talendRoles` and owns Talend's whole mapping
    set, so every mapping must belong to an assigned group the filter sends, or the first `pulumi up` removes it."""
    statement = next((s for s in app.settings.attribute_statements if s.name == CUSTOMER_ROLES), None)
    if statement is None:
        return
    sends = _described(statement)
    if statement.type != "GROUP":
        raise InputError(
            f"--app-id: app {app.id} sends {CUSTOMER_ROLES} as the expression {sends!r}, which the stack "
            "cannot declare (it sends the groups that have talendRoles); make it a group attribute statement in "
            "Okta first, or remove it"
        )
    if talend_for is None:
        raise InputError(
            f"--app-id: app {app.id} sends {CUSTOMER_ROLES} ({sends}): people's Talend roles depend on it; "
            "give --talend-api-token (TALEND_API_TOKEN, an owner with SSO - Manage) so adopt carries Talend's role "
            "mappings into groups[].talendRoles"
        )
    with talend_for(region) as client:
        held = client.role_mappings()
    by_name = {entry["name"]: entry for entry in groups}
    sent = {name for name in by_name if _filter_takes(statement, name)}
    stray = sorted(name for name in held if name not in sent)
    if stray:
        why = ", ".join(
            f"{name!r} ({'not a group assigned to the app' if name not in by_name else 'not sent by the filter'})"
            for name in stray
        )
        raise InputError(
            f"--app-id: Talend maps customer roles the stack could not keep: {why}; the first `pulumi up` would "
            "remove them. Assign those groups to the app (or remove the mappings in Talend) first"
        )
    carried: RoleMappings = {}
    for name, roles in sorted(held.items()):
        if roles:
            by_name[name]["talendRoles"] = roles
            carried[name] = roles
    found = resolve_groups(list(carried), okta.search_groups).ids  # each resolves: checked when the groups were read
    members = {name: sum(1 for _ in okta.iter_group_members(found[name])) if name in found else 0 for name in carried}
    if carried:
        kept = "; ".join(f"{name} ({members[name]} people) → {', '.join(roles)}" for name, roles in carried.items())
        adoption.people.append(f"Talend roles are kept as they are, now declared as talendRoles: {kept}")
    unmapped = sorted(sent - carried.keys())
    if unmapped:
        adoption.notes.append(
            f"{CUSTOMER_ROLES} also sends {', '.join(unmapped)}, which Talend maps to no role: the stack "
            "stops sending them (no one loses a role)"
        )


def _filter_takes(statement: AttributeStatement, group_name: str) -> bool:
    """Does the group statement's filter pass a group name, as Okta evaluates it (case-sensitively)?"""
    value = statement.filter_value or ""
    kind = (statement.filter_type or "").upper()
    if kind == "REGEX":
        try:
            return re.fullmatch(value, group_name) is not None
        except re.error:
            return False
    if kind == "STARTS_WITH":
        return group_name.startswith(value)
    if kind == "EQUALS":
        return group_name == value
    if kind == "CONTAINS":
        return value in group_name
    return False


def _signed(flag: bool | None) -> str:
    return "signed" if flag else "unsigned"


def username_format(template: str | None, kind: str | None) -> str:
    """Okta's name for an application username format, e.g. "Okta username" or "Email prefix"."""
    if (kind or "BUILT_IN") == "NONE":
        return "(None)"
    known = USERNAME_FORMATS.get(template or "${source.login}")  # Okta's default template
    if known and (kind or "BUILT_IN") == "BUILT_IN":
        return known
    return f"custom ({template})"


def _people(okta: OktaClient, app: App, adoption: Adoption) -> None:
    """Who the changes affect: a new username format renames every Talend userName."""
    users = [user for user in okta.iter_app_users(app.id) if user.is_active]
    direct = sum(user.scope == "USER" for user in users)
    if direct:
        adoption.notes.append(f"direct assignments (not through a group): {direct}; the stack leaves them alone")
    username = next((c for c in adoption.changes if c.what == "application username format"), None)
    if username is not None and users:
        examples = ", ".join(u.user_name or "?" for u in users[:3])
        adoption.people.append(
            f"ALL {len(users)} PEOPLE assigned to the app get a new Talend userName: the username format changes "
            f"from {username.now} to Email prefix (now e.g. {examples}; then the part of their email before the @). "
            "Okta pushes the new userName to Talend when Update User Attributes is on. Run talend-okta preflight "
            "for Email-prefix collisions first"
        )
    if app.status != "ACTIVE" and users:
        adoption.people.append(f"the app is {app.status}: activating it gives {len(users)} people sign-on again")


# --- writing ----------------------------------------------------------------------------------------------------


def render_config(adoption: Adoption, secret_lines: list[str]) -> str:
    """The stack config file: comments saying where it came from and how to set the secrets, then `config:`."""
    app = adoption.app
    header = [
        f"# Written by `talend-okta adopt` for the Okta app {app.id} ({app.label}), as it is in Okta.",
        "# Secrets are not in this file; provide them with:",
        *(f"#   {line}" for line in secret_lines),
        f"# {ADOPT_KEY} holds import ids: the first `pulumi up` brings these Okta objects into the stack instead of",
        "# creating new ones. Afterwards they change nothing; `pulumi config rm talend-okta:adopt` tidies up.",
    ]
    body = yaml.safe_dump({"config": adoption.config}, sort_keys=False, allow_unicode=True, width=1000)
    return "\n".join(header) + "\n" + body


def secret_commands(stack: str | None, path: Path) -> list[str]:
    """How to provide the secrets the file leaves out: the Okta token in the environment, the rest as stack secrets."""
    default = Path(f"Pulumi.{stack}.yaml") if stack else None
    where = f" --stack {stack}" if default is not None and path == default else f" --config-file {path}"
    return [
        OKTA_TOKEN_LINE,
        *(f"pulumi config set --secret {key}{where}    # {what}" for key, what in SECRET_KEYS.items()),
    ]


def check_writable(path: Path, *, force: bool) -> None:
    """Refuse to overwrite a stack config file unless `force`; a symlink there counts, dangling or not."""
    if (path.exists() or path.is_symlink()) and not force:
        raise InputError(f"{path} exists: adopt does not overwrite a stack config file without --force")


def write_config(path: Path, text: str, *, force: bool) -> None:
    """Write the file whole or not at all; never through a symlink; never over an existing file without `force`.

    The text goes to a new temporary file beside the target (an unpredictable name, created exclusively, so nothing
    planted there is followed), is flushed to disk, then takes the target's place in one step: a rename with
    `force` (it replaces a symlink itself, not what it points to), else a hard link, which refuses any existing
    name, so a file that appeared after the check is not overwritten either. A crash leaves the old file whole.
    """
    check_writable(path, force=force)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".adopt-tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it 0600: the file Pulumi would write
        if force:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)
    except FileExistsError:
        raise InputError(f"{path} exists: adopt does not overwrite a stack config file without --force") from None
    except OSError as err:
        raise InputError(f"--out: cannot write {path}: {err.strerror or err}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def summary_lines(adoption: Adoption) -> Iterator[tuple[str, str]]:
    """(style, text) lines of what the first `pulumi up` changes; style is "", "warn" or "loud"."""
    if adoption.changes:
        yield "", "The first `pulumi up` changes, to meet Talend's requirements (in place; nothing is re-created):"
        for change in adoption.changes:
            yield "", f"  {change.what}: {change.now} → {change.then}"
    else:
        yield "", "The first `pulumi up` only brings the app into the stack: it already meets Talend's requirements."
    for line in adoption.people:
        yield "loud", f"!! People: {line}"
    for line in adoption.notes:
        yield "warn", f"Note: {line}"


def next_steps(path: Path, app_id: str) -> list[str]:
    """What to run after adopt, in order."""
    return [
        f"talend-okta preflight --config {path} --app-id {app_id}    # who the change affects, collisions",
        "pulumi preview --diff    # expect import and update only: no create, replace or delete",
        "pulumi up, then talend-okta verify    # the app keeps its id",
        "pulumi config rm talend-okta:adopt    # after the first pulumi up (the import ids then change nothing)",
    ]


# --- the command ------------------------------------------------------------------------------------------------


def run(
    *,
    app_id: str,
    stack: str | None,
    out: Path | None,
    force: bool,
    okta_url: str | None,
    okta_token: str | None,
    stack_outputs: str | None,
    talend_api_url: str | None = None,
    talend_api_token: str | None = None,
    timeout: float = 300.0,
) -> int:
    """`talend-okta adopt`: 0 when written (or already managed); could not run: one line on stderr and exit 2."""
    redact = Redactor([okta_token, talend_api_token])
    console = human_console()
    try:
        check_app_id(app_id)
        path = output_path(stack, out)
        outputs = read_stack_outputs(stack_outputs)
        managed = already_managed(app_id, path, outputs)
        if managed is not None:
            console.print(escape(f"talend-okta adopt: {managed}; nothing changed"))
            return 0
        check_writable(path, force=force)  # before reading Okta: nothing to do when it would fail
        target = okta_target(okta_url=okta_url, okta_token=okta_token, app_id=app_id, outputs=outputs)
        deadline = Deadline(timeout) if timeout > 0 else None
        talend_for = talend_reader(target.org_url, talend_api_url, talend_api_token, redact, deadline)
        with OktaClient(target.org_url, target.credentials, redactor=redact, deadline=deadline) as okta:
            found = read_adoption(okta, app_id, talend_for)
        secret_lines = secret_commands(stack, path)
        write_config(path, redact(render_config(found, secret_lines)), force=force)
    except (InputError, ApiError) as err:
        fail(str(err), redact)

    styles = {"": "", "warn": "yellow", "loud": "bold red"}
    console.print(escape(f"talend-okta adopt: wrote {path} for app {found.app.id} ({found.app.label})"))
    for style, line in summary_lines(found):
        console.print(escape(line), style=styles[style])
    console.print("Next:")
    console.print(escape("  Provide the secrets (never written to the file):"))
    for line in secret_lines:
        console.print(escape(f"    {line}"))
    for line in next_steps(path, app_id):
        console.print(escape(f"  {line}"))
    return 0
