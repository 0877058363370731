"""Okta credentials: an API token (SSWS) or an OAuth 2.0 service app (`private_key_jwt`, DPoP-bound tokens).

The settings have the Okta provider's names (terraform-provider-okta 6.12.0, okta/config/config.go):
`okta:apiToken` (OKTA_API_TOKEN), or `okta:clientId`, `okta:privateKey`, `okta:privateKeyId`, `okta:scopes`
(OKTA_API_CLIENT_ID, OKTA_API_PRIVATE_KEY, OKTA_API_PRIVATE_KEY_ID, OKTA_API_SCOPES comma-separated).
`okta_credentials` reads them for every caller: the CLI, the program's hook and its dynamic providers.

A service app's token is asked for as Okta's Go SDK asks (vendored in terraform-provider-okta 6.12.0,
sdk/v2_requestExecutor.go; Okta guides "Implement OAuth for Okta with a service app" and "Configure DPoP"):
a client-credentials request signed with the private key; an app that requires DPoP answers `invalid_dpop_proof`,
then the request carries a DPoP proof, Okta answers `use_dpop_nonce` with a `DPoP-Nonce` header, and the proof is
sent again with that nonce. API calls then carry `Authorization: DPoP <token>` and a fresh proof with `ath`.
One token per service app and org serves the whole process (`session`), renewed a minute before it expires.
The tokens are handed to each client's redactor, so no message can show them; the private key is only signed with.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import SecretStr

from talend_okta.http import ApiAuthError, InputError, ScopeMissing, SigningAuth, www_authenticate
from talend_okta.redact import Redactor

API_TOKEN = "okta:apiToken (OKTA_API_TOKEN)"
CLIENT_ID = "okta:clientId (OKTA_API_CLIENT_ID)"
PRIVATE_KEY = "okta:privateKey (OKTA_API_PRIVATE_KEY)"
PRIVATE_KEY_ID = "okta:privateKeyId (OKTA_API_PRIVATE_KEY_ID)"
SCOPES = "okta:scopes (OKTA_API_SCOPES)"
SETTINGS = {  # config key → environment variable, as the provider reads them
    "okta:apiToken": "OKTA_API_TOKEN",
    "okta:clientId": "OKTA_API_CLIENT_ID",
    "okta:privateKey": "OKTA_API_PRIVATE_KEY",
    "okta:privateKeyId": "OKTA_API_PRIVATE_KEY_ID",
    "okta:scopes": "OKTA_API_SCOPES",
}
TOKEN_PATH = "/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 300  # seconds; Okta accepts up to an hour
RENEW_BEFORE = 60.0  # seconds before expiry a token is renewed
TOKEN_ROUNDS = 4  # token requests per renewal: plain, with a proof, with Okta's nonce, and one spare nonce


@dataclass(frozen=True)
class ServiceApp:
    """An Okta OAuth 2.0 service app: its client id, private key (PEM), key id and the scopes to ask for."""

    client_id: str
    private_key: SecretStr = field(repr=False)
    private_key_id: str | None
    scopes: tuple[str, ...]

    def signing_key(self) -> tuple[Any, str]:
        """(key, JWS algorithm): RS256 for RSA keys, ES256 for P-256 keys, as Okta's Go SDK signs."""
        pem = self.private_key.get_secret_value().replace("\\n", "\n").strip().encode()
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError):
            raise InputError(
                f"{PRIVATE_KEY}: not an unencrypted PEM private key (PKCS#1 or PKCS#8, RSA or EC P-256)"
            ) from None
        if isinstance(key, rsa.RSAPrivateKey):
            return key, "RS256"
        if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
            return key, "ES256"
        raise InputError(f"{PRIVATE_KEY}: an RSA or EC P-256 key is needed (got {type(key).__name__})")


OktaCredentials = SecretStr | ServiceApp
"""How the product signs in to Okta: an API token (SSWS) or a service app."""


def okta_credentials(config: Mapping[str, Any], environ: Mapping[str, str]) -> OktaCredentials | None:
    """The Okta provider's credentials from `config` (okta:* keys), else the environment; None when neither has any.
    Both an API token and a service app is one `InputError`, as the provider refuses it."""

    def setting(key: str) -> str:
        value = config.get(key) or environ.get(SETTINGS[key]) or ""
        return value.strip() if isinstance(value, str) else json.dumps(value)

    token, client_id, key = setting("okta:apiToken"), setting("okta:clientId"), setting("okta:privateKey")
    if token and (client_id or key):
        raise InputError(f"set either {API_TOKEN} or a service app ({CLIENT_ID}, {PRIVATE_KEY}), not both")
    if token:
        return SecretStr(token)
    if not (client_id or key):
        return None
    if not (client_id and key):
        raise InputError(f"missing {PRIVATE_KEY if client_id else CLIENT_ID}: a service app needs both")
    scopes = _scopes(setting("okta:scopes"))
    if not scopes:
        raise InputError(f"missing {SCOPES}: the Okta API scopes granted to the service app, e.g. okta.apps.read")
    app = ServiceApp(client_id, SecretStr(key), setting("okta:privateKeyId") or None, scopes)
    app.signing_key()  # a bad key is bad input now, not a failed request later
    return app


def _scopes(text: str) -> tuple[str, ...]:
    """okta:scopes is a list (JSON text in config); OKTA_API_SCOPES is comma-separated, as the provider splits it."""
    if text.startswith("["):
        try:
            values = json.loads(text)
        except json.JSONDecodeError:
            raise InputError(f"{SCOPES}: a list of scope names (got text that is not a list)") from None
    else:
        values = text.split(",")
    return tuple(dict.fromkeys(str(value).strip() for value in values if str(value).strip()))


def describe(credentials: OktaCredentials) -> str:
    """What signs in, for messages: never a secret."""
    return "the API token" if isinstance(credentials, SecretStr) else f"service app {credentials.client_id}"


class TokenRefused(ApiAuthError):
    """Okta's token endpoint refused the service app; the message names the setting to check."""


def token_hint(err: ApiAuthError) -> str:
    """What to check when Okta rejects the credentials; a service app's refusals already name the setting."""
    if isinstance(err, TokenRefused | ScopeMissing):
        return ""
    return "; check --okta-token (OKTA_API_TOKEN), an Okta API token"


@dataclass
class _Token:
    value: str
    dpop: bool  # token_type DPoP: every call carries a proof
    expires_at: float


class ServiceAppAuth(SigningAuth):
    """httpx auth for a service app: fetches and renews the token, signs each request (and its DPoP proof)."""

    requires_response_body = True

    def __init__(self, org_url: str, app: ServiceApp, clock: Callable[[], float] = time.time) -> None:
        self.org_url = org_url.rstrip("/")
        self.app = app
        self.clock = clock
        self.token_requests = 0  # token endpoint requests so far (tests and benchmarks read it)
        self._key, self._alg = app.signing_key()
        self._proof_key = ec.generate_private_key(ec.SECP256R1())  # the key DPoP binds the token to
        self._proof_jwk = jwt.algorithms.ECAlgorithm.to_jwk(self._proof_key.public_key(), as_dict=True)
        self._token: _Token | None = None
        self._nonce: str | None = None
        self._dpop = False  # learned from Okta's invalid_dpop_proof; later renewals start with a proof
        self._lock = threading.Lock()  # one token fetch at a time; other threads wait for it
        self._redact = Redactor()  # for this session's own messages
        self._redactors: list[Redactor] = [self._redact]

    def share_secrets(self, redactor: Redactor) -> None:
        """Mask every token this session gets in `redactor`'s text from now on. The private key is never put in
        text (only signed with), so it is not handed over: masking its 1,700 characters by 8-character runs would
        make every message cost a tenth of a second."""
        redactor.add(self._token.value if self._token else None)
        self._redactors.append(redactor)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = yield from self._current_token()
        if isinstance(token, httpx.Response):
            return  # the token endpoint's 5xx or 429 is this request's answer: the client retries it as any other
        self._sign(request, token)
        response = yield request
        if token.dpop and _dpop_error(response) == "use_dpop_nonce" and response.headers.get("DPoP-Nonce"):
            self._nonce = response.headers["DPoP-Nonce"]
            self._sign(request, token)
            yield request

    def _sign(self, request: httpx.Request, token: _Token) -> None:
        if not token.dpop:
            request.headers["Authorization"] = f"Bearer {token.value}"
            return
        request.headers["Authorization"] = f"DPoP {token.value}"
        request.headers["DPoP"] = self._proof(request.method, request.url, token.value)

    def _current_token(self) -> Generator[httpx.Request, httpx.Response, _Token | httpx.Response]:
        with self._lock:
            if self._token is None or self._token.expires_at - RENEW_BEFORE <= self.clock():
                fetched = yield from self._fetch_token()
                if isinstance(fetched, httpx.Response):
                    return fetched
                self._token = fetched
                for redactor in self._redactors:
                    redactor.add(self._token.value)
            return self._token

    def _fetch_token(self) -> Generator[httpx.Request, httpx.Response, _Token | httpx.Response]:
        """A new token, or the token endpoint's answer when it is one to retry (5xx, 429)."""
        for _ in range(TOKEN_ROUNDS):
            self.token_requests += 1
            response = yield self._token_request()
            if response.is_success:
                return self._parse_token(response)
            if response.status_code >= 500 or response.status_code == 429:
                return response
            error, description = _oauth_error(response)
            if error == "invalid_dpop_proof" and not self._dpop:
                self._dpop = True  # the app requires DPoP (Okta's default for new service apps)
                continue
            if error == "use_dpop_nonce" and self._dpop and response.headers.get("DPoP-Nonce"):
                self._nonce = response.headers["DPoP-Nonce"]
                continue
            raise self._refused(response.status_code, error, description)
        raise self._refused(400, "use_dpop_nonce", f"no usable nonce after {TOKEN_ROUNDS} token requests")

    def _token_request(self) -> httpx.Request:
        url = self.org_url + TOKEN_PATH
        now = int(self.clock())
        claims = {
            "iss": self.app.client_id,
            "sub": self.app.client_id,
            "aud": url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.app.private_key_id} if self.app.private_key_id else None
        form = {
            "grant_type": "client_credentials",
            "scope": " ".join(self.app.scopes),
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": jwt.encode(claims, self._key, algorithm=self._alg, headers=headers),
        }
        extra = {"DPoP": self._proof("POST", httpx.URL(url))} if self._dpop else {}
        return httpx.Request("POST", url, data=form, headers={"Accept": "application/json", **extra})

    def _proof(self, method: str, url: httpx.URL, access_token: str | None = None) -> str:
        """A DPoP proof (RFC 9449 §4.2): this request's method and URL (no query), Okta's nonce, the token's hash."""
        claims: dict[str, Any] = {
            "htm": method,
            "htu": str(url.copy_with(query=None, fragment=None)),
            "iat": int(self.clock()),
            "jti": str(uuid.uuid4()),
        }
        if self._nonce:
            claims["nonce"] = self._nonce
        if access_token is not None:
            claims["ath"] = access_token_hash(access_token)
        headers = {"typ": "dpop+jwt", "jwk": self._proof_jwk}
        return jwt.encode(claims, self._proof_key, algorithm="ES256", headers=headers)

    def _parse_token(self, response: httpx.Response) -> _Token:
        try:
            body = response.json()
            value, token_type = str(body["access_token"]), str(body.get("token_type", "Bearer"))
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError):
            raise self._refused(response.status_code, "", "a token answer without access_token") from None
        return _Token(value, token_type.lower() == "dpop", self.clock() + lifetime)

    def _refused(self, status: int, error: str, description: str) -> TokenRefused:
        hints = {
            "invalid_client": f"Okta checks the client assertion with the public key registered on the app: check "
            f"{PRIVATE_KEY} and {PRIVATE_KEY_ID}, and {CLIENT_ID}",
            "invalid_scope": f"grant the scope to the service app (Okta API Scopes tab) or drop it from {SCOPES}",
        }
        why = ": ".join(part for part in (error, description) if part) or f"HTTP {status}"
        hint = hints.get(error, f"check {CLIENT_ID}, {PRIVATE_KEY} and {SCOPES}")
        text = self._redact(f"Okta refused a token for service app {self.app.client_id} ({why}); {hint}")
        return TokenRefused(text, "Okta", status, error or None)


def access_token_hash(token: str) -> str:
    """DPoP's `ath`: base64url SHA-256 of the access token, unpadded (RFC 9449 §4.2)."""
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode("ascii")).digest()).rstrip(b"=").decode()


def _oauth_error(response: httpx.Response) -> tuple[str, str]:
    """(error, error_description) of an OAuth error answer (RFC 6749 §5.2); Okta's long text is cut."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return str(body.get("error") or ""), " ".join(str(body.get("error_description") or "").split())[:200]


def _dpop_error(response: httpx.Response) -> str:
    """The `error` of a resource server's `WWW-Authenticate: DPoP ...` challenge (RFC 9449 §7.1), or ""."""
    return www_authenticate(response).get("error", "") if response.status_code == 401 else ""


_SESSIONS: dict[tuple[str, ServiceApp], ServiceAppAuth] = {}
_SESSIONS_LOCK = threading.Lock()


def session(org_url: str, app: ServiceApp) -> ServiceAppAuth:
    """The process's one token session for `app` at `org_url`: every client of a run shares its token."""
    key = (org_url.rstrip("/").lower(), app)
    with _SESSIONS_LOCK:
        if key not in _SESSIONS:
            _SESSIONS[key] = ServiceAppAuth(org_url, app)
        return _SESSIONS[key]


def request_auth(org_url: str, credentials: str | OktaCredentials) -> tuple[str, str] | ServiceAppAuth:
    """How a client signs its Okta requests: `SSWS <API token>`, or the service app's shared session."""
    if isinstance(credentials, ServiceApp):
        return session(org_url, credentials)
    return "SSWS", credentials.get_secret_value() if isinstance(credentials, SecretStr) else credentials
