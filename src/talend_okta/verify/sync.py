"""Checks `user-sync` and `group-sync`: read the app's users and push groups in Okta and the users and groups in
Talend (one thread per service), then compare them by userName (case-insensitively, as SCIM defines it)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from talend_okta.checks import CheckResult
from talend_okta.http import ApiBodyError, ApiError, ApiStatusError, ScopeMissing
from talend_okta.okta_api import PROVISIONING_NOT_ENABLED, OktaClient
from talend_okta.push_state import PushState, push_state
from talend_okta.scim_api import TalendScimClient
from talend_okta.settings import ProvisioningSettings
from talend_okta.target import ConnectionSettings
from talend_okta.user_names import user_name_key
from talend_okta.verify.report import GROUP_SYNC, USER_SYNC, GroupReport, Progress, UsersReport
from talend_okta.wording import counted


@dataclass
class PushedGroup:
    name: str
    status: str
    members: dict[str, str]  # user_name_key → app username, of the members assigned to the app


@dataclass
class OktaSide:
    user_names: dict[str, str] = field(default_factory=dict)  # Okta user id → app username (active assignments)
    sync_errors: list[str] = field(default_factory=list)
    states: dict[str, PushState] = field(default_factory=dict)  # casefolded app username → Okta's push state
    groups: list[PushedGroup] = field(default_factory=list)
    unpushed: list[str] = field(default_factory=list)  # groups the stack pushes that have no push mapping
    push_error: ApiStatusError | ApiBodyError | None = None  # Okta would not list the push mappings


@dataclass
class TalendSide:
    users: dict[str, tuple[str, bool]] = field(default_factory=dict)  # user_name_key → (userName, active)
    names_by_id: dict[str, str] = field(default_factory=dict)  # SCIM id → userName
    groups: dict[str, list[set[str]]] = field(default_factory=dict)  # casefolded displayName → member id sets


def read_okta(
    okta: OktaClient, settings: ConnectionSettings, progress: Progress, *, app_creates_users: bool = True
) -> OktaSide:
    """`app_creates_users`: the app's features say Okta creates users (`push_state.creates_users`)."""
    side = OktaSide()
    for count, app_user in enumerate(okta.iter_app_users(settings.app_id), start=1):
        name = app_user.user_name or f"(no app username: Okta user {app_user.id})"
        if not app_user.is_active:
            continue  # an ended assignment: not expected in Talend
        side.user_names[app_user.id] = name
        side.states[name.casefold()] = push_state(app_user, app_creates_users=app_creates_users)
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
            side.groups.append(PushedGroup(group.profile.name, mapping.status, members))
    except ScopeMissing:  # a service app's scopes leave out okta.groups.read: verify cannot run, as for users
        raise
    except (ApiStatusError, ApiBodyError) as err:  # group-sync fails; the other checks still report
        side.push_error, side.groups = err, []
        return side
    pushed = settings.pushed_groups or {}
    side.unpushed = sorted(name for name, group_id in pushed.items() if group_id not in mapped)
    return side


def read_talend(talend: TalendScimClient, progress: Progress) -> TalendSide:
    side = TalendSide()
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


def user_sync(
    okta: OktaSide, talend: TalendSide, ignore: frozenset[str], provisioning: ProvisioningSettings
) -> tuple[CheckResult, UsersReport]:
    """The stack's To App switches say what Okta is meant to do: with Create Users off, assigned people missing in
    Talend are expected; with Deactivate Users off, so are unassigned people left active. Both are still listed."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for user_name in okta.user_names.values():
        by_name[user_name_key(user_name)].append(user_name)

    report = UsersReport(expected=len(by_name))
    inactive_for_good = False  # someone inactive in Talend whom Okta is not pushing: waiting cannot help
    for key, names in by_name.items():
        if len(names) > 1:
            report.collisions.append(_sorted(names))
            continue
        found = talend.users.get(key)
        if found is None:
            report.missing.append(names[0])
            _why_missing(report, okta.states.get(key)).append(names[0])
        elif not found[1]:
            report.inactive.append(names[0])
            inactive_for_good |= okta.states.get(key) is not PushState.PUSHING
        else:
            report.in_sync += 1
    for key, (user_name, active) in talend.users.items():
        if active and key not in by_name:
            (report.ignored if key in ignore else report.unexpected_active).append(user_name)

    report.sync_errors = okta.sync_errors
    for names in (
        report.missing,
        report.stranded,
        report.pushing,
        report.push_failed,
        report.unexplained,
        report.inactive,
        report.unexpected_active,
        report.sync_errors,
        report.ignored,
    ):
        names.sort(key=_order)
    report.collisions.sort(key=lambda names: [_order(name) for name in names])

    why = f" ({_why(report)})" if provisioning.create_users else ""  # without Create Users the gap is expected
    missing = f"{len(report.missing)} missing in Talend{why}" if report.missing else ""
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
    # Okta will not resolve these on its own: waiting (--timeout) cannot help, so verify fails at once.
    needs_person = bool(report.collisions or report.sync_errors or report.stranded or inactive_for_good)
    detail = f"{summary}; " + "; ".join(problems)
    return CheckResult(name=USER_SYNC, ok=False, detail=detail, settled=needs_person), report


def _why_missing(report: UsersReport, state: PushState | None) -> list[str]:
    """The list a person missing in Talend belongs to, by what Okta's app user says."""
    if state is PushState.STRANDED:
        return report.stranded
    if state is PushState.PUSHING:
        return report.pushing
    if state is PushState.PUSH_FAILED:
        return report.push_failed
    return report.unexplained


def _why(report: UsersReport) -> str:
    kinds = [
        (report.stranded, "stranded: assigned before provisioning was enabled, Okta never pushes them"),
        (report.pushing, "still being pushed by Okta"),
        (report.push_failed, "Okta's push failed"),
        (report.unexplained, "for no reason Okta shows"),
    ]
    return ", ".join(f"{len(names)} {what}" for names, what in kinds if names)


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


def group_sync(
    okta: OktaSide, talend: TalendSide, app_label: str, pushed: Iterable[str] = ()
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
            missing_members = counted(len(missing), "member")
            problems.append(f"{group.name}: {missing_members} missing, {len(extra)} unexpected in Talend")
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
        detail = f"{counted(len(reports), 'pushed group')} in sync" if reports else "no groups are pushed"
        return CheckResult(name=GROUP_SYNC, ok=True, detail=detail), reports
    detail = "; ".join(problems)
    return CheckResult(name=GROUP_SYNC, ok=False, detail=detail, steps=steps, settled=needs_person), reports


def _member_name(talend: TalendSide, member_id: str) -> str:
    return talend.names_by_id.get(member_id, f"(unknown SCIM id {member_id})")
