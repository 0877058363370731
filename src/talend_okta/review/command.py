"""`talend-okta review`: check the options, read, join, write the report, print the summary; the exit code.

Exit 0 with the report; 1 when a person carries a flag named by `--fail-on` (for a scheduled job); 2 when review
could not run (a bad option, a host unreachable, a token refused: one line on stderr).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO, cast

from rich.console import Console
from rich.table import Table

from talend_okta.cli_io import RedactingStream, check_output_dir, fail, write_text
from talend_okta.http import ApiError, ClientOptions, Deadline, InputError, RetryPolicy
from talend_okta.redact import Redactor
from talend_okta.review.formats import FORMATS, RENDERERS, Review
from talend_okta.review.people import FLAGS, explain_flag, people, summary
from talend_okta.review.read import ReviewAborted, Window, read_facts
from talend_okta.stack_files import read_stack_outputs
from talend_okta.target import ConnectionSettings, connection_settings
from talend_okta.terminal import human_console

MAX_SINCE = 90
"""Days: Okta keeps its System Log for 90 days."""
UNUSED_DAYS = 60
"""Default of --unused-days (at most --since)."""
REQUEST_TIMEOUT = 30.0
SHOWN = 50
"""Flagged people listed on the terminal (the report holds them all)."""


@dataclass(frozen=True)
class Options:
    since: int = MAX_SINCE
    unused_days: int = UNUSED_DAYS
    fail_on: frozenset[str] = frozenset()
    report_format: str | None = None
    output: str | None = None


def check_options(
    *, since: int, unused_days: int | None, fail_on: list[str], report_format: str | None, output: str | None
) -> Options:
    """The review's own options, checked before anything is read; `InputError` names the option and what it takes."""
    if not 1 <= since <= MAX_SINCE:
        raise InputError(f"--since {since}: must be 1 to {MAX_SINCE} days (Okta keeps its System Log 90 days)")
    unused_days = min(UNUSED_DAYS, since) if unused_days is None else unused_days
    if not 1 <= unused_days <= since:
        raise InputError(f"--unused-days {unused_days}: must be 1 to --since ({since}) days")
    flags = {flag.strip() for text in fail_on for flag in text.split(",") if flag.strip()}
    if unknown := sorted(flags - set(FLAGS)):
        raise InputError(f"--fail-on {','.join(unknown)}: must be among {', '.join(FLAGS)}")
    if report_format is not None and report_format not in FORMATS:
        raise InputError(f"--format {report_format}: must be one of {', '.join(FORMATS)}")
    chosen = report_format or ("json" if output is not None else None)
    check_output_dir("--output", output)
    return Options(since, unused_days, frozenset(flags), chosen, output or ("-" if chosen else None))


def review(settings: ConnectionSettings, options: Options, *, timeout: float = 0.0) -> Review:
    """Read and join. Raises `ReviewAborted` or `ApiError`."""
    now = datetime.now(UTC)
    until = (now + timedelta(seconds=1)).replace(microsecond=0)  # the window ends after now: this second's sign-ins
    window = Window(until - timedelta(days=options.since), until)
    client: ClientOptions = {
        "timeout": REQUEST_TIMEOUT,
        "retry": RetryPolicy(),
        "sleep": time.sleep,
        "redactor": Redactor(settings.secrets()),
        "deadline": Deadline(timeout) if timeout > 0 else None,
    }
    facts = read_facts(settings, window, client)
    rows = people(facts, until=until, unused_days=options.unused_days)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return Review(
        generated_at=now.strftime(stamp),
        since=window.since.strftime(stamp),
        until=until.strftime(stamp),
        org=settings.okta_url,
        app_id=settings.app_id,
        tenant=settings.scim_url,
        unused_days=options.unused_days,
        people=rows,
        summary=summary(rows),
        notes=facts.notes,
    )


def print_summary(report: Review, console: Console) -> None:
    console.print(
        f"Access review of Okta app {report.app_id} ({report.org}) and Talend {report.tenant}: "
        f"{len(report.people)} people; sign-ins from {report.since} to {report.until}"
    )
    table = Table(show_edge=False, box=None, pad_edge=False)
    table.add_column("flag")
    table.add_column("people", justify="right")
    for flag, count in report.summary.items():
        table.add_row(flag, str(count))
    console.print(table)
    flagged = [p for p in report.people if p.flags]
    for person in flagged[:SHOWN]:
        name = person.user_name or person.okta_login or "(no userName)"
        for flag in person.flags:
            console.print(f"  {name}: {flag}: {explain_flag(person, flag, report.unused_days)}", highlight=False)
    if len(flagged) > SHOWN:
        console.print(f"  … and {len(flagged) - SHOWN} more flagged people in the report (--format, --output)")
    for note in report.notes:
        console.print(f"note: {note}")


def run(
    *,
    okta_url: str | None,
    okta_token: str | None,
    app_id: str | None,
    scim_url: str | None,
    scim_token: str | None,
    talend_api_url: str | None,
    talend_api_token: str | None,
    stack_outputs: str | None,
    since: int,
    unused_days: int | None,
    fail_on: list[str],
    report_format: str | None,
    output: str | None,
    timeout: float = 0.0,
) -> int:
    redact = Redactor([okta_token, scim_token, talend_api_token])
    try:
        options = check_options(
            since=since, unused_days=unused_days, fail_on=fail_on, report_format=report_format, output=output
        )
        settings = connection_settings(
            okta_url=okta_url,
            okta_token=okta_token,
            app_id=app_id,
            scim_url=scim_url,
            scim_token=scim_token,
            outputs=read_stack_outputs(stack_outputs),
            talend_api_url=talend_api_url,
            talend_api_token=talend_api_token,
        )
        redact.add(*settings.secrets())
        report = review(settings, options, timeout=timeout)
    except (InputError, ReviewAborted, ApiError) as err:
        fail(str(err), redact)
    if options.output is not None and options.report_format is not None:
        write_text(redact(RENDERERS[options.report_format](report)), options.output, "--output", redact)
    stream = cast(TextIO, RedactingStream(sys.stderr if options.output == "-" else sys.stdout, redact))
    print_summary(report, human_console(file=stream, markup=False))
    return 1 if any(flag in options.fail_on for p in report.people for flag in p.flags) else 0
