"""Pulumi.yaml and the example stack agree with the program's settings model."""

from __future__ import annotations

import pathlib
from typing import Any

import yaml

from talend_okta.settings import NAMESPACE, StackSettings, load_settings
from tests.stack.harness import PROJECT

ROOT = pathlib.Path(__file__).parents[2]


def _project() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())  # type: ignore[no-any-return]


def test_project_runs_stack_dir_with_python() -> None:
    project = _project()
    assert project["name"] == PROJECT == NAMESPACE
    assert project["runtime"]["name"] == "python"
    assert project["main"].rstrip("/") == "stack"
    assert (ROOT / project["main"] / "__main__.py").is_file()


def test_config_schema_matches_settings_model() -> None:
    schema = _project()["config"]
    fields = {field.alias or name: field for name, field in StackSettings.model_fields.items()}
    for key, entry in schema.items():
        assert key in fields, f"Pulumi.yaml declares {key}, which the program does not read"
        assert entry["type"] == "string"
        assert entry["description"]
    assert schema["scimToken"]["secret"] is True
    assert schema["appLabel"]["default"] == fields["appLabel"].default
    assert schema["accountId"]["default"] == ""  # empty = single-tenant, read as no account ID
    required = {key for key, f in fields.items() if f.is_required()}
    assert {key for key, entry in schema.items() if "default" not in entry} == required


def test_example_stack_is_valid_and_holds_no_secret() -> None:
    stack = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    raw = {key.removeprefix(f"{NAMESPACE}:"): value for key, value in stack.items() if key.startswith(f"{NAMESPACE}:")}
    assert "scimToken" not in raw
    assert "okta:apiToken" not in stack
    settings = load_settings({**raw, "scimToken": "set-with-pulumi-config-set-secret"})
    assert settings.region == "eu"
    assert [g.name for g in settings.groups] == ["Talend Developers", "Talend Operators"]
