"""The role-mapping provider as the Pulumi engine runs it: Pulumi's own dynamic-provider process (`python -m
pulumi.dynamic`), spoken to over gRPC with the serialized provider in `__provider`, against the Talend stand-in.

This is the engine's side of the contract without the engine: the pickled provider must load in a fresh process,
and Check, Diff, Create, Read (a refresh), Update and Delete must answer as `pulumi up` / `preview --refresh` expect.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2 as proto
from pulumi.runtime.proto import provider_pb2_grpc

from talend_okta.role_mapping import RoleMappingProvider
from talend_okta_sandbox.talend import RunningTalend
from tests.roles.conftest import ADMIN_TOKEN

URN = "urn:pulumi:dev::talend-okta::talend-okta:index:TalendCloudApp$pulumi-python:dynamic/talend:RoleMappings::x"
DEVS = {"name": "Talend Developers", "roles": ["Integration Developer"]}


@pytest.fixture
def provider_process(talend: RunningTalend) -> Iterator[provider_pb2_grpc.ResourceProviderStub]:
    """Pulumi's provider process, started as the engine starts it (with the CLI's environment: here a sandbox's
    TALEND_API_URL) and configured with a sandbox stack's config, as the engine configures it."""
    env = {**os.environ, "PULUMI_PROJECT": "talend-okta", "TALEND_API_URL": talend.api_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "pulumi.dynamic"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            config = {"talend-okta:region": "us", "okta:httpProxy": "http://127.0.0.1:1"}
            stub.Configure(proto.ConfigureRequest(args=struct(config), acceptSecrets=True))
            yield stub
    finally:
        process.kill()
        process.wait(timeout=10)


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    # A loop of its own, as Pulumi's provider process does: asyncio.run() would unset the thread's current loop,
    # which the mock-runtime tests of the program rely on.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(values, {}))
    finally:
        loop.close()


def plain(values: struct_pb2.Struct) -> dict[str, Any]:
    return {k: v for k, v in rpc.deserialize_properties(values).items() if k != "__provider"}


def props(talend: RunningTalend, *mappings: dict[str, Any]) -> dict[str, Any]:
    provider = serialize_provider(RoleMappingProvider())
    return {"__provider": provider, "apiUrl": talend.api_url, "apiToken": ADMIN_TOKEN, "mappings": list(mappings)}


def test_lifecycle_through_pulumis_provider_process(
    provider_process: provider_pb2_grpc.ResourceProviderStub, talend: RunningTalend
) -> None:
    stub = provider_process
    declared = props(talend, DEVS)
    checked = stub.Check(proto.CheckRequest(urn=URN, olds=struct({}), news=struct(declared)))
    assert list(checked.failures) == []

    created = stub.Create(proto.CreateRequest(urn=URN, properties=checked.inputs))
    assert created.id == f"{talend.api_url}/security/role-mappings"
    assert talend.roles.snapshot() == {"Talend Developers": ["Integration Developer"]}
    state = plain(created.properties)
    assert state["mappings"] == [DEVS]

    # `pulumi preview --refresh`: Read returns what Talend holds, then Diff against the program's inputs.
    talend.roles.set_mapping("Talend Developers", ["Security Administrator"])
    read = stub.Read(proto.ReadRequest(id=created.id, urn=URN, properties=created.properties, inputs=checked.inputs))
    assert plain(read.properties)["mappings"] == [{"name": "Talend Developers", "roles": ["Security Administrator"]}]
    diff = stub.Diff(proto.DiffRequest(id=created.id, urn=URN, olds=read.properties, news=checked.inputs))
    assert diff.changes == proto.DiffResponse.DIFF_SOME
    assert list(diff.replaces) == []

    # `pulumi up` repairs it; then nothing to do.
    updated = stub.Update(proto.UpdateRequest(id=created.id, urn=URN, olds=read.properties, news=checked.inputs))
    assert talend.roles.snapshot() == {"Talend Developers": ["Integration Developer"]}
    again = stub.Diff(proto.DiffRequest(id=created.id, urn=URN, olds=updated.properties, news=checked.inputs))
    assert again.changes == proto.DiffResponse.DIFF_NONE

    stub.Delete(proto.DeleteRequest(id=created.id, urn=URN, properties=updated.properties))
    assert talend.roles.snapshot() == {}


def test_unknown_role_fails_create_without_the_token(
    provider_process: provider_pb2_grpc.ResourceProviderStub, talend: RunningTalend
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        provider_process.Create(
            proto.CreateRequest(urn=URN, properties=struct(props(talend, {"name": "A", "roles": ["Root"]})))
        )
    details = raised.value.details()  # type: ignore[attr-defined]
    assert "RoleMappingError: talendRoles: Talend has no role named 'Root'; the tenant's roles are: " in details
    assert ADMIN_TOKEN not in details
    assert talend.roles.writes == 0
