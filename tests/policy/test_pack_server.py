"""The policy pack as the Pulumi CLI runs it: `python -m pulumi.policy <engine> .` in `policy/`, spoken to over gRPC.

This is the real wire path (Pulumi's secret markers in a protobuf Struct, the SDK's Analyze and Remediate), so it
proves the pack starts with its sibling module, registers every policy, and makes a plaintext token secret.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc

from talend_okta.definition import EMAIL_PREFIX_TEMPLATE, NAME_ID_TEMPLATE
from tests.policy.test_policies import CONNECTION, SAML, TOKEN, connection_props, saml_props, secret

POLICY_DIR = Path(__file__).parents[2] / "policy"


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    process = subprocess.Popen(
        [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:1", "."],  # the engine address is never dialled
        cwd=POLICY_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        port = _first_line(process, timeout=60)
        assert port.isdigit(), port + (process.stderr.read() if process.stderr and process.poll() is not None else "")
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.kill()
        process.wait(timeout=10)


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(timeout)
    return line[0].strip() if line else "no port within the timeout"


def request(typ: str, props: dict[str, Any]) -> proto.AnalyzeRequest:
    properties = struct_pb2.Struct()
    json_format.ParseDict(props, properties)
    return proto.AnalyzeRequest(type=typ, properties=properties, urn=f"urn:pulumi:dev::talend-okta::{typ}::r", name="r")


def test_the_pack_registers_every_policy(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "talend-okta-guardrails"
    levels = {p.name: proto.EnforcementLevel.Name(p.enforcementLevel) for p in info.policies}
    assert levels == {
        "talend-username-email-prefix": "MANDATORY",
        "talend-name-id-not-email-prefix": "MANDATORY",
        "talend-scim-base-url": "MANDATORY",
        "talend-scim-token-secret": "REMEDIATE",
        "okta-group-assignments-non-authoritative": "MANDATORY",
    }


def test_the_talend_app_passes(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    response = analyzer.Analyze(request(SAML, saml_props()))
    assert list(response.diagnostics) == []


def test_a_wrong_app_is_blocked(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    props = saml_props(userNameTemplate="${source.login}", subjectNameIdTemplate=None)
    response = analyzer.Analyze(request(SAML, props))
    found = {(d.policyName, proto.EnforcementLevel.Name(d.enforcementLevel)) for d in response.diagnostics}
    assert found == {
        ("talend-username-email-prefix", "MANDATORY"),
        ("talend-name-id-not-email-prefix", "MANDATORY"),
    }
    assert all(EMAIL_PREFIX_TEMPLATE in d.message or NAME_ID_TEMPLATE in d.message for d in response.diagnostics)


def test_a_plaintext_token_is_made_secret(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    props = connection_props(profile={"authScheme": "TOKEN", "token": TOKEN})

    response = analyzer.Remediate(request(CONNECTION, props))

    (remediation,) = response.remediations
    assert remediation.policyName == "talend-scim-token-secret"
    fixed = json_format.MessageToDict(remediation.properties)
    assert fixed["profile"] == {"authScheme": "TOKEN", "token": secret(TOKEN)}
    assert fixed["baseUrl"] == props["baseUrl"]


def test_a_secret_token_is_left_alone(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    response = analyzer.Remediate(request(CONNECTION, connection_props()))
    assert list(response.remediations) == []
