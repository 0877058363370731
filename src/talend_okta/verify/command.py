"""`talend-okta verify`: resolve the inputs, run the checks, write the reports; the exit code says the verdict."""

from __future__ import annotations

from collections.abc import Iterable

from talend_okta.cli_io import check_output_dir, fail, write_text
from talend_okta.http import ApiError, InputError
from talend_okta.redact import Redactor
from talend_okta.stack_files import read_stack_outputs
from talend_okta.target import connection_settings
from talend_okta.terminal import human_console
from talend_okta.verify.inputs import PollSettings
from talend_okta.verify.polling import VerifyAborted, verify
from talend_okta.verify.render import print_report, progress_display
from talend_okta.verify.report import report_json


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
    timeout: float,
    poll_interval: float,
    json_path: str | None,
    ignore_users: Iterable[str],
    capacity: bool = False,
) -> int:
    """0 when every check passes, 1 when one fails; could not run: one line on stderr and exit 2 (`fail`)."""
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
        human = human_console(stderr=json_path == "-")
        with progress_display() as progress:
            report = verify(
                settings,
                poll=PollSettings(timeout=timeout, interval=poll_interval),
                ignore_users=ignore_users,
                progress=progress,
                capacity=capacity,
            )
    except (InputError, VerifyAborted, ApiError) as err:
        fail(str(err), redact)

    if json_path is not None:
        write_text(redact(report_json(report)), json_path, "--json", redact)
    print_report(report, human, redact)
    return 0 if report.ok else 1
