"""The `talend-okta` command line.

Exit codes: 0 all checks pass, 1 a check fails, 2 the command could not run (bad input, unreachable host,
Okta token rejected): then one line on stderr, never a traceback, never a token.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, TextIO, cast

import typer
from rich.console import Console
from rich.markup import escape

from talend_okta import adopt as adoption
from talend_okta.explain import command as explaining
from talend_okta.explain.read import ExplainAborted
from talend_okta.http import ApiError, InputError, check_base_url
from talend_okta.okta_api import OktaClient, check_app_id
from talend_okta.preflight import (
    okta_target,
    print_table,
    read_stack_config,
    run_preflight,
    talend_target,
    to_json,
    to_markdown,
)
from talend_okta.redact import Redactor
from talend_okta.settings import SettingsError
from talend_okta.verify import (
    CheckResult,
    PollSettings,
    Progress,
    StackOutputs,
    VerifyAborted,
    VerifyReport,
    connection_settings,
    load_stack_outputs,
    report_json,
)
from talend_okta.verify import verify as run_verify

app = typer.Typer(
    name="talend-okta",
    help="Okta ⟷ Talend Cloud: SAML sign-on and SCIM provisioning as code.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # rich tracebacks would print local variables, tokens included
)

# --- connection options, shared by every command that talks to Okta and Talend -----------------------------------

OktaUrlOption = Annotated[
    str | None,
    typer.Option(
        "--okta-url", envvar="OKTA_ORG_URL", help="Okta org URL, e.g. https://acme.okta.com.", show_default=False
    ),
]
OktaTokenOption = Annotated[
    str | None,
    typer.Option(
        "--okta-token",
        envvar="OKTA_API_TOKEN",
        help="Okta API token (sent as SSWS). Prefer the environment variable: options show in process lists.",
        show_default=False,
    ),
]
AppIdOption = Annotated[
    str | None,
    typer.Option(
        "--app-id", envvar="TALEND_OKTA_APP_ID", help="Okta app id of the Talend Cloud app.", show_default=False
    ),
]
ScimUrlOption = Annotated[
    str | None,
    typer.Option(
        "--scim-url",
        envvar="TALEND_SCIM_URL",
        help="Talend SCIM base URL, e.g. https://api.eu.cloud.talend.com/scim/v2.",
        show_default=False,
    ),
]
ScimTokenOption = Annotated[
    str | None,
    typer.Option(
        "--scim-token",
        envvar="TALEND_SCIM_TOKEN",
        help="Talend personal access token. Prefer the environment variable.",
        show_default=False,
    ),
]
TalendApiUrlOption = Annotated[
    str | None,
    typer.Option(
        "--talend-api-url",
        envvar="TALEND_API_URL",
        help="Talend API host for role mappings, e.g. https://api.eu.cloud.talend.com (default: the SCIM URL's).",
        show_default=False,
    ),
]
TalendApiTokenOption = Annotated[
    str | None,
    typer.Option(
        "--talend-api-token",
        envvar="TALEND_API_TOKEN",
        help="Talend token whose owner has SSO - Manage, for role mappings (default: the SCIM token). Prefer the "
        "environment variable.",
        show_default=False,
    ),
]
StackOutputsOption = Annotated[
    str | None,
    typer.Option(
        "--stack-outputs",
        metavar="FILE|-",
        help="JSON of `pulumi stack output --json --show-secrets` (- for stdin): supplies oktaOrgUrl, appId, "
        "scimBaseUrl, provisioning, pushedGroups and roleMappings. Options and environment variables win.",
        show_default=False,
    ),
]


def read_stack_outputs(path: str | None) -> StackOutputs | None:
    """The `--stack-outputs` file (or stdin for `-`), parsed; None without the option."""
    return load_stack_outputs(read_input(path, "--stack-outputs")) if path else None


def check_output_dir(option: str, path: str | None) -> None:
    """Refuse, before any work, a report file that could not be written."""
    if path not in (None, "-") and not Path(path).parent.is_dir():
        raise InputError(f"{option}: directory {Path(path).parent} does not exist")


def read_input(path: str, option: str) -> str:
    """A file's text, or stdin for `-`."""
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{option}: cannot read {path}: {getattr(err, 'strerror', None) or err}") from None


def fail(message: str, redact: Redactor) -> NoReturn:
    """One line on stderr, exit code 2."""
    typer.echo(f"talend-okta: error: {redact(message)}", err=True)
    raise typer.Exit(2)


@app.callback()
def main() -> None:
    """Okta ⟷ Talend Cloud: SAML sign-on and SCIM provisioning as code."""


# --- verify ------------------------------------------------------------------------------------------------------


@app.command()
def verify(
    okta_url: OktaUrlOption = None,
    okta_token: OktaTokenOption = None,
    app_id: AppIdOption = None,
    scim_url: ScimUrlOption = None,
    scim_token: ScimTokenOption = None,
    talend_api_url: TalendApiUrlOption = None,
    talend_api_token: TalendApiTokenOption = None,
    stack_outputs: StackOutputsOption = None,
    timeout: Annotated[
        float,
        typer.Option(min=0, metavar="SECONDS", help="How long to wait for Okta to finish provisioning; 0 = one pass."),
    ] = 300.0,
    poll_interval: Annotated[
        float, typer.Option(min=0.05, metavar="SECONDS", help="First wait between passes; grows to 30 s.")
    ] = 5.0,
    json_path: Annotated[
        str | None,
        typer.Option(
            "--json", metavar="FILE|-", help="Write the machine-readable report (- for stdout).", show_default=False
        ),
    ] = None,
    ignore_user: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore-user",
            metavar="USERNAME",
            help="A Talend userName that may be active without an Okta assignment, such as the owner of the "
            "token (repeatable).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check that Talend holds exactly the users and groups Okta provisions to it.

    Checks talend-credentials, okta-provisioning, user-sync and group-sync, and role-mapping when the stack
    outputs declare roleMappings; exit 0 when all pass, 1 when one fails, 2 when verify cannot run.
    """
    redact = Redactor([okta_token, scim_token, talend_api_token])
    try:
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
        check_output_dir("--json", json_path)
        human = Console(stderr=json_path == "-", highlight=False, soft_wrap=True)
        with progress_display() as progress:
            report = run_verify(
                settings,
                poll=PollSettings(timeout=timeout, interval=poll_interval),
                ignore_users=ignore_user or (),
                progress=progress,
            )
    except (InputError, VerifyAborted, ApiError) as err:
        fail(str(err), redact)

    if json_path is not None:
        write_text(redact(report_json(report)), json_path, "--json", redact)
    print_report(report, human, redact)
    raise typer.Exit(0 if report.ok else 1)


@contextmanager
def progress_display() -> Iterator[Progress]:
    """A spinner with the latest progress line on a terminal's stderr; silence elsewhere (CI logs)."""
    console = Console(stderr=True)
    if not console.is_terminal:
        yield lambda text: None
        return
    with console.status("talend-okta verify: starting") as status:
        yield lambda text: status.update(f"talend-okta verify: {escape(text)}")


SHOWN = 20  # names per list in the human report; --json has them all


def print_report(report: VerifyReport, console: Console, redact: Redactor) -> None:
    failed = sum(not check.ok for check in report.checks)
    verdict = "[green]in sync[/]" if report.ok else f"[red]{failed} of {len(report.checks)} checks failed[/]"
    console.print(f"talend-okta verify: {verdict} ({report.passes} passes, {report.seconds:.1f} s)")
    for check in report.checks:
        print_check(check, console, redact)
    users = report.users
    lists = [
        ("missing in Talend", users.missing),
        ("inactive in Talend", users.inactive),
        ("active in Talend but not assigned in Okta", users.unexpected_active),
        ("Okta syncState ERROR", users.sync_errors),
        ("app usernames shared by several Okta users", [" = ".join(names) for names in users.collisions]),
        ("ignored (--ignore-user), active in Talend", users.ignored),
    ]
    for group in report.groups:
        lists.append((f"group {group.name}: members missing in Talend", group.missing_members))
        lists.append((f"group {group.name}: unexpected members in Talend", group.unexpected_members))
    for title, names in lists:
        if names:
            more = f", … and {len(names) - SHOWN} more (see --json)" if len(names) > SHOWN else ""
            console.print(escape(redact(f"    {title} ({len(names)}): {', '.join(names[:SHOWN])}{more}")))


def print_check(check: CheckResult, console: Console, redact: Redactor) -> None:
    mark = "[green]✓[/]" if check.ok else "[red]✗[/]"
    console.print(f"  {mark} {check.name}: {escape(redact(check.detail))}")
    if check.steps:
        console.print("    still to do by hand:")
        for number, step in enumerate(check.steps, start=1):
            console.print(f"      {number}. {escape(redact(step))}")


# --- preflight ---------------------------------------------------------------------------------------------------


@app.command()
def preflight(
    config: Annotated[
        Path,
        typer.Option(
            "--config", metavar="FILE", help="The stack config file, e.g. Pulumi.dev.yaml.", show_default=False
        ),
    ],
    okta_url: OktaUrlOption = None,
    okta_token: OktaTokenOption = None,
    app_id: AppIdOption = None,
    talend_api_url: TalendApiUrlOption = None,
    talend_api_token: Annotated[
        str | None,
        typer.Option(
            "--talend-api-token",
            envvar="TALEND_API_TOKEN",
            help="Talend token whose owner has SSO - Manage: compare with the role mappings Talend holds now "
            "(without it, with the stack outputs' roleMappings). Prefer the environment variable.",
            show_default=False,
        ),
    ] = None,
    stack_outputs: StackOutputsOption = None,
    max_deactivations: Annotated[
        int, typer.Option(min=0, metavar="N", help="Fail when more people than this would be deactivated.")
    ] = 10,
    allow_mass_deactivation: Annotated[
        bool, typer.Option("--allow-mass-deactivation", help="Deactivating more than --max-deactivations is intended.")
    ] = False,
    json_path: Annotated[
        str | None,
        typer.Option("--json", metavar="FILE|-", help="Write the report as JSON (- for stdout).", show_default=False),
    ] = None,
    markdown_path: Annotated[
        str | None,
        typer.Option(
            "--markdown", metavar="FILE|-", help="Write the report as a PR comment (- for stdout).", show_default=False
        ),
    ] = None,
) -> None:
    """What deploying the stack config does to people in Talend: who is created, who is deactivated, collisions.

    Reads the app's assignments and the configured groups' members from Okta (and Talend's role mappings with
    --talend-api-token); changes nothing. Exit 0 when safe, 1 on userName collisions, unknown groups, a renamed
    group without formerNames, more deactivations than --max-deactivations (unless --allow-mass-deactivation) or
    Talend role names the tenant does not have, 2 when preflight cannot run.
    """
    redact = Redactor([okta_token, talend_api_token])
    try:
        if json_path == "-" and markdown_path == "-":
            raise InputError("--json and --markdown: only one of them can write to stdout (-)")
        check_output_dir("--json", json_path)
        check_output_dir("--markdown", markdown_path)
        outputs = read_stack_outputs(stack_outputs)
        stack_config = read_stack_config(config)
        target = okta_target(
            okta_url=okta_url, okta_token=okta_token, app_id=app_id, outputs=outputs, config=stack_config
        )
        talend = talend_target(api_url=talend_api_url, api_token=talend_api_token, outputs=outputs, config=stack_config)
        report = run_preflight(
            stack_config,
            target,
            max_deactivations=max_deactivations,
            allow_mass_deactivation=allow_mass_deactivation,
            redactor=redact,
            talend=talend,
            last_role_mappings=outputs.role_mappings if outputs is not None else None,
        )
    except (InputError, SettingsError, ApiError) as err:
        fail(str(err), redact)

    stream = sys.stderr if "-" in (json_path, markdown_path) else sys.stdout
    redacting = cast(TextIO, RedactingStream(stream, redact))  # a text stream, though not nominally a TextIO
    print_table(report, Console(file=redacting, highlight=False, soft_wrap=True))
    for option, path, text in (("--json", json_path, to_json), ("--markdown", markdown_path, to_markdown)):
        if path is not None:
            write_text(redact(text(report)), path, option, redact)
    raise typer.Exit(report.exit_code)


class RedactingStream(io.TextIOBase):
    """A text stream that masks secrets in everything written through it (for tables of what Okta holds)."""

    def __init__(self, stream: TextIO, redact: Redactor) -> None:
        self._stream = stream
        self._redact = redact

    def write(self, text: str) -> int:
        self._stream.write(self._redact(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()


def write_text(text: str, path: str, option: str, redact: Redactor) -> None:
    """Write a report to a file, or to stdout for `-`."""
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as err:
        fail(f"{option}: cannot write {path}: {err.strerror or err}", redact)


# --- adopt -------------------------------------------------------------------------------------------------------


@app.command()
def adopt(
    app_id: Annotated[
        str, typer.Option("--app-id", help="Okta app id of the Talend Cloud app built by hand.", show_default=False)
    ],
    stack: Annotated[
        str | None,
        typer.Option("--stack", metavar="NAME", help="Write Pulumi.<NAME>.yaml for this stack.", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", metavar="FILE", help="Write the stack config to FILE instead.", show_default=False),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite the stack config file if it exists.")] = False,
    okta_url: OktaUrlOption = None,
    okta_token: OktaTokenOption = None,
    stack_outputs: StackOutputsOption = None,
) -> None:
    """Bring a Talend Cloud app built by hand under a stack, without re-creating it.

    Reads the app, its group assignments, push groups and provisioning from Okta (changes nothing there) and writes
    the stack config that describes them, with import ids so the first `pulumi up` adopts those Okta objects and
    only updates them in place. Prints what that `pulumi up` changes and whom it affects. Exit 0 when written (or
    when the stack already manages the app), 2 when adopt cannot run.
    """
    redact = Redactor([okta_token])
    console = Console(highlight=False, soft_wrap=True)
    try:
        check_app_id(app_id)
        path = adoption.output_path(stack, out)
        outputs = read_stack_outputs(stack_outputs)
        managed = adoption.already_managed(app_id, path, outputs)
        if managed is not None:
            console.print(escape(f"talend-okta adopt: {managed}; nothing changed"))
            raise typer.Exit(0)
        adoption.check_writable(path, force=force)  # before reading Okta: nothing to do when it would fail
        url = okta_url or (outputs.okta_org_url if outputs else None)
        if not url or not url.strip():
            raise InputError("missing --okta-url (OKTA_ORG_URL): give the option or its environment variable")
        if not okta_token or not okta_token.strip():
            raise InputError("missing --okta-token (OKTA_API_TOKEN): give the environment variable (or the option)")
        with OktaClient(check_base_url(url, "--okta-url (OKTA_ORG_URL)"), okta_token.strip(), redactor=redact) as okta:
            found = adoption.read_adoption(okta, app_id)
        secret_lines = adoption.secret_commands(stack, path)
        adoption.write_config(path, redact(adoption.render_config(found, secret_lines)), force=force)
    except (InputError, ApiError) as err:
        fail(str(err), redact)

    styles = {"": "", "warn": "yellow", "loud": "bold red"}
    console.print(escape(f"talend-okta adopt: wrote {path} for app {found.app.id} ({found.app.label})"))
    for style, line in adoption.summary_lines(found):
        console.print(escape(line), style=styles[style])
    console.print("Next:")
    console.print(escape("  Set the secrets (never written to the file):"))
    for line in secret_lines:
        console.print(escape(f"    {line}"))
    for line in adoption.next_steps(path, app_id):
        console.print(escape(f"  {line}"))


# --- explain -----------------------------------------------------------------------------------------------------


@app.command()
def explain(
    person: Annotated[str, typer.Argument(help="An Okta login, an email or an Okta user id.", show_default=False)],
    okta_url: OktaUrlOption = None,
    okta_token: OktaTokenOption = None,
    app_id: AppIdOption = None,
    scim_url: ScimUrlOption = None,
    scim_token: ScimTokenOption = None,
    talend_api_url: TalendApiUrlOption = None,
    talend_api_token: TalendApiTokenOption = None,
    stack_outputs: StackOutputsOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object: person, verdict, fix, steps.")
    ] = False,
) -> None:
    """One person's path from Okta to Talend, step by step, with a verdict and the one fix.

    Reads about ten things, for that person only: the Okta user, the assignment, the username Okta sends, Okta's
    provisioning state and System Log, the Talend user and their roles. Exit 0 when the person is where the stack
    says they should be, 1 when not, 2 when explain cannot run.
    """
    redact = Redactor([okta_token, scim_token, talend_api_token])
    try:
        settings = explaining.resolve(
            okta_url=okta_url,
            okta_token=okta_token,
            app_id=app_id,
            scim_url=scim_url,
            scim_token=scim_token,
            talend_api_url=talend_api_url,
            talend_api_token=talend_api_token,
            outputs=read_stack_outputs(stack_outputs),
        )
        code = explaining.run(person, settings, as_json=as_json, redact=redact)
    except (InputError, ExplainAborted, ApiError) as err:
        fail(str(err), redact)
    raise typer.Exit(code)
