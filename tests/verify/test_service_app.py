"""An Okta OAuth 2.0 service app instead of an API token: the client against the sandbox's token endpoint (real HTTP
on loopback), and verify's command line with the Okta provider's environment variables."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from talend_okta.http import InputError, ScopeMissing
from talend_okta.okta_api import LogEvent, OktaClient
from talend_okta.okta_auth import ServiceApp, ServiceAppAuth, TokenRefused, okta_credentials
from talend_okta.redact import Redactor
from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_oauth import KeyPair, generate_key_pair
from tests.conftest import ServeSandbox
from tests.verify.conftest import World

READ = ("okta.apps.read", "okta.groups.read", "okta.users.read")
CLIENT_ID = "0oaservice0canary1"


@pytest.fixture(scope="module")
def keys() -> KeyPair:
    return generate_key_pair()


@pytest.fixture
def org(serve_sandbox: ServeSandbox, keys: KeyPair) -> tuple[OktaSandbox, str]:
    served = serve_sandbox("ssws-unused-token", "talend-unused")
    served.okta.register_service_app(CLIENT_ID, keys.public_pem, READ, key_id=keys.key_id)
    return served.okta, served.okta_url


def app(keys: KeyPair, scopes: tuple[str, ...] = READ, pem: str | None = None) -> ServiceApp:
    return ServiceApp(CLIENT_ID, SecretStr(pem or keys.private_pem), keys.key_id, scopes)


def token_calls(okta: OktaSandbox) -> list[str]:
    return [path for _, path in okta.requests if path.startswith("/oauth2/")]


def test_dpop_nonce_round_trip_then_one_token_serves_every_client(org: tuple[OktaSandbox, str], keys: KeyPair) -> None:
    okta, url = org
    group = okta.add_group("Devs")
    service_app = app(keys)
    with OktaClient(url, service_app) as first:
        assert first.get_group(group).profile.name == "Devs"
    with OktaClient(url, service_app) as second:
        assert second.find_group("Devs") is not None
    # Okta's Go SDK order: plain request (invalid_dpop_proof), a proof (use_dpop_nonce), the proof with the nonce.
    assert token_calls(okta) == ["/oauth2/v1/token"] * 3
    assert okta.oauth.issued == 1


def test_the_token_is_renewed_a_minute_before_it_expires(org: tuple[OktaSandbox, str], keys: KeyPair) -> None:
    okta, url = org
    now = [1_900_000_000.0]
    okta.oauth.clock = lambda: now[0]
    auth = ServiceAppAuth(url, app(keys), clock=lambda: now[0])
    group = okta.add_group("Devs")
    with OktaClient(url, app(keys)) as client:
        client._api._client.auth = auth  # this test's clock
        client.get_group(group)
        now[0] += 3600 - 61  # still a minute and a second left: the same token
        client.get_group(group)
        assert okta.oauth.issued == 1
        now[0] += 2  # under a minute left: a new one, before Okta would refuse the old
        client.get_group(group)
    assert okta.oauth.issued == 2
    assert auth.token_requests == 4  # 3 the first time; the DPoP nonce is known the second


def test_a_tampered_key_is_refused_in_one_line_naming_the_key(org: tuple[OktaSandbox, str], keys: KeyPair) -> None:
    _okta, url = org
    other = generate_key_pair()
    with pytest.raises(TokenRefused) as raised, OktaClient(url, app(keys, pem=other.private_pem)) as client:
        client.get_app("0oa1")
    message = str(raised.value)
    assert "invalid_client" in message
    assert "okta:privateKey (OKTA_API_PRIVATE_KEY)" in message
    assert "public key registered on the app" in message
    assert "\n" not in message
    assert not _fragments(other.private_pem) & _fragments(message)


def test_a_scope_not_granted_is_refused_naming_it(org: tuple[OktaSandbox, str], keys: KeyPair) -> None:
    _okta, url = org
    with pytest.raises(TokenRefused) as raised, OktaClient(url, app(keys, (*READ, "okta.logs.read"))) as client:
        client.get_app("0oa1")
    assert "invalid_scope" in str(raised.value)
    assert "okta.logs.read" in str(raised.value)
    assert "okta:scopes (OKTA_API_SCOPES)" in str(raised.value)


def test_a_call_the_token_has_no_scope_for_names_the_scope(org: tuple[OktaSandbox, str], keys: KeyPair) -> None:
    okta, url = org
    redactor = Redactor()
    with pytest.raises(ScopeMissing) as raised, OktaClient(url, app(keys), redactor=redactor) as client:
        client._iter("/api/v1/logs", {}, LogEvent).__next__()
    assert raised.value.status == 403
    assert "the token lacks okta.logs.read" in str(raised.value)
    (token,) = okta.oauth._tokens
    assert redactor(f"x {token[5:30]} y") == "x [REDACTED] y"  # the client's redactor knows the token it got


def test_okta_credentials_read_the_providers_names_config_first() -> None:
    env = {"OKTA_API_CLIENT_ID": "0oaEnv", "OKTA_API_PRIVATE_KEY": "pem", "OKTA_API_SCOPES": "a,b"}
    keys = generate_key_pair()
    config = {"okta:clientId": "0oaConfig", "okta:privateKey": keys.private_pem, "okta:scopes": '["okta.apps.read"]'}
    chosen = okta_credentials(config, env)
    assert isinstance(chosen, ServiceApp)
    assert (chosen.client_id, chosen.scopes) == ("0oaConfig", ("okta.apps.read",))
    from_env = okta_credentials({}, {**env, "OKTA_API_PRIVATE_KEY": keys.private_pem.replace("\n", "\\n")})
    assert isinstance(from_env, ServiceApp)
    assert from_env.scopes == ("a", "b")
    assert okta_credentials({}, {"OKTA_API_TOKEN": "t0ken"}) == SecretStr("t0ken")
    assert okta_credentials({}, {}) is None
    assert keys.private_pem not in repr(chosen)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OKTA_API_TOKEN": "t", "OKTA_API_CLIENT_ID": "c"}, "set either okta:apiToken (OKTA_API_TOKEN) or a service"),
        ({"OKTA_API_CLIENT_ID": "c"}, "missing okta:privateKey (OKTA_API_PRIVATE_KEY): a service app needs both"),
        ({"OKTA_API_PRIVATE_KEY": "k"}, "missing okta:clientId (OKTA_API_CLIENT_ID): a service app needs both"),
        ({"OKTA_API_CLIENT_ID": "c", "OKTA_API_PRIVATE_KEY": "k"}, "missing okta:scopes (OKTA_API_SCOPES)"),
        (
            {"OKTA_API_CLIENT_ID": "c", "OKTA_API_PRIVATE_KEY": "not-a-key-canary", "OKTA_API_SCOPES": "s"},
            "okta:privateKey (OKTA_API_PRIVATE_KEY): not an unencrypted PEM private key",
        ),
    ],
)
def test_bad_service_app_settings_are_one_line(environ: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as raised:
        okta_credentials({}, environ)
    assert str(raised.value).startswith(message)
    assert "canary" not in str(raised.value)


# --- verify's command line -------------------------------------------------------------------------------------


def service_app_env(keys: KeyPair, scopes: str = ",".join(READ)) -> dict[str, str | None]:
    return {
        "OKTA_API_TOKEN": None,
        "OKTA_API_CLIENT_ID": CLIENT_ID,
        "OKTA_API_PRIVATE_KEY": keys.private_pem,
        "OKTA_API_PRIVATE_KEY_ID": keys.key_id,
        "OKTA_API_SCOPES": scopes,
    }


def test_verify_signs_in_as_a_service_app(world: World, keys: KeyPair) -> None:
    world.okta.register_service_app(CLIENT_ID, keys.public_pem, READ, key_id=keys.key_id)
    world.person("alice")
    world.okta.sync()

    run = world.run(env=service_app_env(keys))  # type: ignore[arg-type]

    assert run.exit_code == 0, run.stderr
    assert run.report is not None
    assert run.report["users"]["in_sync"] == 1
    assert world.okta.oauth.issued == 1
    tokens = list(world.okta.oauth._tokens)
    assert not any(token[:8] in run.output for token in tokens)
    assert not _fragments(keys.private_pem) & _fragments(run.output)


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        ("key", "okta:privateKey (OKTA_API_PRIVATE_KEY)"),
        ("scope", "okta.logs.read"),  # asked for, not granted: Okta's token endpoint refuses
        ("unasked", "the token lacks okta.groups.read"),  # granted, not asked for: the API call is refused
    ],
)
def test_verify_with_a_tampered_key_or_a_scope_not_granted_exits_2(
    world: World, keys: KeyPair, tamper: str, named: str
) -> None:
    world.okta.register_service_app(CLIENT_ID, keys.public_pem, READ, key_id=keys.key_id)
    other = generate_key_pair()
    env = service_app_env(other if tamper == "key" else keys)
    if tamper == "scope":
        env["OKTA_API_SCOPES"] = ",".join((*READ, "okta.logs.read"))
    if tamper == "unasked":
        env["OKTA_API_SCOPES"] = "okta.apps.read,okta.users.read"

    run = world.run(env=env)  # type: ignore[arg-type]

    assert run.exit_code == 2
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1, run.stderr
    assert named in run.stderr
    assert "Traceback" not in run.stderr
    assert not _fragments(other.private_pem) & _fragments(run.stderr)


def _fragments(text: str, size: int = 12) -> set[str]:
    """Every run of `size` characters, whitespace removed: what a leak of part of a secret would share."""
    flat = "".join(line.strip() for line in text.splitlines() if "-----" not in line)
    return {flat[i : i + size] for i in range(len(flat) - size + 1)}


def test_a_token_endpoint_5xx_is_retried_like_any_answer(
    org: tuple[OktaSandbox, str], keys: KeyPair, instant_retries: None
) -> None:
    okta, url = org
    group = okta.add_group("Devs")
    okta.inject_fault("POST", r"^/oauth2/v1/token$", 503, times=2)
    with OktaClient(url, app(keys)) as client:
        assert client.get_group(group).profile.name == "Devs"
    assert token_calls(okta) == ["/oauth2/v1/token"] * 5  # two 503s, then the DPoP round trip
    assert okta.oauth.issued == 1
