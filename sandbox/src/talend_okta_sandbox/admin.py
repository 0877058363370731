"""What an admin does by hand in the Okta Admin Console, against the running sandbox (`make sandbox`, the demo).

Okta offers no public API that switches SCIM provisioning on for a custom SAML app: an admin does it in the
console. These commands are those console actions for the sandbox (its `/sandbox/admin/` routes, not Okta's API):

    python -m talend_okta_sandbox.admin enable-scim --app-id 0oa… --base-url https://api.eu.cloud.talend.com/scim/v2
        General → App Settings → Provisioning = SCIM; Provisioning → Integration: SCIM connector base URL,
        HTTP Header authentication with the Talend token (TALEND_SCIM_TOKEN); Save.
    python -m talend_okta_sandbox.admin to-app --app-id 0oa… [--no-create] [--no-update] [--no-deactivate]
        Provisioning → To App → Edit: Create Users, Update User Attributes, Deactivate Users; Save.
    python -m talend_okta_sandbox.admin provision-user --app-id 0oa… --user ann@acme.example
        Assignments → People → the person's red exclamation → Provision User → OK: for someone assigned before
        provisioning was enabled, whom Okta never provisions on its own (Okta help: "Provision unprovisioned users").
    python -m talend_okta_sandbox.admin sign-in --app-id 0oa… --user ann@acme.example
        Not the admin's: the person opens the app from their Okta dashboard and Okta signs them in; the System Log
        records it (`user.authentication.sso`), which `talend-okta review` reads.

The sandbox is found through OKTA_ORG_URL and OKTA_API_TOKEN (what `make sandbox` prints); only loopback URLs.
"""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer

from talend_okta.http import is_loopback_url
from talend_okta.redact import Redactor
from talend_okta_sandbox.deploy import DeployError, OktaAdmin

cli = typer.Typer(
    name="talend_okta_sandbox.admin",
    help="Okta Admin Console actions on the local Okta sandbox.",
    add_completion=False,
    rich_markup_mode=None,  # plain help: typer's rich help shows switches as `<bool>` options
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

OktaUrl = Annotated[str, typer.Option("--okta-url", envvar="OKTA_ORG_URL", help="The sandbox's URL (loopback).")]
OktaToken = Annotated[
    str, typer.Option("--okta-token", envvar="OKTA_API_TOKEN", help="The sandbox's API token.", show_default=False)
]
AppId = Annotated[str, typer.Option("--app-id", envvar="TALEND_OKTA_APP_ID", help="The Talend app's id in Okta.")]


def _admin_call(
    okta_url: str, okta_token: str, path: str, body: dict[str, Any], secrets: list[str], *, user: str | None = None
) -> Any:
    """One PUT to the sandbox's admin routes (with `user`: `{user_id}` in `path` is that Okta user's id, looked up
    by id or login first); any problem is one line on stderr and exit code 2."""
    redact = Redactor([okta_token, *secrets])
    if not is_loopback_url(okta_url):
        _fail(f"--okta-url (OKTA_ORG_URL): only the local Okta sandbox, on a loopback address (got {okta_url!r})")
    try:
        with OktaAdmin(okta_url, okta_token) as okta:
            if user is not None:
                path = path.format(user_id=_user_id(okta, user))
            return okta.call("PUT", path, body)
    except DeployError as err:
        _fail(redact(str(err)))


def _user_id(okta: OktaAdmin, user: str) -> str:
    """An Okta user id as given, or the id of the user with this login."""
    if "@" not in user:
        return user
    escaped = user.replace("\\", "\\\\").replace('"', '\\"')
    found = okta.call("GET", "/api/v1/users", params={"search": f'profile.login eq "{escaped}"'}) or []
    if not found:
        _fail(f"--user: no Okta user with login {user!r}")
    return str(found[0]["id"])


def _fail(message: str) -> NoReturn:
    typer.echo(f"sandbox admin: error: {message}", err=True)
    raise typer.Exit(2)


@cli.command("enable-scim")
def enable_scim(
    app_id: AppId,
    base_url: Annotated[str, typer.Option("--base-url", help="SCIM connector base URL (Talend's SCIM API).")],
    okta_url: OktaUrl,
    okta_token: OktaToken,
    scim_token: Annotated[
        str,
        typer.Option(
            "--scim-token", envvar="TALEND_SCIM_TOKEN", help="The Talend personal access token.", show_default=False
        ),
    ],
) -> None:
    """Provisioning = SCIM, with the connector's base URL and the Talend token (HTTP Header); Save."""
    answer = _admin_call(
        okta_url,
        okta_token,
        f"/sandbox/admin/apps/{app_id}/provisioning",
        {"baseUrl": base_url, "token": scim_token},
        [scim_token],
    )
    typer.echo(f"App {app_id}: Provisioning = SCIM, base URL {base_url}, token set; features: {_features(answer)}")


@cli.command("to-app")
def to_app(
    app_id: AppId,
    okta_url: OktaUrl,
    okta_token: OktaToken,
    create: Annotated[bool, typer.Option("--create/--no-create", help="Create Users.")] = True,
    update: Annotated[bool, typer.Option("--update/--no-update", help="Update User Attributes.")] = True,
    deactivate: Annotated[bool, typer.Option("--deactivate/--no-deactivate", help="Deactivate Users.")] = True,
) -> None:
    """Provisioning → To App: Create Users, Update User Attributes, Deactivate Users; Save."""
    answer = _admin_call(
        okta_url,
        okta_token,
        f"/sandbox/admin/apps/{app_id}/to-app",
        {"create": create, "update": update, "deactivate": deactivate},
        [],
    )
    typer.echo(f"App {app_id}: To App saved; features: {_features(answer)}")


@cli.command("provision-user")
def provision_user(
    app_id: AppId,
    user: Annotated[str, typer.Option("--user", help="The person: Okta login or user id.")],
    okta_url: OktaUrl,
    okta_token: OktaToken,
) -> None:
    """Assignments → People → Provision User: push someone assigned before provisioning was enabled."""
    answer = _admin_call(
        okta_url, okta_token, f"/sandbox/admin/apps/{app_id}/users/{{user_id}}/provision", {}, [], user=user
    )
    user_name = (answer.get("credentials") or {}).get("userName") if isinstance(answer, dict) else None
    typer.echo(f"App {app_id}: Provision User {user} ({user_name}): Okta pushes them to Talend now")


@cli.command("sign-in")
def sign_in(
    app_id: AppId,
    user: Annotated[str, typer.Option("--user", help="The person: Okta login or user id.")],
    okta_url: OktaUrl,
    okta_token: OktaToken,
) -> None:
    """The person signs in to the app through Okta (recorded in the System Log as user.authentication.sso)."""
    answer = _admin_call(
        okta_url, okta_token, f"/sandbox/admin/apps/{app_id}/users/{{user_id}}/sign-in", {}, [], user=user
    )
    published = answer.get("published") if isinstance(answer, dict) else None
    typer.echo(f"App {app_id}: {user} signed in through Okta at {published}")


def _features(answer: Any) -> str:
    features = answer.get("features") if isinstance(answer, dict) else None
    return ", ".join(str(f) for f in features or []) or "none"


if __name__ == "__main__":
    cli()
