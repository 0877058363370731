"""A wrong setting stops the program with one line naming the key and what is allowed; nothing is registered."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from tests.stack.harness import CANARY_TOKEN, RunStack, StackRun, base_config

CASES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown region", base_config(region="us-east"), "talend-okta:region: must be one of us, eu, ap, au, us-west"),
    (
        "priority 0",  # Okta's highest, but the provider never sends 0: it would silently become Okta's choice
        base_config(groups=[{"name": "A", "priority": 0}]),
        "talend-okta:groups[0].priority: must be a whole number from 1 (highest) to 100, or left out to let Okta",
    ),
    (
        "priority above 100",
        base_config(groups=[{"name": "A", "priority": 101}]),
        "talend-okta:groups[0].priority: must be a whole number from 1 (highest) to 100",
    ),
    ("region missing", {"domainName": "acme", "scimToken": "t"}, "talend-okta:region: required setting is missing"),
    ("unknown key", base_config(scimUrl="https://x"), "talend-okta:scimUrl: unknown setting; allowed here: region,"),
    ("empty domainName", base_config(domainName=" "), "talend-okta:domainName: must not be empty"),
    ("missing domainName", {"region": "eu", "scimToken": "t"}, "talend-okta:domainName: required setting is missing"),
    ("quote in domainName", base_config(domainName='acme"x'), "talend-okta:domainName: must not contain quotes"),
    (
        "misspelled key",  # not "domainName: required setting is missing": the key it meant is named
        {"region": "eu", "domainNme": "acme.eu.cloud.talend.com", "scimToken": "t"},
        "talend-okta:domainNme: unknown setting; did you mean domainName? (allowed here: region, accountId,",
    ),
    (
        "email as domainName",
        base_config(domainName="acme@example.com"),
        "talend-okta:domainName: must be a domain name like acme.eu.cloud.talend.com (letters, digits and '-' in "
        "labels separated by dots) (got 'acme@example.com')",
    ),
    (
        "URL as domainName",
        base_config(domainName="https://acme.eu.cloud.talend.com"),
        "talend-okta:domainName: must be a domain name like acme.eu.cloud.talend.com",
    ),
    ("token missing", {"region": "eu", "domainName": "acme"}, "talend-okta:scimToken: required setting is missing"),
    ("empty token", base_config(scimToken=" "), "talend-okta:scimToken: must not be empty"),
    (
        "talendTokenOwner with a space",
        base_config(talendTokenOwner="svc talend@acme.com"),
        "talend-okta:talendTokenOwner: must be one email, like svc-talend@acme.com, or a Talend userName",
    ),
    ("two emails as talendTokenOwner", base_config(talendTokenOwner="a@b@c"), "talend-okta:talendTokenOwner: must be"),
    ("bad accountId", base_config(accountId="acme/eu"), "talend-okta:accountId: must be letters, digits, '-' or '_'"),
    ("accountId with space", base_config(accountId="a b"), "talend-okta:accountId: must be letters, digits"),
    (
        "duplicate group",
        base_config(groups=[{"name": "Talend Devs"}, {"name": "talend devs", "push": True}]),
        "talend-okta:groups: group 'talend devs' is listed twice",
    ),
    ("blank group name", base_config(groups=[{"name": "  "}]), "talend-okta:groups[0].name: must not be blank"),
    (
        "unknown group key",
        base_config(groups=[{"name": "A", "pushed": True}]),
        "talend-okta:groups[0].pushed: unknown setting; did you mean push? (allowed here: name, push, priority,",
    ),
    (
        "blank former name",
        base_config(groups=[{"name": "A", "formerNames": ["Old", " "]}]),
        "talend-okta:groups[0].formerNames: must not contain a blank name",
    ),
    (
        "former name is the group's own",
        base_config(groups=[{"name": "A"}, {"name": "Talend Devs", "formerNames": [" Talend Devs"]}]),
        "talend-okta:groups[1].formerNames: 'Talend Devs' is the group's own name; list only names it had",
    ),
    (
        "former name of two groups",
        base_config(groups=[{"name": "A", "formerNames": ["Old"]}, {"name": "B", "formerNames": ["old"]}]),
        "talend-okta:groups[1].formerNames: 'old' is also listed for 'A'; a former name belongs to one group, once",
    ),
    (
        "former name listed twice",
        base_config(groups=[{"name": "A", "formerNames": ["Old", "Old"]}]),
        "talend-okta:groups[0].formerNames: 'Old' is listed twice",
    ),
    (
        "former name of another configured group",
        base_config(groups=[{"name": "Talend Ops"}, {"name": "B", "formerNames": ["talend ops"]}]),
        "talend-okta:groups[1].formerNames: 'talend ops' is the name of another configured group, 'Talend Ops'",
    ),
    (
        "former name of a later group",
        base_config(groups=[{"name": "A", "formerNames": ["B"]}, {"name": "B"}]),
        "talend-okta:groups[0].formerNames: 'B' is the name of another configured group, 'B'",
    ),
    (
        "formerNames not a list",
        base_config(groups=[{"name": "A", "formerNames": "Old"}]),
        "talend-okta:groups[0].formerNames: Input should be a valid list",
    ),
    ("bad push value", base_config(groups=[{"name": "A", "push": "maybe"}]), "talend-okta:groups[0].push: "),
    ("negative priority", base_config(groups=[{"name": "A", "priority": -1}]), "talend-okta:groups[0].priority: "),
    ("groups not a list", base_config(groups={"name": "A"}), "talend-okta:groups: Input should be a valid list"),
    (
        "unknown provisioning key",
        base_config(provisioning={"deactivate": False}),
        "talend-okta:provisioning.deactivate: unknown setting; did you mean deactivateUsers? (allowed here: manage,",
    ),
    ("bad provisioning flag", base_config(provisioning={"manage": "sometimes"}), "talend-okta:provisioning.manage: "),
    ("empty label", base_config(appLabel=""), "talend-okta:appLabel: "),
    # Roles (groups[].talendRoles, talendApiToken)
    (
        "empty role list",
        base_config(groups=[{"name": "A", "talendRoles": []}]),
        "talend-okta:groups[0].talendRoles: must name at least one Talend role; leave talendRoles out",
    ),
    (
        "unknown roles key",
        base_config(groups=[{"name": "A", "talendRole": ["Operator"]}]),
        "talend-okta:groups[0].talendRole: unknown setting; did you mean talendRoles? (allowed here: name, push, "
        "priority, formerNames, talendRoles)",
    ),
    (
        "blank role",
        base_config(groups=[{"name": "A", "talendRoles": ["Operator", " "]}]),
        "talend-okta:groups[0].talendRoles: must not contain a blank role name",
    ),
    (
        "roles not a list",
        base_config(groups=[{"name": "A", "talendRoles": "Operator"}]),
        "talend-okta:groups[0].talendRoles: Input should be a valid list",
    ),
    (
        "comma in a role group's name",
        base_config(groups=[{"name": "Dev, Ops", "talendRoles": ["Operator"]}]),
        "talend-okta:groups[0].talendRoles: a group whose name contains ',' cannot be a customer role",
    ),
    ("empty talendApiToken", base_config(talendApiToken=" "), "talend-okta:talendApiToken: must not be empty"),
]


@pytest.mark.parametrize(("config", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_setting_stops_before_any_resource(
    run_stack: RunStack, runs: list[StackRun], config: dict[str, Any], message: str
) -> None:
    with pytest.raises(pulumi.RunError) as raised:
        run_stack(config)
    text = str(raised.value)
    assert text.startswith(message), text
    assert "\n" not in text
    assert CANARY_TOKEN not in text
    assert runs[-1].mocks.resources == []
    assert runs[-1].mocks.group_reads == []


def test_malformed_json_groups_names_the_key(run_stack: RunStack) -> None:
    config = base_config()
    config["groups"] = "[{name: oops"  # what a hand-edited stack file may hold
    with pytest.raises(pulumi.RunError, match=r"^talend-okta:groups: Input should be a valid list"):
        run_stack(config)


def test_an_okta_token_okta_rejects_is_one_line_before_any_resource(run_stack: RunStack, runs: list[StackRun]) -> None:
    """Without this, every group look-up the Okta provider makes fails with the token, each with a traceback."""
    from talend_okta_sandbox.okta import OktaSandbox

    rejected = "00Zq8Vw3Kp7Lm2Xn5Rt"  # no 8-character run in common with the message
    sandbox = OktaSandbox("the-token-okta-accepts")
    with sandbox.serve() as okta_url, pytest.raises(pulumi.RunError) as raised:
        run_stack(base_config(groups=[{"name": "Talend Developers"}]), {"httpProxy": okta_url, "apiToken": rejected})
    text = str(raised.value)
    assert text.startswith(f"Okta at {okta_url} rejected the API token (okta:apiToken or OKTA_API_TOKEN): "), text
    assert "\n" not in text
    assert rejected not in text
    assert runs[-1].mocks.resources == []
    assert runs[-1].mocks.group_reads == []
