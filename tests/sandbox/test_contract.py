"""The contract check (talend_okta_sandbox.contract): what it reports, what it exempts, and why each quirk is one."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from talend_okta_sandbox import contract
from talend_okta_sandbox.contract_quirks import OKTA_QUIRKS, RECORDING

RECORDINGS = contract.specs_dir().parent / "okta-recordings"
# A quirk of a list operation cites the recording of its single-object twin: both answer the same schema.
TWINS = {
    "listApplications": "getApplication",
    "listFeaturesForApplication": "getFeatureForApplication",
    "replaceApplication": "getApplication",
}


@cache
def broken_by(recording: str) -> set[tuple[str, str, str]]:
    """The (operation, field, keyword) rules of Okta's definition that one recording breaks, no quirk exempted."""
    strict = contract.Definition("Okta", contract.okta().documents)
    cassette = yaml.load((RECORDINGS / recording).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    broken: set[tuple[str, str, str]] = set()
    for interaction in cassette["interactions"]:
        request, response = interaction["request"], interaction["response"]
        url = urlsplit(request["url"])
        content_type = "".join((response.get("headers") or {}).get("Content-Type", ["application/json"]))
        _, violations = strict.check(
            request["method"],
            url.path,
            url.query,
            (request.get("body") or "").encode(),
            response["code"],
            (response.get("body") or "").encode(),
            content_type,
        )
        broken |= {v.key for v in violations}
    return broken


@pytest.mark.parametrize("quirk", [q for q in OKTA_QUIRKS if q.source.startswith(RECORDING)], ids=str)
def test_each_recorded_quirk_is_broken_by_its_recording(quirk: contract.Quirk) -> None:
    broken = broken_by(quirk.source.removeprefix(RECORDING))
    twin = TWINS.get(quirk.operation, quirk.operation)
    as_twin = (twin, quirk.field.replace("response.body[].", "response.body."), quirk.keyword)
    assert (quirk.operation, quirk.field, quirk.keyword) in broken or as_twin in broken


def test_a_violation_names_the_operation_the_field_and_the_rule() -> None:
    operation, violations = contract.okta().check("GET", "/api/v1/users/00u1/groups", "limit=200", b"", None)
    assert operation == "listUserGroups"
    assert [str(v) for v in violations] == [
        "Okta listUserGroups: query.limit: undeclared: the operation declares no such query parameter"
    ]


def test_response_bodies_and_statuses_are_checked() -> None:
    app_user = b'{"id": "00u1", "scope": "EVERYONE", "status": "ACTIVE"}'
    _, violations = contract.okta().check(
        "GET", "/api/v1/apps/0oa1/users/00u1", "", b"", 200, app_user, "application/json"
    )
    assert [v.key for v in violations] == [("getApplicationUser", "response.body.scope", "enum")]
    _, violations = contract.okta().check("GET", "/api/v1/apps/0oa1/users/00u1", "", b"", 418)
    assert [v.key for v in violations] == [("getApplicationUser", "status.418", "undeclared")]


def test_an_unknown_operation_is_a_violation() -> None:
    _, violations = contract.talend().check("PATCH", "/account/subscription", "", b"", None)
    assert [v.key for v in violations] == [("PATCH /account/subscription", "method", "undeclared")]
    _, violations = contract.okta().check("GET", "/api/v1/nothing-here", "", b"", None)
    assert [v.key for v in violations] == [("GET /api/v1/nothing-here", "path", "undeclared")]


def test_a_missing_definitions_folder_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(contract.SPECS_ENV, str(tmp_path / "nowhere"))
    with pytest.raises(contract.SpecsMissing) as missing:
        contract.load_document(contract.specs_dir() / contract.OKTA_FILES[0])
    assert "\n" not in str(missing.value)
    assert "nowhere" in str(missing.value)
