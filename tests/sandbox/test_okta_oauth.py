"""The sandbox's org authorization server, asked by hand (PyJWT proofs over real HTTP): what it answers a service
app's token requests and the API calls its tokens make."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from talend_okta_sandbox.okta import OktaSandbox
from talend_okta_sandbox.okta_oauth import ASSERTION_TYPE, KeyPair, generate_key_pair, required_scopes
from tests.conftest import sandbox_client

CLIENT = "0oasandboxservice1"
SCOPES = ("okta.groups.read", "okta.apps.read")


class Caller:
    """A service app speaking to the sandbox by hand: its key pair and its DPoP key."""

    def __init__(self, url: str, keys: KeyPair) -> None:
        self.url, self.keys = url, keys
        self.proof_key = ec.generate_private_key(ec.SECP256R1())
        self.jwk = jwt.algorithms.ECAlgorithm.to_jwk(self.proof_key.public_key(), as_dict=True)
        self.http = sandbox_client()

    def assertion(self, keys: KeyPair | None = None) -> str:
        now = int(time.time())
        claims = {"iss": CLIENT, "sub": CLIENT, "aud": self.url + "/oauth2/v1/token", "iat": now, "exp": now + 300}
        private = (keys or self.keys).private_pem
        return jwt.encode({**claims, "jti": str(uuid.uuid4())}, private, algorithm="RS256")

    def proof(self, method: str, url: str, nonce: str | None = None, token: str | None = None, **extra: Any) -> str:
        claims: dict[str, Any] = {"htm": method, "htu": url, "iat": int(time.time()), "jti": str(uuid.uuid4())}
        if nonce:
            claims["nonce"] = nonce
        if token:
            claims["ath"] = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()
        headers = {"typ": "dpop+jwt", "jwk": self.jwk}
        return jwt.encode(claims | extra, self.proof_key, algorithm="ES256", headers=headers)

    def ask_token(
        self, proof: str | None = None, scopes: tuple[str, ...] = SCOPES, keys: KeyPair | None = None
    ) -> httpx.Response:
        form = {
            "grant_type": "client_credentials",
            "scope": " ".join(scopes),
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(keys),
        }
        return self.http.post(self.url + "/oauth2/v1/token", data=form, headers={"DPoP": proof} if proof else {})

    def token(self) -> str:
        nonce = self.ask_token(self.proof("POST", self.url + "/oauth2/v1/token")).headers["DPoP-Nonce"]
        answer = self.ask_token(self.proof("POST", self.url + "/oauth2/v1/token", nonce))
        assert answer.status_code == 200, answer.text
        return str(answer.json()["access_token"])

    def get(self, path: str, token: str, proof: str | None = None, scheme: str = "DPoP") -> httpx.Response:
        proof = proof or self.proof("GET", self.url + path, token=token)
        return self.http.get(self.url + path, headers={"Authorization": f"{scheme} {token}", "DPoP": proof})


@pytest.fixture
def caller() -> Iterator[Caller]:
    okta = OktaSandbox("ssws-sandbox-token")
    keys = generate_key_pair()
    okta.register_service_app(CLIENT, keys.public_pem, SCOPES, key_id=keys.key_id)
    with okta.serve() as url:
        yield Caller(url, keys)


def test_dpop_token_request_needs_a_proof_then_okta_s_nonce(caller: Caller) -> None:
    missing = caller.ask_token()
    assert (missing.status_code, missing.json()["error"]) == (400, "invalid_dpop_proof")
    assert missing.json()["error_description"] == "The DPoP proof JWT header is missing."

    no_nonce = caller.ask_token(caller.proof("POST", caller.url + "/oauth2/v1/token"))
    assert (no_nonce.status_code, no_nonce.json()["error"]) == (400, "use_dpop_nonce")
    nonce = no_nonce.headers["DPoP-Nonce"]

    granted = caller.ask_token(caller.proof("POST", caller.url + "/oauth2/v1/token", nonce))
    assert granted.status_code == 200
    assert (granted.json()["token_type"], granted.json()["expires_in"]) == ("DPoP", 3600)


def test_a_client_assertion_signed_with_another_key_is_invalid_client(caller: Caller) -> None:
    answer = caller.ask_token(caller.proof("POST", caller.url + "/oauth2/v1/token"), keys=generate_key_pair())
    assert answer.status_code == 401
    assert answer.json() == {
        "error": "invalid_client",
        "error_description": "The client_assertion signature is invalid.",
    }


def test_a_scope_not_granted_is_invalid_scope_naming_it(caller: Caller) -> None:
    answer = caller.ask_token(scopes=(*SCOPES, "okta.logs.read"))
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_scope")
    assert "okta.logs.read" in answer.json()["error_description"]


def test_api_calls_need_a_fresh_proof_bound_to_the_token(caller: Caller) -> None:
    token = caller.token()
    path = "/api/v1/groups"
    assert caller.get(path, token).status_code == 200

    def refused(response: httpx.Response) -> str:
        assert response.status_code == 401
        return response.headers["WWW-Authenticate"]

    assert 'error="invalid_dpop_proof"' in refused(caller.get(path, token, caller.proof("GET", caller.url + path)))
    replayed = caller.proof("GET", caller.url + path, token=token)
    assert caller.get(path, token, replayed).status_code == 200
    assert "already used" in refused(caller.get(path, token, replayed))
    stranger = Caller(caller.url, caller.keys)  # another DPoP key than the token's
    assert "not the token" in refused(stranger.get(path, token))
    assert 'error="invalid_token"' in refused(caller.get(path, token, scheme="Bearer"))
    assert "htu" in refused(caller.get(path, token, caller.proof("GET", caller.url + "/api/v1/users", token=token)))


def test_a_call_beyond_the_granted_scopes_is_403_insufficient_scope(caller: Caller) -> None:
    token = caller.token()
    answer = caller.get("/api/v1/logs", token)
    assert answer.status_code == 403
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge.startswith("DPoP ")
    assert 'scope="okta.logs.read"' in challenge
    assert 'error="insufficient_scope"' in challenge


def test_scopes_follow_okta_s_definition() -> None:
    assert required_scopes("GET", "/api/v1/apps/0oa1/users") == ("okta.apps.read",)
    assert required_scopes("POST", "/api/v1/apps/0oa1/users/00u1") == ("okta.apps.manage",)
    assert required_scopes("GET", "/api/v1/apps/0oa1/group-push/mappings") == ("okta.apps.read", "okta.groups.read")
    assert required_scopes("GET", "/api/v1/logs") == ("okta.logs.read",)
    assert required_scopes("GET", "/.well-known/okta-organization") == ()


def test_an_app_without_dpop_gets_a_bearer_token() -> None:
    keys = generate_key_pair()
    okta = OktaSandbox("ssws-sandbox-token")
    okta.register_service_app(CLIENT, keys.public_pem, SCOPES, dpop=False)
    with okta.serve() as url:
        plain = Caller(url, keys)
        answer = plain.ask_token()
        assert (answer.status_code, answer.json()["token_type"]) == (200, "Bearer")
        token = answer.json()["access_token"]
        listed = plain.http.get(url + "/api/v1/groups", headers={"Authorization": f"Bearer {token}"})
        assert listed.status_code == 200


def test_token_parameters_in_the_query_string_are_read_as_okta_s_go_sdk_v5_sends_them(caller: Caller) -> None:
    """pulumi-resource-okta 6.8.0 (Okta's Go SDK v5) posts its client credentials in the query string, body empty."""
    form = {
        "grant_type": "client_credentials",
        "scope": " ".join(SCOPES),
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": caller.assertion(),
    }
    token_url = caller.url + "/oauth2/v1/token"
    nonce = caller.http.post(token_url, params=form, headers={"DPoP": caller.proof("POST", token_url)})
    assert (nonce.status_code, nonce.json()["error"]) == (400, "use_dpop_nonce")
    form["client_assertion"] = caller.assertion()
    proof = caller.proof("POST", token_url, nonce.headers["DPoP-Nonce"])
    granted = caller.http.post(token_url, params=form, headers={"DPoP": proof})
    assert (granted.status_code, granted.json()["token_type"]) == (200, "DPoP")


def test_a_client_assertion_without_jti_is_accepted(caller: Caller) -> None:
    """RFC 7523 §3: jti is optional; Okta's Go SDK v4 (in the Okta provider) sends none."""
    now = int(time.time())
    claims = {"iss": CLIENT, "sub": CLIENT, "aud": caller.url + "/oauth2/v1/token", "iat": now, "exp": now + 300}
    form = {
        "grant_type": "client_credentials",
        "scope": " ".join(SCOPES),
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": jwt.encode(claims, caller.keys.private_pem, algorithm="RS256"),
    }
    answer = caller.http.post(caller.url + "/oauth2/v1/token", data=form)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_dpop_proof")  # past the client check
