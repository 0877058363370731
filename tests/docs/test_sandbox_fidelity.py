"""The fidelity ledger (talend_okta_sandbox.fidelity): every behaviour the sandbox plays has a source, and
docs/sandbox-fidelity.md is what the ledger generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from talend_okta_sandbox import fidelity

PAGE = Path(__file__).resolve().parents[2] / "docs" / "sandbox-fidelity.md"


def test_every_route_state_change_push_and_refusal_has_a_source() -> None:
    missing = [f"{b.kind}: {b.name}" for b in fidelity.behaviours() if not b.source]
    assert missing == []


def test_no_ledger_entry_outlives_its_behaviour() -> None:
    names = {b.name for b in fidelity.behaviours()}
    stale = [key for key in fidelity.REFUSALS if key not in names]
    stale += [f"Org.{name}" for name in fidelity.STATE_CHANGES if f"Org.{name}" not in names]
    stale += [f"ScimClient.{name}" for name in fidelity.PUSHES if f"ScimClient.{name}" not in names]
    stale += [key for key in fidelity.OTHER_ROUTES if key not in names]
    stale += [key for key in fidelity.TALEND_REFUSALS if key not in names]
    assert stale == []


@pytest.mark.parametrize(
    "entry",
    [
        "OktaRoutes._delete_push_mapping: status: deactivate the group push mapping before deleting it",
        # the Okta authorization server's refusals, one through each way it raises them
        "AuthorizationServer._token: The following scopes are not granted to the client: {}",
        "AuthorizationServer._verify_proof: The DPoP proof jti was already used.",
        "AuthorizationServer.authorize: The access token provided does not contain the required scopes.",
    ],
)
def test_a_new_refusal_without_an_entry_is_found(monkeypatch: pytest.MonkeyPatch, entry: str) -> None:
    monkeypatch.delitem(fidelity.REFUSALS, entry)
    assert [b.name for b in fidelity.behaviours() if not b.source] == [entry]


def test_the_page_is_generated_from_the_ledger() -> None:
    """Change a behaviour or its source, run `python -m talend_okta_sandbox.fidelity > docs/sandbox-fidelity.md`."""
    assert PAGE.read_text(encoding="utf-8") == fidelity.render()


def test_a_new_talend_refusal_without_an_entry_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = "TalendRoleRoutes._role_mappings: 403 Access is denied: TMC_SSO_MANAGEMENT permission required"
    monkeypatch.delitem(fidelity.TALEND_REFUSALS, entry)
    assert [b.name for b in fidelity.behaviours() if not b.source] == [entry]


def test_the_token_endpoint_is_a_route_with_its_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(fidelity.OTHER_ROUTES, "POST /oauth2/v1/token")
    assert [b.name for b in fidelity.behaviours() if not b.source] == ["POST /oauth2/v1/token"]


def test_the_page_counts_the_inferred_behaviours() -> None:
    found = fidelity.behaviours()
    wholly = [b for b in found if b.source.startswith("inferred")]
    partly = [b for b in found if "inferred" in b.source and b not in wholly]
    line = f"Of {len(found)} behaviours, {len(wholly)} are *inferred* and {len(partly)} more are inferred in part."
    assert line in PAGE.read_text(encoding="utf-8").splitlines()
