"""Stack outputs for verify after a failed `pulumi up`.

When an update fails, Pulumi may save no stack outputs (on a first deploy there are none at all:
pulumi/pulumi#16289), yet verify has to run then to list what remains by hand. This fills in the outputs verify
reads that are missing: the app id from the state (`pulumi stack export`), the Okta org, the SCIM base URL and the
provisioning switches from the stack config. Outputs Pulumi did save are kept as they are.

    pulumi stack output --json > stack-outputs.json
    pulumi stack export | python -m talend_okta.stack_state --config Pulumi.dev.yaml --outputs stack-outputs.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import typer

from talend_okta.settings import SettingsError
from talend_okta.spec import app_spec, stack_outputs
from talend_okta.stack_files import StackConfig, read_stack_config

SAML_APP = "okta:app/saml:Saml"


FROM_CONFIG = ("appId", "appLabel", "scimBaseUrl", "provisioning", "roleMappings", "oktaOrgUrl")
"""The outputs verify reads, known without a deployment (and the app id from the state)."""


def missing_outputs(state: Mapping[str, Any], config: StackConfig) -> dict[str, Any]:
    """What the program would have exported, from the state (`pulumi stack export`) and the stack config."""
    resources = state.get("deployment", {}).get("resources") or []
    app_ids = [r.get("id") for r in resources if isinstance(r, dict) and r.get("type") == SAML_APP and r.get("id")]
    outputs = stack_outputs(
        app_spec(config.settings),
        app_id=app_ids[0] if len(app_ids) == 1 else None,  # none: the app itself was not created
        metadata_url=None,
        assigned_groups=None,
        pushed_groups=None,
        okta_org_url=config.okta_org_url,
    )
    return {key: value for key, value in outputs.items() if key in FROM_CONFIG and value not in (None, {})}


cli = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)


@cli.command()
def main(
    config: Annotated[Path, typer.Option("--config", metavar="FILE", help="The stack config, e.g. Pulumi.dev.yaml.")],
    outputs: Annotated[
        Path, typer.Option("--outputs", metavar="FILE", help="`pulumi stack output --json`, completed in place.")
    ],
) -> None:
    """Complete the stack outputs file with what verify needs, from `pulumi stack export` on stdin."""
    try:
        saved = json.loads(outputs.read_text(encoding="utf-8") or "{}")
        state = json.loads(sys.stdin.read())
        if not isinstance(saved, dict) or not isinstance(state, dict):
            raise ValueError("expected JSON objects")
        completed = missing_outputs(state, read_stack_config(config)) | saved
        outputs.write_text(json.dumps(completed, indent=2) + "\n", encoding="utf-8")
    except (OSError, ValueError, SettingsError) as err:
        typer.echo(f"talend_okta.stack_state: error: {err}", err=True)
        raise typer.Exit(2) from None


if __name__ == "__main__":
    cli()
