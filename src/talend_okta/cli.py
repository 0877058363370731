"""The `talend-okta` command line: each command's options, then one call into the command's module.

Exit codes: 0 all checks pass, 1 a check fails, 2 the command could not run (bad input, unreachable host,
Okta token rejected): then one line on stderr, never a traceback, never a token.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path
from typing import Annotated

import typer

from talend_okta import adopt as adoption
from talend_okta import plan_check
from talend_okta import provision as provisioning
from talend_okta.cli_io import (
    AppIdOption,
    JsonOption,
    OktaTokenOption,
    OktaUrlOption,
    ScimTokenOption,
    ScimUrlOption,
    StackOutputsOption,
    TalendApiTokenOption,
    TalendApiUrlOption,
    TimeoutOption,
)
from talend_okta.explain import command as explain_command
from talend_okta.preflight import command as preflight_command
from talend_okta.review import command as review_command
from talend_okta.verify import command as verify_command

app = typer.Typer(
    name="talend-okta",
    help="Okta ⟷ Talend Cloud: SAML sign-on and SCIM provisioning as code.",
    no_args_is_help=True,
    add_completion=True,  # typer's --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    rich_markup_mode=None,  # plain help: typer's rich help shows switches (--force) as `<bool>` options
    pretty_exceptions_enable=False,  # rich tracebacks would print local variables, tokens included
)


def print_version(value: bool) -> None:
    if value:
        typer.echo(f"talend-okta {importlib.metadata.version('talend-okta')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=print_version, help="Print the version and exit."),
    ] = False,
) -> None:
    """Okta ⟷ Talend Cloud: SAML sign-on and SCIM provisioning as code."""


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
        typer.Option(min=0, metavar="SECONDS", help="How long to wait for Okta to finish provisioning; 0 = one round."),
    ] = 300.0,
    poll_interval: Annotated[
        float, typer.Option(min=0.05, metavar="SECONDS", help="First wait between rounds; grows to 30 s.")
    ] = 5.0,
    json_path: JsonOption = None,
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
    capacity: Annotated[
        bool,
        typer.Option(
            "--capacity",
            help="Also check Talend's seats (every application within its license) and the token's owner (active, "
            "with Users - Manage, still assigned).",
        ),
    ] = False,
) -> None:
    """Check that Talend holds exactly the users and groups Okta provisions to it.

    Checks talend-credentials, okta-provisioning, user-sync and group-sync, role-mapping when the stack outputs
    declare roleMappings, and seats and token-owner with --capacity; exit 0 when all pass, 1 when one fails, 2 when
    verify cannot run.
    """
    code = verify_command.run(
        okta_url=okta_url,
        okta_token=okta_token,
        app_id=app_id,
        scim_url=scim_url,
        scim_token=scim_token,
        talend_api_url=talend_api_url,
        talend_api_token=talend_api_token,
        stack_outputs=stack_outputs,
        timeout=timeout,
        poll_interval=poll_interval,
        json_path=json_path,
        ignore_users=ignore_user or (),
        capacity=capacity,
    )
    raise typer.Exit(code)


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
    max_pushes: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Fail when Okta would push more people to Talend again than this (username format, attribute "
            "statements, To App update switch). Default: no limit.",
            show_default=False,
        ),
    ] = None,
    json_path: JsonOption = None,
    markdown_path: Annotated[
        str | None,
        typer.Option(
            "--markdown", metavar="FILE|-", help="Write the report as a PR comment (- for stdout).", show_default=False
        ),
    ] = None,
    timeout: TimeoutOption = 300.0,
) -> None:
    """What deploying the stack config does to people in Talend: who is created, who is deactivated, collisions.

    Reads the app's assignments and the configured groups' members from Okta (and Talend's role mappings with
    --talend-api-token, also its seats per application); changes nothing. Exit 0 when safe, 1 on userName
    collisions, unknown groups, a renamed group without formerNames, more deactivations than --max-deactivations
    (unless --allow-mass-deactivation), Talend role names the tenant does not have, seats over the license, the
    token owner (talendTokenOwner) locked out, or more pushes than --max-pushes; 2 when preflight cannot run.
    """
    code = preflight_command.run(
        config=config,
        okta_url=okta_url,
        okta_token=okta_token,
        app_id=app_id,
        talend_api_url=talend_api_url,
        talend_api_token=talend_api_token,
        stack_outputs=stack_outputs,
        max_deactivations=max_deactivations,
        allow_mass_deactivation=allow_mass_deactivation,
        json_path=json_path,
        markdown_path=markdown_path,
        max_pushes=max_pushes,
        timeout=timeout,
    )
    raise typer.Exit(code)


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
    talend_api_url: TalendApiUrlOption = None,
    talend_api_token: Annotated[
        str | None,
        typer.Option(
            "--talend-api-token",
            envvar="TALEND_API_TOKEN",
            help="Talend token whose owner has SSO - Manage: an app sending CustomerRoles needs Talend's role "
            "mappings carried into groups[].talendRoles. Prefer the environment variable.",
            show_default=False,
        ),
    ] = None,
    timeout: TimeoutOption = 300.0,
) -> None:
    """Bring a Talend Cloud app built by hand under a stack, without re-creating it.

    Reads the app, its group assignments, push groups and provisioning from Okta (changes nothing there) and writes
    the stack config that describes them, with import ids so the first `pulumi up` adopts those Okta objects and
    only updates them in place. Prints what that `pulumi up` changes and whom it affects. Exit 0 when written (or
    when the stack already manages the app), 2 when adopt cannot run.
    """
    code = adoption.run(
        app_id=app_id,
        stack=stack,
        out=out,
        force=force,
        okta_url=okta_url,
        okta_token=okta_token,
        stack_outputs=stack_outputs,
        talend_api_url=talend_api_url,
        talend_api_token=talend_api_token,
        timeout=timeout,
    )
    raise typer.Exit(code)


@app.command("check-plan")
def check_plan(
    plan: Annotated[str, typer.Argument(metavar="PLAN", help="`pulumi preview --json` output; - for stdin.")],
    allow_unassign: Annotated[
        bool, typer.Option("--allow-unassign", help="List the steps that unassign people, but pass.")
    ] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            help="The stack config a dropped group is checked against (default: Pulumi.<stack>.yaml here, the "
            "stack named in the plan).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Refuse a Pulumi plan that unassigns people, before `pulumi up` carries it out.

    Names every step of the plan that deletes the Talend Cloud app or sets it INACTIVE, unassigns a person or a
    group (an assignment resource deleted or replaced, a group dropped), or switches off a To App feature, whatever
    caused it: a renamed resource, an upgrade that skipped its step, a value the plan does not show. A group the
    stack config no longer lists is declared: listed, not refused. Exit 0 when nothing else (or --allow-unassign),
    1 when refused, 2 when the plan or the stack config cannot be read. See docs/pull-requests.md.
    """
    raise typer.Exit(plan_check.run(plan, allow_unassign=allow_unassign, config=config))


@app.command()
def provision(
    stranded: Annotated[
        bool,
        typer.Option("--stranded", help="The people Okta never provisions: assigned before provisioning was on."),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List whom it would provision; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before changing Okta.")] = False,
    okta_url: OktaUrlOption = None,
    okta_token: OktaTokenOption = None,
    app_id: AppIdOption = None,
    scim_url: ScimUrlOption = None,
    scim_token: ScimTokenOption = None,
    stack_outputs: StackOutputsOption = None,
) -> None:
    """Provision the stranded people: assigned to the app before Okta's provisioning was on, never pushed.

    Okta has no API for the admin console's Provision User; this makes new assignments Okta provisions: a person
    assigned directly is unassigned and assigned again (same userName and app profile), a group whose members are
    all stranded is assigned again (same priority and profile); the rest are listed with the console steps. Only
    ACTIVE Okta users; refuses anyone Talend already holds; never changes a scope. Exit 0 when everyone is pushed or
    being pushed, 1 when anyone is still stranded, refused or without access, 2 when it could not run.
    See docs/provision.md.
    """
    code = provisioning.run(
        okta_url=okta_url,
        okta_token=okta_token,
        app_id=app_id,
        scim_url=scim_url,
        scim_token=scim_token,
        stack_outputs=stack_outputs,
        stranded=stranded,
        dry_run=dry_run,
        yes=yes,
    )
    raise typer.Exit(code)


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
    json_path: JsonOption = None,
    timeout: TimeoutOption = 60.0,
) -> None:
    """One person's path from Okta to Talend, step by step, with a verdict and the one fix.

    Reads about ten things, for that person only: the Okta user, the assignment, the username Okta sends, Okta's
    provisioning state and System Log, the Talend user and their roles. Exit 0 when the person is where the stack
    says they should be, 1 when not, 2 when explain cannot run.
    """
    code = explain_command.run(
        person,
        okta_url=okta_url,
        okta_token=okta_token,
        app_id=app_id,
        scim_url=scim_url,
        scim_token=scim_token,
        talend_api_url=talend_api_url,
        talend_api_token=talend_api_token,
        stack_outputs=stack_outputs,
        json_path=json_path,
        timeout=timeout,
    )
    raise typer.Exit(code)


@app.command()
def review(
    okta_url: OktaUrlOption = None,
    okta_token: OktaTokenOption = None,
    app_id: AppIdOption = None,
    scim_url: ScimUrlOption = None,
    scim_token: ScimTokenOption = None,
    talend_api_url: TalendApiUrlOption = None,
    talend_api_token: TalendApiTokenOption = None,
    stack_outputs: StackOutputsOption = None,
    since: Annotated[
        int, typer.Option(metavar="DAYS", help="Sign-ins read from Okta's System Log: 1 to 90 days back.")
    ] = 90,
    unused_days: Annotated[
        int | None,
        typer.Option(
            metavar="DAYS",
            help="Flag `unused` a seat held without a sign-in for this long. Default: 60, or --since if shorter.",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FLAG[,FLAG]",
            help="Exit 1 when anyone carries one of these flags: orphan, okta-inactive, direct, unused, stranded, "
            "push-failed, role-outside-mapping.",
            show_default=False,
        ),
    ] = None,
    report_format: Annotated[
        str | None,
        typer.Option(
            "--format", metavar="json|csv|markdown", help="Write the report in this format.", show_default=False
        ),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", metavar="FILE|-", help="Where to write it (- for stdout, the default).", show_default=False
        ),
    ] = None,
    timeout: TimeoutOption = 0.0,
) -> None:
    """The access review auditors ask for: who can reach Talend, why, with which roles, and who never signs in.

    Reads Okta's app users and groups, Talend's users and roles, the role mappings and Okta's System Log sign-ins
    to the app; changes nothing. One row per person in either system, with flags. Exit 0 with the report, 1 when a
    person carries a flag named by --fail-on, 2 when review cannot run. See docs/review.md.
    """
    code = review_command.run(
        okta_url=okta_url,
        okta_token=okta_token,
        app_id=app_id,
        scim_url=scim_url,
        scim_token=scim_token,
        talend_api_url=talend_api_url,
        talend_api_token=talend_api_token,
        stack_outputs=stack_outputs,
        since=since,
        unused_days=unused_days,
        fail_on=fail_on or [],
        report_format=report_format,
        output=output,
        timeout=timeout,
    )
    raise typer.Exit(code)
