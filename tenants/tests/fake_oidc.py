"""A local OpenID Connect provider for tests, served by respx: discovery, JWKS of a generated RSA key, and a token
endpoint that checks the client's credentials and PKCE, then returns an ID token signed with that key.

`authorize(auth_url)` plays the browser at the provider: it reads the authorization request and returns the code
and state to bring back to our callback. `claims` overrides (or, with None, removes) ID token claims;
`signing_key` signs with another key (forged token).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import respx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

ISSUER = "https://idp.example.com"
CLIENT_ID = "hubbub-app"
CLIENT_SECRET = "s3cret-from-the-idp"
PUBLIC_IP = "93.184.216.34"

# Generating RSA keys is slow: once per test run. The forger's key claims the same key id.
PROVIDER_KEY = RSAKey.generate_key(2048, parameters={"kid": "idp-key-1"})
FORGED_KEY = RSAKey.generate_key(2048, parameters={"kid": "idp-key-1"})


class FakeIssuer:
    def __init__(self, router: respx.MockRouter, *, issuer: str = ISSUER) -> None:
        self.issuer = issuer
        self.client_secret = CLIENT_SECRET
        self.requests: dict[str, dict[str, str]] = {}  # code -> the authorization request it answers
        self.claims: dict[str, Any] = {}
        self.signing_key = PROVIDER_KEY
        self.token_calls = 0
        self.discovery = router.get(f"{issuer}/.well-known/openid-configuration").mock(
            side_effect=lambda request: httpx.Response(200, json=self.metadata())
        )
        router.get(f"{issuer}/jwks").mock(
            return_value=httpx.Response(200, json=KeySet([PROVIDER_KEY]).as_dict(private=False))
        )
        router.post(f"{issuer}/token").mock(side_effect=self._token)

    def metadata(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def authorize(self, auth_url: str, *, sub: str = "idp-user-1", email: str = "alice@acme.example") -> dict:
        """The person signs in at the provider: returns the callback's query (`code`, `state`)."""
        query = {name: values[0] for name, values in parse_qs(urlsplit(auth_url).query).items()}
        assert auth_url.startswith(f"{self.issuer}/authorize?")
        assert query["response_type"] == "code" and query["client_id"] == CLIENT_ID
        assert query["code_challenge_method"] == "S256" and "openid" in query["scope"].split()
        code = secrets.token_urlsafe(16)
        self.requests[code] = {**query, "sub": sub, "email": email}
        return {"code": code, "state": query["state"]}

    def _token(self, request: httpx.Request) -> httpx.Response:
        self.token_calls += 1
        form = {name: values[0] for name, values in parse_qs(request.content.decode()).items()}
        expected_auth = base64.b64encode(f"{CLIENT_ID}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected_auth}":
            return httpx.Response(401, json={"error": "invalid_client"})
        asked = self.requests.pop(form.get("code", ""), None)
        if asked is None or form.get("grant_type") != "authorization_code":
            return httpx.Response(400, json={"error": "invalid_grant"})
        challenge = base64.urlsafe_b64encode(hashlib.sha256(form["code_verifier"].encode()).digest()).rstrip(b"=")
        if challenge.decode() != asked["code_challenge"] or form.get("redirect_uri") != asked["redirect_uri"]:
            return httpx.Response(400, json={"error": "invalid_grant"})
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": asked["sub"],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": asked["nonce"],
            "email": asked["email"],
            "email_verified": True,
            "given_name": "Alice",
            "family_name": "Example",
        }
        claims.update(self.claims)
        claims = {name: value for name, value in claims.items() if value is not None}
        id_token = jwt.encode({"alg": "RS256", "kid": "idp-key-1"}, claims, self.signing_key)
        return httpx.Response(
            200, json={"access_token": "at-" + secrets.token_urlsafe(8), "token_type": "Bearer", "id_token": id_token}
        )
