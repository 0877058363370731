"""Okta's org authorization server for OAuth 2.0 service apps: `/oauth2/v1/token` and the API calls its tokens make.

A service app is registered with its public key and the Okta API scopes granted to it (`register`). The token
endpoint takes client credentials with a `private_key_jwt` client assertion and, for an app that requires DPoP (the
default for new service apps), a DPoP proof with Okta's nonce; API calls then carry `Authorization: DPoP <token>`
and a fresh proof bound to the token (`ath`). Every behaviour below names its source or says it is inferred.
Sources: Okta guides "Implement OAuth for Okta with a service app" and "Configure OAuth 2.0 Demonstrating
Proof-of-Possession" (summarised in ../shared/reference/okta.md, "OAuth 2.0 service apps"); RFC 6749 (OAuth 2.0),
RFC 7523 (JWT client assertions), RFC 9449 (DPoP); Okta's Management API definition
(../shared/api-specs/okta-management-2026.06.3.yaml: each operation's oauth2 scopes); the Okta support article
"'insufficient_scope' Error when Making a Request to an OAuth or Management Endpoint"; and the client Okta's Go SDK
implements (terraform-provider-okta 6.12.0, sdk/v2_requestExecutor.go).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from talend_okta_sandbox.okta_http import Request, Response

JSON = dict[str, Any]
TOKEN_PATH = "/oauth2/v1/token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME = 3600  # Source: Okta service app guide, access tokens of the org authorization server last an hour
PROOF_ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512"]
# Source: Okta's definition, AuthorizationServerMetadata.dpop_signing_alg_values_supported.
ASSERTION_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"]
# Source: Okta service app guide (a JWK key pair, RSA or EC) and RFC 7523 §3; Okta's Go SDK signs RS256/ES256.
PROOF_MAX_AGE = 300  # seconds; Inferred: RFC 9449 §11.1 leaves the window to the server, Okta does not publish it


class OAuthRefused(Exception):
    """An answer the token endpoint or a resource gives instead of serving the request."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _token_error(status: int, error: str, description: str, headers: Iterable[tuple[str, str]] = ()) -> OAuthRefused:
    # Source: RFC 6749 §5.2, the error body Okta's token endpoint answers ({"error", "error_description"}).
    body = {"error": error, "error_description": description}
    return OAuthRefused(Response(status, body, [("Cache-Control", "no-store"), *headers]))


def _resource_error(status: int, scheme: str, error: str, description: str, **extra: str) -> OAuthRefused:
    # Source: Okta support, "insufficient_scope" article: Okta's challenge names realm, scope, error, description
    # and resource in `WWW-Authenticate`; RFC 9449 §7.1 for the DPoP scheme's invalid_dpop_proof / use_dpop_nonce.
    params = {**extra, "error": error, "error_description": description}
    challenge = f"{scheme} " + ", ".join(f'{name}="{value}"' for name, value in params.items())
    # Inferred: the body is Okta's E0000011/E0000006 error, as for an API token Okta refuses.
    code, summary = ("E0000006", "You do not have permission to perform the requested action")
    if status == 401:
        code, summary = ("E0000011", "Invalid token provided")
    body = {"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "sandbox", "errorCauses": []}
    return OAuthRefused(Response(status, body, [("WWW-Authenticate", challenge)]))


@dataclass
class ServiceApp:
    """A registered service app: its client id, the public key of its key pair, and its granted scopes."""

    client_id: str
    public_key: Any  # a cryptography public key
    key_id: str | None
    scopes: frozenset[str]
    dpop: bool = True  # Source: Okta DPoP guide: "Require DPoP" is on by default for new service apps


@dataclass
class _Token:
    client_id: str
    scopes: frozenset[str]
    jkt: str | None  # the DPoP key's thumbprint the token is bound to (RFC 9449 §6)
    expires_at: float


def required_scopes(method: str, path: str) -> tuple[str, ...]:
    """The scopes an Okta API call needs: `okta.<family>.read` to read (`.manage` also reads), `.manage` to write.
    Source: Okta's definition, each operation's oauth2 security scopes (push mappings need both the apps and the
    groups scope); Okta support, "insufficient_scope": /api/v1/groups takes okta.groups.read or okta.groups.manage."""
    # Source: Okta's definition (okta-management-2026.06.3.yaml), each operation's `security: oauth2` scopes.
    parts = path.split("/")  # "", "api", "v1", family, …
    family = parts[3] if len(parts) > 3 else ""
    known: dict[str, tuple[str, ...]] = {
        "apps": ("apps",),
        "groups": ("groups",),
        "users": ("users",),
        "logs": ("logs",),
    }
    families = known.get(family, ())
    if family == "apps" and "group-push" in parts:
        families = ("apps", "groups")
    action = "read" if method in ("GET", "HEAD") else "manage"
    return tuple(f"okta.{name}.{action}" for name in families)


def _granted(scopes: frozenset[str], needed: str) -> bool:
    # Source: Okta support, "insufficient_scope": okta.groups.read or okta.groups.manage reads groups.
    return needed in scopes or (needed.endswith(".read") and needed.removesuffix(".read") + ".manage" in scopes)


class AuthorizationServer:
    """The org authorization server: registered service apps, the tokens it issued, its current DPoP nonce."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._apps: dict[str, ServiceApp] = {}
        self._tokens: dict[str, _Token] = {}
        self._used_jtis: set[str] = set()
        self._nonce = secrets.token_urlsafe(16)
        self._lock = threading.Lock()
        self.clock = clock
        self.issued = 0  # access tokens issued (tests read it: one per run)

    def register(
        self,
        client_id: str,
        public_key_pem: str,
        scopes: Iterable[str],
        *,
        key_id: str | None = None,
        dpop: bool = True,
    ) -> None:
        """Register a service app with the public key Okta checks its client assertions with."""
        key = serialization.load_pem_public_key(public_key_pem.encode())
        with self._lock:
            self._apps[client_id] = ServiceApp(client_id, key, key_id, frozenset(scopes), dpop)

    def rotate_nonce(self) -> None:
        """A new DPoP nonce; proofs with the old one get `use_dpop_nonce`. Inferred: Okta rotates its nonce
        (RFC 9449 §8.2), how often is not published."""
        with self._lock:
            self._nonce = secrets.token_urlsafe(16)

    def expire_tokens(self) -> None:
        """Every issued token expires now (tests of renewal)."""
        with self._lock:
            for token in self._tokens.values():
                token.expires_at = 0.0

    # --- the token endpoint -----------------------------------------------------------------------------------

    def token(self, request: Request) -> Response:
        """POST /oauth2/v1/token with client credentials; errors as `OAuthRefused` answers."""
        try:
            return self._token(request)
        except OAuthRefused as refused:
            return refused.response

    def _token(self, request: Request) -> Response:
        if request.method != "POST":
            raise _token_error(405, "invalid_request", "The token endpoint takes POST.")  # Inferred
        # Inferred: Okta reads the parameters from the query string too. Okta's Go SDK v5 (the Okta provider's
        # newer client) sends its client-credentials request as POST /oauth2/v1/token?grant_type=…&client_assertion=…
        # with an empty body (seen with pulumi-resource-okta 6.8.0 against the sandbox), and that client works
        # against real orgs.
        form = dict(parse_qsl(request.raw_query, keep_blank_values=True))
        form.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("grant_type") != "client_credentials":
            # Source: RFC 6749 §5.2 (unsupported_grant_type); service apps use client credentials (Okta guide).
            raise _token_error(400, "unsupported_grant_type", "The grant_type is not supported for this client.")
        app = self._authenticate_client(form, request)
        requested = frozenset(form.get("scope", "").split())
        if not requested:
            # Source: Okta service app guide: the request names the scopes (the org server has no default scope).
            raise _token_error(400, "invalid_scope", "The authorization server requires a scope in the request.")
        missing = sorted(requested - app.scopes)
        if missing:
            # Source: RFC 6749 §5.2 invalid_scope. Inferred: Okta's text; it names the scopes not granted.
            raise _token_error(
                400, "invalid_scope", f"The following scopes are not granted to the client: {' '.join(missing)}"
            )
        jkt = self._token_proof(request, app)
        value = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[value] = _Token(app.client_id, requested, jkt, self.clock() + TOKEN_LIFETIME)
            self.issued += 1
        token_type = "DPoP" if jkt else "Bearer"  # Source: RFC 9449 §5, token_type DPoP for a bound token
        body = {
            "token_type": token_type,
            "expires_in": TOKEN_LIFETIME,
            "access_token": value,
            "scope": " ".join(sorted(requested)),
        }
        return Response(200, body, [("Cache-Control", "no-store")])

    def _authenticate_client(self, form: dict[str, str], request: Request) -> ServiceApp:
        """The client assertion (RFC 7523 §3), checked with the app's registered public key."""
        if form.get("client_assertion_type") != ASSERTION_TYPE or not form.get("client_assertion"):
            # Source: Okta service app guide, private_key_jwt is the service app's client authentication.
            raise _token_error(401, "invalid_client", "Client authentication failed: a client_assertion is needed.")
        assertion = form["client_assertion"]
        try:
            claims = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            # Source: RFC 7523 §3 (the assertion is a JWT) and RFC 6749 §5.2 (invalid_client). Inferred: Okta's text.
            raise _token_error(401, "invalid_client", "The client_assertion is not a valid JWT.") from None
        app = self._apps.get(str(claims.get("iss", "")))
        if app is None or claims.get("sub") != app.client_id:
            # Source: Okta guide, iss and sub are the client id. Inferred: Okta's text.
            raise _token_error(401, "invalid_client", "The client_assertion token has an invalid issuer or subject.")
        audience = request.base_url.rstrip("/") + TOKEN_PATH
        try:
            jwt.decode(
                assertion,
                app.public_key,
                algorithms=ASSERTION_ALGORITHMS,
                audience=audience,  # Source: Okta guide, aud is the org's token endpoint
                # Source: RFC 7523 §3: exp is required, jti and iat optional. Okta's Go SDK v4 (in the Okta
                # provider) sends no jti, and real orgs accept it.
                options={"require": ["exp"], "verify_exp": False, "verify_iat": False},
            )
            if float(claims["exp"]) <= self.clock():  # the server's clock (tests move it), not PyJWT's
                raise jwt.ExpiredSignatureError("Signature has expired")
        except jwt.InvalidSignatureError:
            # Source: Okta DPoP/service-app guides (invalid_client when the key does not match the registered one).
            # Inferred: the exact description.
            raise _token_error(401, "invalid_client", "The client_assertion signature is invalid.") from None
        except jwt.InvalidTokenError as err:
            # Source: RFC 7523 §3 (exp, aud, iss, sub checked), RFC 6749 §5.2 invalid_client. Inferred: Okta's text.
            raise _token_error(401, "invalid_client", f"The client_assertion token is invalid: {err}") from None
        return app

    def _token_proof(self, request: Request, app: ServiceApp) -> str | None:
        """The DPoP proof of a token request: None for an app without DPoP, else the thumbprint to bind to."""
        proof = request.headers.get("Dpop")
        if not app.dpop:
            return None  # Inferred: a proof to an app without DPoP is ignored and a Bearer token issued
        if not proof:
            # Source: ../shared/reference/okta.md (Okta DPoP guide): "The DPoP proof JWT header is missing."
            raise _token_error(400, "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
        claims, jkt = self._verify_proof(proof, "POST", request.base_url.rstrip("/") + TOKEN_PATH, token_endpoint=True)
        if claims.get("nonce") != self._nonce:
            # Source: Okta DPoP guide and RFC 9449 §8: 400 use_dpop_nonce with the nonce in DPoP-Nonce.
            raise _token_error(
                400,
                "use_dpop_nonce",
                "Authorization server requires nonce in DPoP proof.",
                [("DPoP-Nonce", self._nonce)],
            )
        return jkt

    def _verify_proof(self, proof: str, method: str, url: str, *, token_endpoint: bool) -> tuple[JSON, str]:
        """Check a DPoP proof (RFC 9449 §4.3): typ, its own public jwk, signature, htm, htu, iat, a fresh jti."""

        def refuse(why: str) -> OAuthRefused:
            if token_endpoint:  # Source: Okta DPoP guide, token endpoint: 400 invalid_dpop_proof
                return _token_error(400, "invalid_dpop_proof", why)
            return _resource_error(401, "DPoP", "invalid_dpop_proof", why)  # Source: RFC 9449 §7.1

        try:
            header = jwt.get_unverified_header(proof)
            if header.get("typ") != "dpop+jwt" or not isinstance(header.get("jwk"), dict):
                # Source: RFC 9449 §4.2-4.3 (typ dpop+jwt, a jwk header). Inferred: Okta's text.
                raise refuse("The DPoP proof JWT must have typ dpop+jwt and a jwk header.")
            if any(name in header["jwk"] for name in ("d", "p", "q")):
                raise refuse("The DPoP proof jwk must be a public key.")  # Source: RFC 9449 §4.3 step 7
            key = jwt.PyJWK(header["jwk"]).key
            claims = jwt.decode(  # iat is checked below, on the server's clock
                proof, key, algorithms=PROOF_ALGORITHMS, options={"require": ["iat", "jti"], "verify_iat": False}
            )
        except jwt.InvalidTokenError as err:
            raise refuse(f"The DPoP proof JWT is invalid: {err}") from None
        # Source: RFC 9449 §4.3 (htm, htu without query, a recent iat, a jti used once); Okta DPoP guide.
        if claims.get("htm") != method:
            raise refuse("The DPoP proof htm does not match the request method.")
        if str(claims.get("htu", "")).split("?")[0].rstrip("/") != url.split("?")[0].rstrip("/"):
            raise refuse("The DPoP proof htu does not match the request URL.")  # RFC 9449 §4.3: no query
        if abs(self.clock() - float(claims["iat"])) > PROOF_MAX_AGE:
            raise refuse("The DPoP proof iat is too old or in the future.")
        with self._lock:
            if claims["jti"] in self._used_jtis:
                raise refuse("The DPoP proof jti was already used.")  # Source: RFC 9449 §11.1
            self._used_jtis.add(str(claims["jti"]))
        return claims, thumbprint(header["jwk"])

    # --- API calls with an access token -------------------------------------------------------------------------

    def authorize(self, request: Request, scheme: str, value: str) -> None:
        """Let an API call through, or raise `OAuthRefused`: the token is known and live, bound proofs match, and
        its scopes cover the call."""
        url = request.base_url.rstrip("/") + request.path
        with self._lock:
            token = self._tokens.get(value.strip())
        if token is None or token.expires_at <= self.clock():
            # Source: RFC 6750 §3.1 invalid_token; Inferred: Okta's description.
            raise _resource_error(401, scheme, "invalid_token", "The access token is invalid or has expired.")
        if token.jkt is not None:
            if scheme != "DPoP":
                # Source: RFC 9449 §7.1: a DPoP-bound token is refused under the Bearer scheme.
                raise _resource_error(401, "DPoP", "invalid_token", "A DPoP-bound access token needs the DPoP scheme.")
            proof = request.headers.get("Dpop", "")
            if not proof:
                # Source: RFC 9449 §7.1 (a DPoP-bound token needs a proof); the text is the Okta DPoP guide's.
                raise _resource_error(401, "DPoP", "invalid_dpop_proof", "The DPoP proof JWT header is missing.")
            claims, jkt = self._verify_proof(proof, request.method, url, token_endpoint=False)
            if jkt != token.jkt:
                # Source: RFC 9449 §7.1 (the proof's key must be the token's cnf.jkt). Inferred: Okta's text.
                raise _resource_error(401, "DPoP", "invalid_dpop_proof", "The DPoP proof key is not the token's.")
            if claims.get("ath") != _hash(value.strip()):
                # Source: Okta DPoP guide and RFC 9449 §4.3: API calls carry ath, the token's SHA-256.
                raise _resource_error(
                    401, "DPoP", "invalid_dpop_proof", "'ath' claim in the DPoP proof JWT is invalid."
                )
            # Inferred: Okta's resource server does not demand its nonce on API calls (its guide's API example
            # proof has none); a nonce sent is not checked.
        for needed in required_scopes(request.method, request.path):
            if not _granted(token.scopes, needed):
                # Source: Okta support, "insufficient_scope": 403 and the challenge naming the scope and resource.
                raise _resource_error(
                    403,
                    scheme,
                    "insufficient_scope",
                    "The access token provided does not contain the required scopes.",
                    realm=request.base_url,
                    scope=needed,
                    resource=request.path,
                )


def thumbprint(jwk: JSON) -> str:
    """RFC 7638 JWK thumbprint (SHA-256) of a public key: the required members in lexical order."""
    members = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n"), "OKP": ("crv", "kty", "x")}
    required = {name: jwk[name] for name in members.get(str(jwk.get("kty")), ()) if name in jwk}
    digest = hashlib.sha256(json.dumps(required, separators=(",", ":"), sort_keys=True).encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _hash(token: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode("ascii")).digest()).rstrip(b"=").decode()


@dataclass(frozen=True)
class KeyPair:
    """A service app's key pair as the Admin Console generates one: the private key PEM (the app's owner keeps it)
    and the public key PEM (Okta keeps it), with its key id."""

    private_pem: str = field(repr=False)
    public_pem: str
    key_id: str


def generate_key_pair() -> KeyPair:
    """An RSA 2048 key pair. Source: Okta service app guide (the console generates RSA keys; PKCS#8 PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return KeyPair(private_pem, public_pem, "sandbox-" + secrets.token_hex(4))
