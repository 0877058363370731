"""verify's report: the check names, the per-check results in numbers, and the machine-readable JSON."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import BaseModel, Field

from talend_okta.checks import CheckResult
from talend_okta.credentials import CREDENTIALS

PROVISIONING = "okta-provisioning"
USER_SYNC = "user-sync"
GROUP_SYNC = "group-sync"
ROLE_MAPPING = "role-mapping"
CHECKS = (CREDENTIALS, PROVISIONING, USER_SYNC, GROUP_SYNC, ROLE_MAPPING)  # in report order

Progress = Callable[[str], None]


class UsersReport(BaseModel):
    """user-sync in numbers; every list is sorted (case-insensitively)."""

    expected: int = 0  # distinct app usernames Okta should have active in Talend
    in_sync: int = 0
    missing: list[str] = Field(default_factory=list)  # assigned, not in Talend (all of the four kinds below)
    stranded: list[str] = Field(default_factory=list)  # missing: assigned before provisioning; Okta never pushes
    pushing: list[str] = Field(default_factory=list)  # missing: Okta is still pushing them (STAGED, OUT_OF_SYNC)
    push_failed: list[str] = Field(default_factory=list)  # missing: Okta's push failed (syncState ERROR)
    push_failure_reasons: dict[str, str] = Field(default_factory=dict)  # push_failed → the reason Okta recorded
    push_log_error: str | None = None  # why Okta's System Log could not be read for those reasons
    unexplained: list[str] = Field(default_factory=list)  # missing for no reason Okta's app user shows
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
    rounds: int = 0  # how many times verify read both sides (it looks again while Okta may still push)
    seconds: float = 0.0
    requests: dict[str, int] = Field(default_factory=dict)

    def check(self, name: str) -> CheckResult:
        return next(check for check in self.checks if check.name == name)


def report_json(report: VerifyReport) -> str:
    return report.model_dump_json(indent=2) + "\n"
