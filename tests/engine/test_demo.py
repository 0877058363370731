"""`make demo` with the engine built: every deploy is the real `pulumi up` (tests/sandbox/test_demo.py runs the demo
without the engine, over the Okta API)."""

from __future__ import annotations

from pathlib import Path

from talend_okta_sandbox.engine import ENGINE_BIN, missing_engine
from tests.sandbox.test_demo import OKTA_CANARY, TALEND_CANARY, demo_env, run_the_demo


def test_the_demo_deploys_with_the_real_pulumi_up_when_the_engine_is_built(tmp_path: Path) -> None:
    """`make demo` builds the engine first wherever Go is (CI too), so this never skips: a missing engine fails."""
    assert not missing_engine(), f"the engine is not built in {ENGINE_BIN}: run `make engine`"
    output = run_the_demo(tmp_path / "sandbox", demo_env(), timeout=600)
    assert "Deploys run with the real `pulumi up` (make engine)." in output
    assert "$ pulumi up --yes --skip-preview" in output
    # The first run: Okta refuses the To App features of a custom SAML app; the assignments and push groups wait.
    assert "okta:app:Features talend-to-app" in output
    assert "✓ user-sync: 8/8 assigned users active in Talend" in output
    assert "error: no changes were expected for preview but changes were proposed" in output  # the drift check
    assert "Repaired: Talend maps Talend Developers as the stack declares." in output
    assert "Every step behaved as expected." in output
    assert OKTA_CANARY not in output
    assert TALEND_CANARY not in output
