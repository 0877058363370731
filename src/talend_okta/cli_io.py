"""What every command shares: the connection options (with their environment variables), report files and
streams, and the one-line error with exit code 2."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Annotated, NoReturn, TextIO

import typer

from talend_okta.http import InputError
from talend_okta.redact import Redactor
from talend_okta.terminal import printable

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
        help="Okta API token (sent as SSWS). Prefer the environment variable: options show in process lists. "
        "Without it, an OAuth service app from OKTA_API_CLIENT_ID, OKTA_API_PRIVATE_KEY, OKTA_API_PRIVATE_KEY_ID "
        "and OKTA_API_SCOPES (docs/deploying.md).",
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
TimeoutOption = Annotated[
    float,
    typer.Option(
        min=0, metavar="SECONDS", help="Give up after this long in all, retries and waits included; 0 = no limit."
    ),
]
JSON_OPTION_METAVAR = "FILE|-"
JSON_OPTION_HELP = "Write the report as JSON to FILE (- for stdout; the human report then goes to stderr)."
JsonOption = Annotated[
    str | None,
    typer.Option("--json", metavar=JSON_OPTION_METAVAR, help=JSON_OPTION_HELP, show_default=False),
]
"""One `--json` for every command: a file or `-`, never a switch, so scripts use every command the same way."""
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


def check_output_dir(option: str, path: str | None) -> None:
    """Refuse, before any work, a report file that could not be written."""
    if path not in (None, "-") and not Path(path).parent.is_dir():
        raise InputError(f"{option}: directory {Path(path).parent} does not exist")


def fail(message: str, redact: Redactor) -> NoReturn:
    """One line on stderr (an Okta or Talend message in it made printable), exit code 2."""
    typer.echo(f"talend-okta: error: {printable(redact(message))}", err=True)
    raise typer.Exit(2)


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
