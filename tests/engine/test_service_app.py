"""`pulumi up` with an Okta OAuth 2.0 service app instead of an API token: the real Okta provider, the program's
assignment and push-group resources and its hook all sign in through the sandbox's `/oauth2/v1/token` (private
key JWT, DPoP with Okta's nonce), and neither the key nor a token reaches the output or the state."""

from __future__ import annotations

from talend_okta_sandbox.demo import DEVELOPERS, OPERATORS
from talend_okta_sandbox.okta_oauth import generate_key_pair
from tests.engine.harness import PulumiProject
from tests.engine.test_deploy import Org, configure
from tests.engine.test_deploy import org as org  # the fixture

CLIENT_ID = "0oaengineservice01"
SCOPES = ["okta.apps.manage", "okta.groups.manage"]


def test_up_as_a_dpop_service_app(project: PulumiProject, org: Org) -> None:
    keys = generate_key_pair()
    org.sandbox.register_service_app(CLIENT_ID, keys.public_pem, SCOPES, key_id=keys.key_id)
    configure(project, org)
    project.run("config", "rm", "okta:apiToken")
    project.set_config({"okta:clientId": CLIENT_ID, "okta:privateKeyId": keys.key_id, "okta:scopes": SCOPES})
    project.set_secret("okta:privateKey", keys.private_pem)

    up = project.run("up", "--yes", "--skip-preview")

    (app,) = org.talend_apps()
    assignments = {g["id"] for g in org.get(f"/api/v1/apps/{app['id']}/groups")}
    assert assignments == {org.group_ids[DEVELOPERS], org.group_ids[OPERATORS]}
    mappings = org.get(f"/api/v1/apps/{app['id']}/group-push/mappings")
    assert [m["sourceGroupId"] for m in mappings] == [org.group_ids[DEVELOPERS]]
    assert org.sandbox.oauth.issued >= 1
    state = project.run("stack", "export").output  # secrets stay ciphertext, as in any state
    body = "".join(line for line in keys.private_pem.splitlines() if "-----" not in line)
    for text in (up.output, state):
        assert body[100:140] not in "".join(text.split())
        assert not any(token[:16] in text for token in org.sandbox.oauth._tokens)
