"""Run the real `stack/` program as Pulumi does, under Pulumi's mock runtime (no engine, no CLI, no Okta)."""

from __future__ import annotations

import pathlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

PROJECT = "talend-okta"  # must equal `name:` in Pulumi.yaml
STACK_DIR = pathlib.Path(__file__).parents[2] / "stack"
CANARY_TOKEN = "canary-talend-pat-6f1d2c"


SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")  # Pulumi's secret wrapper


def unwrap_secret(value: Any) -> tuple[Any, bool]:
    """A mock input as (plain value, whether Pulumi marked it secret)."""
    if isinstance(value, dict) and value.get(SECRET_SIG[0]) == SECRET_SIG[1]:
        return value["value"], True
    return value, False


def group_id(name: str) -> str:
    return "00g" + "".join(c for c in name.lower() if c.isalnum())


class OktaMocks(pulumi.runtime.Mocks):
    """Answers resource registrations with their inputs (plus what Okta computes) and group look-ups by name."""

    def __init__(self) -> None:
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self.group_reads: list[str] = []  # the `search` expression of each okta.get_groups
        # The org's groups as (name, type); None: every name asked for is one Okta group (id from `group_id`).
        self.okta_groups: list[tuple[str, str]] | None = None

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append(args)
        state = dict(args.inputs)
        resource_id = f"{args.name}-id"
        if args.typ == "okta:app/saml:Saml":
            resource_id = args.resource_id or "0oa-talend"  # an imported app keeps its id
            state["metadataUrl"] = f"https://acme.okta.com/api/v1/apps/{resource_id}/sso/saml/metadata"
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        if args.token == "okta:index/getGroups:getGroups":
            search = str(args.args["search"])
            self.group_reads.append(search)
            quoted = re.findall(r'profile\.name eq "((?:[^"\\]|\\.)*)"', search)
            names = [re.sub(r"\\(.)", r"\1", name) for name in quoted]
            listed = self.okta_groups if self.okta_groups is not None else [(name, "OKTA_GROUP") for name in names]
            # Okta's `eq` on a string ignores case (listUsers' `search` says so; inferred for groups).
            asked = {name.casefold() for name in names}
            found = [(name, kind) for name, kind in listed if not asked or name.casefold() in asked]
            if 'type eq "OKTA_GROUP"' in search:
                found = [(name, kind) for name, kind in found if kind == "OKTA_GROUP"]
            groups = []
            for i, (name, kind) in enumerate(found):
                repeated = (name, kind) in found[:i]  # two groups of one name: two ids
                groups.append({"id": group_id(name) + (str(i) if repeated else ""), "name": name, "type": kind})
            return {"id": "groups", "search": search, "groups": groups}
        raise NotImplementedError(args.token)


class RecordingMonitor(MockMonitor):
    """The mock engine, also keeping the aliases and resource hooks each registration carried (the mocks only see
    inputs); the hooks are what the engine would run around the resource's create, update or delete."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.aliases: dict[str, list[Any]] = {}  # resource name → the alias specs sent to the engine
        self.additional_secret_outputs: dict[str, list[str]] = {}  # resource name → outputs the engine must encrypt
        self.hooks: dict[str, dict[str, list[str]]] = {}  # resource name → hook type → names of the bound hooks
        self.dependencies: dict[str, list[str]] = {}  # resource name → URNs it depends on (depends_on and inputs)

    def RegisterResource(self, request: Any) -> Any:
        self.aliases[request.name] = list(request.aliases)
        self.additional_secret_outputs[request.name] = list(request.additionalSecretOutputs)
        self.dependencies[request.name] = list(request.dependencies)
        self.hooks[request.name] = {
            field.name: list(names) for field, names in request.hooks.ListFields() if field.name != "on_error"
        }
        return super().RegisterResource(request)

    def alias_urns(self, name: str) -> list[str]:
        """The URNs the engine would look for in state for this resource, as it resolves alias specs."""
        (urn,) = [u for u in self.resources if u.endswith(f"::{name}")]
        return [alias.urn or _resolve_alias(urn, alias.spec) for alias in self.aliases[name]]


def _resolve_alias(urn: str, spec: Any) -> str:
    """An alias spec as a URN: every field left empty keeps the resource's own (pulumi's Alias semantics)."""
    stack, project, qualified_type, name = urn.removeprefix("urn:pulumi:").split("::", 3)
    *parent_types, own_type = qualified_type.split("$")
    if spec.noParent:
        parent_types = []
    elif spec.parentUrn:  # the stack itself is left out of its children's types
        parent_type = spec.parentUrn.split("::")[2]
        parent_types = [] if parent_type == "pulumi:pulumi:Stack" else parent_type.split("$")
    types = "$".join([*parent_types, spec.type or own_type])
    return f"urn:pulumi:{spec.stack or stack}::{spec.project or project}::{types}::{spec.name or name}"


@dataclass
class StackRun:
    """What one run of the program declared: resources (type, name, camelCase inputs, options) and exports."""

    mocks: OktaMocks
    monitor: RecordingMonitor
    outputs: dict[str, Any] = field(default_factory=dict)
    secret_outputs: set[str] = field(default_factory=set)
    namespace: dict[str, Any] = field(default_factory=dict)

    def urns(self) -> list[str]:
        return list(self.monitor.resources)

    def of_type(self, typ: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.mocks.resources if r.typ == typ]

    def one(self, typ: str) -> pulumi.runtime.MockResourceArgs:
        found = self.of_type(typ)
        assert len(found) == 1, f"expected one {typ}, got {[r.name for r in found]}"
        return found[0]


def base_config(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "region": "eu",
        "domainName": "acme.eu.cloud.talend.com",
        "scimToken": CANARY_TOKEN,
    }
    config.update(overrides)
    return config


RunStack = Callable[..., StackRun]
