"""Preflight follows Okta's `Link: rel="next"` pages when the org URL is spelled differently from Okta's links."""

from __future__ import annotations

import json

from tests.preflight.conftest import Org


def test_preflight_follows_okta_pages_when_the_org_url_is_spelled_differently(org: Org) -> None:
    members = org.people("acme.com", *(f"user{number:03d}" for number in range(201)))  # two pages of members
    org.group("Talend Developers", *members)
    org.config(["Talend Developers"])

    result = org.preflight("--json", "-", env={"OKTA_ORG_URL": org.url.replace("http://", "HTTP://") + "/"})

    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["created"]) == 201
