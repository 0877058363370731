"""No fragment of the Okta token in preflight's output or reports, even when Okta quotes part of it."""

from __future__ import annotations

import json

from tests.preflight.conftest import CANARY_TOKEN, Org
from tests.verify.conftest import token_fragments
from tests.verify.test_secrets import quoting


def test_preflight_reports_carry_no_fragment(org: Org) -> None:
    # An Okta whose data happens to quote part of the token (here, a group description is not read; a login is).
    leaky = org.okta.add_user(f"{CANARY_TOKEN[2:14]}@acme.com", f"{CANARY_TOKEN[2:14]}@acme.com")
    org.group("Talend Developers", leaky)
    org.config(["Talend Developers"])
    json_path, markdown_path = org.tmp / "preflight.json", org.tmp / "preflight.md"

    result = org.preflight("--json", str(json_path), "--markdown", str(markdown_path))

    assert result.exit_code == 0, result.stderr
    texts = [result.stdout, result.stderr, json_path.read_text(), markdown_path.read_text()]
    for text in texts:
        assert not any(fragment in text for fragment in token_fragments(CANARY_TOKEN)), text
    assert "[REDACTED]" in json_path.read_text()


def test_preflight_error_quoting_the_token_late_in_a_long_summary(org: Org) -> None:
    org.config(["Talend Developers"])
    body = json.dumps({"errorCode": "E0000001", "errorSummary": quoting(CANARY_TOKEN, 190)})
    org.okta.inject_fault("GET", r"/groups", 400, body=body)

    result = org.preflight()

    assert result.exit_code == 2
    assert "E0000001 The upstream" in result.stderr
    assert not any(fragment in result.stderr for fragment in token_fragments(CANARY_TOKEN))
