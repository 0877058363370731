"""verify's loop: run every check, re-reading both sides until they are in sync or time is up."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from talend_okta.capacity import SSO_MANAGE, USERS_MANAGE
from talend_okta.checks import CheckResult
from talend_okta.credentials import credentials_check
from talend_okta.group_names import okta_group_names
from talend_okta.http import (
    ApiAuthError,
    ApiError,
    ApiStatusError,
    ClientOptions,
    Deadline,
    DeadlineExceeded,
    RetryPolicy,
    Sleep,
)
from talend_okta.okta_api import OktaClient
from talend_okta.okta_auth import token_hint
from talend_okta.push_log import push_failure_reasons
from talend_okta.push_state import creates_users
from talend_okta.redact import Redactor
from talend_okta.scim_api import ScimPagingError, TalendScimClient
from talend_okta.talend_api import TalendApiClient
from talend_okta.target import TALEND_API_URL, ConnectionSettings
from talend_okta.user_names import user_name_key
from talend_okta.verify.capacity import capacity_checks
from talend_okta.verify.inputs import PollSettings
from talend_okta.verify.provisioning import provisioning_check
from talend_okta.verify.report import GROUP_SYNC, USER_SYNC, GroupReport, Progress, UsersReport, VerifyReport
from talend_okta.verify.roles import check_role_mapping
from talend_okta.verify.sync import OktaSide, group_sync, read_okta, read_talend, user_sync

PUSH_REASONS = 10  # failed pushes whose reason verify reads from the System Log (one request each)


class VerifyAborted(Exception):
    """verify could not run (bad input, unreachable host, Okta token rejected); one redacted line."""


def _skipped(name: str, why: str) -> CheckResult:
    return CheckResult(name=name, ok=False, detail=f"not checked: {why}", ran=False)


def _untrusted(name: str, err: ScimPagingError) -> CheckResult:
    return CheckResult(name=name, ok=False, detail=f"not checked: {err}", settled=not err.transient, ran=False)


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
    capacity: bool = False,
) -> VerifyReport:
    """Run every check, re-reading both sides until in sync or `poll.timeout` is up. `capacity`: also the seats
    and token-owner checks.

    Raises `VerifyAborted` when it cannot run: Okta unreachable or rejecting its token, no such app, Talend
    unreachable, or an answer that cannot be read even after retries.
    """
    poll = poll or PollSettings()
    redact = Redactor(settings.secrets())
    started = clock()
    # --timeout bounds every pass from inside too: no request or retry wait of either client outlives it.
    deadline = Deadline(poll.timeout, clock=clock) if poll.timeout > 0 else None
    shared = ClientOptions(timeout=poll.request_timeout, retry=retry, sleep=sleep, redactor=redact, deadline=deadline)
    try:
        with (
            OktaClient(settings.okta_url, settings.okta_credentials, **shared) as okta,
            TalendScimClient(
                settings.scim_url,
                settings.scim_token.get_secret_value(),
                **shared,
                concurrency=poll.scim_concurrency,
            ) as talend,
        ):
            report = _poll(
                okta, talend, settings, poll, frozenset(user_name_key(u) for u in ignore_users), progress, sleep, clock
            )
            requests = {"okta": okta.requests, "talend": talend.requests}
            after = shared | ClientOptions(deadline=None)  # Talend's API after the rounds: its requests' own timeouts
            if settings.role_mappings:
                progress("checking Talend's role mappings")
                okta.use_deadline(None)  # after the rounds: the role check runs on its requests' own timeouts
                report, requests["talend-api"] = _with_role_check(report, okta, settings, after)
            if capacity:
                progress("checking Talend's seats and the token's owner")
                report, requests["talend-account"] = _with_capacity(report, okta, settings, after)
            report.seconds = round(clock() - started, 3)
            report.requests = requests
            return report
    except ApiAuthError as err:
        hint = token_hint(err) if err.service == "Okta" else ""
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
    okta.check_credentials()
    try:
        app = okta.get_app(settings.app_id)
    except ApiStatusError as err:
        if err.status == 404:
            raise VerifyAborted(f"Okta has no app with id {settings.app_id} (--app-id, TALEND_OKTA_APP_ID)") from None
        raise
    progress("checking Talend's SCIM token")
    credentials = credentials_check(talend)
    progress("reading the app's provisioning settings in Okta")
    provisioning = provisioning_check(okta, app, settings)

    app_creates = creates_users(app.features)  # tells the stranded apart from those Okta is still pushing
    interval = poll.interval
    rounds = 0
    report: VerifyReport | None = None
    # One thread per service. On an error the other read is abandoned, not awaited: closing its client ends it.
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="verify")
    try:
        while True:
            rounds += 1
            okta_side: OktaSide | None = None
            if credentials.ok:
                progress(f"round {rounds}: reading app users in Okta and users in Talend")
                okta_read = pool.submit(read_okta, okta, settings, progress, app_creates_users=app_creates)
                talend_read = pool.submit(read_talend, talend, progress)
                try:
                    okta_side, talend_side = okta_read.result(), talend_read.result()
                except DeadlineExceeded:
                    if report is None:
                        raise
                    # Out of time during a later round: the last whole round answers; `rounds` counts this one too.
                    return report.model_copy(update={"rounds": rounds})
                except ScimPagingError as err:  # never a pass verdict; if the list was changing, look again
                    users_check, users = _untrusted(USER_SYNC, err), UsersReport()
                    groups_check, groups = _untrusted(GROUP_SYNC, err), list[GroupReport]()
                else:
                    users_check, users = user_sync(okta_side, talend_side, ignore, settings.provisioning)
                    groups_check, groups = group_sync(
                        okta_side, talend_side, app.label or app.id, settings.pushed_groups or {}
                    )
            else:
                users_check, users = _skipped(USER_SYNC, "Talend refused the token"), UsersReport()
                groups_check, groups = _skipped(GROUP_SYNC, "Talend refused the token"), []
            checks = [credentials, provisioning, users_check, groups_check]
            report = VerifyReport(
                ok=all(c.ok for c in checks), checks=checks, users=users, groups=groups, rounds=rounds
            )
            failing = [c for c in checks if not c.ok]
            left = deadline - clock()
            if not failing or any(c.settled for c in failing) or left <= 0:
                if users.push_failed and okta_side is not None:
                    progress("reading Okta's System Log for why pushes failed")
                    _add_push_reasons(users, okta, settings.app_id, okta_side)
                return report
            wait = min(interval, left)
            progress(
                f"round {rounds}: {users.in_sync}/{users.expected} users in sync; "
                f"Okta may still be provisioning, next look in {wait:.0f} s ({left:.0f} s left)"
            )
            sleep(wait)
            interval = min(poll.max_interval, interval * 1.5)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _add_push_reasons(users: UsersReport, okta: OktaClient, app_id: str, okta_side: OktaSide) -> None:
    """The reasons Okta recorded for the failed pushes (the first few, a log request each); a log that cannot be read
    (no permission, out of time) is said, never a reason to stop."""
    ids = {user_name_key(name): user_id for user_id, name in okta_side.user_names.items()}
    people = {name: ids[user_name_key(name)] for name in users.push_failed if user_name_key(name) in ids}
    reasons, error = push_failure_reasons(okta, app_id, people, now=datetime.now(UTC), limit=PUSH_REASONS)
    users.push_failure_reasons, users.push_log_error = reasons, error


def _with_role_check(
    report: VerifyReport, okta: OktaClient, settings: ConnectionSettings, shared: ClientOptions
) -> tuple[VerifyReport, int]:
    """The report with the role-mapping check added, and the requests it took."""
    api_url, token = settings.role_api
    app = okta.get_app(settings.app_id)
    okta_groups = okta_group_names(list(settings.role_mappings), okta.search_groups)
    with TalendApiClient(api_url, token, setting=TALEND_API_URL, **shared) as talend:
        check = check_role_mapping(talend, app, settings.role_mappings, okta_groups)
        requests = talend.requests
    checks = [*report.checks, check]
    return report.model_copy(update={"checks": checks, "ok": report.ok and check.ok}), requests


def _with_capacity(
    report: VerifyReport, okta: OktaClient, settings: ConnectionSettings, shared: ClientOptions
) -> tuple[VerifyReport, int]:
    """The report with the seats and token-owner checks added (the SCIM token's owner: the one Okta uses)."""
    app = okta.get_app(settings.app_id)
    needs = [USERS_MANAGE] + ([SSO_MANAGE] if settings.role_mappings and not settings.talend_api_token else [])
    api_url, _ = settings.role_api
    with TalendApiClient(api_url, settings.scim_token.get_secret_value(), setting=TALEND_API_URL, **shared) as talend:
        checks = capacity_checks(talend, okta, settings.app_id, app.label or app.id, needs)
        requests = talend.requests
    return report.model_copy(
        update={"checks": [*report.checks, *checks], "ok": report.ok and all(c.ok for c in checks)}
    ), requests
