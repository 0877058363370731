"""Post-deploy checks: does Talend hold exactly the users and groups Okta is meant to provision?

Checks, each reported by name:
- `talend-credentials`: Talend's SCIM API accepts the token (the request Okta's "Test API Credentials" sends).
- `okta-provisioning`: the app's SCIM connection, To App switches and username template, as configured (from the
  app's `features` when Okta's connection API reports UNKNOWN); when something is off, the admin-console steps
  still to be done by hand.
- `user-sync`: every user assigned to the app is active in Talend under their Okta app username, and no one else is.
- `group-sync`: every pushed group exists in Talend with the same members.
- `role-mapping` (when the stack declares roleMappings): Talend's role mappings are the declared ones, every mapped
  role exists, and the app sends CustomerRoles.

Okta provisions asynchronously, so `verify` re-reads until everything is in sync or time is up. Both sides are read
page by page, at the same time (one thread per service; Talend's SCIM pages a few at a time once the first page
says how many there are); memory grows with users, not with pages. A Talend list whose pages do not add up fails
user-sync and group-sync rather than letting them pass.

userNames are compared case-insensitively: SCIM defines `userName` as caseExact=false, Talend and scim2-server
treat `JDoe` and `jdoe` as one user, and Okta looks users up with the same case-insensitive `userName eq` filter.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.alias_generators import to_camel

from talend_okta import definition
from talend_okta.definition import EMAIL_PREFIX_TEMPLATE
from talend_okta.http import (
    ApiAuthError,
    ApiBodyError,
    ApiError,
    ApiStatusError,
    ApiUnreachable,
    Deadline,
    DeadlineExceeded,
    InputError,
    RetryPolicy,
    Sleep,
    check_base_url,
)
from talend_okta.okta_api import PROVISIONING_NOT_ENABLED, App, OktaClient, check_app_id
from talend_okta.redact import Redactor
from talend_okta.scim_api import ScimPagingError, TalendScimClient
from talend_okta.settings import ProvisioningSettings
from talend_okta.talend_api import (
    SSO_PERMISSION,
    RoleMappings,
    TalendApiClient,
    api_origin,
    normalized,
    unknown_roles,
)
from talend_okta.user_names import user_name_key

CREDENTIALS = "talend-credentials"
PROVISIONING = "okta-provisioning"
USER_SYNC = "user-sync"
GROUP_SYNC = "group-sync"
ROLE_MAPPING = "role-mapping"

Progress = Callable[[str], None]


class VerifyAborted(Exception):
    """verify could not run (bad input, unreachable host, Okta token rejected); one redacted line."""


# --- inputs ------------------------------------------------------------------------------------------------------


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
    """Options (or their environment variables) win over stack outputs; anything missing is an `InputError`."""
    outputs = outputs or StackOutputs()
    chosen = {
        "--okta-url (OKTA_ORG_URL)": okta_url or outputs.okta_org_url,
        "--okta-token (OKTA_API_TOKEN)": okta_token,
        "--app-id (TALEND_OKTA_APP_ID)": app_id or outputs.app_id,
        "--scim-url (TALEND_SCIM_URL)": scim_url or outputs.scim_base_url,
        "--scim-token (TALEND_SCIM_TOKEN)": scim_token
        or (outputs.scim_token.get_secret_value() if outputs.scim_token else None),
    }
    missing = [name for name, value in chosen.items() if not (value and value.strip())]
    if missing:
        raise InputError(f"missing {', '.join(missing)}: give the option, its environment variable or --stack-outputs")
    values = [value.strip() for value in chosen.values() if value]
    okta_url_value, okta_token_value, app_id_value, scim_url_value, scim_token_value = values
    check_app_id(app_id_value)
    return ConnectionSettings(
        okta_url=check_base_url(okta_url_value, "--okta-url (OKTA_ORG_URL)"),
        okta_token=SecretStr(okta_token_value),
        app_id=app_id_value,
        scim_url=check_base_url(scim_url_value, "--scim-url (TALEND_SCIM_URL)"),
        scim_token=SecretStr(scim_token_value),
        # What the stack declared for Okta's connection, even when verify reads Talend elsewhere (the sandbox).
        connection_url=outputs.scim_base_url or "",
        provisioning=outputs.provisioning or ProvisioningSettings(),
        pushed_groups=outputs.pushed_groups,
        role_mappings=outputs.role_mappings,
        talend_api_url=check_base_url(talend_api_url, "--talend-api-url (TALEND_API_URL)") if talend_api_url else "",
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


# --- the report --------------------------------------------------------------------------------------------------


class CheckResult(BaseModel):
    """One named check. `steps` lists what is left to do by hand in the Okta admin console."""

    name: str
    ok: bool
    detail: str
    steps: list[str] = Field(default_factory=list)
    settled: bool = Field(default=True, exclude=True)  # a failure waiting cannot fix; False: look again later


class UsersReport(BaseModel):
    """user-sync in numbers; every list is sorted (case-insensitively)."""

    expected: int = 0  # distinct app usernames Okta should have active in Talend
    in_sync: int = 0
    missing: list[str] = Field(default_factory=list)  # assigned, not in Talend
    inactive: list[str] = Field(default_factory=list)  # assigned, in Talend but not active
    unexpected_active: list[str] = Field(default_factory=list)  # active in Talend, not assigned
    collisions: list[list[str]] = Field(default_factory=list)  # app usernames several Okta users share
    sync_errors: list[str] = Field(default_factory=list)  # app users Okta marks syncState ERROR
    ignored: list[str] = Field(default_factory=list)  # --ignore-user names found active in Talend


class GroupReport(BaseModel):
    name: str
    ok: bool
    in_talend: bool
    expected_members: int
    missing_members: list[str] = Field(default_factory=list)
    unexpected_members: list[str] = Field(default_factory=list)


class VerifyReport(BaseModel):
    """The machine-readable result (`--json`)."""

    ok: bool
    checks: list[CheckResult]
    users: UsersReport = Field(default_factory=UsersReport)
    groups: list[GroupReport] = Field(default_factory=list)
    passes: int = 0
    seconds: float = 0.0
    requests: dict[str, int] = Field(default_factory=dict)

    def check(self, name: str) -> CheckResult:
        return next(check for check in self.checks if check.name == name)


# --- check 1: talend-credentials ---------------------------------------------------------------------------------


def check_talend_credentials(scim_url: str, token: str, timeout: float = 30.0, *, total: float = 60.0) -> CheckResult:
    """Does Talend's SCIM API accept `token`? For the Pulumi program's hook; never raises, never shows the token.

    Gives up after `total` seconds in all, retries and waits included, so a slow Talend cannot stall `pulumi up`:
    the check runs in a daemon thread, and closing its client at the deadline ends a request still under way.
    """
    redact = Redactor([token])
    try:
        talend = TalendScimClient(scim_url, token, timeout=min(timeout, total), redactor=redact)
    except InputError as err:
        return CheckResult(name=CREDENTIALS, ok=False, detail=redact(str(err)))
    answer: list[CheckResult] = []

    def check() -> None:
        try:
            answer.append(_credentials_check(talend))
        except Exception as err:  # an ApiError, or whatever the client closed at the deadline raises
            answer.append(CheckResult(name=CREDENTIALS, ok=False, detail=redact(str(err))))

    worker = threading.Thread(target=check, name="talend-credentials", daemon=True)
    worker.start()
    worker.join(total)
    talend.close()
    if answer:
        return answer[0]
    return CheckResult(
        name=CREDENTIALS, ok=False, detail=f"Talend at {talend.base_url} did not answer within {total:g} s"
    )


def _credentials_check(talend: TalendScimClient) -> CheckResult:
    """Raises when Talend gave no verdict on the token (verify cannot run): unreachable, a redirect, a 5xx or 429
    after the retries. Any other answer but a valid ListResponse fails the check."""
    try:
        total = talend.check_credentials()
    except ApiUnreachable:
        raise
    except ApiStatusError as err:
        if 300 <= err.status < 400 or err.status >= 500 or err.status == 429:
            raise
        return _refused(err)
    except ApiError as err:
        return CheckResult(name=CREDENTIALS, ok=False, detail=str(err))
    return CheckResult(name=CREDENTIALS, ok=True, detail=f"Talend accepted the token ({total} SCIM users)")


def _refused(err: ApiStatusError) -> CheckResult:
    if isinstance(err, ApiAuthError):
        why = "the token is wrong, expired or its owner deactivated" if err.status == 401 else "the token lacks rights"
        detail = f"{err} ({why}; Talend needs a personal access token of a user with Users - Manage)"
        return CheckResult(name=CREDENTIALS, ok=False, detail=detail)
    return CheckResult(name=CREDENTIALS, ok=False, detail=str(err))


# --- check 2: okta-provisioning ----------------------------------------------------------------------------------


# The app's read-only `features` that mirror Provisioning → To App (Okta's app `features` enum).
SCIM_PROVISIONING = "SCIM_PROVISIONING"
TO_APP_FEATURES = {
    "Create Users": "PUSH_NEW_USERS",
    "Update User Attributes": "PUSH_PROFILE_UPDATES",
    "Deactivate Users": "PUSH_USER_DEACTIVATION",
}


def _provisioning_check(okta: OktaClient, app: App, settings: ConnectionSettings) -> CheckResult:
    where = f"Okta Admin Console → Applications → Applications → {app.label or app.id}"
    base_url = settings.connection_url or settings.scim_url
    integration_step = (
        f"{where} → Provisioning → Integration → Edit: SCIM connector base URL = {base_url}, unique "
        "identifier field for users = userName, provisioning actions = Push New Users, Push Profile Updates, "
        "Push Groups, authentication mode = HTTP Header with a Talend personal access token; "
        "Test Connector Configuration; Save"
    )
    connection = okta.get_connection(app.id)
    feature = okta.get_user_provisioning(app.id)
    problems: list[str] = []
    steps: list[str] = []

    # Okta documents its Connections and Features APIs only for a few catalog apps. For a custom SAML app whose
    # SCIM an admin set up by hand, the connection may read UNKNOWN and the features API refuse it: then the app's
    # read-only `features` are the only place Okta shows what provisioning does.
    by_features = feature is None
    enabled = SCIM_PROVISIONING in app.features or not (by_features or connection.status == "UNKNOWN")
    if not enabled:
        problems.append(f"provisioning is not enabled for the app (connection {connection.status})")
        steps.append(f"{where} → General → App Settings → Edit: Provisioning = SCIM; Save")
        steps.append(integration_step)
    elif connection.status == "UNKNOWN":
        pass  # enabled by hand; Okta does not say where to (see the detail below)
    elif connection.status != "ENABLED":
        problems.append(f"the SCIM connection is {connection.status}")
        steps.append(integration_step)
    elif _same_url(connection.base_url, base_url) is False:
        problems.append(f"the SCIM base URL is {connection.base_url}, expected {base_url}")
        steps.append(integration_step)

    wanted = settings.provisioning
    if feature is None:
        have = {name: flag in app.features for name, flag in TO_APP_FEATURES.items()}
    else:
        have = {
            "Create Users": feature.creates_users,
            "Update User Attributes": feature.updates_profiles,
            "Deactivate Users": feature.deactivates_users,
        }
    switches = [
        ("Create Users", wanted.create_users),
        ("Update User Attributes", wanted.update_user_attributes),
        ("Deactivate Users", wanted.deactivate_users),
    ]
    to_app = "To App (from the app's features)" if by_features else "To App"
    enable = [name for name, want in switches if want and not have[name]]
    disable = [name for name, want in switches if have[name] and not want]
    if enabled and (enable or disable):
        problems.append(f"{to_app}: " + ", ".join([f"{n} is off" for n in enable] + [f"{n} is on" for n in disable]))
    if enable or disable:
        changes = [f"enable {name}" for name in enable] + [f"disable {name}" for name in disable]
        steps.append(f"{where} → Provisioning → To App → Edit: {', '.join(changes)}; Save")

    template = app.credentials.user_name_template.template or ""
    if "".join(template.split()) != "".join(EMAIL_PREFIX_TEMPLATE.split()):
        problems.append(f"the username template is {template or 'not set'}, expected Email prefix")
        steps.append(f"{where} → Sign On → Settings → Edit: Application username format = Email prefix; Save")

    # Okta ignores this app's connection API: `pulumi up` fails on the To App features until the stack stops
    # declaring them, and the admin console stays where provisioning is set (verify still checks it).
    stop_managing = (
        "In the stack config set talend-okta:provisioning.manage to false (Okta ignores the provisioning API for "
        "this app, so `pulumi up` fails on its To App features), then run the deploy again"
    )
    api_ignored = connection.status == "UNKNOWN" and settings.stack_manages_provisioning
    if problems:
        steps += [stop_managing] if api_ignored else []
        return CheckResult(name=PROVISIONING, ok=False, detail="; ".join(problems), steps=steps)
    if connection.status == "UNKNOWN":
        path = (
            "provisioning enabled in the admin console (Okta's connection API reports UNKNOWN for this app: "
            "base URL not readable; talend-credentials and user-sync prove the path)"
        )
    else:
        path = f"connection ENABLED to {connection.base_url}"
    on = [name for name, want in switches if want]
    detail = f"{path}; {to_app}: {', '.join(on) or 'all off'}; usernames = Email prefix"
    return CheckResult(name=PROVISIONING, ok=True, detail=detail, steps=[stop_managing] if api_ignored else [])


def _same_url(actual: str | None, expected: str) -> bool | None:
    """None when Okta does not report a base URL (it cannot be compared)."""
    if not actual:
        return None
    return actual.strip().rstrip("/").lower() == expected.rstrip("/").lower()


# --- checks 3 and 4: user-sync and group-sync --------------------------------------------------------------------


@dataclass
class _PushedGroup:
    name: str
    status: str
    members: dict[str, str]  # user_name_key → app username, of the members assigned to the app


@dataclass
class _OktaSide:
    user_names: dict[str, str] = field(default_factory=dict)  # Okta user id → app username (active assignments)
    sync_errors: list[str] = field(default_factory=list)
    groups: list[_PushedGroup] = field(default_factory=list)
    unpushed: list[str] = field(default_factory=list)  # groups the stack pushes that have no push mapping
    push_error: ApiStatusError | ApiBodyError | None = None  # Okta would not list the push mappings


@dataclass
class _TalendSide:
    users: dict[str, tuple[str, bool]] = field(default_factory=dict)  # user_name_key → (userName, active)
    names_by_id: dict[str, str] = field(default_factory=dict)  # SCIM id → userName
    groups: dict[str, list[set[str]]] = field(default_factory=dict)  # casefolded displayName → member id sets


def _read_okta(okta: OktaClient, settings: ConnectionSettings, progress: Progress) -> _OktaSide:
    side = _OktaSide()
    for count, app_user in enumerate(okta.iter_app_users(settings.app_id), start=1):
        name = app_user.user_name or f"(no app username: Okta user {app_user.id})"
        if not app_user.is_active:
            continue  # an ended assignment: not expected in Talend
        side.user_names[app_user.id] = name
        if app_user.sync_state == "ERROR" or not app_user.user_name:
            side.sync_errors.append(name)
        if count % 5000 == 0:
            progress(f"read {count} Okta app users")

    if settings.pushed_groups == {}:
        return side  # the stack pushes no group: nothing to read (Okta refuses push mappings without provisioning)
    mapped: set[str] = set()
    try:
        for mapping in okta.iter_push_mappings(settings.app_id):
            mapped.add(mapping.source_group_id)
            group = okta.get_group(mapping.source_group_id)
            members = {
                user_name_key(side.user_names[member.id]): side.user_names[member.id]
                for member in okta.iter_group_members(mapping.source_group_id)
                if member.id in side.user_names  # Okta pushes only members assigned to the app
            }
            side.groups.append(_PushedGroup(group.profile.name, mapping.status, members))
    except (ApiStatusError, ApiBodyError) as err:  # group-sync fails; the other checks still report
        side.push_error, side.groups = err, []
        return side
    pushed = settings.pushed_groups or {}
    side.unpushed = sorted(name for name, group_id in pushed.items() if group_id not in mapped)
    return side


def _read_talend(talend: TalendScimClient, progress: Progress) -> _TalendSide:
    side = _TalendSide()
    for count, user in enumerate(talend.iter_users(), start=1):
        key = user_name_key(user.user_name)
        if key not in side.users or user.is_active:  # should Talend ever hold two, an active one wins
            side.users[key] = (user.user_name, user.is_active)
        side.names_by_id[user.id] = user.user_name
        if count % 5000 == 0:
            progress(f"read {count} Talend users")
    for group in talend.iter_groups():
        side.groups.setdefault(group.display_name.casefold(), []).append({m.value for m in group.members})
    return side


def _order(name: str) -> tuple[str, str]:
    """Lists in the report sort case-insensitively (ties by case, so the order is stable)."""
    return name.casefold(), name


def _sorted(names: Iterable[str]) -> list[str]:
    return sorted(names, key=_order)


def _user_sync(
    okta: _OktaSide, talend: _TalendSide, ignore: frozenset[str], provisioning: ProvisioningSettings
) -> tuple[CheckResult, UsersReport]:
    """The stack's To App switches say what Okta is meant to do: with Create Users off, assigned people missing in
    Talend are expected; with Deactivate Users off, so are unassigned people left active. Both are still listed."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for user_name in okta.user_names.values():
        by_name[user_name_key(user_name)].append(user_name)

    report = UsersReport(expected=len(by_name))
    for key, names in by_name.items():
        if len(names) > 1:
            report.collisions.append(_sorted(names))
            continue
        found = talend.users.get(key)
        if found is None:
            report.missing.append(names[0])
        elif not found[1]:
            report.inactive.append(names[0])
        else:
            report.in_sync += 1
    for key, (user_name, active) in talend.users.items():
        if active and key not in by_name:
            (report.ignored if key in ignore else report.unexpected_active).append(user_name)

    report.sync_errors = okta.sync_errors
    for names in (report.missing, report.inactive, report.unexpected_active, report.sync_errors, report.ignored):
        names.sort(key=_order)
    report.collisions.sort(key=lambda names: [_order(name) for name in names])

    missing = f"{len(report.missing)} missing in Talend" if report.missing else ""
    left_active = (
        f"{len(report.unexpected_active)} active in Talend but not assigned" if report.unexpected_active else ""
    )
    expected_gaps = [
        f"{missing} (createUsers is off: Okta does not create them)"
        if missing and not provisioning.create_users
        else "",
        f"{left_active} (deactivateUsers is off: Okta leaves them active)"
        if left_active and not provisioning.deactivate_users
        else "",
    ]
    problems = [
        missing if provisioning.create_users else "",
        f"{len(report.inactive)} inactive in Talend" if report.inactive else "",
        left_active if provisioning.deactivate_users else "",
        f"{len(report.collisions)} app usernames shared by several Okta users" if report.collisions else "",
        f"{len(report.sync_errors)} with Okta syncState ERROR" if report.sync_errors else "",
    ]
    problems = [problem for problem in problems if problem]
    summary = "; ".join(
        [f"{report.in_sync}/{report.expected} assigned users active in Talend", *filter(None, expected_gaps)]
    )
    if not problems:
        return CheckResult(name=USER_SYNC, ok=True, detail=summary), report
    needs_person = bool(report.collisions or report.sync_errors)  # Okta will not resolve these on its own
    detail = f"{summary}; " + "; ".join(problems)
    return CheckResult(name=USER_SYNC, ok=False, detail=detail, settled=needs_person), report


def _push_unreadable(error: ApiError, app_label: str, pushed: Iterable[str]) -> CheckResult:
    """group-sync when Okta would not list the app's push mappings: what to do in the admin console."""
    app = f"Okta Admin Console → Applications → Applications → {app_label}"
    names = ", ".join(pushed) or "the groups the stack pushes"
    if isinstance(error, ApiStatusError) and error.code == PROVISIONING_NOT_ENABLED:
        why = "Okta pushes groups only once provisioning is enabled for the app"
        steps = [
            f"{app} → General → App Settings → Edit: Provisioning = SCIM; Save (with the other okta-provisioning "
            "steps)",
            f"Run the deploy (`pulumi up`) again: the stack then pushes {names}",
        ]
    else:
        why = "check that the Okta token may read the app's push groups"
        steps = [f"{app} → Push Groups: check that {names} are pushed and active"]
    detail = f"could not read the app's group push mappings ({why}): {error}"
    return CheckResult(name=GROUP_SYNC, ok=False, detail=detail, steps=steps)


def _group_sync(
    okta: _OktaSide, talend: _TalendSide, app_label: str, pushed: Iterable[str] = ()
) -> tuple[CheckResult, list[GroupReport]]:
    if okta.push_error is not None:
        return _push_unreadable(okta.push_error, app_label, pushed), []
    where = f"Okta Admin Console → Applications → Applications → {app_label} → Push Groups"
    reports: list[GroupReport] = []
    problems: list[str] = []
    steps: list[str] = []
    for name in okta.unpushed:
        problems.append(f"{name}: not pushed by Okta")
        steps.append(f"{where} → Push Groups → Find groups by name: {name}; Push group memberships immediately; Save")
    needs_person = bool(okta.unpushed)
    for group in sorted(okta.groups, key=lambda g: g.name.casefold()):
        if group.status != "ACTIVE":
            needs_person = True
            problems.append(f"{group.name}: push is {group.status or 'not active'} in Okta")
            steps.append(f"{where}: {group.name} → Push Status: Active; Save")
        candidates = talend.groups.get(group.name.casefold(), [])
        if len(candidates) > 1:
            needs_person = True
            problems.append(f"{group.name}: {len(candidates)} groups of that name in Talend")
        elif not candidates:
            problems.append(f"{group.name}: missing in Talend")
        member_ids = candidates[0] if len(candidates) == 1 else set()
        actual = {user_name_key(name): name for name in (_member_name(talend, member) for member in member_ids)}
        missing = _sorted(group.members[key] for key in group.members.keys() - actual.keys())
        extra = _sorted(actual[key] for key in actual.keys() - group.members.keys())
        if len(candidates) == 1 and (missing or extra):
            problems.append(f"{group.name}: {len(missing)} members missing, {len(extra)} unexpected in Talend")
        reports.append(
            GroupReport(
                name=group.name,
                ok=group.status == "ACTIVE" and len(candidates) == 1 and not missing and not extra,
                in_talend=bool(candidates),
                expected_members=len(group.members),
                missing_members=missing,
                unexpected_members=extra,
            )
        )
    if not problems:
        detail = f"{len(reports)} pushed groups in sync" if reports else "no groups are pushed"
        return CheckResult(name=GROUP_SYNC, ok=True, detail=detail), reports
    detail = "; ".join(problems)
    return CheckResult(name=GROUP_SYNC, ok=False, detail=detail, steps=steps, settled=needs_person), reports


def _member_name(talend: _TalendSide, member_id: str) -> str:
    return talend.names_by_id.get(member_id, f"(unknown SCIM id {member_id})")


# --- the polling loop --------------------------------------------------------------------------------------------


def _skipped(name: str, why: str) -> CheckResult:
    return CheckResult(name=name, ok=False, detail=f"not checked: {why}")


def _untrusted(name: str, err: ScimPagingError) -> CheckResult:
    return CheckResult(name=name, ok=False, detail=f"not checked: {err}", settled=not err.transient)


def _ignore(progress: str) -> None:
    """The default progress sink: nothing to show."""


def verify(
    settings: ConnectionSettings,
    *,
    poll: PollSettings | None = None,
    ignore_users: Iterable[str] = (),
    progress: Progress = _ignore,
    retry: RetryPolicy | None = None,
    sleep: Sleep = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> VerifyReport:
    """Run every check, re-reading both sides until in sync or `poll.timeout` is up.

    Raises `VerifyAborted` when it cannot run: Okta unreachable or rejecting its token, no such app, Talend
    unreachable, or an answer that cannot be read even after retries.
    """
    poll = poll or PollSettings()
    redact = Redactor(settings.secrets())
    started = clock()
    # --timeout bounds every pass from inside too: no request or retry wait of either client outlives it.
    deadline = Deadline(poll.timeout, clock=clock) if poll.timeout > 0 else None
    try:
        with (
            OktaClient(
                settings.okta_url,
                settings.okta_token.get_secret_value(),
                timeout=poll.request_timeout,
                retry=retry,
                sleep=sleep,
                redactor=redact,
                deadline=deadline,
            ) as okta,
            TalendScimClient(
                settings.scim_url,
                settings.scim_token.get_secret_value(),
                timeout=poll.request_timeout,
                retry=retry,
                sleep=sleep,
                redactor=redact,
                concurrency=poll.scim_concurrency,
                deadline=deadline,
            ) as talend,
        ):
            report = _poll(
                okta, talend, settings, poll, frozenset(user_name_key(u) for u in ignore_users), progress, sleep, clock
            )
            requests = {"okta": okta.requests, "talend": talend.requests}
            if settings.role_mappings:
                progress("checking Talend's role mappings")
                okta.use_deadline(None)  # after the passes: the role check runs on its requests' own timeouts
                report, requests["talend-api"] = _with_role_check(report, okta, settings, poll, retry, sleep, redact)
            report.seconds = round(clock() - started, 3)
            report.requests = requests
            return report
    except ApiAuthError as err:
        hint = "; check --okta-token (OKTA_API_TOKEN), an Okta API token" if err.service == "Okta" else ""
        raise VerifyAborted(redact(f"{err.service} rejected the token: {err}{hint}")) from None
    except ApiError as err:
        raise VerifyAborted(redact(str(err))) from None


def _poll(
    okta: OktaClient,
    talend: TalendScimClient,
    settings: ConnectionSettings,
    poll: PollSettings,
    ignore: frozenset[str],
    progress: Progress,
    sleep: Sleep,
    clock: Callable[[], float],
) -> VerifyReport:
    deadline = clock() + poll.timeout
    progress("checking the Okta token and app")
    okta.current_user()
    try:
        app = okta.get_app(settings.app_id)
    except ApiStatusError as err:
        if err.status == 404:
            raise VerifyAborted(f"Okta has no app with id {settings.app_id} (--app-id, TALEND_OKTA_APP_ID)") from None
        raise
    progress("checking Talend's SCIM token")
    credentials = _credentials_check(talend)
    progress("reading the app's provisioning settings in Okta")
    provisioning = _provisioning_check(okta, app, settings)

    interval = poll.interval
    passes = 0
    report: VerifyReport | None = None
    # One thread per service. On an error the other read is abandoned, not awaited: closing its client ends it.
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="verify")
    try:
        while True:
            passes += 1
            if credentials.ok:
                progress(f"pass {passes}: reading app users in Okta and users in Talend")
                okta_read = pool.submit(_read_okta, okta, settings, progress)
                talend_read = pool.submit(_read_talend, talend, progress)
                try:
                    okta_side, talend_side = okta_read.result(), talend_read.result()
                except DeadlineExceeded:
                    if report is None:
                        raise
                    return report  # the time ran out during a later pass: the last whole pass is the answer
                except ScimPagingError as err:  # never a pass; if the list was changing, look again
                    users_check, users = _untrusted(USER_SYNC, err), UsersReport()
                    groups_check, groups = _untrusted(GROUP_SYNC, err), list[GroupReport]()
                else:
                    users_check, users = _user_sync(okta_side, talend_side, ignore, settings.provisioning)
                    groups_check, groups = _group_sync(
                        okta_side, talend_side, app.label or app.id, settings.pushed_groups or {}
                    )
            else:
                users_check, users = _skipped(USER_SYNC, "Talend refused the token"), UsersReport()
                groups_check, groups = _skipped(GROUP_SYNC, "Talend refused the token"), []
            checks = [credentials, provisioning, users_check, groups_check]
            report = VerifyReport(
                ok=all(c.ok for c in checks), checks=checks, users=users, groups=groups, passes=passes
            )
            failing = [c for c in checks if not c.ok]
            left = deadline - clock()
            if not failing or any(c.settled for c in failing) or left <= 0:
                return report
            wait = min(interval, left)
            progress(
                f"pass {passes}: {users.in_sync}/{users.expected} users in sync; "
                f"Okta may still be provisioning, next look in {wait:.0f} s ({left:.0f} s left)"
            )
            sleep(wait)
            interval = min(poll.max_interval, interval * 1.5)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def report_json(report: VerifyReport) -> str:
    return report.model_dump_json(indent=2) + "\n"


# --- check 5: role-mapping ---------------------------------------------------------------------------------------
# Runs when the stack outputs declare roleMappings. Nothing here waits: mappings change only when someone writes
# them, so one read of each side decides. Roles reach people at their next SSO sign-in, not at provisioning, so the
# check is about the tenant's mapping, not about any person's roles.


def check_role_mapping(
    talend: TalendApiClient, app: App, declared: Mapping[str, list[str]], okta_groups: Mapping[str, str | None]
) -> CheckResult:
    """Read Talend's mappings and roles, then compare. Raises `ApiUnreachable` (verify cannot run); any other
    failed answer (a rejected token, an error after retries, a body that is not a role list) fails the check.
    `okta_groups`: each declared customer role → the name of the Okta group the stack's lookup binds it to."""
    try:
        held = talend.role_mappings()
        tenant_roles = talend.role_names()
    except ApiUnreachable:
        raise
    except ApiAuthError as err:
        why = f"the token's owner needs {SSO_PERMISSION}" if err.status == 403 else "the token is wrong or expired"
        return CheckResult(
            name=ROLE_MAPPING,
            ok=False,
            detail=f"{err} ({why}; --talend-api-token, TALEND_API_TOKEN)",
        )
    except ApiError as err:
        return CheckResult(name=ROLE_MAPPING, ok=False, detail=str(err))
    return role_mapping_check(app, normalized(declared), held, tenant_roles, okta_groups)


def role_mapping_check(
    app: App,
    declared: RoleMappings,
    held: RoleMappings,
    tenant_roles: list[str],
    okta_groups: Mapping[str, str | None],
) -> CheckResult:
    """Compare what the stack declares with what Talend holds and what the Okta app sends, and prove the app's
    filter matches the groups Okta holds: Okta matches it case-sensitively, while the stack's group lookup is loose
    (`talend developers` finds `Talend Developers`), so a name spelled otherwise gives its members no role."""
    problems: list[str] = []
    statement = next((s for s in app.settings.attribute_statements if s.name == definition.CUSTOMER_ROLES), None)
    expected_filter = definition.customer_roles_filter(list(declared))
    if statement is None:
        problems.append(f"the Okta app sends no {definition.CUSTOMER_ROLES} attribute")
    elif (statement.type, statement.filter_type, statement.filter_value) != (
        "GROUP",
        definition.GROUP_FILTER_TYPE,
        expected_filter,
    ):
        sends = f"{statement.type} {statement.filter_type or ''} {statement.filter_value or ''}".strip()
        problems.append(
            f"the Okta app's {definition.CUSTOMER_ROLES} is {sends}, expected GROUP {definition.GROUP_FILTER_TYPE} "
            f"{expected_filter}"
        )

    regex = statement.filter_value if statement and statement.filter_type == definition.GROUP_FILTER_TYPE else None
    for name in declared:
        actual = okta_groups.get(name)
        if actual is None:
            problems.append(f"no Okta group is named {name!r}: nobody is sent that customer role")
        elif not _matches(regex or expected_filter, actual):
            problems.append(
                f"the {definition.CUSTOMER_ROLES} filter matches no group for {name!r}: the stack's group is Okta's "
                f"{actual!r}, and Okta compares the names case-sensitively, so its members get no role "
                "(spell it as Okta does in talend-okta:groups)"
            )

    for name, roles in declared.items():
        if name not in held:
            problems.append(f"{name!r} is not mapped in Talend (declared: {', '.join(roles)})")
        elif held[name] != roles:
            problems.append(
                f"{name!r} maps to {', '.join(held[name]) or 'no role'} in Talend, declared: {', '.join(roles)}"
            )
    for name in held.keys() - declared.keys():
        problems.append(
            f"Talend also maps {name!r} to {', '.join(held[name]) or 'no role'} (not declared: the next deploy "
            "removes it)"
        )
    if unknown := sorted(set(unknown_roles(held, tenant_roles)) | set(unknown_roles(declared, tenant_roles))):
        problems.append(f"Talend has no role named {', '.join(repr(r) for r in unknown)}")

    if problems:
        return CheckResult(name=ROLE_MAPPING, ok=False, detail="; ".join(sorted(problems, key=_problem_order)))
    mapped = "1 customer role" if len(declared) == 1 else f"{len(declared)} customer roles"
    return CheckResult(
        name=ROLE_MAPPING,
        ok=True,
        detail=f"Talend maps {mapped} as declared, to roles it has; the app sends {definition.CUSTOMER_ROLES} for "
        "those groups (people get the roles at their next SSO sign-in)",
    )


def _matches(regex: str, group_name: str) -> bool:
    """Does Okta's group filter (a Java regex; ours are escaped literals, which Python reads alike) take the name?"""
    try:
        return re.fullmatch(regex, group_name) is not None
    except re.error:
        return False


def _problem_order(problem: str) -> tuple[int, str]:
    return (0 if problem.startswith("the Okta app") else 1, problem)


def _with_role_check(
    report: VerifyReport,
    okta: OktaClient,
    settings: ConnectionSettings,
    poll: PollSettings,
    retry: RetryPolicy | None,
    sleep: Sleep,
    redact: Redactor,
) -> tuple[VerifyReport, int]:
    """The report with the role-mapping check added, and the requests it took."""
    api_url, token = settings.role_api
    app = okta.get_app(settings.app_id)
    okta_groups: dict[str, str | None] = {}
    for name in settings.role_mappings:
        group = okta.group_as_the_provider_finds_it(name)
        okta_groups[name] = group.profile.name if group else None
    with TalendApiClient(
        api_url,
        token,
        setting="--talend-api-url (TALEND_API_URL)",
        timeout=poll.request_timeout,
        retry=retry,
        sleep=sleep,
        redactor=redact,
    ) as talend:
        check = check_role_mapping(talend, app, settings.role_mappings, okta_groups)
        requests = talend.requests
    checks = [*report.checks, check]
    return report.model_copy(update={"checks": checks, "ok": report.ok and check.ok}), requests
