"""`talend-okta preflight`: read Okta (and Talend's role mappings), plan, render; exit 1 when the plan is blocked."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO, cast

from talend_okta.cli_io import RedactingStream, check_output_dir, fail, write_text
from talend_okta.http import ApiError, Deadline, InputError
from talend_okta.okta_api import OktaClient
from talend_okta.preflight.capacity import current_profile, plan_capacity, read_part
from talend_okta.preflight.plan import PreflightReport, plan, role_members
from talend_okta.preflight.render import print_table, to_json, to_markdown
from talend_okta.preflight.roles import Source, plan_roles
from talend_okta.preflight.snapshot import read_role_groups, read_snapshot
from talend_okta.redact import Redactor
from talend_okta.settings import SettingsError
from talend_okta.stack_files import StackConfig, read_stack_config, read_stack_outputs
from talend_okta.talend_api import Subscription, TalendApiClient
from talend_okta.target import OktaTarget, TalendTarget, okta_target, talend_target
from talend_okta.terminal import human_console


def run_preflight(
    config: StackConfig,
    target: OktaTarget,
    *,
    max_deactivations: int = 10,
    allow_mass_deactivation: bool = False,
    max_pushes: int | None = None,
    redactor: Redactor | None = None,
    talend: TalendTarget | None = None,
    last_role_mappings: Mapping[str, list[str]] | None = None,
    deadline: Deadline | None = None,
) -> PreflightReport:
    """Read Okta (and Talend's role mappings, roles and license when `talend` is given), then plan. Raises
    `ApiError` (one redacted line, naming the part that could not be checked) when Okta or Talend cannot be read,
    or not before `deadline` (`--timeout`).

    `last_role_mappings`: the stack outputs' `roleMappings`, compared with when Talend is not read.
    """
    before: Mapping[str, list[str]] = last_role_mappings or {}
    source: Source = "stack outputs" if last_role_mappings is not None else "none"
    tenant_roles: list[str] | None = None
    catalog: dict[str, frozenset[str]] | None = None
    subscription: Subscription | None = None
    if talend is not None:
        with TalendApiClient(
            talend.api_url,
            talend.token.get_secret_value(),
            setting="--talend-api-url",
            redactor=redactor,
            deadline=deadline,
        ) as api:
            before, source = api.role_mappings(), "talend"
            catalog = api.role_permissions()
            tenant_roles = sorted(catalog)
            subscription = read_part("seats", api.subscription)
    # Only a stack that declares (or declared) role mappings owns them: otherwise the deploy leaves Talend's alone.
    with_roles = bool(config.settings.role_mappings or last_role_mappings)
    with OktaClient(target.org_url, target.credentials, redactor=redactor, deadline=deadline) as client:
        snapshot = read_snapshot(client, config.settings, target.app_id)
        extra = read_role_groups(client, snapshot, before) if with_roles else []
        app_id = target.app_id
        current = read_part("mass pushes", lambda: current_profile(client, app_id)) if app_id else None
    report = plan(
        snapshot,
        config.settings,
        stack_config=str(config.path),
        last_assigned=target.assigned_groups,
        max_deactivations=max_deactivations,
        allow_mass_deactivation=allow_mass_deactivation,
    )
    members = role_members(snapshot, extra, config.settings)
    after = config.settings.role_mappings if with_roles else before  # not owned: Talend's mappings stay
    capacity = plan_capacity(
        config.settings,
        report,
        members,
        before=before,
        after=after,
        subscription=subscription,
        catalog=catalog,
        current=current,
        max_pushes=max_pushes,
    )
    report = report.model_copy(update={"capacity": capacity})
    if not with_roles:
        return report
    roles = plan_roles(before, config.settings.role_mappings, members, compared_with=source, tenant_roles=tenant_roles)
    return report.model_copy(update={"roles": roles})


def run(
    *,
    config: Path,
    okta_url: str | None,
    okta_token: str | None,
    app_id: str | None,
    talend_api_url: str | None,
    talend_api_token: str | None,
    stack_outputs: str | None,
    max_deactivations: int,
    allow_mass_deactivation: bool,
    json_path: str | None,
    markdown_path: str | None,
    max_pushes: int | None = None,
    timeout: float = 300.0,
) -> int:
    """The command: 0 when safe, 1 when the plan is blocked; could not run: one line on stderr and exit 2."""
    redact = Redactor([okta_token, talend_api_token])
    try:
        if max_pushes is not None and max_pushes < 0:
            raise InputError(f"--max-pushes: must be 0 or more, or left out for no limit (got {max_pushes})")
        if json_path == "-" and markdown_path == "-":
            raise InputError("--json and --markdown: only one of them can write to stdout (-)")
        check_output_dir("--json", json_path)
        check_output_dir("--markdown", markdown_path)
        outputs = read_stack_outputs(stack_outputs)
        stack_config = read_stack_config(config)
        target = okta_target(
            okta_url=okta_url,
            okta_token=okta_token,
            app_id=app_id,
            outputs=outputs,
            config=stack_config,
            app="optional",
        )
        talend = talend_target(api_url=talend_api_url, api_token=talend_api_token, outputs=outputs, config=stack_config)
        report = run_preflight(
            stack_config,
            target,
            max_deactivations=max_deactivations,
            allow_mass_deactivation=allow_mass_deactivation,
            max_pushes=max_pushes,
            redactor=redact,
            talend=talend,
            last_role_mappings=outputs.role_mappings if outputs is not None else None,
            deadline=Deadline(timeout) if timeout > 0 else None,
        )
    except (InputError, SettingsError, ApiError) as err:
        fail(str(err), redact)

    stream = sys.stderr if "-" in (json_path, markdown_path) else sys.stdout
    redacting = cast(TextIO, RedactingStream(stream, redact))  # a text stream, though not nominally a TextIO
    print_table(report, human_console(file=redacting, markup=False))
    for option, path, text in (("--json", json_path, to_json), ("--markdown", markdown_path, to_markdown)):
        if path is not None:
            write_text(redact(text(report)), path, option, redact)
    return report.exit_code
