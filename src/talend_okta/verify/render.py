"""verify's human report (checks, then the names behind each failure) and its progress line on a terminal."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

from rich.console import Console
from rich.markup import escape

from talend_okta.checks import CheckResult
from talend_okta.redact import Redactor
from talend_okta.terminal import human_console
from talend_okta.verify.report import GROUP_SYNC, USER_SYNC, Progress, VerifyReport
from talend_okta.wording import counted


@contextmanager
def progress_display() -> Iterator[Progress]:
    """A spinner with the latest progress line on a terminal's stderr; silence elsewhere (CI logs)."""
    console = human_console(stderr=True)
    if not console.is_terminal:
        yield lambda text: None
        return
    with console.status("talend-okta verify: starting") as status:
        yield lambda text: status.update(f"talend-okta verify: {escape(text)}")


SHOWN = 20  # names per list in the human report; --json has them all


class Listed(NamedTuple):
    """Names shown under a check: a title, the fix when there is one, and lines about them (`details`)."""

    title: str
    names: list[str]
    fix: str = ""
    details: tuple[str, ...] = ()


def print_report(report: VerifyReport, console: Console, redact: Redactor) -> None:
    console.print(f"talend-okta verify: {verdict(report)} ({counted(report.rounds, 'round')}, {report.seconds:.1f} s)")
    users = report.users
    user_lists = [
        Listed(
            "stranded: assigned before Okta's provisioning was on, never pushed (waiting cannot help)",
            users.stranded,
            "`talend-okta provision --stranded`, or Okta → the app → Assignments → Provision User",
        ),
        Listed("still being pushed by Okta", users.pushing, "wait for Okta (--timeout)"),
        Listed(
            "Okta's push failed (syncState ERROR)",
            users.push_failed,
            "the reason is in Okta → Dashboard → Tasks and the System Log (`talend-okta explain PERSON`); then Retry",
            tuple(push_reasons(report)),
        ),
        Listed(
            "missing in Talend for no reason Okta shows",
            users.unexplained,
            "okta-provisioning above (To App → Create Users); if Okta pushed them, someone removed them in Talend: "
            "Okta → the app → Assignments → Provision User",
        ),
        Listed(
            "inactive in Talend, deactivated there by hand (Okta does not push them again)",
            users.inactive,
            "Talend Management Console → Users & Security → Users → each person: Activate; or Okta → the app → "
            "Assignments → the person: remove and assign again, so Okta pushes them active",
        ),
        Listed("active in Talend but not assigned in Okta", users.unexpected_active),
        Listed("Okta syncState ERROR", [name for name in users.sync_errors if name not in users.push_failed]),
        Listed("app usernames shared by several Okta users", [" = ".join(names) for names in users.collisions]),
        Listed("ignored (--ignore-user), active in Talend", users.ignored),
    ]
    group_lists: list[Listed] = []
    for group in report.groups:
        group_lists.append(Listed(f"group {group.name}: members missing in Talend", group.missing_members))
        group_lists.append(Listed(f"group {group.name}: unexpected members in Talend", group.unexpected_members))
    lists = {USER_SYNC: user_lists, GROUP_SYNC: group_lists}  # each list right under the check it explains
    for check in report.checks:
        print_check(check, console, redact)
        for listed in lists.pop(check.name, []):
            print_names(listed, console, redact)
    for listed in [entry for rest in lists.values() for entry in rest]:  # a check that did not run
        print_names(listed, console, redact)


def verdict(report: VerifyReport) -> str:
    """ "in sync", or how many checks failed, did not run (a check they depend on failed) and passed."""
    if report.ok:
        return "[green]in sync[/]"
    failed = sum(not check.ok and check.ran for check in report.checks)
    not_run = sum(not check.ran for check in report.checks)
    passed = sum(check.ok for check in report.checks)
    counts = [f"{counted(failed, 'check')} failed", f"{not_run} not run" if not_run else "", f"{passed} passed"]
    return f"[red]{', '.join(filter(None, counts))}[/]"


def print_names(listed: Listed, console: Console, redact: Redactor) -> None:
    """A capped list of names under its check, the lines about them, and the fix when there is one."""
    names = listed.names
    if names:
        more = f", … and {len(names) - SHOWN} more (see --json)" if len(names) > SHOWN else ""
        console.print(escape(redact(f"    {listed.title} ({len(names)}): {', '.join(names[:SHOWN])}{more}")))
        for line in listed.details[:SHOWN]:
            console.print(escape(redact(f"      {line}")))
        if listed.fix:
            console.print(escape(redact(f"      fix: {listed.fix}")))


def push_reasons(report: VerifyReport) -> list[str]:
    """What Okta recorded for each failed push (its System Log), one line each."""
    users = report.users
    lines = [f'{name}: Okta recorded "{reason}"' for name, reason in users.push_failure_reasons.items()]
    if users.push_log_error:
        lines.append(f"Okta's reasons could not be read from the System Log: {users.push_log_error}")
    return lines


def print_check(check: CheckResult, console: Console, redact: Redactor) -> None:
    mark = "[green]✓[/]" if check.ok else "[red]✗[/]" if check.ran else "[yellow]–[/]"
    console.print(f"  {mark} {check.name}: {escape(redact(check.detail))}")
    if check.steps:
        console.print("    still to do by hand:")
        for number, step in enumerate(check.steps, start=1):
            console.print(f"      {number}. {escape(redact(step))}")
