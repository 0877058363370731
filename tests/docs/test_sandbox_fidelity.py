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
    assert stale == []


def test_a_new_refusal_without_an_entry_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    entry = "OktaRoutes._delete_push_mapping: status: deactivate the group push mapping before deleting it"
    monkeypatch.delitem(fidelity.REFUSALS, entry)
    assert [b.name for b in fidelity.behaviours() if not b.source] == [entry]


def test_the_page_is_generated_from_the_ledger() -> None:
    """Change a behaviour or its source, run `python -m talend_okta_sandbox.fidelity > docs/sandbox-fidelity.md`."""
    assert PAGE.read_text(encoding="utf-8") == fidelity.render()
